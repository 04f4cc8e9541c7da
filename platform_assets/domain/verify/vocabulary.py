"""Schema vocabulary (XSD, RELAX NG) -> near-miss names in a clause's code, code spans and table name cells.

Invariant: a name is flagged only when it is not in the schema yet within a few edits of a schema name, once
per clause, and only where names are read (`name_uses`, the same places `corrections` may rewrite) and
written as schemas write them: a tag or attribute, a prefix (`w:p`), camelCase, a whole code span; never a
word (`Liter`), an upper-case function name (`SUM`) or a unit.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.markdown_parts import split_markdown
from platform_assets.domain.verify.near_miss import deletions, edit_distance

XSD_NS = "http://www.w3.org/2001/XMLSchema"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_SUFFIXES = (".xsd", ".rng")
MIN_NAME = 3
"""Names or tokens shorter than this are never near misses: `If` for `if`, `A` for `a` are other words."""
SHORT_NAME = 5
"""Below this length only case may differ (`XML` for `xml`): one edit from `with` is `width`."""
LONG_NAME = 9
"""Names this long may be two edits away (`TargtMde` for `TargetMode`); shorter ones one (`Overide`)."""
BUILTIN_PREFIXES = frozenset({"xs", "xsd", "xsi"})
"""Prefixes of XML Schema's own names (`xs:token`, `xsi:type`) as documents write them: no schema names."""

NAME = r"[A-Za-z_](?:[\w.-]*\w)?"
"""An XML name as the check and the corrections read it: no trailing `.` or `-` (`see pPr.` is `pPr`)."""
_QNAME = re.compile(rf"(?<![\w.:-])(?:({NAME}):)?({NAME})(?![\w:])")
_TAG = re.compile(rf"</?(?:({NAME}):)?({NAME})((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)")
_CLOSED_TAG = re.compile(rf"</?(?:{NAME}:)?{NAME}(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>")
_ATTRIBUTE = re.compile(rf"(?<![\w.:-])(?:({NAME}):)?({NAME})\s*=\s*(?:\"([^\"]*)\"|'([^']*)')?")
_BINDING = re.compile(r"xmlns(?::([\w.-]+))?\s*=\s*[\"']([^\"']*)[\"']")
_RNC_BINDING = re.compile(r"\b(?:default\s+)?namespace\s+([\w.-]+)?\s*=\s*\"([^\"]*)\"")
_RNC_NAME = re.compile(rf"\b(?:element|attribute)\s+(?:({NAME}):)?({NAME})\s*\{{")
_RNC = re.compile(
    rf"{_RNC_NAME.pattern}|{_RNC_BINDING.pattern}|^\s*(?:start|inherit)\s*=|"
    rf"^\s*{NAME}\s*[|&]?=\s*(?:element|attribute|list|mixed|notAllowed|empty|text)\b",
    re.MULTILINE,
)
"""RELAX NG compact syntax: `element w:p {`, `namespace w = "..."`, `start =`, `x = element ...`."""
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
"""A code span on one line; group 2 is its content."""
_NAME_CELL = re.compile(rf"<?/?((?:{NAME}:)?{NAME})\s*/?>?")
_SCHEMA_VALUES = frozenset({"name", "ref", "type", "base", "substitutionGroup", "itemType"})
"""Attributes of XML Schema markup whose values are schema names (`<xs:element name="widget">`)."""
KEPT_VOCABULARIES = 8
"""Vocabularies (with their near-miss index) `load_vocabulary` keeps in a process, the last used."""


class VocabularyError(ValueError):
    """A schema file that cannot be read as XML Schema or RELAX NG; the message names the file."""


class NameKind(StrEnum):
    ELEMENT = "element"
    ATTRIBUTE = "attribute"
    TYPE = "type"
    GROUP = "group"
    ATTRIBUTE_GROUP = "attributeGroup"
    ENUMERATION = "enumeration"


_XSD_DECLARATIONS = {
    "element": NameKind.ELEMENT,
    "attribute": NameKind.ATTRIBUTE,
    "complexType": NameKind.TYPE,
    "simpleType": NameKind.TYPE,
    "group": NameKind.GROUP,
    "attributeGroup": NameKind.ATTRIBUTE_GROUP,
}
_XSD_TYPE_REFERENCES = {"type": NameKind.TYPE, "base": NameKind.TYPE, "itemType": NameKind.TYPE}
_RNG_PATTERNS = {"element": NameKind.ELEMENT, "attribute": NameKind.ATTRIBUTE}


_HUMP = re.compile(r"[a-z][A-Z]|[A-Za-z0-9]_[A-Za-z]")
_INFLECTIONS = frozenset({"s", "es", "ed", "ing"})
_RNG_ONLY = frozenset(
    {"grammar", "define", "zeroOrMore", "oneOrMore", "interleave", "anyName", "nsName", "notAllowed"}
    | {"externalRef", "parentRef"}
)
"""RELAX NG's own patterns: code using one unprefixed is a RELAX NG listing even where no `xmlns` says so."""
_ASSIGNED = re.compile(r"\s*=\s*[\"']")
_NAMES_HEADER = re.compile(
    r"\s*(?:(?:element|attribute|type|group)s?(?:\s+names?)?|names?)\s*", re.IGNORECASE
)
"""A table header saying its column lists schema names (the kinds of names schemas declare)."""
MIN_NAME_COLUMN = 2
"""A table column whose single-name cells are at least half schema names, and at least this many, lists
names: its plain words (`orientation`) are read as names too."""


def schema_shaped(name: str) -> bool:
    """A name as only schemas and code write them: camelCase or PascalCase with a hump (`pPr`, `TargetMode`)
    or parts joined by `_` (`ST_Align`); not a word (`Liter`, `title`) nor an upper-case one (`SUM`)."""
    return bool(_HUMP.search(name))


def allowed_distance(token: str, name: str) -> int:
    """Edits (after case folding) that still make `token` a near miss of `name`; -1 where none do."""
    shorter = min(len(token), len(name))
    if shorter < SHORT_NAME:
        return -1 if shorter < MIN_NAME else 0
    return 1 if len(name) < LONG_NAME else 2


def _query_depth(token: str) -> int:
    """Deletions from `token` that reach every name it may be a near miss of."""
    if len(token) < SHORT_NAME:
        return -1 if len(token) < MIN_NAME else 0
    return 1 if len(token) < LONG_NAME - 2 else 2


def _inflected(a: str, b: str) -> bool:
    """`elements` for `element`, `register` for `registered`: a word and its inflection, not a garble."""
    shorter, longer = sorted((a, b), key=len)
    return longer.startswith(shorter) and longer[len(shorter) :] in _INFLECTIONS


@dataclass(frozen=True)
class Vocabulary:
    """Schema names by kind, the schema files that declare or reference each name, and the namespaces the
    schemas name things in (XSD `targetNamespace`, RELAX NG `ns` and the namespaces of prefixed names)."""

    by_kind: Mapping[NameKind, frozenset[str]]
    sources: Mapping[str, tuple[str, ...]]
    namespaces: frozenset[str] = frozenset()

    def foreign(self, namespace: str | None) -> bool:
        """A namespace none of the schemas names things in: its names are another vocabulary's."""
        return namespace is not None and bool(self.namespaces) and namespace not in self.namespaces

    def __contains__(self, name: object) -> bool:
        return name in self.sources

    def __len__(self) -> int:
        return len(self.sources)

    def names(self, kind: NameKind | None = None) -> frozenset[str]:
        return frozenset(self.sources) if kind is None else self.by_kind.get(kind, frozenset())

    @cached_property
    def _index(self) -> dict[str, tuple[str, ...]]:
        """Case-folded deletion neighbourhoods (as deep as each name allows) -> names."""
        index: dict[str, list[str]] = {}
        for name in sorted(self.sources):
            depth = allowed_distance(name, name)
            if depth >= 0 and re.fullmatch(NAME, name):
                for key in deletions(name.casefold(), depth):
                    index.setdefault(key, []).append(name)
        return {key: tuple(names) for key, names in index.items()}

    def nearest(self, token: str) -> str | None:
        """The schema name `token` most likely garbles (case or a few edits), None if none is close.

        Two strings within k edits share a string that k or fewer deletions reach from each, so only
        names sharing a deletion key with the token are compared. An inflection (`elements`) is no garble.
        Ties go to the name closer with case counted (`schewa`: `schema` before `Schema`), the closer
        length, then the name first in sort order.
        """
        depth = _query_depth(token)
        if token in self.sources or depth < 0:
            return None
        folded = token.casefold()
        candidates = {name for key in deletions(folded, depth) for name in self._index.get(key, ())}
        ranked: list[tuple[int, int, int, str]] = []
        for name in candidates:
            limit, other = allowed_distance(token, name), name.casefold()
            distance = edit_distance(folded, other, limit)
            if distance <= limit and not _inflected(folded, other):
                cased = edit_distance(token, name, len(name) + len(token))
                ranked.append((distance, cased, abs(len(name) - len(token)), name))
        return min(ranked)[-1] if ranked else None


class _SchemaReader:
    """ElementTree parser target: names declared and referenced by one schema; refuses any DOCTYPE."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.names: list[tuple[NameKind, str]] = []
        self.namespaces: set[str] = set()
        self._language: str | None = None
        self._bindings: dict[str, list[str]] = {}
        self._open: list[str] = []
        self._text: list[str] | None = None

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise VocabularyError(f"{self.source}: has a DOCTYPE; schema files with DTDs or entities are refused")

    def start_ns(self, prefix: str, uri: str) -> None:
        self._bindings.setdefault(prefix, []).append(uri)

    def end_ns(self, prefix: str) -> None:
        self._bindings[prefix].pop()

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if self._language is None:
            if (namespace, local) not in ((XSD_NS, "schema"), (RNG_NS, "grammar"), (RNG_NS, "element")):
                raise VocabularyError(f"{self.source}: not an XML Schema or RELAX NG file (root {tag})")
            self._language = namespace
            if namespace == XSD_NS:
                self.namespaces.add(attrib.get("targetNamespace", ""))
        self._open.append(local if namespace == self._language else "")
        if namespace == XSD_NS:
            self._xsd(local, attrib)
        elif namespace == RNG_NS:
            if "ns" in attrib:
                self.namespaces.add(attrib["ns"])
            if local in _RNG_PATTERNS and "name" in attrib:
                self._bound(attrib["name"])
                self.names.append((_RNG_PATTERNS[local], _local(attrib["name"])))
            if local in ("name", "value"):
                self._text = []

    def _xsd(self, local: str, attrib: dict[str, str]) -> None:
        kind = _XSD_DECLARATIONS.get(local)
        if kind is not None:
            self.names.extend((kind, _local(attrib[key])) for key in ("name", "ref") if key in attrib)
        if local == "enumeration" and "value" in attrib:
            self.names.append((NameKind.ENUMERATION, attrib["value"]))
        if "substitutionGroup" in attrib:
            self.names.append((NameKind.ELEMENT, _local(attrib["substitutionGroup"])))
        for key, referenced in _XSD_TYPE_REFERENCES.items():
            value = attrib.get(key, "")
            prefix = value.rpartition(":")[0]
            if value and (self._bindings.get(prefix) or [""])[-1] != XSD_NS:
                self.names.append((referenced, _local(value)))

    def end(self, tag: str) -> None:
        local = self._open.pop()
        if self._text is not None and local in ("name", "value"):
            text = "".join(self._text).strip()
            kind = NameKind.ENUMERATION if local == "value" else self._enclosing_pattern()
            if text and kind is not None:
                self._bound(text)
                self.names.append((kind, _local(text)))
            self._text = None

    def _bound(self, qname: str) -> None:
        """The namespace a RELAX NG name's prefix is bound to (`db:para`), as one the schema names in."""
        prefix, _, _ = qname.strip().rpartition(":")
        if prefix and self._bindings.get(prefix):
            self.namespaces.add(self._bindings[prefix][-1])

    def _enclosing_pattern(self) -> NameKind | None:
        """A RELAX NG `<name>` names the nearest `element` or `attribute` around it."""
        return next((_RNG_PATTERNS[tag] for tag in reversed(self._open) if tag in _RNG_PATTERNS), None)

    def data(self, text: str) -> None:
        if self._text is not None:
            self._text.append(text)

    def close(self) -> _SchemaReader:
        if self._language is None:
            raise VocabularyError(f"{self.source}: empty document")
        return self


def _local(qname: str) -> str:
    return qname.strip().rpartition(":")[2]


def read_schema_names(path: Path) -> list[tuple[NameKind, str]]:
    """The names one XSD or RELAX NG (XML syntax) file declares or references, in document order."""
    return _read_schema(path).names


def _read_schema(path: Path) -> _SchemaReader:
    return _parse_schema(path, _schema_bytes(path))


def _schema_bytes(path: Path) -> bytes:
    if path.suffix == ".rnc":
        raise VocabularyError(f"{path}: RELAX NG compact syntax is not supported; convert it to .rng")
    try:
        return path.read_bytes()
    except OSError as error:
        raise VocabularyError(f"{path}: cannot read: {error.strerror}") from error


def _parse_schema(path: Path, data: bytes) -> _SchemaReader:
    parser = ET.XMLParser(target=_SchemaReader(str(path)))
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as error:
        raise VocabularyError(f"{path}: not well-formed XML: {error}") from error


def schema_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given, directories expanded to their `.xsd` and `.rng` files (recursively, sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SCHEMA_SUFFIXES and p.is_file())
            if not found:
                raise VocabularyError(f"{path}: no .xsd or .rng files in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


_loaded: OrderedDict[tuple[tuple[str, str], ...], Vocabulary] = OrderedDict()
"""Vocabularies by their schema files' paths and content digests, the last used last."""


def load_vocabulary(paths: Sequence[Path]) -> Vocabulary:
    """All names of the schema files and directories given; `VocabularyError` names a file it cannot use.

    The same files with the same content give back the same `Vocabulary`, its near-miss index built
    once per process: verifying the next document against the same schemas rebuilds neither.
    """
    contents = [(path, _schema_bytes(path)) for path in schema_files(paths)]
    key = tuple((str(path), hashlib.sha256(data).hexdigest()) for path, data in contents)
    if key in _loaded:
        _loaded.move_to_end(key)
        return _loaded[key]
    vocabulary = _build_vocabulary(contents)
    _loaded[key] = vocabulary
    if len(_loaded) > KEPT_VOCABULARIES:
        _loaded.popitem(last=False)
    return vocabulary


def _build_vocabulary(contents: Sequence[tuple[Path, bytes]]) -> Vocabulary:
    kinds: dict[NameKind, set[str]] = {}
    sources: dict[str, dict[str, None]] = {}
    namespaces: set[str] = set()
    for path, data in contents:
        schema = _parse_schema(path, data)
        namespaces |= schema.namespaces
        for kind, name in schema.names:
            if name:
                kinds.setdefault(kind, set()).add(name)
                sources.setdefault(name, {})[str(path)] = None
    return Vocabulary(
        by_kind={kind: frozenset(names) for kind, names in sorted(kinds.items())},
        sources={name: tuple(files) for name, files in sorted(sources.items())},
        namespaces=frozenset(namespaces),
    )


NameContext = Literal["code", "inline code", "table"]


@dataclass(frozen=True)
class NameUse:
    """A name as a clause uses it: as written (`w:pPr`), its local part, and where (code, table...)."""

    written: str
    local: str
    context: NameContext
    schema_like: bool = True
    """Written as schemas write names: a tag or attribute, prefixed, `schema_shaped`, alone in a code span;
    not a plain word (`Liter`, `title`) nor an upper-case function name (`SUM`)."""
    column: tuple[int, int] | None = None
    """(table, column) of a single-name cell, in the clause's order."""
    namespace: str | None = None
    """The namespace the code binds the name's prefix (or the default namespace) to, None where unbound."""


def _schema_prefixes(code: str) -> tuple[frozenset[str], bool]:
    """Prefixes this code binds to XML Schema, its instance namespace or RELAX NG (with `xs`, `xsd`,
    `xsi` always), and whether the default namespace is one of them (bound so, or using a pattern only
    RELAX NG has)."""
    bound = {prefix or "" for prefix, uri in _BINDING.findall(code) if uri in (XSD_NS, XSI_NS, RNG_NS)}
    relax_ng = any(not tag[1] and tag[2] in _RNG_ONLY for tag in _TAG.finditer(code))
    return frozenset(BUILTIN_PREFIXES | (bound - {""})), "" in bound or relax_ng


def _qname(prefix: str | None, local: str) -> str:
    return f"{prefix}:{local}" if prefix else local


def _xml_names(code: str, context: NameContext) -> Iterator[NameUse]:
    """Tag and attribute names of XML code; in schema markup (`<xs:element name="x">`) the names it gives."""
    schema_prefixes, schema_default = _schema_prefixes(code)
    bindings = {prefix: uri for prefix, uri in _BINDING.findall(code)}
    for tag in _TAG.finditer(code):
        prefix, local, rest = tag[1], tag[2], tag[3]
        in_schema = prefix in schema_prefixes if prefix else schema_default
        if not in_schema:
            yield NameUse(_qname(prefix, local), local, context, namespace=bindings.get(prefix or ""))
        for attribute in _ATTRIBUTE.finditer(rest):
            attribute_prefix, name = attribute[1], attribute[2]
            if "xmlns" in (attribute_prefix, name) or attribute_prefix in schema_prefixes:
                continue
            if not in_schema:
                namespace = bindings.get(attribute_prefix) if attribute_prefix else None
                yield NameUse(_qname(attribute_prefix, name), name, context, namespace=namespace)
                continue
            value = (attribute[3] or attribute[4] or "").strip()
            named = name in _SCHEMA_VALUES or (name == "value" and local == "enumeration")
            value_prefix, _, value_local = value.rpartition(":")
            if named and re.fullmatch(NAME, value_local) and value_prefix not in schema_prefixes:
                yield NameUse(value, value_local, context)


def code_names(code: str, context: NameContext = "code") -> Iterator[NameUse]:
    """Names in code: tag and attribute names if it reads as XML, the names a RELAX NG compact listing gives
    its elements and attributes (not its keywords nor pattern names), otherwise every identifier, schema-like
    where prefixed, `schema_shaped`, set as an attribute (`align="left"`) or a code span's one name (unless
    upper case: `SUM`)."""
    if _CLOSED_TAG.search(code):
        yield from _xml_names(code, context)
        return
    if _RNC.search(code):
        for match in _RNC_NAME.finditer(code):
            yield NameUse(_qname(match[1], match[2]), match[2], context)
        return
    alone = context == "inline code" and _QNAME.fullmatch(code.strip()) is not None
    for match in _QNAME.finditer(code):
        prefix, local = match[1], match[2]
        if prefix in BUILTIN_PREFIXES:
            continue
        assigned = _ASSIGNED.match(code, match.end()) is not None
        marked = bool(prefix) or schema_shaped(local) or assigned or (alone and not local.isupper())
        yield NameUse(match[0], local, context, marked)


def inline_code(text: str) -> Iterator[str]:
    """The contents of the code spans (`x`) in one line of Markdown."""
    return (match[2] for match in CODE_SPAN.finditer(text))


def name_cell(cell: str) -> str | None:
    """The name a table cell holds when it is a single name (`pPr`, `w:pPr`, `<w:pPr/>`), else None."""
    match = _NAME_CELL.fullmatch(cell.strip())
    return match[1] if match else None


def name_uses(markdown: str) -> Iterator[NameUse]:
    """Every name a clause's Markdown uses in a name context: code blocks, code spans, single-name cells;
    a cell's name is schema-like when tagged (`<title/>`), prefixed, `schema_shaped`, or under a header
    that says its column lists names (`Attribute`, `Element name`)."""
    parts = split_markdown(markdown)
    for code in parts.code:
        yield from code_names(code)
    for line in parts.prose:
        for span in inline_code(line):
            yield from code_names(span, "inline code")
    for number, table in enumerate(parts.tables):
        listed = {
            column for column, cell in enumerate(table[0] if table else []) if _NAMES_HEADER.fullmatch(cell)
        }
        for row_number, row in enumerate(table):
            for column, cell in enumerate(row):
                spans = list(inline_code(cell))
                for span in spans:
                    yield from code_names(span, "inline code")
                name = None if spans else name_cell(cell)
                prefix, _, local = (name or "").rpartition(":")
                if name is not None and prefix not in BUILTIN_PREFIXES:
                    marked = bool(prefix) or cell.lstrip().startswith("<") or schema_shaped(local)
                    marked = marked or (row_number > 0 and column in listed)
                    yield NameUse(name, local, "table", marked, (number, column))


def _first_letter_case(token: str, name: str) -> bool:
    """`None` for `none`, `Reference` for `reference`: a cell's sentence case, or another namespace's
    convention (XML-DSig's `Reference`, MCE's `Fallback` beside OOXML's `fallback`), not a garble."""
    return token[1:] == name[1:] and token[0].casefold() == name[0].casefold()


def _finding(clause: ClauseText, use: NameUse, expected: str) -> Finding:
    distance = edit_distance(use.local.casefold(), expected.casefold(), len(expected))
    how = "differs only in case from" if distance == 0 else f"is {distance} edit(s) from"
    return Finding(
        check=CheckName.VOCABULARY,
        kind="near_miss_name",
        severity=Severity.WARN,
        message=f"`{use.written}` ({use.context}) is not in the schema and {how} `{expected}`",
        clause_id=clause.clause_id,
        path=clause.path,
        pages=tuple(clause.pages),
        subject=use.local,
        expected=expected,
        score=round(1 - distance / max(len(use.local), len(expected)), 3),
    )


def _name_columns(uses: Sequence[NameUse], vocabulary: Vocabulary) -> set[tuple[int, int]]:
    """Table columns listing names: at least half of their single-name cells (`MIN_NAME_COLUMN` or more)
    are schema names."""
    cells: dict[tuple[int, int], list[bool]] = {}
    for use in uses:
        if use.column is not None:
            cells.setdefault(use.column, []).append(use.local in vocabulary)
    return {
        column
        for column, known in cells.items()
        if sum(known) >= MIN_NAME_COLUMN and 2 * sum(known) >= len(known)
    }


def _document_bindings(clauses: Sequence[ClauseText]) -> dict[str, str]:
    """Prefixes the document's code binds to one namespace only (`xmlns:ds="..."`, RELAX NG compact
    `namespace ds = "..."`): a prefix left unbound in one listing means the same there."""
    seen: dict[str, set[str]] = {}
    for clause in clauses:
        for code in split_markdown(clause.markdown).code:
            for prefix, uri in [*_BINDING.findall(code), *_RNC_BINDING.findall(code)]:
                if prefix:
                    seen.setdefault(prefix, set()).add(uri)
    return {prefix: uris.pop() for prefix, uris in seen.items() if len(uris) == 1}


def _namespace(use: NameUse, bindings: Mapping[str, str]) -> str | None:
    prefix = use.written.rpartition(":")[0]
    return use.namespace if use.namespace is not None or not prefix else bindings.get(prefix)


def check_vocabulary(clauses: Sequence[ClauseText], vocabulary: Vocabulary) -> list[Finding]:
    """Near-miss names per clause, in clause order and first use, once per (clause, name): schema-like
    uses and the plain words of a table column that lists names, none bound to a namespace that is not the
    schemas' (`<ds:Reference>` beside OOXML's `reference`)."""
    nearest: dict[str, str | None] = {}
    findings: list[Finding] = []
    bindings = _document_bindings(clauses) if vocabulary.namespaces else {}
    for clause in clauses:
        seen: set[str] = set()
        uses = list(name_uses(clause.markdown))
        columns = _name_columns(uses, vocabulary)
        for use in uses:
            if use.local in seen or use.local in vocabulary:
                continue
            if (not use.schema_like and use.column not in columns) or vocabulary.foreign(
                _namespace(use, bindings)
            ):
                continue
            if use.local not in nearest:
                nearest[use.local] = vocabulary.nearest(use.local)
            expected = nearest[use.local]
            if expected is None or _first_letter_case(use.local, expected):
                continue
            seen.add(use.local)
            findings.append(_finding(clause, use, expected))
    return findings

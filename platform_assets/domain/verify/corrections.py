"""A document's reviewed corrections: garble -> name fixes in name contexts, clause patches, benign pairs.

Invariant: nothing changes silently. Every edit made is listed, a correction the source pages do not prove
is held back and listed, a patch that no longer matches is listed, and benign findings stay as INFO.

The file is TOML, one per document (see `verification_config.py` for where it is found):

    schemas = ["schemas/wml.xsd", "schemas/"]   # optional: XSD/RNG files or folders, relative to it

    [corrections]              # garble = "correct": whole names in code blocks, code spans, name cells
    "pPR" = "pPr"
    "TargetMcde" = "TargetMode"

    [[patches."5.1.2"]]        # clause id -> edits of its file, in order, after the corrections
    find = "widht"
    replace = "width"

    [[patches."5.1.2"]]
    find = '(\\d+) px'
    replace = '\\1px'
    regex = true               # optional; a Python regex, `replace` may use \\1 and \\g<name>

    [[benign]]                 # reviewed pairs that are distinct names: their findings become INFO
    subject = "SourceID"
    expected = "SourceId"
    clause = "9.1.2"           # optional: only this clause's findings
    note = "as printed"        # optional: why it is benign

    [references]               # optional: how this document writes references (read before the build)
    disable = ["bare_dotted"]  # default patterns switched off, by name (`cross_references.DEFAULT_PATTERNS`)
    not_ours = ["G"]           # clauses quoting another document (a licence): references external, unlinked

    [[references.patterns]]    # added patterns: a Python regex with a group `id` (see `ReferencePattern`)
    name = "article"
    regex = 'Art\\.\\s?(?P<id>\\d+)'
    target_prefix = ""         # optional: put before the id (`Part-`)
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from platform_assets.domain.tree.correction_log import Applied, StalePatch, Unproven
from platform_assets.domain.tree.cross_references import ReferencePattern, check_patterns, configured_patterns
from platform_assets.domain.verify.findings import ClauseText, Finding, Severity
from platform_assets.domain.verify.vocabulary import CODE_SPAN, name_cell

PageHas = Callable[[str, Sequence[int]], bool]
"""Whether the PDF text layer shows `word` on any of `pages` (0-based); `lambda w, p: False` if none."""

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_PIPE = re.compile(r"(?<!\\)\|")
_HTML_CELL = re.compile(r"<t[dh](?:\s[^>]*)?>([^<]*)</t[dh]\s*>", re.IGNORECASE)
_NAME_END = r"(?![.-]*\w|:[A-Za-z_])"
"""A garble matches a whole name: `pPR` in `w:pPR` and `<pPR>`, not in `pPRx`, `a-pPR` or `pPR.b`."""
_TOP_LEVEL = frozenset({"schemas", "corrections", "patches", "benign", "references"})
_REFERENCE_KEYS = frozenset({"disable", "not_ours", "patterns"})
_PATTERN_KEYS = frozenset({"name", "regex", "target_prefix"})
_PATCH_KEYS = frozenset({"find", "replace", "regex"})
_BENIGN_KEYS = frozenset({"subject", "expected", "clause", "note"})


class CorrectionsError(ValueError):
    """A corrections file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Patch:
    """One edit of one clause's file: literal `find` -> `replace`, or a regex substitution."""

    find: str
    replace: str
    regex: bool = False

    def apply(self, text: str) -> tuple[str, int]:
        if self.regex:
            return re.subn(self.find, self.replace, text)
        return text.replace(self.find, self.replace), text.count(self.find)


@dataclass(frozen=True)
class BenignPair:
    """A reviewed (subject, expected) pair of distinct names, in one clause or (no clause) anywhere."""

    subject: str
    expected: str
    clause_id: str | None = None
    note: str = ""

    def covers(self, finding: Finding) -> bool:
        return (finding.subject, finding.expected) == (self.subject, self.expected) and (
            self.clause_id is None or self.clause_id == finding.clause_id
        )


@dataclass(frozen=True)
class ReferenceConfig:
    """How one document writes references: the patterns to link with, the clauses whose references are
    another document's (a quoted licence)."""

    patterns: tuple[ReferencePattern, ...] = field(default_factory=configured_patterns)
    not_ours: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DocumentCorrections:
    """One document's corrections file as read: schemas, garble -> correct, patches by clause id, benign,
    reference patterns."""

    corrections: Mapping[str, str] = field(default_factory=dict)
    patches: Mapping[str, tuple[Patch, ...]] = field(default_factory=dict)
    benign: tuple[BenignPair, ...] = ()
    schemas: tuple[Path, ...] = ()
    references: ReferenceConfig = field(default_factory=ReferenceConfig)


@dataclass(frozen=True)
class CorrectionResult:
    """Every clause after the corrections and patches, the files that changed, and what was done."""

    clauses: tuple[ClauseText, ...]
    changed_files: dict[str, str]
    """Tree-relative path -> new Markdown, for the files that changed."""
    applied: tuple[Applied, ...]
    unproven: tuple[Unproven, ...]
    stale_patches: tuple[StalePatch, ...]


def _string(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise CorrectionsError(f"{where}: must be a {'' if empty else 'non-empty '}string, got {value!r}")
    return value


def _table(
    value: Any, where: str, allowed: frozenset[str] | None = None, required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`value` as a TOML table with only `allowed` keys (any if None) and every `required` one."""
    if not isinstance(value, dict):
        raise CorrectionsError(f"{where}: must be a table, got {value!r}")
    if allowed is not None and (unknown := sorted(set(value) - allowed)):
        raise CorrectionsError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    if missing := sorted(required - set(value)):
        raise CorrectionsError(f"{where}: missing key(s) {missing}")
    return value


def _corrections(value: Any, source: str) -> dict[str, str]:
    corrections = {}
    for garble, correct in _table(value, f"{source}: [corrections]").items():
        where = f'{source}: [corrections] "{garble}"'
        if not garble or "\n" in garble or "\n" in _string(correct, where) or garble == correct:
            raise CorrectionsError(f"{where}: garble and correction must differ and be one line each")
        corrections[garble] = correct
    return corrections


def _patch(value: Any, where: str) -> Patch:
    table = _table(value, where, _PATCH_KEYS, frozenset({"find", "replace"}))
    regex = table.get("regex", False)
    if not isinstance(regex, bool):
        raise CorrectionsError(f"{where} regex: must be true or false, got {regex!r}")
    patch = Patch(
        _string(table["find"], f"{where} find"),
        _string(table["replace"], f"{where} replace", empty=True),
        regex,
    )
    if regex:
        try:
            re.compile(patch.find).sub(patch.replace, "")  # compiles the replacement template too
        except re.error as error:
            raise CorrectionsError(f"{where}: bad regex or replacement: {error}") from error
    return patch


def _patches(value: Any, source: str) -> dict[str, tuple[Patch, ...]]:
    patches = {}
    for clause_id, edits in _table(value, f"{source}: [patches]").items():
        where = f'{source}: [patches."{clause_id}"]'
        if not isinstance(edits, list):
            raise CorrectionsError(f'{where}: must be an array of tables ([[patches."{clause_id}"]])')
        patches[clause_id] = tuple(_patch(edit, f"{where}[{n}]") for n, edit in enumerate(edits, 1))
    return patches


def _benign(value: Any, source: str) -> tuple[BenignPair, ...]:
    if not isinstance(value, list):
        raise CorrectionsError(f"{source}: [benign]: must be an array of tables ([[benign]])")
    pairs = []
    for n, entry in enumerate(value, 1):
        where = f"{source}: [[benign]][{n}]"
        table = _table(entry, where, _BENIGN_KEYS, frozenset({"subject", "expected"}))
        clause = table.get("clause")
        pairs.append(
            BenignPair(
                _string(table["subject"], f"{where} subject"),
                _string(table["expected"], f"{where} expected"),
                None if clause is None else _string(clause, f"{where} clause"),
                _string(table.get("note", ""), f"{where} note", empty=True),
            )
        )
    return tuple(pairs)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CorrectionsError(f"{where}: must be an array of strings, got {value!r}")
    return tuple(_string(item, where) for item in value)


def _references(value: Any, source: str) -> ReferenceConfig:
    where = f"{source}: [references]"
    table = _table(value, where, _REFERENCE_KEYS)
    if not isinstance(added := table.get("patterns", []), list):
        raise CorrectionsError(f"{where} patterns: must be an array of tables ([[references.patterns]])")
    extra = []
    for n, entry in enumerate(added, 1):
        at = f"{where} patterns[{n}]"
        pattern = _table(entry, at, _PATTERN_KEYS, frozenset({"name", "regex"}))
        extra.append(
            ReferencePattern(
                _string(pattern["name"], f"{at} name"),
                _string(pattern["regex"], f"{at} regex"),
                _string(pattern.get("target_prefix", ""), f"{at} target_prefix", empty=True),
            )
        )
    try:
        patterns = configured_patterns(_strings(table.get("disable", []), f"{where} disable"), extra)
        check_patterns(patterns)
    except ValueError as error:
        raise CorrectionsError(f"{where}: {error}") from error
    return ReferenceConfig(patterns, frozenset(_strings(table.get("not_ours", []), f"{where} not_ours")))


def load_corrections(path: Path) -> DocumentCorrections:
    """Read a document's corrections file; `CorrectionsError` names the file and the key at fault."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CorrectionsError(f"{path}: cannot read as TOML: {error}") from error
    source = str(path)
    _table(data, source, _TOP_LEVEL)
    schemas = data.get("schemas", [])
    if not isinstance(schemas, list):
        raise CorrectionsError(f"{source}: schemas: must be an array of paths, got {schemas!r}")
    return DocumentCorrections(
        schemas=tuple(Path(path).parent / _string(s, f"{source}: schemas") for s in schemas),
        corrections=_corrections(data.get("corrections", {}), source),
        patches=_patches(data.get("patches", {}), source),
        benign=_benign(data.get("benign", []), source),
        references=_references(data.get("references", {}), source),
    )


def _cells(line: str) -> Iterator[tuple[int, int]]:
    """Offsets of a pipe table row's cells, split where `split_markdown` splits them."""
    content = (line.splitlines() or [""])[0]
    bounds = [-1, *(pipe.start() for pipe in _PIPE.finditer(content)), len(content)]
    return ((start + 1, end) for start, end in pairwise(bounds) if start + 1 < end)


def _code_spans(line: str) -> Iterator[tuple[int, int]]:
    return (span.span(2) for span in CODE_SPAN.finditer(line))


def name_spans(markdown: str) -> list[tuple[int, int]]:
    """Where a clause's Markdown holds names as `vocabulary.name_uses` reads them, as offsets: code block
    bodies, code spans, and table cells that are a single name (pipe or HTML tables)."""
    spans: list[tuple[int, int]] = []
    lines = markdown.splitlines(keepends=True)
    starts = list(accumulate(map(len, lines), initial=0))
    index = 0
    while index < len(lines):
        line, start = lines[index], starts[index]
        if fence := _FENCE.match(line):
            index += 1
            while index < len(lines) and not lines[index].startswith(fence[1]):
                index += 1
            spans.append((start + len(line), starts[index]))
        elif line.lstrip().startswith("<table"):
            end = index
            while "</table>" not in lines[end] and end + 1 < len(lines):
                end += 1
            block = markdown[start : starts[end + 1]]
            cells = (cell.span(1) for cell in _HTML_CELL.finditer(block) if name_cell(cell[1]))
            spans += [(start + a, start + b) for a, b in cells]
            index = end
        else:
            cells = _cells(line) if line.lstrip().startswith("|") else iter(())
            named = [(a, b) for a, b in cells if "`" not in line[a:b] and name_cell(line[a:b])]
            spans += [(start + a, start + b) for a, b in sorted([*named, *_code_spans(line)])]
        index += 1
    return spans


def _garbles(corrections: Iterable[str]) -> re.Pattern[str]:
    """One scan for every garble, longest first, each matching a whole name only."""
    ordered = sorted(corrections, key=lambda garble: (-len(garble), garble))
    return re.compile(rf"(?<![\w.-])(?:{'|'.join(map(re.escape, ordered))}){_NAME_END}")


@dataclass
class _ClauseEdits:
    """One clause's corrections as its name spans are rewritten: what was applied, what held back, why."""

    clause: ClauseText
    corrections: Mapping[str, str]
    needs_proof: Callable[[str], bool]
    page_has: PageHas
    applied: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, str] = field(default_factory=dict)

    def reason_to_hold(self, garble: str) -> str:
        """Empty when this clause may correct `garble`, else why not."""
        if garble not in self.reasons:
            correct, pages = self.corrections[garble], self.clause.pages
            reason = ""
            if self.needs_proof(garble):
                if not self.page_has(correct, pages):
                    reason = f"`{garble}` is a real name and the clause's pages do not show `{correct}`"
                elif self.page_has(garble, pages):
                    reason = f"the clause's pages show `{garble}` itself"
            self.reasons[garble] = reason
        return self.reasons[garble]

    def substitute(self, match: re.Match[str]) -> str:
        garble = match[0]
        if self.reason_to_hold(garble):
            self.held[garble] += 1
            return garble
        self.applied[garble] += 1
        return self.corrections[garble]

    def rewrite(self, pattern: re.Pattern[str]) -> str:
        text, out, position = self.clause.markdown, [], 0
        for start, end in name_spans(text):
            out += [text[position:start], pattern.sub(self.substitute, text[start:end])]
            position = end
        return "".join([*out, text[position:]])


def apply_corrections(
    clauses: Sequence[ClauseText],
    corrections: DocumentCorrections,
    page_has: PageHas,
    names: Container[str] = frozenset(),
) -> CorrectionResult:
    """Apply the corrections (in name contexts only), then each clause's patches.

    A garble that is itself a real name (in `names`, e.g. the schema vocabulary, or anywhere in the
    document's text layer) is corrected only in clauses whose own pages show the correct form and not the
    garble; elsewhere it is held back and listed. A patch that matches nothing, or names no clause in
    `clauses`, is listed as stale.
    """
    fixes = corrections.corrections
    pattern = _garbles(fixes) if fixes else None
    document = range(
        min((c.first_page for c in clauses), default=0), max((c.last_page + 1 for c in clauses), default=0)
    )
    real: dict[str, bool] = {}

    def needs_proof(garble: str) -> bool:
        if garble not in real:
            real[garble] = garble in names or page_has(garble, document)
        return real[garble]

    out: list[ClauseText] = []
    changed: dict[str, str] = {}
    applied: list[Applied] = []
    unproven: list[Unproven] = []
    stale: list[StalePatch] = []
    for clause in clauses:
        edits = _ClauseEdits(clause, fixes, needs_proof, page_has)
        text = clause.markdown if pattern is None else edits.rewrite(pattern)
        applied += [
            Applied(clause.clause_id, g, fixes[g], n, "corrections") for g, n in edits.applied.items()
        ]
        unproven += [
            Unproven(clause.clause_id, g, fixes[g], n, edits.reasons[g]) for g, n in edits.held.items()
        ]
        for patch in corrections.patches.get(clause.clause_id, ()):
            text, count = patch.apply(text)
            if count:
                applied.append(Applied(clause.clause_id, patch.find, patch.replace, count, "patches"))
            else:
                stale.append(StalePatch(clause.clause_id, patch.find, "matches nothing in the clause's file"))
        if text != clause.markdown:
            changed[clause.path] = text
        out.append(replace(clause, markdown=text))
    known = {clause.clause_id for clause in clauses}
    for clause_id, patches in corrections.patches.items():
        if clause_id not in known:
            stale += [StalePatch(clause_id, patch.find, "no such clause in the tree") for patch in patches]
    return CorrectionResult(tuple(out), changed, tuple(applied), tuple(unproven), tuple(stale))


def mark_benign(findings: Iterable[Finding], corrections: DocumentCorrections) -> list[Finding]:
    """The findings with each reviewed benign pair turned to INFO (kept as data, no longer actionable)."""
    marked = []
    for finding in findings:
        pair = next((pair for pair in corrections.benign if pair.covers(finding)), None)
        if pair is not None:
            note = f": {pair.note}" if pair.note else ""
            update = {"severity": Severity.INFO, "message": f"{finding.message} (reviewed as benign{note})"}
            finding = finding.model_copy(update=update)
        marked.append(finding)
    return marked

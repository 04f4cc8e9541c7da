"""Real standards with their schemas, for the vocabulary check's false alarms and planted near misses.

Each standard's pages are parsed with MinerU's flash tier (cached under `.cache/parsed/`, as
`benchmarks/bench_clause_tree_real.py` caches them) and rendered page by page, one clause per page: the
check reads Markdown only, so no outline is needed (the DocBook specification has none).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pypdfium2 as pdfium

from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.tree.render_markdown import RenderContext, render_blocks
from platform_assets.domain.verify.corrections import name_spans
from platform_assets.domain.verify.findings import ClauseText, Finding
from platform_assets.domain.verify.vocabulary import (
    NAME,
    Vocabulary,
    check_vocabulary,
    code_names,
    load_vocabulary,
    schema_shaped,
)

REPO = Path(__file__).resolve().parents[1]
ECMA = REPO.parent / "shared/corpus/fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"
CORPUS = REPO / ".cache/corpus"
"""`make corpus`: the DocBook 5.0 specification and transition guide (OASIS, from Debian's `docbook5-xml`)
with the RELAX NG schema they describe (tests/corpus/EXTRA.md)."""
DOCBOOK_RNG = CORPUS / "schemas/docbook-5.0.rng"
OOXML = (
    ECMA / "OpenPackagingConventions-XMLSchema",
    ECMA / "OfficeOpenXML-XMLSchema-Transitional",
    ECMA / "OfficeOpenXML-XMLSchema-Strict",
)


@dataclass(frozen=True)
class Standard:
    """A real standard's PDF and the schema files whose names it uses."""

    name: str
    pdf: Path
    schemas: tuple[Path, ...]

    @property
    def available(self) -> bool:
        return self.pdf.is_file() and all(path.exists() for path in self.schemas)


STANDARDS = (
    Standard("ECMA-376 Part 2 (OPC) / OPC XSD", ECMA / "ECMA-376-Part2-OPC.pdf", OOXML[:1]),
    Standard("ECMA-376 Part 2 (OPC) / all OOXML XSD", ECMA / "ECMA-376-Part2-OPC.pdf", OOXML),
    Standard("ECMA-376 Part 3 (MCE) / all OOXML XSD", ECMA / "ECMA-376-Part3-MCE.pdf", OOXML),
    Standard("DocBook 5.0 spec / docbook.rng", CORPUS / "deb-docbook5-spec.pdf", (DOCBOOK_RNG,)),
    Standard("DocBook 5.0 transition guide / docbook.rng", CORPUS / "deb-docbook5-howto.pdf", (DOCBOOK_RNG,)),
)


def page_clauses(pdf: Path) -> list[ClauseText]:
    """One clause per page of `pdf`: its flash-tier blocks rendered as the tree renders a clause body."""
    from benchmarks.bench_clause_tree_real import parsed_blocks  # MinerU: imported only when parsing

    document = pdfium.PdfDocument(pdf)
    try:
        page_count = len(document)
    finally:
        document.close()
    blocks = parsed_blocks(pdf, hashlib.sha256(pdf.read_bytes()).hexdigest(), page_count)
    pages: dict[int, list[Block]] = {}
    for block in blocks:
        pages.setdefault(block.page_index, []).append(block)
    return [
        ClauseText(f"p{page + 1}", f"p{page + 1}.md", f"page {page + 1}", page, page, markdown)
        for page, on_page in sorted(pages.items())
        if (markdown := render_blocks(on_page, RenderContext()))
    ]


@dataclass(frozen=True)
class Plant:
    """A schema name with one letter changed, written over one of its uses in a copy of a clause."""

    clause: ClauseText
    name: str
    garble: str
    shaped: bool
    """Written as schema names look: prefixed (`w:pPr`), a tag or attribute, camelCase or joined by `_`."""

    def caught(self, vocabulary: Vocabulary) -> bool:
        return any(f.subject == self.garble and f.expected == self.name for f in self.findings(vocabulary))

    def findings(self, vocabulary: Vocabulary) -> list[Finding]:
        return check_vocabulary([self.clause], vocabulary)


_TOKEN = re.compile(rf"""(?<![\w.:-])(</?)?(?:({NAME}):)?({NAME})(?![\w:])(\s*=\s*["'])?""")
"""A name where names are read; groups: `<` or `</` before it, its prefix, the name, `="` after it."""


def _garble(name: str, vocabulary: Vocabulary, rng: random.Random) -> str | None:
    """`name` with one inner letter replaced by another letter of the same case, unless that is a name."""
    inner = [i for i in range(1, len(name) - 1) if name[i].isalpha()]
    for i in rng.sample(inner, len(inner)):
        letters = "abcdefghijklmnopqrstuvwxyz".replace(name[i].lower(), "")
        letter = rng.choice(letters)
        garble = name[:i] + (letter.upper() if name[i].isupper() else letter) + name[i + 1 :]
        if garble not in vocabulary and garble.casefold() not in (
            name.casefold() + "s",
            name.casefold()[:-1],
        ):
            return garble
    return None


def plant_near_misses(
    clauses: Sequence[ClauseText], vocabulary: Vocabulary, *, min_length: int = 5, seed: int = 12
) -> list[Plant]:
    """For each schema name (`min_length` or longer) the text uses where names are read (code, code spans,
    single-name cells: `corrections.name_spans`) as a name of the document (`code_names`: not XML Schema's
    or RELAX NG's own markup, not an XML declaration, not bound to another vocabulary's namespace), its
    first such use garbled in a copy of its clause."""
    rng = random.Random(seed)
    plants: dict[str, Plant] = {}
    for clause in clauses:
        text = clause.markdown
        for start, end in name_spans(text):
            uses = code_names(text[start:end])
            read = {use.local for use in uses if not vocabulary.foreign(use.namespace)}
            for match in _TOKEN.finditer(text[start:end]):
                name = match[3]
                if name in plants or len(name) < min_length or name not in vocabulary or name not in read:
                    continue
                garble = _garble(name, vocabulary, rng)
                if garble is None:
                    continue
                at = start + match.start(3)
                markdown = text[:at] + garble + text[at + len(name) :]
                shaped = bool(match[1] or match[2] or match[4]) or schema_shaped(name)
                plants[name] = Plant(replace(clause, markdown=markdown), name, garble, shaped)
    return list(plants.values())


def measure(standard: Standard) -> tuple[list[Finding], list[Plant], Vocabulary, list[ClauseText]]:
    """The check's findings on the standard's own text and the near misses planted in a copy of it."""
    vocabulary = load_vocabulary(list(standard.schemas))
    clauses = page_clauses(standard.pdf)
    return check_vocabulary(clauses, vocabulary), plant_near_misses(clauses, vocabulary), vocabulary, clauses

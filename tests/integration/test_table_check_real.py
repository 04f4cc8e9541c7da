"""The table check on real documents: LaTeX guides (unruled tables), a real MinerU datasheet, ECMA-376."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest

from platform_assets.domain.parse.adapters import blocks_from_content_list
from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.tree.render_markdown import RenderContext, render_blocks
from platform_assets.domain.verify.findings import ClauseText, Severity
from platform_assets.domain.verify.table_check import TABLE_SETTINGS, check_tables, read_pdf_tables

pytestmark = pytest.mark.slow
SVOLT = "fetched/mineru/MinerU-fork_329770b_v2.7.6-pipeline"
ECMA_OPC = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9/ECMA-376-Part2-OPC.pdf"
FNTGUIDE_TABLE_1 = 7
"""0-based page of tl-fntguide's Table 1 (Author font commands), in clause 2.1 (pages 3-7)."""


def _sections(blocks: list[Block]) -> list[ClauseText]:
    """Clause-like files: a heading and the blocks after it, rendered as the tree renders a clause."""
    sections: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind is BlockKind.HEADING and sections[-1]:
            sections.append([])
        sections[-1].append(block)
    return [
        ClauseText(
            f"s{number}",
            f"s{number}.md",
            section[0].text,
            min(block.page_index for block in section),
            max(block.page_index for block in section),
            render_blocks(section, RenderContext()),
        )
        for number, section in enumerate(sections)
    ]


def test_the_latex_guides_rule_no_table_so_their_tables_go_unchecked_as_info(real_pdfs: Path) -> None:
    """tl-fntguide's tables have horizontal rules only: pdfplumber's lines strategy sees no table in the
    whole guide, and a MinerU table there is reported as unchecked, never as lost or wrong."""
    pdf = real_pdfs / "tl-fntguide.pdf"
    with pdfplumber.open(pdf) as document:
        assert sum(len(page.find_tables(TABLE_SETTINGS)) for page in document.pages) == 0
    rows = ["| Author command | Attribute | Value in article class |", "| --- | --- | --- |"]
    rows += ["| \\textrm{..} or \\rmfamily | family | cmr |", "| \\textbf{..} or \\bfseries | series | bx |"]
    clause = ClauseText(
        "2.1", "2-1.md", "2.1 Text font attributes", 3, FNTGUIDE_TABLE_1, "\n".join(rows) + "\n"
    )
    report = check_tables([clause], pdf)
    assert report.pages == tuple(range(3, FNTGUIDE_TABLE_1 + 1))
    (finding,) = report.findings
    assert (finding.kind, finding.severity) == ("table_unmatched", Severity.INFO)


def test_a_real_mineru_misread_value_is_caught_and_no_column_is_called_lost(shared_corpus: Path) -> None:
    """SVOLT's datasheet as MinerU 2.7.6 parsed it: `≥662W/Kg` came out as `2662W/Kg` (cell 1.1.12)."""
    folder = shared_corpus / SVOLT
    (content_list,) = folder.rglob("*_content_list.json")
    (pdf,) = folder.rglob("*.pdf")
    blocks = blocks_from_content_list(json.loads(content_list.read_text(encoding="utf-8")), first_page=0)
    report = check_tables(_sections(blocks), pdf)
    misread = [f for f in report.findings if f.kind == "table_cells" and "'≥662W/Kg'" in f.message]
    assert [(f.severity, f.pages) for f in misread] == [(Severity.WARN, (4, 5))]
    assert not [f for f in report.findings if f.severity is Severity.ERROR]
    matched = [c for c in report.tables if c.matched and c.table is not None]
    assert len(matched) >= 9
    assert sum(c.recall == 1.0 for c in matched) >= 6


def test_pages_read_from_a_copy_give_what_pdfplumber_gives_on_the_whole_file(shared_corpus: Path) -> None:
    """The page subset PDFium writes (to spare pdfminer the whole page tree) changes no table, on ECMA-376's
    15-column inflated grids and its split header rows."""
    pdf = shared_corpus / ECMA_OPC
    pages = [80, 83, 102]
    with pdfplumber.open(pdf, pages=[page + 1 for page in pages]) as document:
        direct = [
            [[" ".join((cell or "").split()) for cell in row] for row in table.extract()]
            for page in document.pages
            for table in page.find_tables(TABLE_SETTINGS)
        ]
    copied = [[list(row) for row in table.rows] for table in read_pdf_tables(pdf, pages)]
    assert copied == direct
    assert len(copied) == 4

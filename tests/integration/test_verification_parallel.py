"""Verification's PDF reads in a worker pool give exactly the serial results on a real manual: pdfplumber's
tables in page order, and the source check's figures and findings page for page."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_assets.domain.pdf.pdf_facts import page_texts
from platform_assets.domain.pdf.pdf_text import PageWords, keys
from platform_assets.domain.verify.document_reads import TEXT_CHUNK, DocumentReads, ReadPlan
from platform_assets.domain.verify.findings import ClauseText
from platform_assets.domain.verify.source_check import check_source_text
from platform_assets.domain.verify.table_check import read_table_pages

pytestmark = pytest.mark.slow
MANUAL = "deb-debian-reference.pdf"
"""261 pages with ruled tables (0-based pages 104 and 120 among them)."""
TABLE_PAGES = range(100, 124)
CHECKED_PAGES = range(90, 170)
"""Across the chunks the text readers take (`TEXT_CHUNK` pages each)."""
LOST_EVERY = 5
LOST_WORDS = 8


@pytest.fixture(scope="module")
def manual(extra_pdfs: Path) -> Path:
    return extra_pdfs / MANUAL


def _page_clauses(pdf: Path) -> list[ClauseText]:
    """A clause per page, its file the page's text layer; every `LOST_EVERY`th loses a long line."""
    texts = page_texts(pdf)
    clauses = []
    for page in CHECKED_PAGES:
        lines = [line for line in texts[page].splitlines() if line.strip()]
        long = [n for n, line in enumerate(lines) if len(keys(line)) >= LOST_WORDS]
        if page % LOST_EVERY == 0 and long:
            del lines[long[len(long) // 2]]
        markdown = f"# {lines[0]}\n\n" + "\n\n".join(lines[1:]) + "\n"
        clauses.append(ClauseText(f"p{page}", f"p{page}.md", lines[0], page, page, markdown))
    return clauses


def test_tables_read_by_the_pool_are_the_serial_ones_in_page_order(manual: Path) -> None:
    pages = list(TABLE_PAGES)
    serial = read_table_pages(manual, pages)
    with DocumentReads(manual, pages, ReadPlan(text_readers=0, table_workers=2)) as reads:
        pooled = reads.tables()
    assert {table.page for table in serial.tables} >= {104, 120}
    assert pooled.tables == serial.tables
    assert pooled.seconds > 0


def test_the_source_check_on_pages_the_pool_read_is_the_serial_one(manual: Path) -> None:
    clauses = _page_clauses(manual)
    with PageWords(manual) as pages:
        serial = check_source_text(clauses, pages)
    with DocumentReads(manual, [], ReadPlan(text_readers=2, table_workers=0)) as reads:
        pooled = check_source_text(clauses, reads.pages)
        assert reads.pages.page_count > 2 * TEXT_CHUNK
    assert [f.kind for f in serial.findings].count("lost_line") >= len(CHECKED_PAGES) // LOST_EVERY // 2
    assert pooled == serial

"""A four-page PDF with blank pages, and MinerU 4 flash's real `middle_json.json` of some of its pages.

`python -m tests.blank_pages` rewrites the committed fixture `tests/unit/fixtures/blank_pages_middle.json`
(pages 2-4, 1-based: blank, text, blank) with the MinerU of this venv, called as the worker calls it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

PAGES: tuple[tuple[str, str] | None, ...] = (
    ("1 Scope", "This clause states what the document covers; the next page is left blank."),
    None,
    ("2 Terms", "This clause follows a blank page and is followed by a blank last page."),
    None,
)
"""Page by page: (clause heading, body line), or None for a blank page (no text, no drawing)."""
BLANK_PAGES = [index for index, page in enumerate(PAGES) if page is None]
"""0-based indices of the blank pages."""
FIXTURE = Path(__file__).parent / "unit" / "fixtures" / "blank_pages_middle.json"
FIXTURE_PAGES = (1, 3)
"""0-based inclusive range of the fixture's parse: a blank first page, a text page, a blank last page."""


def build_blank_pages_pdf(path: Path) -> Path:
    """The PDF of `PAGES`, an outline entry per clause; its bytes depend only on this file and reportlab."""
    canvas = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=0)
    canvas.setTitle("Blank pages")
    for index, page in enumerate(PAGES):
        if page is not None:
            heading, body = page
            key = f"clause-{index}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(heading, key, level=0)
            canvas.setFont("Helvetica-Bold", 16)
            canvas.drawString(72, 760, heading)
            canvas.setFont("Helvetica", 11)
            canvas.drawString(72, 730, body)
        canvas.showPage()
    canvas.save()
    return path


def parse_middle_json(pdf: Path, first_page: int, last_page: int) -> dict[str, Any]:
    """MinerU 4 flash's `middle_json.json` of pages `first_page..last_page` (0-based), as the worker
    gets it: `gpu_image.worker.parse.parse_pdf`, then `ParseResult.save`."""
    from mineru.parser.writer import FileBasedDataWriter

    from gpu_image.worker.parse import parse_pdf

    parsed = parse_pdf(pdf, "flash", first_page, last_page)
    with tempfile.TemporaryDirectory() as out:
        parsed.result.save(FileBasedDataWriter(out))
        return json.loads((Path(out) / "middle_json.json").read_text(encoding="utf-8"))


def write_fixture() -> Path:
    with tempfile.TemporaryDirectory() as work:
        middle = parse_middle_json(build_blank_pages_pdf(Path(work) / "blank.pdf"), *FIXTURE_PAGES)
    FIXTURE.write_text(json.dumps(middle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return FIXTURE


if __name__ == "__main__":
    print(write_fixture())

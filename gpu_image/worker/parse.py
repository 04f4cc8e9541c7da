"""The MinerU 4 engine call: one PDF, one tier, one 0-based inclusive page range.

The range is checked against the real page count first, so MinerU never sees an out-of-range request;
pages whose drawings hold more paths than MinerU's analysis can take are flattened first (`vector_pages`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mineru
import pypdfium2 as pdfium
from mineru.parser import ParseResult
from mineru.version import __version__ as MINERU_VERSION

from gpu_image.worker.vector_pages import flattened_copy
from worker_contract.contract import Tier, page_range_1based


class PageRangeError(ValueError):
    """The requested pages do not exist in this PDF."""


class UnreadablePdfError(ValueError):
    """pypdfium2 cannot open the file (damaged, truncated or encrypted)."""


@dataclass(frozen=True)
class ParsedDocument:
    """MinerU's result plus the facts the job output reports."""

    result: ParseResult
    page_count: int
    mineru_version: str
    last_page: int
    """The 0-based last page parsed (the request's `end_page`, -1 resolved)."""
    flattened_pages: tuple[int, ...] = ()
    """0-based pages parsed with their drawing flattened to images, one per figure (`vector_pages`)."""


def count_pages(path: Path) -> int:
    """Page count of the PDF at `path`, read with pypdfium2."""
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        raise UnreadablePdfError(f"{path.name} cannot be opened as a PDF: {error}") from None
    try:
        return len(document)
    finally:
        document.close()


def check_page_range(start_page: int, end_page: int, page_count: int) -> None:
    """Raise `PageRangeError` unless 0 <= start <= end < page_count (end -1 = the last page)."""
    last = page_count - 1
    if start_page > last:
        raise PageRangeError(f"start_page {start_page} is past the last page {last} ({page_count} pages)")
    if end_page > last:
        raise PageRangeError(f"end_page {end_page} is past the last page {last} ({page_count} pages)")


def parse_pdf(path: Path, tier: Tier, start_page: int, end_page: int) -> ParsedDocument:
    """Parse pages `start_page..end_page` (0-based inclusive) of `path` with `mineru.parse`."""
    page_count = count_pages(path)
    check_page_range(start_page, end_page, page_count)
    # flash reads the text layer only: with the default ocr_mode "auto" MinerU may route a page to
    # its OCR path, which needs model weights the flash tier does not have (and would try to fetch).
    ocr_mode = "txt" if tier == "flash" else "auto"
    last_page = page_count - 1 if end_page == -1 else end_page
    with tempfile.TemporaryDirectory(prefix="mineru-flattened-") as scratch:
        source, flattened = flattened_copy(path, start_page, last_page, Path(scratch))
        result = mineru.parse(
            source, tier=tier, ocr_mode=ocr_mode, page_range=page_range_1based(start_page, end_page)
        )
    return ParsedDocument(
        result=result,
        page_count=page_count,
        mineru_version=MINERU_VERSION,
        last_page=last_page,
        flattened_pages=tuple(flattened),
    )

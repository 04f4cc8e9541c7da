"""Blocks the parser returned empty -> the text the PDF's text layer holds inside their bbox.

Invariant: only a block with a bbox and no text is touched, and a filled block says so
(`from_text_layer`); an equation filled this way becomes TEXT (its glyphs are prose, not LaTeX).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.pdf.pdf_facts import open_pdf

_VISUAL = frozenset({BlockKind.TABLE, BlockKind.IMAGE, BlockKind.CHART, BlockKind.INDEX})
"""Kinds whose bbox holds a picture or a table (labels in a figure are not its text) or a dropped TOC."""
_LINE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_JOINED = re.compile("[\ufffe\x02][ \t]*\r?\n[ \t]*")
"""A word PDFium marks as hyphenated at a line end: the two halves are one word."""
_MARKS = re.compile("[\ufffe\x02\x00]")


def needs_text(block: Block) -> bool:
    """A text-bearing block with a bbox and no text: an equation without LaTeX (MinerU may still have
    cropped its image), a heading, text or code without text."""
    return (
        block.bbox is not None
        and block.kind not in _VISUAL
        and not block.text.strip()
        and not (block.latex and block.latex.strip())
        and not (block.code and block.code.strip())
        and not (block.html and block.html.strip())
        and not any(item.strip() for item in block.items)
    )


def text_lines(raw: str) -> list[str]:
    """The text layer's lines of `raw`, hyphenated line ends joined, marks removed."""
    text = _MARKS.sub("", _JOINED.sub("", raw))
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def filled(block: Block, raw: str) -> Block | None:
    """`block` carrying the text-layer text `raw` of its bbox; None when `raw` holds no text.

    Code and list entries keep their lines; anything else is one paragraph (line breaks as spaces). An
    equation becomes TEXT: the text layer has its glyphs, not LaTeX, and a heading the tier typed as an
    equation must reach the segmenter as text.
    """
    lines = [line for line in text_lines(raw) if line.strip()]
    if not lines:
        return None
    update: dict[str, object] = {"text": " ".join(" ".join(lines).split()), "from_text_layer": True}
    if block.kind in _LINE_KINDS:
        update |= {"text": "\n".join(lines), "code": "\n".join(lines)}
    elif block.kind is BlockKind.LIST:
        update |= {"text": "\n".join(lines), "items": lines}
    elif block.kind is BlockKind.EQUATION:
        update |= {"kind": BlockKind.TEXT, "latex": None}
    return block.model_copy(update=update)


class PageRegions:
    """The text inside a rectangle of a page; the document opened at the first read, one page open at a
    time (the stream is in page order)."""

    def __init__(self, path: Path, password: str | None) -> None:
        self._path, self._password = path, password
        self._document: pdfium.PdfDocument | None = None
        self._index: int | None = None
        self._page: pdfium.PdfPage | None = None
        self._textpage: pdfium.PdfTextPage | None = None
        self._box: PageBox | None = None

    @property
    def document(self) -> pdfium.PdfDocument:
        """The open document (opened at the first use), for other readers of its text layer."""
        if self._document is None:
            self._document = open_pdf(self._path, self._password)
        return self._document

    def inside(self, page_index: int, bbox: BBox) -> str:
        document = self.document
        if not 0 <= page_index < len(document):
            return ""
        if self._textpage is None or self._box is None or page_index != self._index:
            self._close_page()
            self._page = document[page_index]
            self._textpage = self._page.get_textpage()
            self._box = PageBox.of(self._page)
            self._index = page_index
        return self._textpage.get_text_bounded(*self._box.to_user(bbox))

    def _close_page(self) -> None:
        for handle in (self._textpage, self._page):
            if handle is not None:
                handle.close()
        self._index, self._page, self._textpage, self._box = None, None, None, None

    def __enter__(self) -> PageRegions:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close_page()
        if self._document is not None:
            self._document.close()


def fill_from_text_layer(
    stream: Sequence[Block], pdf: Path, password: str | None = None
) -> tuple[list[Block], int]:
    """The stream with each empty block that has a bbox filled from the text layer; and how many were.

    The PDF is opened once and only when some block needs it; pages are read as the stream reaches them.
    A block whose bbox holds no text either stays as it was (triage drops it as `empty`).
    """
    blocks = list(stream)
    if not any(map(needs_text, blocks)):
        return blocks, 0
    count = 0
    with PageRegions(pdf, password) as pages:
        for at, block in enumerate(stream):
            if block.bbox is None or not needs_text(block):
                continue
            replacement = filled(block, pages.inside(block.page_index, block.bbox))
            if replacement is not None:
                blocks[at] = replacement
                count += 1
    return blocks, count

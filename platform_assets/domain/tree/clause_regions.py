"""Each clause's own region of the PDF (from its start to the next clause's) and the words it holds.

Invariant: the regions of consecutive clauses never overlap; a region's words leave out the clause's own
title and the running headers and footers of its pages, so an empty count means nothing of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.pdf.pdf_facts import open_pdf
from platform_assets.domain.pdf.pdf_text import PageWords, keys
from platform_assets.domain.plan.batch_plan import Clause


@dataclass(frozen=True)
class Band:
    """A horizontal band of one page, top-down fractions."""

    page: int
    top: float
    bottom: float


def clause_bands(clauses: Sequence[Clause], page_count: int) -> list[list[Band]]:
    """Per clause, the bands from its start to the next clause's start (the last one: to the end).

    A clause without a position starts at the top of its page.
    """
    starts = [(clause.page_index, clause.top or 0.0) for clause in clauses]
    regions = []
    for index, (page, top) in enumerate(starts):
        end_page, end_top = starts[index + 1] if index + 1 < len(starts) else (page_count - 1, 1.0)
        if (end_page, end_top) <= (page, top):
            regions.append([])
            continue
        bands = []
        for current in range(page, end_page + 1):
            upper = top if current == page else 0.0
            lower = end_top if current == end_page else 1.0
            if lower > upper:
                bands.append(Band(current, upper, lower))
        regions.append(bands)
    return regions


def own_words(
    pdf: Path, clauses: Sequence[Clause], password: str | None = None, end_page: int | None = None
) -> list[list[str]]:
    """Per clause, the text-layer words of its region that are neither its title nor page furniture.

    The last clause's region ends with the document, or with page `end_page` (0-based) when given.
    """
    document = open_pdf(pdf, password)
    found: list[list[str]] = []
    try:
        with PageWords(pdf, password) as pages:
            furniture: dict[int, set[str]] = {}
            page_count = len(document) if end_page is None else end_page + 1
            for clause, bands in zip(clauses, clause_bands(clauses, page_count), strict=True):
                title = set(keys(clause.title)) | set(keys(clause.number or ""))
                words: list[str] = []
                for band in bands:
                    if band.page not in furniture:
                        text = pages.page(band.page)
                        furniture[band.page] = {
                            key for line in pages.furniture(band.page) for key in keys(text.lines[line])
                        }
                    skip = title | furniture[band.page]
                    words += [word for word in keys(_band_text(document, band)) if word not in skip]
                found.append(words)
    finally:
        document.close()
    return found


def _band_text(document, band: Band) -> str:
    page = document[band.page]
    try:
        box = PageBox.of(page)
        textpage = page.get_textpage()
        try:
            return textpage.get_text_bounded(*box.to_user((0.0, band.top, 1.0, band.bottom)))
        finally:
            textpage.close()
    finally:
        page.close()

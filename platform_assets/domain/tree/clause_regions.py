"""Each clause's own region of the PDF (from its start to the next clause's) and the words it holds.

A region is read in the text layer's own order: from the character nearest below and right of the
clause's destination to the one of the next clause's, so on a two-column page a clause ending in the
left column does not take the right column's lines level with it. Where the text layer's order
contradicts the destinations (the next one's character comes first), the region is the horizontal
bands between the two destinations instead.

Invariant: the regions of consecutive clauses never overlap (bands, and spans of the text layer's order,
each among themselves); a region's words leave out the clause's own title with the number printed before
it, the next clause's number printed before that clause's destination, and the running headers and
footers of its pages, so an empty count means nothing of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.pdf.pdf_facts import open_pdf
from platform_assets.domain.pdf.pdf_text import PageWords, keys
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import number_words
from platform_assets.domain.tree.segment import walked_clauses
from platform_assets.domain.tree.text_order import END, TextOrder


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

    The last clause's region ends with the document, or with page `end_page` (0-based) when given. A
    clause whose bookmark repeats an earlier one (`Clause.repeats`) has no region: its words are [].
    """
    if any(clause.repeats is not None for clause in clauses):
        regions = iter(own_words(pdf, walked_clauses(clauses), password, end_page))
        return [[] if clause.repeats is not None else next(regions) for clause in clauses]
    document = open_pdf(pdf, password)
    found: list[list[str]] = []
    try:
        page_count = len(document) if end_page is None else end_page + 1
        layer = TextOrder(document)
        starts = [layer.start(clause) for clause in clauses] + [(page_count - 1, END)]
        with PageWords(pdf, password) as pages:
            furniture: dict[int, set[str]] = {}
            for index, (clause, bands) in enumerate(
                zip(clauses, clause_bands(clauses, page_count), strict=True)
            ):
                title = set(keys(clause.title)) | set(keys(clause.number or ""))
                start, end = starts[index], starts[index + 1]
                if start <= end:
                    texts = layer.between(start, end)
                else:  # the text layer reads the next clause's start first: the bands between them
                    texts = [(band.page, _band_text(document, band)) for band in bands]
                words: list[str] = []
                for at, (page, text) in enumerate(texts):
                    if page not in furniture:
                        lines = pages.page(page).lines
                        furniture[page] = {key for line in pages.furniture(page) for key in keys(lines[line])}
                    skip = title | furniture[page]
                    if at == len(texts) - 1:
                        text = _without_next_number(text)
                    page_words = keys(text)
                    if at == 0:
                        page_words = page_words[_printed_number(text, title) :]
                    words += [word for word in page_words if word not in skip]
                found.append(words)
    finally:
        document.close()
    return found


def _printed_number(text: str, title: set[str]) -> int:
    """How many of the region's first words print the clause's number before its title (`1.3` of `1.3
    Configuration` for a bookmark `Configuration`): its first line is that number and title words only."""
    first_line = text.lstrip().split("\n", 1)[0]
    count = number_words(first_line)
    rest = keys(first_line)[count:]
    return count if count and rest and set(rest) <= title else 0


def _without_next_number(text: str) -> str:
    """The region's text less a last line that holds only a number: the next clause's heading prints it
    left of where its destination, and so its region, starts (`1.3.1` before `Font sets`)."""
    head, _, last = text.rpartition("\n")
    count = number_words(last)
    return head if count and count == len(keys(last)) else text


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

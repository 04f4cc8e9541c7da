"""Two-column pages the parser read row by row -> read column by column, where the outline proves it.

MinerU may read a two-column page across the columns (an index: `A`, `I`, `aspect ratio`, `image`,
`C`, `K` ...), or read a heading below both columns before the right column. The walk opens clauses
in outline order, so a clause whose destination comes later on the page but earlier in that reading
order passes the clauses it skipped, which then never open. Where the destinations of one page point
at blocks in an order the outline contradicts, and the page holds two columns, its blocks are read
column by column in bands (cut at blocks spanning both columns, and, as a second reading, also at a
blank strip across the page): the reading whose destinations follow the outline best
is kept, and only if it contradicts it less than MinerU's.

Invariant: the stream keeps every block once; pages the outline does not contradict keep their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby, pairwise

from platform_assets.domain.parse.blocks import BBox, Block
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.segment import anchor_blocks

GUTTER = 0.01
"""A block crossing the middle of the text area by more than this spans both columns."""
BAND_GAP = 0.02
"""Blank height across both columns that ends a band, in the second reading (more than a line's)."""
MIN_COLUMN_BLOCKS = 2
"""Blocks each column must hold for a page to count as two columns."""


def column_ordered(stream: Sequence[Block], clauses: Sequence[Clause]) -> tuple[list[Block], int]:
    """The stream with each contradicted two-column page read column by column; and how many pages were.

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset).
    """
    positioned = [clause for clause in clauses if clause.top is not None]
    contradicted = {clause.page_index for clause in _inverted(stream, positioned)}
    if not contradicted:
        return list(stream), 0
    ordered: list[Block] = []
    pages = 0
    for page, blocks in groupby(stream, key=lambda block: block.page_index):
        on_page = list(blocks)
        reordered = (
            _better_reading(on_page, [c for c in positioned if c.page_index == page])
            if (page in contradicted)
            else None
        )
        ordered += reordered or on_page
        pages += reordered is not None
    return ordered, pages


def _inverted(stream: Sequence[Block], clauses: list[Clause]) -> list[Clause]:
    """The clauses whose next clause, on the same page, points at a block the stream reads before theirs."""
    anchors = anchor_blocks(stream, clauses)
    return [
        first
        for (first, at), (second, later) in pairwise(zip(clauses, anchors, strict=True))
        if first.page_index == second.page_index and at is not None and later is not None and later < at
    ]


def _better_reading(blocks: list[Block], clauses: list[Clause]) -> list[Block] | None:
    """The column-by-column reading of the page that contradicts the outline least, if it does so less
    than MinerU's; None otherwise or when the page has no two columns."""
    readings = [
        (len(_inverted(reading, clauses)), reading)
        for gaps in (False, True)
        if (reading := _by_columns(blocks, gaps)) is not None
    ]
    if not readings:
        return None
    inversions, best = min(readings, key=lambda scored: scored[0])
    return best if inversions < len(_inverted(blocks, clauses)) else None


def _by_columns(blocks: list[Block], gaps: bool) -> list[Block] | None:
    """The page's blocks column by column within bands; None when the page has no two columns (or a
    block without a bbox). With `gaps`, a band also ends at `BAND_GAP` of blank height across the page."""
    if any(block.bbox is None for block in blocks):
        return None
    boxes: list[BBox] = [block.bbox for block in blocks]  # type: ignore[misc]
    middle = (min(box[0] for box in boxes) + max(box[2] for box in boxes)) / 2
    side = [_side(box, middle) for box in boxes]
    if side.count(0) < MIN_COLUMN_BLOCKS or side.count(1) < MIN_COLUMN_BLOCKS:
        return None
    ordered: list[Block] = []
    band: list[int] = []
    bottom = 0.0  # the open band's lowest edge
    for at in sorted(range(len(blocks)), key=lambda at: boxes[at][1]):
        if gaps and band and boxes[at][1] > bottom + BAND_GAP:
            ordered += _band(blocks, band, side)
            band = []
        if side[at] is None:  # spans both columns: closes the band above it
            ordered += _band(blocks, band, side)
            ordered.append(blocks[at])
            band = []
            continue
        bottom = max(bottom, boxes[at][3]) if band else boxes[at][3]
        band.append(at)
    return ordered + _band(blocks, band, side)


def _side(box: BBox, middle: float) -> int | None:
    """0: left column, 1: right column, None: across both."""
    if box[2] <= middle + GUTTER:
        return 0
    if box[0] >= middle - GUTTER:
        return 1
    return None


def _band(blocks: list[Block], band: list[int], side: list[int | None]) -> list[Block]:
    """A band's blocks: the left column's top-down, then the right one's (each already sorted by top)."""
    return [blocks[at] for column in (0, 1) for at in band if side[at] == column]

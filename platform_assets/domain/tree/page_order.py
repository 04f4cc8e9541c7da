"""Two-column pages the parser read row by row -> read column by column, where the outline proves it.

MinerU may read a two-column page across the columns (an index: `A`, `I`, `aspect ratio`, `image`,
`C`, `K` ...). The walk opens clauses in outline order, so a clause whose destination comes later on
the page but earlier in that reading order passes the clauses of the other column, which then never
open. Where the destinations of one page point at blocks in an order the outline contradicts, and the
page holds two columns, its blocks are read column by column: in bands between blocks spanning both
columns, the left column top-down, then the right one.

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
MIN_COLUMN_BLOCKS = 2
"""Blocks each column must hold for a page to count as two columns."""


def column_ordered(stream: Sequence[Block], clauses: Sequence[Clause]) -> tuple[list[Block], int]:
    """The stream with each contradicted two-column page read column by column; and how many pages were.

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset).
    """
    anchors = anchor_blocks(stream, clauses)
    contradicted = {
        clauses[first].page_index
        for (first, at), (second, later) in pairwise(
            (index, at) for index, at in enumerate(anchors) if at is not None and at < len(stream)
        )
        if clauses[first].page_index == clauses[second].page_index and later < at
    }
    if not contradicted:
        return list(stream), 0
    ordered: list[Block] = []
    pages = 0
    for page, blocks in groupby(stream, key=lambda block: block.page_index):
        on_page = list(blocks)
        reordered = _by_columns(on_page) if page in contradicted else None
        ordered += reordered or on_page
        pages += reordered is not None
    return ordered, pages


def _by_columns(blocks: list[Block]) -> list[Block] | None:
    """The page's blocks column by column within bands; None when the page has no two columns (or a
    block without a bbox)."""
    if any(block.bbox is None for block in blocks):
        return None
    boxes: list[BBox] = [block.bbox for block in blocks]  # type: ignore[misc]
    middle = (min(box[0] for box in boxes) + max(box[2] for box in boxes)) / 2
    side = [_side(box, middle) for box in boxes]
    if side.count(0) < MIN_COLUMN_BLOCKS or side.count(1) < MIN_COLUMN_BLOCKS:
        return None
    ordered: list[Block] = []
    band: list[int] = []
    for at in sorted(range(len(blocks)), key=lambda at: boxes[at][1]):
        if side[at] is None:  # spans both columns: closes the band above it
            ordered += _band(blocks, band, side)
            ordered.append(blocks[at])
            band = []
        else:
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

"""Multi-column pages the parser read row by row -> read column by column, where the outline proves it.

MinerU may read a page of two or three columns across the columns (an index: `A`, `I`, `aspect
ratio`, `image`, `C`, `K` ...), or read a heading below both columns before the right column. The walk
opens clauses in outline order, so a clause whose destination comes later on the page but earlier in
that reading order passes the clauses it skipped, which then never open. Where the destinations of one
page point at blocks in an order the outline contradicts, and the page holds columns (blank gutters
between blocks), its blocks are read column by column in bands (cut at blocks spanning a gutter, and,
as a second reading, also at a blank strip across the page); then the page is read as one column, top
down (a centred chapter heading read after the first section's); then column by column where the
destinations' left edges say columns start (an index the tier merged line by line across its columns
hides their gutters); last, band by band, each band cut at blank strips across the page read at its own
gutters (columns in part of a page only): the reading whose destinations follow the outline best is
kept, and only if it contradicts it less than MinerU's.

Invariant: the stream keeps every block once; pages the outline does not contradict keep their order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import groupby, pairwise

from platform_assets.domain.parse.blocks import BBox, Block
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.segment import anchor_blocks

GUTTER = 0.01
"""A block crossing a gutter's middle by more than this (and `CROSSING`) spans the columns on both sides."""
CROSSING = 0.2
"""A block with less than this share of its width across a gutter is its column's: a page number the tier
merged with the next column's line (tl-ltnews p82), not a heading over both columns."""
GUTTER_SAMPLES = 200
"""Points across the text area where the blocks covering it are counted, to find the gutters."""
WIDE = 0.6
"""A block wider than this share of the text area spans columns, whatever its layout: it does not hide a
gutter (text under both columns, a heading over them)."""
SPANNING_SHARE = 10
"""Narrower blocks that may cross a gutter: one in ten (at least one: a short title centred over the
columns)."""
BAND_GAP = 0.02
"""Blank height across both columns that ends a band, in the second reading (more than a line's)."""
MIN_COLUMN_BLOCKS = 2
"""Blocks each column must hold for a page to count as two columns."""
EDGE = 0.01
"""How far left of a destination's left edge its column starts (the destination sits on the column's text)."""
COLUMN_WIDTH = 0.1
"""Least width of a column that a destination's left edge starts."""


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
    than MinerU's; None otherwise. The columns are tried as the page's blank gutters split them, as the
    two halves of its text area (columns in only part of a page leave no gutter blank from top to
    bottom), then as one column read top down (a centred chapter heading the tier read after the first
    section's), with columns that start at the gutters and at the destinations' left edges, and last
    band by band, each with its own gutters."""
    if any(block.bbox is None for block in blocks):
        return None
    boxes: list[BBox] = [block.bbox for block in blocks]  # type: ignore[misc]
    middle = (min(box[0] for box in boxes) + max(box[2] for box in boxes)) / 2
    blank = _gutters(boxes)
    splits = [*(gutters for gutters in (blank, [middle]) if gutters), []]  # last: one column
    readings = [
        (len(_inverted(reading, clauses)), reading)
        for gutters in splits
        for gaps in (False, True)
        if (gutters or not gaps) and (reading := _by_columns(blocks, boxes, gutters, gaps)) is not None
    ]
    if starts := _column_starts(clauses, boxes, blank):
        reading = _by_starts(blocks, boxes, starts)
        readings.append((len(_inverted(reading, clauses)), reading))
    reading = _by_bands(blocks, boxes)
    readings.append((len(_inverted(reading, clauses)), reading))
    if not readings:
        return None
    inversions, best = min(readings, key=lambda scored: scored[0])
    return best if inversions < len(_inverted(blocks, clauses)) else None


def _by_columns(
    blocks: list[Block], boxes: list[BBox], gutters: list[float], gaps: bool
) -> list[Block] | None:
    """The page's blocks column by column within bands, the columns split at `gutters`; None when a
    column holds fewer than `MIN_COLUMN_BLOCKS`. With `gaps`, a band also ends at `BAND_GAP` of blank
    height across the page."""
    side = [_side(box, gutters) for box in boxes]
    if min(side.count(column) for column in range(len(gutters) + 1)) < MIN_COLUMN_BLOCKS:
        return None
    ordered: list[Block] = []
    band: list[int] = []
    bottom = 0.0  # the open band's lowest edge
    for at in sorted(range(len(blocks)), key=lambda at: boxes[at][1]):
        if gaps and band and boxes[at][1] > bottom + BAND_GAP:
            ordered += _band(blocks, band, side)
            band = []
        if side[at] is None:  # spans a gutter: closes the band above it
            ordered += _band(blocks, band, side)
            ordered.append(blocks[at])
            band = []
            continue
        bottom = max(bottom, boxes[at][3]) if band else boxes[at][3]
        band.append(at)
    return ordered + _band(blocks, band, side)


def _by_bands(blocks: list[Block], boxes: list[BBox]) -> list[Block]:
    """The page cut into bands at `BAND_GAP` of blank height across it, each band read column by column
    at its own gutters (columns in part of a page only: an index in four columns above a change history
    in two, tl-multicol p35, whose gutters the page's other blocks cover), or as the tier read it where it
    has none."""
    bands: list[list[int]] = []
    bottom = 0.0  # the open band's lowest edge
    for at in sorted(range(len(blocks)), key=lambda at: boxes[at][1]):
        if not bands or boxes[at][1] > bottom + BAND_GAP:
            bands.append([])
            bottom = boxes[at][3]
        bands[-1].append(at)
        bottom = max(bottom, boxes[at][3])
    ordered: list[Block] = []
    for band in bands:
        own, own_boxes = [blocks[at] for at in band], [boxes[at] for at in band]
        gutters = _gutters(own_boxes)
        reading = _by_columns(own, own_boxes, gutters, False) if gutters else None
        ordered += reading or [blocks[at] for at in sorted(band)]
    return ordered


def _column_starts(clauses: list[Clause], boxes: list[BBox], gutters: list[float]) -> list[float]:
    """Where the page's columns start, left to right, beside its leftmost: the left edges of destinations
    (less `EDGE`) and the `gutters`, `COLUMN_WIDTH` apart at least; empty where no destination starts a
    column of its own. Blocks merged across columns hide a gutter, but not the destinations in it."""
    text_left = min(box[0] for box in boxes)
    edges = {clause.left - EDGE for clause in clauses if clause.left is not None}
    if not any(edge > text_left + COLUMN_WIDTH for edge in edges):
        return []
    starts: list[float] = []
    for start in sorted([*edges, *gutters]):
        if start > (starts[-1] if starts else text_left) + COLUMN_WIDTH:
            starts.append(start)
    return starts


def _by_starts(blocks: list[Block], boxes: list[BBox], starts: list[float]) -> list[Block]:
    """The page's blocks column by column, each block in the column its left edge lies in, top down; a
    line's blocks (each starting above the middle of its first) left to right."""
    column = [bisect_right(starts, box[0]) for box in boxes]
    lines: list[list[int]] = []
    for at in sorted(range(len(blocks)), key=lambda at: (column[at], boxes[at][1])):
        first = lines[-1][0] if lines else None
        if (
            first is None
            or column[at] != column[first]
            or 2 * boxes[at][1] >= boxes[first][1] + boxes[first][3]
        ):
            lines.append([])
        lines[-1].append(at)
    return [blocks[at] for line in lines for at in sorted(line, key=lambda at: boxes[at][0])]


def _gutters(boxes: list[BBox]) -> list[float]:
    """The middles of the blank vertical strips between columns, left to right: runs of the text area
    that at most one in `SPANNING_SHARE` of the blocks no wider than `WIDE` covers, each with
    `MIN_COLUMN_BLOCKS` blocks in the columns on both its sides."""
    left, right = min(box[0] for box in boxes), max(box[2] for box in boxes)
    narrow = [box for box in boxes if box[2] - box[0] <= WIDE * (right - left)]
    allowance = max(1, len(narrow) // SPANNING_SHARE)
    step = (right - left) / GUTTER_SAMPLES
    blank = [
        sum(box[0] < x < box[2] for box in narrow) <= allowance
        for x in (left + step * (at + 0.5) for at in range(GUTTER_SAMPLES))
    ]
    gutters: list[float] = []
    for is_blank, samples in groupby(range(GUTTER_SAMPLES), key=blank.__getitem__):
        run = list(samples)
        if is_blank and run[0] > 0 and run[-1] < GUTTER_SAMPLES - 1:  # inside the text area
            gutters.append(left + step * (run[0] + run[-1] + 1) / 2)
    while gutters:  # a strip with too few blocks beside it is a ragged column's, not a gutter
        side = [_side(box, gutters) for box in boxes]
        counts = [side.count(column) for column in range(len(gutters) + 1)]
        weak = [at for at in range(len(gutters)) if min(counts[at], counts[at + 1]) < MIN_COLUMN_BLOCKS]
        if not weak:
            break
        del gutters[weak[0]]
    return gutters


def _side(box: BBox, gutters: Sequence[float]) -> int | None:
    """The column of `box` (0 left of the first gutter) that holds its middle, None where it crosses a
    gutter by more than `GUTTER` and `CROSSING` of its width (a heading over both columns, not a line's
    end the tier merged with the next column's line)."""
    column = bisect_left(gutters, (box[0] + box[2]) / 2)
    lower = gutters[column - 1] if column else -1.0
    upper = gutters[column] if column < len(gutters) else 2.0
    outside = max(lower - box[0], 0.0) + max(box[2] - upper, 0.0)
    return column if outside <= max(GUTTER, CROSSING * (box[2] - box[0])) else None


def _band(blocks: list[Block], band: list[int], side: list[int | None]) -> list[Block]:
    """A band's blocks column by column, left to right (each already sorted by top)."""
    columns = max((column for column in side if column is not None), default=0) + 1
    return [blocks[at] for column in range(columns) for at in band if side[at] == column]

"""Blocks the parser read on the wrong side of a destination -> moved to the side their place is on.

Two readings of MinerU's put a block in the clause after or before the one it sits in, so that a clause
renders empty while its page holds its text:
- it lists the blocks it typed as running headers and footnotes at a page's start or end, wherever they
  sit; kept as text (`block_triage`: a code line beside a figure is no running header), they stay there,
  before the first heading or after the last;
- on a page where examples sit beside their code, it reads down the headings and figures on the left,
  then down the code on the right, so each heading comes before the code of the clause above it
  (tl-tkz-euclide: `12.1.8 ...`, `12.1.9 ...`, then the code of both);
- it may read a heading after a line below it (a beamer frame's title, set right of its first line).

Per page, each such header or footnote, and each block read before the anchor of the last destination
above it that lies wholly below that anchor's block and not left of the destination, moves behind that
anchor, before the first block read after it that starts below the block; and a block read after a
destination's anchor that lies wholly above both moves before that anchor (not a line inside an anchor
that a destination cuts later: R's examples, refman p40; pst-node-doc p34), where the destination above
the block has its anchor before it (not an index entry under a letter of the next column, tl-keyfloat
p114) and nothing read before the anchor is level with the block or with the strip below it down to the
destination. On a page of two columns, the left column's text read before a heading is level with the
right column's blocks beside it, which stay where the reading put them (an index's letter groups, a
section that starts low in the left column, tl-ltnews).

Invariant: the stream keeps every block once; anchors keep their order; other pages keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.segment import STRADDLE, anchor_blocks

UNORDERED = frozenset({"header", "footer", "page_footnote"})
"""Source types MinerU lists apart from its reading order, at the page's start or end."""


def destination_sided(stream: Sequence[Block], clauses: Sequence[Clause]) -> tuple[list[Block], int]:
    """The stream with blocks read on the wrong side of a destination moved to theirs; and how many moved.

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset).
    """
    positioned = [clause for clause in clauses if clause.top is not None]
    if not positioned:
        return list(stream), 0
    anchored: dict[int, list[tuple[float, int]]] = {}  # page -> (destination top, anchor index)
    lefts: dict[int, float | None] = {}  # anchor index -> its destination's left edge
    for clause, at in zip(positioned, anchor_blocks(stream, positioned), strict=True):
        if at is not None and at < len(stream) and stream[at].page_index == clause.page_index:
            anchored.setdefault(clause.page_index, []).append((clause.top, at))  # type: ignore[arg-type]
            lefts[at] = clause.left
    ordered: list[Block] = []
    moved = 0
    for page, group in groupby(range(len(stream)), key=lambda at: stream[at].page_index):
        indices = list(group)
        if page in anchored:
            indices, page_moved = _sided(stream, indices, anchored[page], lefts)
            moved += page_moved
        ordered += [stream[at] for at in indices]
    return ordered, moved


def _sided(
    stream: Sequence[Block],
    indices: list[int],
    anchors: list[tuple[float, int]],
    lefts: dict[int, float | None],
) -> tuple[list[int], int]:
    """One page's stream indices (`indices`) in their new order, and how many moved; `anchors`: the page's
    destinations' tops and their anchors' stream indices; `lefts`: each anchor's destination's left edge."""
    anchor_set = {at for _, at in anchors}

    def band(y: float) -> int | None:  # the anchor of the last destination above `y`
        above = [(top, anchor) for top, anchor in anchors if top <= y]
        return max(above)[1] if above else None

    order = list(indices)
    moved = 0
    for at in indices:
        block = stream[at]
        if at in anchor_set or block.bbox is None:
            continue
        if (anchor := band(top := block.bbox[1])) is None:
            continue
        position = order.index(at)
        if block.source_type not in UNORDERED:  # read before its anchor, below it: only that moves
            if position > order.index(anchor) or not _under_anchor(block, stream[anchor], lefts[anchor]):
                continue
        elif position > order.index(anchor) and all(
            position < order.index(other) for other_top, other in anchors if other_top > top
        ):
            continue
        order.remove(at)
        place = order.index(anchor) + 1
        while place < len(order) and order[place] not in anchor_set and not _below(stream[order[place]], top):
            place += 1
        order.insert(place, at)
        moved += 1
    for top, anchor in sorted(anchors):
        position = order.index(anchor)
        before = [stream[at].bbox for at in order[:position]]
        anchor_box = stream[anchor].bbox
        limit = min(top, anchor_box[1]) if anchor_box is not None else top
        stranded = [
            at
            for at in order[position + 1 :]
            if at not in anchor_set
            and (box := stream[at].bbox) is not None
            and box[3] <= limit
            and ((own := band(box[1])) is None or order.index(own) < position)
            and not any(other is not None and other[1] < top and other[3] > box[1] for other in before)
        ]
        if stranded:
            moving = set(stranded)
            order = order[:position] + stranded + [at for at in order[position:] if at not in moving]
            moved += len(stranded)
    return order, moved


def _under_anchor(block: Block, anchor: Block, left: float | None) -> bool:
    """The block lies wholly below the anchor block, not left of the destination's left edge: on a page
    of one column, or in the destination's column or one right of it, it follows the anchor."""
    box, anchor_box = block.bbox, anchor.bbox
    return (
        box is not None
        and anchor_box is not None
        and box[1] >= anchor_box[3]
        and (left is None or box[0] >= left - STRADDLE)
    )


def _below(block: Block, top: float) -> bool:
    """The block starts below `top`."""
    return block.bbox is not None and block.bbox[1] > top

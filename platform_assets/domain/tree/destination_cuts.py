"""Blocks an outline destination points inside -> two blocks, cut where the destination's clause begins.

MinerU merges lines across a clause start: two index letter groups in one paragraph (`Q qfonts ... R
Lamport`), a change history's versions in one running list, a command's signature beside the next
one's. The destination says where the next clause starts on the page; the text layer says which words
lie below it; the block is cut before the first of those words, so the clause opens with its own text.

Invariant: a block is cut only where the text layer below the destination begins with the clause's title
(with or without its number) and the block's own text (a list's entries, a listing's lines, or a
paragraph's words) prints that title there; the two pieces carry the block's content exactly once.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, tokens
from platform_assets.domain.tree.segment import LABEL_WORDS, STRADDLE

RegionText = Callable[[int, BBox], str]
"""The text layer's text inside a bbox (top-down fractions) of a 0-based page."""

_ITEM_KINDS = frozenset({BlockKind.LIST, BlockKind.INDEX})
_LINE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_TEXT_KINDS = frozenset({BlockKind.TEXT, BlockKind.HEADING})
LEAD = 3
"""The first words of a clause below its destination that the block's text is cut before."""
SKIPPED = 2
"""Words of a heading that may be missing where the block's text has the rest (a big initial)."""


def cut_at_destinations(
    stream: Sequence[Block], clauses: Sequence[Clause], region_text: RegionText
) -> tuple[list[Block], int]:
    """The stream with each block that a destination points inside (more than `STRADDLE` below its top
    and above its bottom, in its column) cut there; and how many cuts were made.

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset).
    """
    inside = sorted(
        (clause.page_index, clause.top, index)
        for index, clause in enumerate(clauses)
        if clause.top is not None
    )
    if not inside:
        return list(stream), 0
    pages = [page for page, _, _ in inside]
    cut: list[Block] = []
    cuts = 0
    for block in stream:
        box = block.bbox
        if box is None or not _cuttable(block):
            cut.append(block)
            continue
        pieces = [block]
        for at in range(bisect_left(pages, block.page_index), bisect_right(pages, block.page_index)):
            _, top, index = inside[at]
            clause = clauses[index]
            last = pieces[-1]
            if not _points_inside(last.bbox, top, clause.left):  # type: ignore[arg-type]
                continue
            halves = _cut(last, top, tokens(clause.title), region_text)
            if halves is not None:
                pieces[-1:] = halves
                cuts += 1
        cut.extend(pieces)
    return cut, cuts


def _cuttable(block: Block) -> bool:
    """Text, list entries, listing lines, or a table the tier returned as lines of plain text."""
    return (
        block.kind in _TEXT_KINDS
        or block.kind in _ITEM_KINDS
        or block.kind in _LINE_KINDS
        or (block.kind is BlockKind.TABLE and block.html is None and "\n" in block.text)
    )


def _points_inside(box: BBox, top: float, left: float | None) -> bool:
    """The destination lies inside the box: below its first line, above its last, and in its column."""
    return box[1] + STRADDLE < top < box[3] - STRADDLE and (
        left is None or box[0] - STRADDLE <= left <= box[2]
    )


def _cut(block: Block, top: float, title: Tokens, region_text: RegionText) -> tuple[Block, Block] | None:
    """`block` as the piece above `top` and the piece from where the clause's title starts below it; None
    where the first words below `top` do not print the title or the block's text has no such place.

    The text layer's first words below a destination may still be the tail of the line above (its
    descenders cross it): the cut goes where the first word of the title is. A big initial (an index
    letter) may sit elsewhere in the block's text: up to `SKIPPED` words of the heading are skipped.
    """
    x0, y0, x1, y1 = block.bbox  # type: ignore[misc]
    below = tokens(region_text(block.page_index, (x0, top, x1, y1)))
    reach = below[: len(title) + LABEL_WORDS + LEAD]
    start = next((at for at, word in enumerate(reach) if word in title), None)
    if not title or start is None or not _prints(below[start : start + len(title) + LABEL_WORDS], title):
        return None
    before = len(tokens(region_text(block.page_index, (x0, y0, x1, top)))) + start
    for skip in range(SKIPPED + 1):
        lead = below[start + skip : start + skip + LEAD]
        if lead and (halves := _halves(block, lead, before + skip)) is not None:
            upper, lower = halves
            return (
                block.model_copy(update={**upper, "bbox": (x0, y0, x1, top), "caption": [], "footnote": []}),
                block.model_copy(update={**lower, "bbox": (x0, top, x1, y1)}),
            )
    return None


def _halves(block: Block, lead: Tokens, before: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The fields of the pieces before and from `lead` (nearest the `before`-th word); None if absent."""
    if block.kind in _TEXT_KINDS:
        offset = _offset_at(block.text, lead, before)
        if offset is None:
            return None
        return {"text": block.text[:offset].rstrip()}, {"text": block.text[offset:]}
    items = block.kind in _ITEM_KINDS
    parts = block.items if items else (block.code or block.text).splitlines(True)
    at = _part_at(parts, lead, before)
    if at is None:
        return None
    above, rest = parts[:at], parts[at:]
    if items:
        return {"items": above, "text": "\n".join(above)}, {"items": rest, "text": "\n".join(rest)}
    code = block.code is not None
    return (
        {"text": "".join(above), **({"code": "".join(above)} if code else {})},
        {"text": "".join(rest), **({"code": "".join(rest)} if code else {})},
    )


def _prints(words: Tokens, title: Tokens) -> bool:
    """`words` hold every word of `title` (a heading may add a label or a date, or reorder them)."""
    left = list(words)
    for word in title:
        if word not in left:
            return False
        left.remove(word)
    return True


def _part_at(parts: Sequence[str], lead: Tokens, before: int) -> int | None:
    """The entry or line (not the first) that begins with `lead`, nearest the `before`-th word."""
    found, words = [], 0
    for at, part in enumerate(parts):
        own = tokens(part)
        shared = min(len(own), len(lead))
        if at and shared and own[:shared] == lead[:shared]:
            found.append((abs(words - before), at))
        words += len(own)
    return min(found)[1] if found else None


def _offset_at(text: str, lead: Tokens, before: int) -> int | None:
    """Where in `text` (after its start) the words `lead` begin as whole words, nearest the `before`-th
    word."""
    pattern = r"[\W_]*".join(re.escape(word) for word in lead)
    found = [
        (abs(len(tokens(text[: match.start()])) - before), match.start())
        for match in re.finditer(rf"(?<![\w])(?:{pattern})(?![\w])", text, re.IGNORECASE)
        if match.start() > 0
    ]
    return min(found)[1] if found else None

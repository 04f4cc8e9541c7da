"""A reference set as rows of columns, a bookmark per row's name -> its rows read from the text layer.

A macro or command reference (`name(args)   kind   description`, tl-Circuit_macros section 19) gives a
bookmark to each name, set at the name's line, all at one left edge. MinerU reads such a page as cells:
a name merged with the next row's name, a description typed as a heading or a running header, a row's
cells read before its name because they start a hair higher, a page of rows in one block whose text it
reorders. No cut of those blocks gives each name its own row. The text layer holds each row whole and in
order, so the rows are read from it, from the line of one name to the line of the next: the name's cell
(up to the gap before the next column, else its whole line) as one block, the rest of the row as another.

Invariant: a page is read again only where at least `ROWS` destinations share a left edge, most of them
`ROW_SPAN` apart or less, the text layer prints their titles at their lines in their order, `CELLS` of
those lines hold a gap between columns, one of the tier's blocks runs across a row's start, and the rows
hold the words of the blocks they replace (but `LOST`); images, tables and listings stay as they are.
Rows are `from_text_layer`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import Any

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.pdf.pdf_text import keys
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import tokens
from platform_assets.domain.tree.destination_cuts import printed_words
from platform_assets.domain.tree.segment import SAME_LINE, STRADDLE
from platform_assets.domain.tree.text_order import Box, TextOrder

ROWS = 4
"""Destinations on one page at one left edge, at least, for the page to be read as rows."""
SAME_LEFT = 0.005
"""Destinations whose left edges differ by at most this (page widths) are set at one edge."""
ROW_SPAN = 0.06
"""The median distance (page heights) between a page's destinations at one edge, at most: rows of a few
lines (sections with paragraphs between their headings are no rows)."""
CELL_GAP = 0.04
"""A gap this wide (page widths) between two characters of a row's first line separates its columns."""
CELLS = 2
"""Rows whose first line shows such a gap, at least (a long name runs over into the next column, which
then starts the row's second line)."""
LOST = 0.1
"""The share of the replaced blocks' words the rows may miss (the tier's words that the text layer
writes otherwise: ligatures, math)."""
_REPLACED = frozenset({BlockKind.TEXT, BlockKind.HEADING, BlockKind.LIST, BlockKind.EQUATION})
_PLAIN_TEXT: dict[str, Any] = {
    "kind": BlockKind.TEXT,
    "source_type": "text",
    **dict.fromkeys(("level", "html", "code", "language", "latex", "image_path", "caption_bbox")),
    **{name: [] for name in ("items", "caption", "footnote")},
}
"""A row replacing a tier's block keeps its `seq` and nothing else of it."""
_REPLACED_NOISE = frozenset({"header", "footer"})
"""Cells the tier typed as running headers and footers that the triage kept: replaced too."""


@dataclass(frozen=True)
class Rows:
    """How many blocks were read again as rows, and the rows that replaced them."""

    replaced: int = 0
    rows: tuple[Block, ...] = ()


def glossary_rows(
    stream: Sequence[Block], clauses: Sequence[Clause], layer: TextOrder
) -> tuple[list[Block], Rows]:
    """The stream with each page set as rows of a reference read as its rows (see the module).

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset).
    """
    by_page: dict[int, list[Clause]] = {}
    for clause in clauses:
        if clause.top is not None and clause.left is not None:
            by_page.setdefault(clause.page_index, []).append(clause)
    pages: dict[int, list[int]] = {}
    for index, block in enumerate(stream):
        pages.setdefault(block.page_index, []).append(index)
    replacing: dict[int, list[Block]] = {}  # stream index -> the rows that go there (none: it goes)
    for page, on_page in sorted(by_page.items()):
        column = _one_edge(on_page)
        tops = [clause.top for clause in column]
        if len(column) < ROWS or median(b - a for a, b in pairwise(tops)) > ROW_SPAN:  # type: ignore[operator]
            continue
        if (read := _page_rows(stream, pages.get(page, []), column, on_page, layer)) is not None:
            gone, new = read
            replacing |= {index: [] for index in gone} | {min(gone): new}
    if not replacing:
        return list(stream), Rows()
    out = [new_block for index, block in enumerate(stream) for new_block in replacing.get(index, (block,))]
    rows = tuple(block for new in replacing.values() for block in new)
    return out, Rows(len(replacing), rows)


def _one_edge(clauses: list[Clause]) -> list[Clause]:
    """The most destinations of the page at one left edge (within `SAME_LEFT`), by their tops."""
    lefts = sorted(clauses, key=lambda clause: clause.left)  # type: ignore[arg-type,return-value]
    best: list[Clause] = []
    first = 0
    for last, clause in enumerate(lefts):
        while clause.left - lefts[first].left > SAME_LEFT:  # type: ignore[operator]
            first += 1
        if last + 1 - first > len(best):
            best = lefts[first : last + 1]
    return sorted(best, key=lambda clause: clause.top)  # type: ignore[arg-type,return-value]


def _page_rows(
    stream: Sequence[Block],
    on_page_blocks: list[int],
    column: list[Clause],
    on_page: list[Clause],
    layer: TextOrder,
) -> tuple[set[int], list[Block]] | None:
    """The stream indices of the page's blocks (`on_page_blocks`) the rows replace, and the rows; None
    where the page is no such reference or its blocks already follow the rows."""
    page = column[0].page_index
    boxes, chars = layer.boxes(page), layer.chars(page)
    starts = [layer.start(clause)[1] for clause in column]
    if starts != sorted(starts) or starts[-1] >= len(boxes):
        return None  # the text layer reads the names in another order
    lines = [_line(boxes, start) for start in starts]
    printed = [
        _prints(chars, line, printed_words(clause.title)) for clause, line in zip(column, lines, strict=True)
    ]
    verified = sum(printed)
    if verified < max(ROWS, 0.75 * len(column)):
        return None
    gaps = [_cell_gap(boxes, chars, line) for line in lines]
    if sum(gap is not None for gap, ok in zip(gaps, printed, strict=True) if ok) < CELLS:
        return None
    tops = [  # each row from its destination or its line, whichever is higher: the destination anchors it
        min(clause.top, *(boxes[index][1] for index in line))  # type: ignore[call-overload]
        for clause, line in zip(column, lines, strict=True)
    ]
    below = [c.top for c in on_page if c not in column and c.top > column[-1].top]  # type: ignore[operator]
    limit = min(below, default=1.0)
    gone = {
        index
        for index in on_page_blocks
        if (block := stream[index]).bbox is not None
        and (block.kind in _REPLACED or block.source_type in _REPLACED_NOISE)
        and not block.code
        and tops[0] - STRADDLE <= block.bbox[1] < limit
    }
    if not gone or not any(_across_a_row(stream[index].bbox, tops) for index in gone):  # type: ignore[arg-type]
        return None
    bottom = max(stream[index].bbox[3] for index in gone)  # type: ignore[index]
    ends = [*starts[1:], _end(boxes, starts[-1], bottom)]
    left = min(stream[index].bbox[0] for index in gone)  # type: ignore[index]
    right = max(stream[index].bbox[2] for index in gone)  # type: ignore[index]
    edges = [*tops[1:], bottom]
    first = stream[min(gone)]
    rows: list[Block] = []
    for start, end, top, lower, line, gap in zip(starts, ends, tops, edges, lines, gaps, strict=True):
        name_end = min(end, gap or line[-1] + 1)
        name = [index for index in line if index < name_end]
        name_box = (
            left,
            top,
            max((boxes[index][3] for index in name), default=left),
            max((boxes[index][2] for index in name), default=top),
        )
        rows += [
            first.model_copy(
                update={"text": joined, "bbox": _clamped(box), "from_text_layer": True, **_PLAIN_TEXT}
            )
            for text, box in (
                (chars[start:name_end], name_box),
                (chars[name_end:end], (left, top, right, lower)),
            )
            if (joined := _joined(text))
        ]
    replaced_words = Counter(word for index in gone for word in keys(_text(stream[index])))
    missing = replaced_words - Counter(word for row in rows for word in keys(row.text))
    if sum(missing.values()) > LOST * sum(replaced_words.values()):
        return None
    return gone, rows


def _line(boxes: Sequence[Box], start: int) -> list[int]:
    """Indices of the characters from `start` to the end of its line (a line break, or one off the page)."""
    line = []
    for index in range(start, len(boxes)):
        if boxes[index][0] < 0:
            break
        line.append(index)
    return line or [start]


def _prints(chars: str, line: list[int], title: tuple[str, ...]) -> bool:
    """The line begins with the title's words, maybe after a letter: its letter group's, set in the margin
    before the group's first name (`O opamp(...)`)."""
    words = tokens("".join(chars[index] for index in line))
    lettered = len(words) > len(title) and len(words[0]) == 1
    return bool(title) and (words[: len(title)] == title or (lettered and words[1 : len(title) + 1] == title))


def _cell_gap(boxes: Sequence[Box], chars: str, line: list[int]) -> int | None:
    """The first character after a gap of `CELL_GAP` or more between two neighbouring characters of the
    line, spaces aside (where the name's cell ends); None where there is none."""
    inked = [index for index in line if not chars[index].isspace()]
    return next((b for a, b in pairwise(inked) if boxes[b][0] - boxes[a][3] >= CELL_GAP), None)


def _joined(text: str) -> str:
    """The text as one paragraph: a description's lines are where the column wrapped it."""
    return " ".join(text.split())


def _clamped(box: BBox) -> BBox:
    x0, y0, x1, y1 = box
    return (x0, max(0.0, y0), x1, min(1.0, max(y0, y1)))


def _across_a_row(box: BBox, tops: list[float]) -> bool:
    """The block runs from one row into the next: a row's line starts well inside it."""
    return any(box[1] + SAME_LINE / 2 < top < box[3] - STRADDLE for top in tops)


def _end(boxes: Sequence[Box], start: int, bottom: float) -> int:
    """The first character after `start` that lies wholly below `bottom` (the page's end where none)."""
    return next(
        (index for index in range(start, len(boxes)) if boxes[index][0] >= 0 and boxes[index][1] > bottom),
        len(boxes),
    )


def _text(block: Block) -> str:
    return block.text or " ".join(block.items)

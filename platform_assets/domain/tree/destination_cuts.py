"""Blocks an outline destination points inside -> pieces, cut where the destination's clause begins.

MinerU merges lines across a clause start: two index letter groups in one paragraph (`Q qfonts ... R
Lamport`), a change history's versions in one running list, a command's signature beside the next
one's, a whole two-column index page in one block, a heading and its paragraph into the caption of the
table above them. The destination says where the next clause starts on the page; the text layer says
which words lie below it; the block is cut before the first of those words, so the clause opens with its
own text. A list or index block over two columns that a right-column destination points into is first
split into its columns.

Invariant: a block is cut only where the text layer's first words below the destination print the
clause's title (its words, in any order, with at most a label or date more; a function's name where the
title gives its arity) and the block's own text (a list's entries, a listing's lines, or a paragraph's
words) has those words there; the pieces carry the block's content exactly once. Only a two-column
block whose entries the tier merged line by line takes each column's lines from the text layer instead
(`from_text_layer`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from itertools import accumulate
from typing import Any

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, number_words, tokens
from platform_assets.domain.tree.segment import (
    GUTTER,
    INDENT,
    LABEL_WORDS,
    SAME_LINE,
    STRADDLE,
    words_pattern,
)
from platform_assets.domain.tree.text_layer_fill import text_lines

RegionText = Callable[[int, BBox], str]
"""The text layer's text inside a bbox (top-down fractions) of a 0-based page."""

_ITEM_KINDS = frozenset({BlockKind.LIST, BlockKind.INDEX})
_LINE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_TEXT_KINDS = frozenset({BlockKind.TEXT, BlockKind.HEADING})
_WITH_ARITY = re.compile(r"(?P<name>[^\s/()]+)/\d{1,2}")
"""A function or predicate indicator: a name, a slash and the number of its arguments."""
LEAD = 3
"""The first words of a clause below its destination that the block's text is cut before."""
SKIPPED = 2
"""Words of a heading that may be missing where the block's text has the rest (a big initial)."""
COLUMN_SLACK = 0.25
"""A block's entries cut into columns must hold the left column's words within 25%."""
LINE_CHARS = 12
"""A line of the text layer found once in a block's text, spaces aside, shows where to cut when it has at
least this many characters."""
BLANK_STRIP = 0.004
"""Half the width of the strip at a block's middle that must hold no text for it to span two columns."""


def cut_at_destinations(
    stream: Sequence[Block],
    clauses: Sequence[Clause],
    region_text: RegionText,
    unshifted: Sequence[Clause] | None = None,
    whole: Collection[Block] = (),
) -> tuple[list[Block], int]:
    """The stream with each block that a destination points inside (more than `STRADDLE` below its top
    and above its bottom, in its column) cut there, or inside its first line where the destination lies
    just above it, alone on its line (`_first_line_cut`), but the blocks of `whole` (already one per
    clause); and how many cuts were made.

    `clauses` carry the destinations as the segmenter uses them (shifted by the document's offset);
    `unshifted`, the same clauses as the outline gives them. The offset is learnt from headings, and an
    entry of a running list (a change history's version) may be anchored at its own line instead: where
    the title is not printed below the shifted destination, the outline's own is tried.
    """
    inside = sorted(
        (clause.page_index, clause.top, index)
        for index, clause in enumerate(clauses)
        if clause.top is not None
    )
    if not inside:
        return list(stream), 0
    pages = [page for page, _, _ in inside]
    page_blocks: dict[int, list[Block]] = {}
    for block in stream:
        page_blocks.setdefault(block.page_index, []).append(block)
    cut: list[Block] = []
    cuts = 0
    kept_whole = {id(block) for block in whole}
    for block in stream:
        page = block.page_index
        cuttable = _cuttable(block)
        if block.bbox is None or not (cuttable or block.caption_bbox) or id(block) in kept_whole:
            cut.append(block)
            continue
        on_page = [inside[at][2] for at in range(bisect_left(pages, page), bisect_right(pages, page))]
        page_clauses = [clauses[index] for index in on_page]
        if cuttable:
            pieces = _columns(block, page_clauses, region_text, page_blocks[page]) or [block]
        else:
            pieces = _caption_cut(block, page_clauses, region_text) or [block]
        cuts += len(pieces) - 1
        lines = Counter(clauses[index].top for index in on_page)
        for index in on_page:
            alone = lines[clauses[index].top] == 1  # no other destination on its line: cut inside it
            for clause in _tops(clauses[index], unshifted[index] if unshifted else None):
                at = next(
                    (
                        at
                        for at, piece in enumerate(pieces)
                        if _points_inside(piece, clause) and (cuttable or _cuttable(piece))
                    ),
                    None,
                )
                if at is None:
                    continue
                title = printed_words(clause.title)
                # inside a line only where the shifted destination parts the pieces too (`_parted_at`)
                shifted_top = clauses[index].top
                parted = pieces[at].bbox[1] < shifted_top <= clause.top  # type: ignore[index,operator]
                inside_line = clause.left if alone and parted else None
                halves = _cut(pieces[at], clause.top, title, region_text, inside_line)  # type: ignore[arg-type]
                if halves is not None:
                    pieces[at : at + 1] = _parted_at(halves, clauses[index].top)  # type: ignore[arg-type]
                    cuts += 1
                    break
            else:
                found = None
                for clause in _tops(clauses[index], unshifted[index] if unshifted else None) if alone else ():
                    if (
                        found := _first_line_cut(pieces, clause, region_text, clauses[index].top)
                    ) is not None:
                        break
                if found is not None:
                    at, halves = found
                    pieces[at : at + 1] = halves
                    cuts += 1
        cut.extend(pieces)
    return cut, cuts


def _first_line_cut(
    pieces: list[Block], clause: Clause, region_text: RegionText, anchor: float | None
) -> tuple[int, tuple[Block, Block]] | None:
    """A destination set inside the first line of a piece, up to `STRADDLE` above or below its top (a word
    documented on a paragraph's first line, or after another one documented there): the piece and its
    halves, cut where the line prints the title; the piece before the word set just above `anchor` (the
    destination as the segmenter uses it; or where the piece was, below its top), the word's piece from
    it, so the word's piece is the one the destination anchors. None where no piece has such a first
    line."""
    top, left = clause.top, clause.left
    if top is None or left is None:
        return None
    for at, piece in enumerate(pieces):
        x0, y0, x1, y1 = piece.bbox  # type: ignore[misc]
        if not (abs(top - y0) <= STRADDLE and x0 + GUTTER <= left < x1 and _cuttable(piece)):
            continue
        inline = _inline(piece, y0, left, printed_words(clause.title), 0, region_text)
        halves = _halves(piece, inline[0], inline[1], "") if inline else None
        if halves is None:
            return None
        anchor = top if anchor is None else anchor
        upper = max(0.0, anchor - STRADDLE) if anchor <= y0 else y0
        return at, _pieces(piece, halves, (x0, upper, x1, anchor), (x0, anchor, x1, y1))
    return None


def _parted_at(halves: tuple[Block, Block], top: float) -> tuple[Block, Block]:
    """The pieces of a cut at the outline's own destination parted at the shifted one where that lies
    higher, inside the block: the segmenter anchors the clause with the shifted one, below the piece before
    (a destination of a word documented in the text lies higher than its section headings' do)."""
    upper, lower = halves
    x0, y0, x1, y1 = upper.bbox  # type: ignore[misc]
    if not y0 < top < y1:
        return halves
    return (
        upper.model_copy(update={"bbox": (x0, y0, x1, top)}),
        lower.model_copy(update={"bbox": (x0, top, *lower.bbox[2:])}),  # type: ignore[index]
    )


def printed_words(title: str) -> Tokens:
    """The words of `title` that its heading prints: a function or predicate named with its arity
    (`exor/2`, `lists:map/2`, `append/3`) prints its name with its arguments (`exor(Bin1, Bin2) ->
    binary()`)."""
    if named := _WITH_ARITY.fullmatch(title.strip()):
        return tokens(named.group("name"))
    return tokens(title)


def _tops(shifted: Clause, unshifted: Clause | None) -> list[Clause]:
    """The clause with its destination as the segmenter uses it, then as the outline gives it (if other)."""
    if unshifted is None or unshifted.top is None or unshifted.top == shifted.top:
        return [shifted]
    return [shifted, unshifted]


def _shared_box(box: BBox, other: BBox) -> BBox | None:
    """Where two boxes overlap, more than `STRADDLE` high; None where they do not (boxes that touch)."""
    x0, y0, x1, y1 = (
        max(box[0], other[0]),
        max(box[1], other[1]),
        min(box[2], other[2]),
        min(box[3], other[3]),
    )
    return (x0, y0, x1, y1) if x0 < x1 and y1 - y0 > STRADDLE else None


def _columns(
    block: Block, clauses: list[Clause], region_text: RegionText, page: Sequence[Block] = ()
) -> list[Block] | None:
    """A list, index or text block over two columns (no text in a strip just left of the right column's
    destination, at it (a destination set in the gutter), or at its middle: a column of contents lines
    beside one of text, two index columns) that a destination of the right column (or of the gutter)
    points into, as its left and right column: a list's entries cut before the one the text layer puts
    first in the right column, or, where the tier merged the columns line by line (always, for a
    paragraph), each column's lines from the text layer (`from_text_layer`), less the whole lines there of
    the other blocks of its `page` that overlap it (a line the tier gave a block of its own keeps it), but
    a line that prints a clause's title (an index letter: the segmenter opens the clause with it, the
    block of its big initial is the heading). None where it is not such a block."""
    x0, y0, x1, y1 = block.bbox  # type: ignore[misc]
    middle = (x0 + x1) / 2
    lefts = [
        clause.left
        for clause in clauses
        if clause.left is not None
        and clause.top is not None
        and y0 - STRADDLE <= clause.top < y1
        and x0 <= clause.left <= x1
    ]
    right_half = sorted(left for left in lefts if left >= middle - GUTTER)  # in its right half (or gutter)
    if (block.kind not in _ITEM_KINDS and block.kind is not BlockKind.TEXT) or not right_half:
        return None
    gutter = next(
        (
            x
            for x in (*(x for left in right_half for x in (left - 2 * BLANK_STRIP, left)), middle)
            if not region_text(block.page_index, (x - BLANK_STRIP, y0, x + BLANK_STRIP, y1)).strip()
        ),
        None,
    )
    if gutter is None:
        return None  # not a block over two columns with a blank gutter between them
    halves = ((x0, y0, gutter, y1), (gutter, y0, x1, y1))
    left, right = (region_text(block.page_index, half) for half in halves)
    items = block.kind in _ITEM_KINDS
    at = _part_at(block.items, tokens(right)[:LEAD], len(tokens(left))) if items and left and right else None
    if at is not None and _matches(block.items[:at], left):
        columns = [block.items[:at], block.items[at:]]
        from_text_layer = block.from_text_layer
    else:  # the tier merged the columns line by line: each column's lines from the text layer
        columns = [[line.strip() for line in text_lines(text) if line.strip()] for text in (left, right)]
        titles = {tokens(clause.title) for clause in clauses}
        for lines, half in zip(columns, halves, strict=True):
            shared = (_shared_box(other.bbox, half) for other in page if other is not block and other.bbox)
            for box in filter(None, shared):
                for line in text_lines(region_text(block.page_index, box)):
                    if line.strip() in lines and tokens(line) not in titles:
                        lines.remove(line.strip())
        from_text_layer = True
    if not all(columns):
        return None
    return [
        block.model_copy(
            update={
                "items": lines if items else [],
                "text": "\n".join(lines),
                "bbox": half,
                "from_text_layer": from_text_layer,
            }
        )
        for lines, half in zip(columns, halves, strict=True)
    ]


def _caption_cut(block: Block, clauses: list[Clause], region_text: RegionText) -> list[Block] | None:
    """A table, figure or listing whose one caption, set below it, holds a destination where the caption
    prints the clause's title: the tier ran the next clause's heading and text into the caption (erl-crypto
    p13: `Table 5.3: AEAD ciphers 1.5.2 Message Authentication Codes (MACs) To be used in ...`). The block
    keeps the caption's words above the destination; the rest is a text block, which later destinations
    cut like any other. None where no such destination is there."""
    box, body = block.caption_bbox, block.bbox
    if box is None or body is None or len(block.caption) != 1 or box[1] < body[3] - STRADDLE:
        return None
    caption = Block(
        seq=block.seq,
        page_index=block.page_index,
        kind=BlockKind.TEXT,
        source_type=f"{block.source_type}_caption",
        text=block.caption[0],
        bbox=box,
    )
    for clause in clauses:
        if _points_inside(caption, clause) and (
            halves := _cut(caption, clause.top, printed_words(clause.title), region_text)  # type: ignore[arg-type]
        ):
            above = halves[0]
            if above.text:
                update = {"caption": [above.text], "caption_bbox": above.bbox}
            else:
                update = {"caption": [], "caption_bbox": None}
            return [block.model_copy(update=update), halves[1]]
    return None


def _matches(items: Sequence[str], text: str) -> bool:
    """The entries hold as many words as `text`, within `COLUMN_SLACK`."""
    expected = len(tokens(text))
    return abs(sum(len(tokens(item)) for item in items) - expected) <= COLUMN_SLACK * expected


def _cuttable(block: Block) -> bool:
    """Text, list entries, listing lines, or a table the tier returned as lines of plain text."""
    return (
        block.kind in _TEXT_KINDS
        or block.kind in _ITEM_KINDS
        or block.kind in _LINE_KINDS
        or (block.kind is BlockKind.TABLE and block.html is None and "\n" in block.text)
    )


def _points_inside(block: Block, clause: Clause) -> bool:
    """The clause's destination lies inside the block: below its top, above its last line, and in its
    column (left of its right edge: a destination on it is the next column's, a block split there). Below
    the block's first line (`SAME_LINE`) its left edge may be the text area's, up to `INDENT` left of an
    indented block (R's reference manuals); on the first line only a destination in the block's own
    column counts (a destination shifted a hair into a heading, left of it, is that heading's). Within
    `STRADDLE` of the top it may still mark the first line: `_cut` tells."""
    box, top, left = block.bbox, clause.top, clause.left
    if box is None or top is None or not box[1] < top < box[3] - STRADDLE:
        return False
    return left is None or box[0] - (INDENT if top > box[1] + SAME_LINE else STRADDLE) <= left < box[2]


def _overlap(above: Tokens, below: Tokens) -> int:
    """How many words `below` begins with that `above` ends with, their letters compared (a region's edge
    may leave out the full stop between two words: `lettersIt`): a line both regions cross."""
    joined = "".join(above)
    prefixes = list(accumulate(below))
    return next(
        (
            n
            for n in range(len(prefixes), 0, -1)
            if len(prefixes[n - 1]) <= len(joined) and joined.endswith(prefixes[n - 1])
        ),
        0,
    )


def _crossing(above_text: str, below_text: str) -> int:
    """The words of `below_text`'s first lines whose letters are all letters of `above_text`'s last line, in
    their order: the line both regions cross, of which the region below takes only the letters that reach
    into it, in one piece or more (`a\\pge[hlejblíki] epaduje` of `Příkaz \\pgref[hlejblíki] expanduje`);
    0 where the first line is not such a line."""
    letters = iter("".join((above_text.splitlines() or [""])[-1].split()))
    words = 0
    for line in below_text.splitlines():
        own = "".join(line.split())
        if not own or not all(letter in letters for letter in own):
            break
        words += len(tokens(line))
    return words


def _cut(
    block: Block, top: float, title: Tokens, region_text: RegionText, left: float | None = None
) -> tuple[Block, Block] | None:
    """`block` as the piece above `top` and the piece from where the clause's title starts below it; None
    where the first words below `top` do not print the title or the block's text has no such place.

    The text layer's first words below a destination may still be the tail of the line above (its
    descenders cross it): the cut goes where the first word of the title is. A destination within
    `STRADDLE` of the block's top marks its first line unless a line lies above it and the title starts
    after the words both regions share (the line it crosses): signatures set one per line in one block
    (`\\MakeOuterQuote{c}`, then `\\MakeInnerQuote{c}`); within it, a block whose own text begins with
    the title is never cut (the tops of a big heading's capitals above the destination are no line:
    `Capitolo 3. Conti`, its destination 0.008 below the block's top). A big initial (an index letter)
    may sit elsewhere in the block's text: up to `SKIPPED` words of the heading are skipped. A destination
    set just under its heading (`\\phantomsection` after `\\section*{Nomenclature}`) has the heading as the
    last line above it: the cut goes before that line. Where the words after the title differ (the tier's
    `𝐴`, the text layer's `A`), the title's own words are looked for. The cut takes the words that open
    the title's line with it (a return type, a number), and looks for the whole title first where a name
    begins the next one's (`ei_x_encode_atom_as`, `ei_x_encode_atom_len_as`). A destination set inside a
    line of the block, at `left` (a word documented where the text uses it: DocBy.TeX's `\\dg`),
    cuts where its line goes on with the title (`_inline`), where no other destination shares its line
    (`left` None: two words documented on one line are left to the segmenter).
    """
    x0, y0, x1, y1 = block.bbox  # type: ignore[misc]
    below_text = region_text(block.page_index, (x0, top, x1, y1))
    below = tokens(below_text)
    above_text = region_text(block.page_index, (x0, y0, x1, top))
    above = tokens(above_text)
    shared = max(_overlap(above, below), _crossing(above_text, below_text))
    reach = [range(min(len(title) + LABEL_WORDS + LEAD, len(below)))]
    if shared:  # or opening the line after the one both regions cross (its words all before the title)
        reach.append(range(shared, min(shared + LABEL_WORDS + 1, len(below))))
    start = next((at for window in reach for at in window if below[at] in title), None)
    if title and start is not None and _prints(below[start : start + len(title) + LABEL_WORDS], title):
        if top <= y0 + STRADDLE and (not above or start < shared):
            return None
        first_line = _begins_with(block, below[start : start + len(title)])
        if first_line and (len(above) <= len(title) or top <= y0 + STRADDLE):
            return None  # the block's first line prints the title; above it, the tops of its letters
        end = start + len(title)
        printed = below[start:end]
        # the words of the one line both regions cross (where lines alike follow, more words repeat)
        crossed = min(shared, len(tokens(below_text.split("\n", 1)[0])))
        past = next((at for at in range(crossed, len(below)) if below[at] in title), start)
        if left is None or left < x0 + GUTTER:  # a destination inside the line marks the title's own word
            start = _line_start(below_text, start, shared)
        holding = _holding_line(below_text, start)
        # the title's line where it opens that line: a title inside a line cuts there, not at the line
        line = _line_of(below_text, past) if holding is None or holding[0] == start else ""
        before = len(above) + start
        leads = [(below[start + skip : start + skip + LEAD], before + skip) for skip in range(SKIPPED + 1)]
        if end - start > LEAD:  # the whole title first: `ei_x_encode_atom_as`, not `ei_x_encode_atom_len_as`
            leads.insert(0, (below[start:end], before))
    elif title and (printed := _heading_above(above_text, title)):
        before = len(above) - len(printed)
        leads = [((*printed, *below)[:LEAD], before)]
        line = ""
    elif title and (inline := _inline(block, top, left, title, len(above) - shared, region_text)):
        printed, before = inline
        leads = [(printed, before), (printed[: len(title)], before)]  # the words after may be split otherwise
        line = ""
    else:
        return None
    if len(printed) < LEAD:  # the words after a short title may be math the text layer writes otherwise
        leads.append((printed, before))
    for lead, at in leads:
        if lead and (halves := _halves(block, lead, at, line)) is not None:
            return _pieces(block, halves, (x0, y0, x1, top), (x0, top, x1, y1))
    return None


def _pieces(
    block: Block, halves: tuple[dict[str, Any], dict[str, Any]], upper_box: BBox, lower_box: BBox
) -> tuple[Block, Block]:
    """The block's two pieces from `_halves`' fields; its captions and footnotes go with the lower one."""
    upper, lower = halves
    return (
        block.model_copy(update={**upper, "bbox": upper_box, "caption": [], "footnote": []}),
        block.model_copy(update={**lower, "bbox": lower_box}),
    )


def _inline(
    block: Block, top: float, left: float | None, title: Tokens, above: int, region_text: RegionText
) -> tuple[Tokens, int] | None:
    """Where a destination more than `GUTTER` inside the block's lines (past where a line starts) has the
    title on its line (the line below it, whose letters it may touch: DocBy.TeX sets it at the documented
    word's end, at the top of its line, so a word that starts a line has it a word's width in): the title's
    words with those after it, and how many words of the block's text layer come before them (`above`
    of them above `top`, as the caller read them, less the words of a line that crosses `top`); None
    otherwise, and where only a number (with its label) comes before the title on its line."""
    x0, _, x1, _ = block.bbox  # type: ignore[misc]
    if left is None or left < x0 + GUTTER:
        return None
    count = above
    for line in text_lines(region_text(block.page_index, (x0, top, x1, top + SAME_LINE))):
        words = tokens(line)
        at = next((at for at in range(len(words)) if words[at : at + len(title)] == title), None)
        if at is not None and 0 < at <= number_words(line):
            return None  # a heading's number before its title (`4.1 Base colors`), not running text
        if at is not None:
            return words[at : at + max(len(title), LEAD)], count + at
        count += len(words)
    return None


def _begins_with(block: Block, words: Tokens) -> bool:
    """The block's own text (the tier's) begins with `words`."""
    own = block.code if block.code is not None else block.text
    return bool(words) and tokens(own)[: len(words)] == words


def _line_start(text: str, start: int, shared: int) -> int:
    """The first word of the line of `text` that holds its `start`-th word, where at most `LABEL_WORDS`
    open that line before it (`int` before `ei_encode_atom_len(...)`, `1.2` before an unnumbered title)
    and none of them is one of the first `shared` words (the line above, crossing the destination)."""
    if (holding := _holding_line(text, start)) is None:
        return start
    first = holding[0]
    return first if shared <= first and start - first <= LABEL_WORDS else start


def _line_of(text: str, index: int) -> str:
    """The line of `text` that holds its `index`-th word (the first title word past the line both regions
    cross, where one does)."""
    holding = _holding_line(text, index)
    return holding[1] if holding is not None else ""


def _holding_line(text: str, index: int) -> tuple[int, str] | None:
    """The line of `text` that holds its `index`-th word, with the index of that line's first word; None
    past the last word."""
    first = 0
    for line in text.splitlines():
        words = len(tokens(line))
        if first + words > index:
            return first, line
        first += words
    return None


def _line_offset(text: str, line: str) -> int | None:
    """Where in `text` (after its start) it goes on with `line`'s characters, spaces aside, where it does
    so in one place only: of signatures that differ only in their marks (`\\csvloop+[...]` and
    `\\csvloop![...]`), the words alone cannot tell which line is a destination's; None where `line` is
    short or is not there exactly once."""
    chars = "".join(line.split())
    if len(chars) < LINE_CHARS:
        return None
    found = [
        match.start() for match in re.finditer(r"\s*".join(map(re.escape, chars)), text) if match.start() > 0
    ]
    return found[0] if len(found) == 1 else None


def _line_part(parts: Sequence[str], line: str) -> int | None:
    """The one entry or listing line (not the first) that begins with `line`'s characters, spaces aside,
    or that `line` begins with; None where `line` is short or no part or several parts do."""
    chars = "".join(line.split())
    if len(chars) < LINE_CHARS:
        return None
    found = []
    for at, part in enumerate(parts):
        own = "".join(part.split())
        if at and len(own) >= LINE_CHARS and (own.startswith(chars) or chars.startswith(own)):
            found.append(at)
    return found[0] if len(found) == 1 else None


def _heading_above(text: str, title: Tokens) -> Tokens:
    """The words of `text`'s last line where that line prints the title alone (a label or a number more at
    most): the heading right above a destination set under it; () otherwise."""
    lines = text.splitlines()
    last = tokens(lines[-1]) if lines else ()
    return last if last and len(last) <= len(title) + LABEL_WORDS and _prints(last, title) else ()


def _halves(
    block: Block, lead: Tokens, before: int, line: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The fields of the pieces before and from the one place where the block's text goes on with `line`
    (the text layer's line that prints the title), else from `lead` (nearest the `before`-th word); None
    if absent."""
    if block.kind in _TEXT_KINDS:
        offset = _line_offset(block.text, line)
        if offset is None:
            offset = _offset_at(block.text, lead, before)
        if offset is None:
            return None
        return {"text": block.text[:offset].rstrip()}, {"text": block.text[offset:]}
    items = block.kind in _ITEM_KINDS
    parts = block.items if items else (block.code or block.text).splitlines(True)
    at = _line_part(parts, line)
    if at is None:
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
    """Where in `text` (after its start) the words `lead` begin as whole words (as `tokens` reads them: an
    underscore or a change from letters to digits parts two, so `ei_encode_atom` begins
    `ei_encode_atom_len`), nearest the `before`-th word; with the marks that open their token
    (`\\MakeInnerQuote`, `(a)`)."""
    whole = rf"(?<!{_same_kind(lead[0])})(?:{words_pattern(lead)})(?!{_same_kind(lead[-1])})"
    found = [
        (abs(len(tokens(text[: match.start()])) - before), _token_start(text, match.start()))
        for match in re.finditer(whole, text, re.IGNORECASE)
        if text[: match.start()].split()  # not the text's first token (`\\apPLUS`, its `apPLUS` after a mark)
    ]
    return min(found)[1] if found else None


def _same_kind(word: str) -> str:
    """A character that would run on into `word`'s token: a digit beside digits, a letter beside letters."""
    return r"\d" if word[0].isdigit() else r"[^\W\d_]"


def _token_start(text: str, offset: int) -> int:
    """`offset` moved back over the marks before it where they open a token after a space."""
    start = offset
    while start > 0 and not text[start - 1].isspace() and not text[start - 1].isalnum():
        start -= 1
    return start if start > 0 and text[start - 1].isspace() else offset

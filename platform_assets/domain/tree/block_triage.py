"""A document's whole block stream -> the blocks that reach the clause tree, and why each other one does not.

Invariant: every input block is kept (in order) or dropped with exactly one named reason; running headers
and footers are told by repetition at the same place on the page, whatever kind the parser gave them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.plan.clauses import Tokens, tokens

REASONS = ("page_header", "page_footer", "page_number", "toc", "empty")
"""Why a block is dropped, in the order counts are reported."""

EDGE_BAND = 0.12
"""A block whose vertical centre lies within 12% of the top or bottom edge of the page is at an edge."""
Y_TOLERANCE = 0.03
"""Two blocks are at the same place when their vertical centres are at most 3% of the page apart."""
MIN_PAGES = 3
"""Text at an edge is a running header or footer when it repeats on at least 3 pages..."""
MIN_PAGES_TYPED = 2
"""...or on 2 when the parser typed it as page furniture itself (its type is half the evidence)."""
REACH = 6
"""...each at most 6 pages after the previous one (facing pages alternate; chapter openings have none)."""
MAX_FURNITURE_CHARS = 200
MAX_FURNITURE_LINES = 3
CONTENTS_SHARE = 0.5
"""An index block whose lines are at least half the outline's own titles is its table of contents; any
other (a back-of-book index, a list of figures) is content of the clause it sits in."""

_FURNITURE_KINDS = frozenset(
    {BlockKind.PAGE_HEADER, BlockKind.PAGE_FOOTER, BlockKind.PAGE_NUMBER, BlockKind.DISCARDED}
)
"""Kinds the parser gave page furniture: a block of these kinds that is kept becomes TEXT."""
_CANDIDATE_KINDS = _FURNITURE_KINDS | {
    BlockKind.TEXT,
    BlockKind.HEADING,
    BlockKind.FOOTNOTE,
    BlockKind.ASIDE,
    BlockKind.OTHER,
}
"""Kinds whose short text at an edge may be furniture (never code, tables, lists, equations, images)."""
_BANDS = {BlockKind.PAGE_HEADER: "top", BlockKind.PAGE_FOOTER: "bottom"}
_HEADING, _INDEX, _PAGE_NUMBER = BlockKind.HEADING, BlockKind.INDEX, BlockKind.PAGE_NUMBER
"""Read once: an enum member is a slow attribute (`EnumType`'s `__getattr__` hook), ~10x a global."""

_SPACES = re.compile(r"\s+")
_ROMAN = r"(?=[ivxl])(?:xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
"""A roman numeral up to 89, as front matter and appendix pages use them (never a word like `mild`)."""
_NUMBERS = re.compile(rf"\d+|^{_ROMAN}(?!\w)|(?<!\w){_ROMAN}$")
"""Runs of digits, and a whole roman word at either end (the look-arounds refuse an empty match)."""
_NUMBER_ONLY = re.compile(r"(?:page|pg\.?|p\.)?\W*(?:[a-z]\W*)?#(?:\W|of)*")
"""A key that is only a page number: `#`, `- # -`, `#-#`, `a-#`, `page # of #`, `# / #`."""
_TOC_LINE = re.compile(rf"\S+\s+\S.*?[\s.·]+(?:\d{{1,4}}|{_ROMAN})", re.IGNORECASE)
"""A contents line: at least two words, then a page number (arabic or roman) after spaces or leaders."""


@dataclass(frozen=True)
class Triage:
    """The kept stream in order, each dropped block with its reason, and the drops counted per reason.

    `drops` has every reason of `REASONS`, in that order (0 where none). `as_text` counts blocks the
    parser typed as page furniture that are kept as TEXT (not repeated: a body line the tier mistook).
    """

    kept: list[Block]
    dropped: list[tuple[Block, str]]
    drops: dict[str, int]
    as_text: int


def has_content(block: Block) -> bool:
    """Anything to render: text, list entries, a table body, code, LaTeX, an image, captions or notes."""
    return bool(
        block.text.strip()
        or block.image_path
        or (block.html and block.html.strip())
        or (block.code and block.code.strip())
        or (block.latex and block.latex.strip())
        or any(item.strip() for item in block.items)
        or any(note.strip() for note in block.caption)
        or any(note.strip() for note in block.footnote)
    )


def _masked(text: str) -> tuple[str, tuple[int | None, ...]]:
    """The furniture key of `text` and the numbers it masked, in order (None for a roman numeral)."""
    numbers: list[int | None] = []

    def mask(match: re.Match[str]) -> str:
        numbers.append(int(match[0]) if match[0].isdigit() else None)
        return "#"

    return _NUMBERS.sub(mask, _SPACES.sub(" ", text.casefold()).strip()), tuple(numbers)


def furniture_key(text: str) -> str:
    """Text as furniture is compared: case-folded, whitespace collapsed, every number (arabic runs, a
    roman numeral at either end) as `#`: `Page 12 of 615` and `Page 13 of 615` are one key."""
    return _masked(text)[0]


def is_page_number(text: str) -> bool:
    """A bare page number, however decorated: `12`, `- 12 -`, `iv`, `4-17`, `A-3`, `Page 12 of 615`."""
    return bool(_NUMBER_ONLY.fullmatch(furniture_key(text)))


_Place = tuple[str, float | None]
"""A block's band (`top`, `bottom`) and vertical centre (None without a bbox)."""


def _place(block: Block) -> _Place | None:
    """(band, vertical centre) of a block that may be furniture; None for any other.

    Blocks the parser typed as furniture may sit anywhere (their centre decides the band; without a bbox
    the band comes from the kind and the place is any); other kinds only inside an edge band.
    """
    if block.kind not in _CANDIDATE_KINDS:
        return None
    if block.bbox is None:
        if block.kind in _FURNITURE_KINDS:
            return _BANDS.get(block.kind, "bottom"), None
        return None
    centre = (block.bbox[1] + block.bbox[3]) / 2
    if centre <= EDGE_BAND:
        return "top", centre
    if centre >= 1 - EDGE_BAND:
        return "bottom", centre
    if block.kind in _FURNITURE_KINDS:
        return ("top" if centre < 0.5 else "bottom"), centre
    return None


def _short(text: str) -> bool:
    return len(text) <= MAX_FURNITURE_CHARS and text.count("\n") < MAX_FURNITURE_LINES


class _Seen(NamedTuple):
    """One occurrence of a furniture key."""

    y: float | None  # vertical centre; None without a bbox (the parser's type put it at an edge)
    page: int
    position: int  # in the stream
    numbers: tuple[int | None, ...]


def _same_place(seen: list[_Seen]) -> list[list[_Seen]]:
    """Occurrences grouped by place: those without a bbox together, the rest chained by centres within
    `Y_TOLERANCE` of the next."""
    groups = [[o for o in seen if o.y is None]]
    last = None
    for occurrence in sorted((o for o in seen if o.y is not None), key=lambda o: o.y or 0.0):
        y = occurrence.y or 0.0
        if last is None or y - last > Y_TOLERANCE:
            groups.append([])
        groups[-1].append(occurrence)
        last = y
    return [group for group in groups if group]


def _continues(before: _Seen, after: _Seen) -> bool:
    """`after` can be the same running text as `before`: at most `REACH` pages on, and each of its numbers
    the same, moved by no more than the pages between (a page or chapter number), or restarted at 0/1.
    Line numbers of a listing (`380 ...` then `418 ...` on the next page) do not continue."""
    pages = after.page - before.page
    if pages > REACH:
        return False
    for old, new in zip(before.numbers, after.numbers, strict=True):
        if old is not None and new is not None and abs(new - old) > max(pages, 1) and new > 1:
            return False
    return True


def _runs(group: list[_Seen], min_pages: int) -> list[int]:
    """Stream positions of the occurrences in runs that continue over at least `min_pages` pages."""
    repeated: list[int] = []
    run: list[_Seen] = []
    for occurrence in [*sorted(group, key=lambda o: o.page), None]:
        if occurrence is None or (run and not _continues(run[-1], occurrence)):
            if len({o.page for o in run}) >= min_pages:
                repeated.extend(o.position for o in run)
            run = []
        if occurrence is not None:
            run.append(occurrence)
    return repeated


def _headings_once(
    group: list[_Seen],
    stream: Sequence[Block],
    titles: frozenset[Tokens],
    printed: Callable[[], Counter[str]],
) -> list[_Seen]:
    """The occurrences of a group less the headings among them: outline titles printed once in the whole
    document, so that texts alike but for their numbers are headings, not a running text (`Coming back to
    3D from 2D`, `... from 1D`: frame titles the tier typed as page headers). A section's title that
    Doxygen repeats as the running header of its pages (`5.8 area.cpp`, then `5.9 area.cpp` over the
    next section's), printed as its heading too, stays furniture, as a chapter title repeated as one.
    `printed()`: how often the document prints each text (`_normal`), counted once for all groups."""
    if not titles:
        return group
    counts = Counter(occurrence.numbers for occurrence in group)
    once = {
        occurrence.position
        for occurrence in group
        if counts[occurrence.numbers] == 1 and tokens(stream[occurrence.position].text) in titles
    }
    if not once:
        return group
    counted = printed()
    return [o for o in group if o.position not in once or counted[_normal(stream[o.position].text)] > 1]


def _normal(text: str) -> str:
    """The text with its whitespace collapsed, as a header and a heading printing it compare."""
    return " ".join(text.split())


def _running_furniture(
    stream: Sequence[Block], places: Sequence[_Place | None], titles: frozenset[Tokens]
) -> dict[int, str]:
    """Stream position -> reason, for every block repeated at the same place of many pages (`places`: each
    block's `_place`; `titles`: the outline's, as `tokens`)."""
    found: dict[tuple[str, str], list[_Seen]] = defaultdict(list)
    typed: set[tuple[str, str]] = set()
    masked: dict[str, tuple[str, tuple[int | None, ...]]] = {}  # furniture repeats: mask each text once
    for position, (block, place) in enumerate(zip(stream, places, strict=True)):
        if place is None:
            continue
        text = block.text.strip()
        if not text or not _short(text):
            continue
        if text not in masked:
            masked[text] = _masked(text)
        key, numbers = masked[text]
        found[place[0], key].append(_Seen(place[1], block.page_index, position, numbers))
        if block.kind in _FURNITURE_KINDS:
            typed.add((place[0], key))
    pages = stream[-1].page_index - stream[0].page_index + 1 if stream else 0
    printed = cache(lambda: Counter(_normal(block.text) for block in stream))  # only where a title is alone
    reasons: dict[int, str] = {}
    for (band, key), seen in found.items():
        if len(seen) < MIN_PAGES_TYPED:
            continue
        needed = MIN_PAGES_TYPED if (band, key) in typed else MIN_PAGES
        needed = max(MIN_PAGES_TYPED, min(needed, pages))  # a 2-page document repeats on 2 at most
        edge = "page_header" if band == "top" else "page_footer"
        reason = "page_number" if _NUMBER_ONLY.fullmatch(key) else edge
        for group in _same_place(seen):
            for position in _runs(_headings_once(group, stream, titles, printed), needed):
                reasons[position] = reason
    return reasons


def _lone_page_number(block: Block, place: _Place | None) -> bool:
    """A page number on its own: typed so by the parser, or a bare number alone at an edge (not a heading);
    `place` is the block's `_place`."""
    if block.kind is _HEADING or block.kind not in _CANDIDATE_KINDS:
        return False
    if block.kind is not _PAGE_NUMBER and (place is None or place[1] is None):
        return False
    return is_page_number(block.text)


def _contents_line(stream: Sequence[Block], at: int) -> bool:
    """A block MinerU left out of a table of contents: between two index blocks of its page, or beside one
    and reading as a contents line (`5 Miscellaneous commands 25`)."""
    block = stream[at]
    if block.kind is _INDEX:
        return False
    before = at > 0 and _is_index_on(stream[at - 1], block.page_index)
    after = at + 1 < len(stream) and _is_index_on(stream[at + 1], block.page_index)
    if before and after:
        return True
    if not (before or after) or block.kind is _HEADING:
        return False
    return bool(_TOC_LINE.fullmatch(" ".join(block.text.split())))


def _is_index_on(block: Block, page: int) -> bool:
    return block.kind is _INDEX and block.page_index == page


ENTRY_TAIL = re.compile(rf"(?:[\s.·…]+(?:\d{{1,4}}|{_ROMAN}))+\s*$", re.IGNORECASE)


def is_contents(block: Block, titles: frozenset[Tokens]) -> bool:
    """An index block that lists the outline's own titles (without outline titles to compare: any)."""
    if not titles:
        return True
    lines = [line for line in (block.items or block.text.splitlines()) if line.strip()]
    entries = [tokens(ENTRY_TAIL.sub("", line)) for line in lines]
    return bool(lines) and sum(entry in titles for entry in entries) >= CONTENTS_SHARE * len(lines)


def triage(stream: Sequence[Block], titles: frozenset[Tokens] = frozenset()) -> Triage:
    """Keep or drop each block of a whole document's stream (all batches, reading order).

    Dropped: `toc` (MinerU index blocks: internal tables of contents, and lines it left beside them),
    `empty` (nothing to render), `page_header` / `page_footer` (the same text, numbers aside, at the
    same place near the top or bottom edge of at least `MIN_PAGES` pages, each at most `REACH` pages
    from the previous; `MIN_PAGES_TYPED` when the parser typed it as furniture), `page_number` (such a
    repeated text that is only a number, a block typed page_number that reads as one, or a bare number
    alone at an edge). A block typed as page furniture but not repeated is kept, as TEXT. With the
    outline's `titles` (as `tokens`, with and without their numbers), only index blocks listing them are
    `toc`: a back-of-book index or a list of figures is kept as the content of its clause; and a title
    printed once in the document is no running text, though others at its place differ from it only in
    their numbers.
    """
    places = [_place(block) for block in stream]
    running = _running_furniture(stream, places, titles)
    contents = {at for at, block in enumerate(stream) if block.kind is _INDEX and is_contents(block, titles)}
    beside_index = {near for at in contents for near in (at - 1, at + 1)}
    kept: list[Block] = []
    dropped: list[tuple[Block, str]] = []
    as_text = 0
    for position, block in enumerate(stream):
        reason = running.get(position)  # only blocks with text, never an index block
        if reason is None:
            kind = block.kind
            if position in contents:
                reason = "toc"
            elif not has_content(block):
                reason = "empty"
            elif kind in _CANDIDATE_KINDS and _lone_page_number(block, places[position]):
                reason = "page_number"
            elif position in beside_index and _contents_line(stream, position):
                reason = "toc"
        if reason is not None:
            dropped.append((block, reason))
        elif block.kind in _FURNITURE_KINDS:
            kept.append(block.model_copy(update={"kind": BlockKind.TEXT}))
            as_text += 1
        else:
            kept.append(block)
    counts = dict.fromkeys(REASONS, 0)
    for _, reason in dropped:
        counts[reason] += 1
    return Triage(kept=kept, dropped=dropped, drops=counts, as_text=as_text)

"""The block stream of a whole document -> clause bodies, in one forward walk over the blocks.

Invariant: every block's content lands exactly once (front, one body or one heading; a block cut at a
heading buried inside it, in two); clauses open at most once, in outline order: a clause whose bookmark
has a position opens at the block its destination points at, one without at a heading matched to its
title on a plausible page.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from itertools import pairwise
from statistics import quantiles
from typing import NamedTuple

from platform_assets.domain.parse.blocks import NOISE_KINDS, BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, number_words, tokens

LOOKAHEAD = 12
"""Outline entries after the last matched one that a heading may match (missing headings are skipped)."""
PAGE_SLACK_BEFORE = 1
"""A HEADING block may sit one page before its bookmark (destinations that point past the title)."""
PAGE_SLACK_AFTER = 3
"""A heading may sit up to 3 pages after its bookmark; further on, the entry expires as unmatched."""
MAX_HEADING_CHARS = 200
MAX_SPLIT_BLOCKS = 3
"""A heading split over consecutive blocks (`Annex B` / `(informative)` / `Examples`) has at most 3."""
FUZZY_RATIO = 0.8
HEADING_REACH = 4
"""Blocks from a clause's anchor in which its printed heading (labels included) is looked for."""
LABEL_WORDS = 4
"""A block of at most 4 words at an anchor may be a label printed over the title (`Chapter 4`)."""
SAME_LINE = 0.02
"""Blocks whose tops lie within 0.02 of the nearest one below a destination are level with it; of
those, one under the destination's left edge is its column's (two columns side by side)."""
CALIBRATION_ABOVE = 0.03
CALIBRATION_BELOW = 0.12
"""A printed heading is looked for from 0.03 above its destination to 0.12 below (page heights)."""
MIN_CALIBRATION = 3
CALIBRATION_QUANTILES = 5
"""Headings found near their destinations before the document's offset is trusted."""
ANCHOR_MARGIN = 0.003
"""A shifted destination sits this far above its heading's top."""
STRADDLE = 0.01
"""A block whose top lies this far above an anchor started before it (the previous clause's text)."""
GUTTER = 0.02
"""A destination that a block of its page starts at most twice this right of, none at it, lies in a gutter,
left of its column's text; a block ending within this right of it, and starting more than this left, is
the column's before (its bbox reaching past where the next column's destinations are set)."""
ALIGNED = 0.005
"""A block starting this close to a destination's left edge starts at it."""
INDENT = 0.1
"""A block starting this far right of an anchor block's left edge, or less, is in its column."""
OUTDENT = 0.2
"""How far left of its page's text a heading set out into the margin may start."""
OUTDENTED_SHARE = 0.8
"""Headings, of those with a box, that must stand out in the margin for a document to set them so."""
RECLAIM_REACH = 3
"""Blocks above an anchor in which its clause's heading may be taken back (a heading, a preamble)."""
MAX_NUMBER_PARTS = 5
"""A printed section number has at most 5 parts (`A.1.2.3.4`)."""
ALIKE_WORDS = 3
"""A title this long may be found with other words (`_alike`); a shorter one would be found in list items."""
CUT_SHORT = 0.85
"""The share of its title's letters a heading cut short at a line break still prints (`_cut_short`)."""
REORDERED_WORDS = 4
"""A title this long may be printed with its words in another order (`_reordered`)."""
MISSING_WORDS = 2
"""Words a numbered heading may print that its bookmark's title lost."""
COLLAPSED_DESTINATIONS = 3
"""Entries without a position, never matched, that point at one page: their destinations collapsed onto
it, their headings are looked for wherever the outline's order allows."""
SIGNATURE_WORDS = 12
"""Words after a section number in which a function's signature names its unnumbered bookmark."""

_ROMAN = re.compile(r"[ivxlcdm]+")
_NUMBER_FIRST = re.compile(r"\s*(?:[A-Za-z][.\s]\s*)?\d")
"""Text that may start with a section number (`3.4.2`, `A.1`): the only text `_Outline.numbered` reads."""
_LABELS = frozenset({"annex", "appendix", "part", "chapter", "section", "clause", "file", "article"})
_SENTENCE_END = (".", ";", ":", "!", "?", ",")
_OPENING = "“‘\"'(["
"""Characters that may open a sentence before its capital."""
_CLOSING = "”’\"')\\]"
"""Characters that may close a title before the sentence after it."""
_TEXT_KINDS = frozenset({BlockKind.HEADING, BlockKind.TEXT})
_LINE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_CUTTABLE = _TEXT_KINDS | _LINE_KINDS
_NEVER = NOISE_KINDS | {BlockKind.INDEX}
_HEADING = BlockKind.HEADING
"""Read once: an enum member is a slow attribute (`EnumType`'s `__getattr__` hook), ~10x a global."""
_FURNITURE = frozenset({"header", "footer"})
"""MinerU's types for running headers and footers (`source_type`)."""


@dataclass(frozen=True)
class Segmentation:
    """Where each block of the stream went.

    A clause whose heading is the whole text of its block(s) lists them in `heading_of`; a heading
    found inside a block that carries more (a code line, a caption, a heading merged with the next
    one) opens the clause with `heading_of[id] == ()` and that block stays first in its body. A code
    block whose heading sits below other lines is cut there: the lines above stay where the walk
    was, the rest opens the clause. `assigned` and `dropped` count stream blocks, `split` the blocks
    cuts added (here, and before by the caller: `destination_cuts`, `glossary_rows`).
    `unmatched` clauses never opened (their text stays with the clause before); `mismatched` ones
    opened at their bookmark's destination, but no printed heading there matches their title.
    """

    front: tuple[Block, ...]
    bodies: dict[str, tuple[Block, ...]]
    heading_of: dict[str, tuple[Block, ...]]
    unmatched: tuple[str, ...]
    assigned: int
    dropped: int
    split: int
    mismatched: tuple[str, ...] = ()
    anchored: tuple[str, ...] = ()
    """Clauses opened at their bookmark's destination (the rest at a matched heading)."""
    paged: tuple[str, ...] = ()
    """Of those, clauses whose bookmark gives no position and whose heading was matched nowhere: they
    open at the first block of their bookmark's page."""
    located: tuple[str, ...] = ()
    """Of those, clauses whose bookmark gives no position, opened at the line of the text layer that prints
    their title (`title_lines`)."""
    repeated: tuple[str, ...] = ()
    """Clauses whose bookmark repeats an earlier one (`Clause.repeats`): never opened, no blocks."""
    anchor_offset: float = 0.0
    """The shift applied to every destination (see `anchor_offset`), in page heights."""


class _Target(NamedTuple):  # a tuple: built ~4x faster than a frozen dataclass, one per outline entry
    """An outline entry as the matcher sees it: whole-title words, number words, title words, and
    where its destination points (None: the bookmark has no position, its heading is matched)."""

    id: str
    page: int
    words: Tokens
    head: Tokens  # the number with its keyword (`annex b`, `17 4 2`), () when unnumbered
    rest: Tokens
    top: float | None = None
    left: float | None = None
    forms: frozenset[Tokens] = frozenset()
    """The words a printed heading may have: the title, without its number, with the printed number."""
    keys: frozenset[str] = frozenset()
    """`forms` as `_key`s, for an entry with a position (its heading is looked for at its anchor)."""


@dataclass(frozen=True)
class _Match:
    index: int  # outline position
    heading: int  # blocks consumed as a pure heading; 0 = embedded, the block stays in the body
    line: int = 0  # embedded on this code line; > 0 cuts the block before it


def _target(clause: Clause) -> _Target:
    title, printed_number, top = clause.title, clause.number, clause.top
    words = tokens(title)
    head = words[: number_words(title)] if clause.numbered else ()
    rest = words[len(head) :]
    printed = tokens(printed_number.removeprefix("Part-")) + rest if printed_number else ()
    forms = frozenset(filter(None, (words, rest, printed)))  # those not empty
    keys = frozenset(_key(form) for form in forms) if top is not None else frozenset()
    return _Target(clause.id, clause.page_index, words, head, rest, top, clause.left, forms, keys)


def destination_offset(
    stream: Sequence[Block], clauses: Sequence[Clause], located: frozenset[str] = frozenset()
) -> float:
    """The document's `anchor_offset` over `stream`, as `segment` calibrates it (not on the positions
    `located` in the text layer)."""
    keys = [_target(clause).keys if clause.top is not None else frozenset() for clause in clauses]
    return _offset(stream, _HeadingWords(stream), clauses, keys, located)


def shifted_destinations(
    clauses: Sequence[Clause], offset: float, located: frozenset[str] = frozenset()
) -> list[Clause]:
    """The clauses with their destinations shifted by the document's `offset` (`destination_offset`), as
    `segment` uses them (those `located` in the text layer stay where their line is)."""
    return _all_shifted(clauses, offset, located)


def _offset(
    stream: Sequence[Block],
    heads: Sequence[Tokens | None],
    clauses: Sequence[Clause],
    keys: Sequence[frozenset[str]],
    located: frozenset[str],
) -> float:
    """`anchor_offset` calibrated on the bookmarks' own destinations (not the positions `located`)."""
    if located:
        own = [index for index, clause in enumerate(clauses) if clause.id not in located]
        clauses, keys = [clauses[index] for index in own], [keys[index] for index in own]
    return anchor_offset(stream, heads, clauses, keys)


def _all_shifted(clauses: Sequence[Clause], offset: float, located: frozenset[str]) -> list[Clause]:
    if not offset:
        return list(clauses)
    return [clause if clause.id in located else _shifted(clause, offset) for clause in clauses]


def _key(words: Tokens) -> str:
    """Words run together, a space only between two numbers: blind to words broken over lines."""
    if not words:
        return ""
    parts = [words[0]]
    for before, word in pairwise(words):
        parts.append(f" {word}" if word.isdigit() and before.isdigit() else word)
    return "".join(parts)


def _sentence_like(text: str) -> bool:
    return text.count("\n") > 1 or (text.endswith(_SENTENCE_END) and text.count(" ") >= 3)


def _own_words(block: Block, at: int, heads: Sequence[Tokens | None]) -> Tokens | None:
    """Words of a block whose whole text could be a heading (its `heads[at]`); None for sentence-like
    text that is not typed as a heading."""
    if block.kind not in _TEXT_KINDS or (block.kind != _HEADING and _sentence_like(block.text.strip())):
        return None
    return heads[at]


def _heading_words(block: Block) -> Tokens | None:
    """Words of a text block short enough to be a printed heading (at an anchor, a question is one too)."""
    if block.kind not in _TEXT_KINDS:
        return None
    text = block.text.strip()
    return (tokens(text) or None) if text and len(text) <= MAX_HEADING_CHARS else None


class _HeadingWords(Sequence[Tokens | None]):
    """Each block's `_heading_words`, computed when first looked at: most paragraphs never are."""

    def __init__(self, stream: Sequence[Block]) -> None:
        self._stream = stream
        self._known: dict[int, Tokens | None] = {}

    def __len__(self) -> int:
        return len(self._stream)

    def __getitem__(self, at: int) -> Tokens | None:  # type: ignore[override]  # no slices
        if at < 0:
            at += len(self._stream)
        if at not in self._known:
            self._known[at] = _heading_words(self._stream[at])
        return self._known[at]


def _code_lines(block: Block) -> list[str]:
    """The listing of a code block, each line with its line break; [] for other kinds."""
    return (block.code or block.text).splitlines(keepends=True) if block.kind in _LINE_KINDS else []


def _embedded_lines(block: Block) -> Iterator[tuple[int, str]]:
    """(code line number, line) of a listing, then (0, line) of captions: where MinerU buries headings."""
    if block.kind in _NEVER:
        return
    lines = list(enumerate(_code_lines(block)))
    lines += [(0, line) for caption in block.caption for line in caption.splitlines()]
    for number, line in lines:
        line = line.strip()
        if line[:1].isalnum() and len(line) <= MAX_HEADING_CHARS and not _sentence_like(line):
            yield number, line


def _cut(block: Block, line: int) -> tuple[Block | None, Block]:
    """A code block cut before `line`: the listing above (None when blank) and the rest.

    The rest keeps the captions and footnotes: the lines above a buried heading are the tail of a
    listing whose caption came with its start, while the heading opens what MinerU merged after it.
    """
    lines = _code_lines(block)
    above, rest = "".join(lines[:line]), "".join(lines[line:])
    if not above.strip():
        return None, block

    def piece(text: str, **notes: list[str]) -> Block:
        return block.model_copy(update={"text": text, **({"code": text} if block.code else {}), **notes})

    return piece(above, caption=[], footnote=[]), piece(rest)


def _toc_tail(words: Tokens) -> bool:
    """Only page numbers (arabic or roman) left: a contents line such as `1 Scope 1`."""
    return all(word.isdigit() or _ROMAN.fullmatch(word) for word in words)


def _extends(words: Tokens, title: Tokens) -> bool:
    """`words` is the title followed by more words that are not just a page number."""
    return len(words) > len(title) and words[: len(title)] == title and not _toc_tail(words[len(title) :])


def _with_missing(title: Tokens, words: Tokens) -> bool:
    """`words` are the title's words in order, with up to `MISSING_WORDS` more among them (a macro name
    that the bookmark lost: `4.1 The macro` for `4.1 The \\newwallpaper macro`)."""
    more = iter(words)
    return bool(title) and len(words) - len(title) <= MISSING_WORDS and all(word in more for word in title)


def _similar(words: Tokens, title: Tokens) -> bool:
    """Same number of words and nearly the same letters (an OCR slip such as `widgct`)."""
    return len(words) == len(title) and _same_letters(words, title)


def _alike(words: Tokens, title: Tokens) -> bool:
    """Nearly the same letters, however many words, for a title of `ALIKE_WORDS` words or more: `1.4.
    Packages needed to run pdfscreen` prints the bookmark `Packages needed to run section1pdfscreen` (a
    macro hyperref spelt into it)."""
    return len(title) >= ALIKE_WORDS and _same_letters(words, title)


def _reordered(words: Tokens, title: Tokens) -> bool:
    """The title's words, `REORDERED_WORDS` at least, in another order after an optional section number:
    texinfo's `@uref{url, text}` puts `url,text` in the bookmark and prints `text (url)`. In the same order
    they are the title itself, which the other matchers take with only the numbers they allow."""
    rest = words[_section_number(words) :]
    return len(title) >= REORDERED_WORDS and rest != title and sorted(rest) == sorted(title)


def _reordered_heading(words: Sequence[Tokens | None], at: int, title: Tokens) -> int:
    """Blocks from `at` (1 to `MAX_SPLIT_BLOCKS`) whose words together print `title` reordered
    (`_reordered`: the url of a texinfo `@uref` may be a block of its own); 0 if none do. `words`: each
    block's heading words or own words."""
    joined: Tokens = ()
    for extra in range(MAX_SPLIT_BLOCKS):
        own = words[at + extra] if at + extra < len(words) else None
        if own is None:
            return 0
        joined += own
        if _reordered(joined, title):
            return extra + 1
    return 0


def _same_letters(words: Tokens, title: Tokens) -> bool:
    """The words joined read as the title joined, `FUZZY_RATIO` alike at least."""
    return SequenceMatcher(None, " ".join(words), " ".join(title)).ratio() >= FUZZY_RATIO


def _windows(targets: Sequence[_Target]) -> list[int]:
    """Per entry, the last page its heading may sit on: `PAGE_SLACK_AFTER` pages after its own, or, for
    an entry without a position, the page of the next entry with one if that is further (its heading
    comes before that anchor: a run of bookmarks whose destinations were wrong, planned at the page before
    them, finds its headings on the pages up to the next right one)."""
    until = [target.page + PAGE_SLACK_AFTER for target in targets]
    anchor_page: int | None = None
    for index in range(len(targets) - 1, -1, -1):
        target = targets[index]
        if target.top is not None:
            anchor_page = target.page
        elif anchor_page is not None:
            until[index] = max(until[index], anchor_page)
    return until


class _Outline:
    """The outline entries with the indexes the walk needs, built once."""

    def __init__(self, targets: Sequence[_Target], anchors: Sequence[int | None]) -> None:
        """`targets` in outline order; an entry whose anchor could not be placed is matched by title."""
        self.targets = [
            target if at is not None or target.top is None else target._replace(top=None)
            for target, at in zip(targets, anchors, strict=True)
        ]
        self.until = _windows(self.targets)
        """Per entry, the last page its heading may sit on."""
        self.by_words: dict[Tokens, list[int]] = {}
        self.plain = any(target.top is None for target in self.targets)
        """Some entries have no position: the walk matches headings."""
        self.unnumbered = any(target.top is None and not target.head for target in self.targets)
        """Some of those have no number: a heading may print one they lack (`numbered`)."""
        for index, target in enumerate(self.targets):
            if target.words and target.top is None:  # anchored entries open at their anchor
                self.by_words.setdefault(target.words, []).append(index)
        self.titles = sorted(self.by_words)

    def begins_title(self, words: Tokens) -> bool:
        """Whether `words` begin a longer title (a heading split over blocks goes on in the next one).

        Titles that extend `words` sort right after it, before any other title greater than it.
        """
        after = bisect_right(self.titles, words)
        return after < len(self.titles) and self.titles[after][: len(words)] == words

    def expire(self, cursor: int, page: int) -> int:
        """Skip matched entries whose page window has passed: their heading can no longer come."""
        while cursor < len(self.targets) and self.targets[cursor].top is None and self.until[cursor] < page:
            cursor += 1
        return cursor

    def plausible(self, index: int, page: int, before: int) -> bool:
        return self.targets[index].page - before <= page <= self.until[index]

    def find(self, words: Tokens, page: int, cursor: int, before: int) -> int | None:
        """First entry in the lookahead window whose whole title is `words`, on a plausible page."""
        candidates = self.by_words.get(words)
        if not candidates:
            return None
        for index in candidates[bisect_left(candidates, cursor) :]:
            if index >= cursor + LOOKAHEAD:
                return None
            if self.plausible(index, page, before):
                return index
        return None

    def strong(
        self, stream: Sequence[Block], words: list[Tokens | None], at: int, cursor: int
    ) -> _Match | None:
        """Whole text of one block, or of up to 3 consecutive blocks, equals an entry's title."""
        own = words[at]
        if own is None:
            return None
        page = stream[at].page_index
        before = PAGE_SLACK_BEFORE if stream[at].kind == _HEADING else 0
        best: _Match | None = None
        if (index := self.find(own, page, cursor, before)) is not None:
            best = _Match(index, 1)
        joined = own
        for extra in range(1, MAX_SPLIT_BLOCKS):
            following = words[at + extra] if at + extra < len(stream) else None
            if following is None or not self.begins_title(joined):
                break
            joined += following
            index = self.find(joined, page, cursor, before)
            if index is not None and (best is None or index < best.index):
                best = _Match(index, extra + 1)
        return best

    def embedded(self, block: Block, cursor: int) -> _Match | None:
        """A code or caption line equal to an entry's title: the block (from that code line) opens it."""
        for number, line in _embedded_lines(block):
            index = self.find(tokens(line), block.page_index, cursor, 0)
            if index is not None:
                return _Match(index, 0, number)
        return None

    def buried(self, block: Block, index: int) -> _Match | None:
        """A code or caption line that prints entry `index`'s title inside a larger block."""
        for number, line in _embedded_lines(block):
            if tokens(line) in self.targets[index].forms:
                return _Match(index, 0, number)
        return None

    def weak(self, words: Tokens, page: int, cursor: int) -> _Match | None:
        """HEADING blocks only: the number alone, the title with an OCR slip, or a merged heading."""
        for index in range(cursor, min(len(self.targets), cursor + LOOKAHEAD)):
            target = self.targets[index]
            if (
                target.top is not None
                or not target.words
                or not self.plausible(index, page, PAGE_SLACK_BEFORE)
            ):
                continue
            if not target.head:
                unnumbered = words[next((i for i, w in enumerate(words) if not w.isdigit()), len(words)) :]
                if unnumbered == target.rest and unnumbered != words:  # `3.4.1.1 sprof` for `sprof`
                    return _Match(index, 1)
                if words[1:] == target.rest and words[0].isalpha() and _section_number(target.rest) >= 2:
                    return _Match(index, 1)  # a label before a title that is a version (`Version 1.5.2a ...`)
                if _extends(words, target.rest):
                    return _Match(index, 0)
                continue
            head = target.head
            deep = len(head) >= 2  # `7.1`, `A.1`, `Annex B`; a lone `7` is too weak alone
            skip = next((skip for skip in (0, 1) if words[skip : skip + len(head)] == head), None)
            if skip is None or (skip and not (deep and words[0].isalpha())):
                continue  # one word may come first: a label before a number of two parts (`Version 1.5.1`)
            rest = words[skip + len(head) :]
            if rest == target.rest and (rest or deep):
                return _Match(index, 1)
            if rest and rest[0].isdigit():
                continue  # a deeper number: `7.1.3 ...` is not clause 7.1
            if not rest:
                if deep:
                    return _Match(index, 1)
                continue
            if _extends(rest, target.rest):
                return _Match(index, 0)
            if _similar(rest, target.rest) or (deep and _with_missing(target.rest, rest)):
                return _Match(index, 1)
        return None

    def reordered(self, words: Sequence[Tokens | None], at: int, page: int, cursor: int) -> _Match | None:
        """A heading (with the blocks it runs on into) that prints an entry's title words in another order."""
        for index in range(cursor, min(len(self.targets), cursor + LOOKAHEAD)):
            target = self.targets[index]
            if (
                target.top is None
                and self.plausible(index, page, PAGE_SLACK_BEFORE)
                and (spanned := _reordered_heading(words, at, target.words))
            ):
                return _Match(index, spanned)
        return None

    def match(
        self,
        stream: Sequence[Block],
        words: list[Tokens | None],
        heads: Sequence[Tokens | None],
        at: int,
        cursor: int,
    ) -> _Match | None:
        block = stream[at]
        if cursor >= len(self.targets) or self.targets[cursor].page - PAGE_SLACK_BEFORE > block.page_index:
            return None
        own = words[at]
        found = self.strong(stream, words, at, cursor) if own is not None else None
        if (
            found is not None
            and block.kind is not _HEADING
            and block.source_type not in _FURNITURE
            and self.headed_below(stream, heads, at, found.index)
        ):
            return None
        if found is None and own is not None and _section_number(own) == len(own):
            found = self.beside_number(stream, words, at, cursor)
        if found is None and (block.caption or block.kind in _LINE_KINDS):
            found = self.embedded(block, cursor)
        if found is None and own is not None and block.kind == _HEADING:
            found = self.weak(own, block.page_index, cursor) or self.reordered(
                words, at, block.page_index, cursor
            )
        if found is None and self.unnumbered and block.kind in _TEXT_KINDS:
            found = self.numbered(block, heads, at, cursor)
        return found

    def beside_number(
        self, stream: Sequence[Block], words: list[Tokens | None], at: int, cursor: int
    ) -> _Match | None:
        """Block `at` prints only an entry's number and the next block, level with it on its right, a
        title worded otherwise than the bookmark's that holds most of its words: both are the heading
        (`9` | `Using xwatermark with geometry package` for `9 xwatermark and geometry package`; `8` |
        `The \\fancypagenos macro` for `8 The macro`, a macro name hyperref left out)."""
        title = words[at + 1] if at + 1 < len(stream) else None
        if title is None or not _level(stream[at], stream[at + 1]):
            return None
        number, page = words[at], stream[at].page_index
        for index in range(cursor, min(len(self.targets), cursor + LOOKAHEAD)):
            target = self.targets[index]
            if (
                target.top is None
                and target.head == number
                and self.plausible(index, page, 0)
                and _mostly_in(target.rest, title)
            ):
                return _Match(index, 2)
        return None

    def headed_below(
        self, stream: Sequence[Block], heads: Sequence[Tokens | None], at: int, index: int
    ) -> bool:
        """Whether a block below `at` on its page prints entry `index`'s heading as one: typed as a heading,
        or after a section number (a table cell `mp_stream` above the heading `3.1.4 mp_stream`). Not asked
        of a running header the tier typed as one (kept as text): on the clause's first page, it opens it."""
        target, page = self.targets[index], stream[at].page_index
        for below in range(at + 1, len(stream)):
            if stream[below].page_index != page:
                return False
            own = heads[below]
            if own and (
                (stream[below].kind is _HEADING and own in target.forms) or _numbered(own, target.words)
            ):
                return True
        return False

    def numbered(self, block: Block, heads: Sequence[Tokens | None], at: int, cursor: int) -> _Match | None:
        """A text block (stream index `at`) that starts with a section number its unnumbered bookmark
        lacks: the title alone (`3.3.1 mp_filetype`), or nearly (`_alike`), is the heading of a short
        one; a signature that names it, within `SIGNATURE_WORDS` after a number of two parts at least
        (`3.4.3 MP mp_initialize(MP_options *opt)` for `mp_initialize`, a title of two words at least,
        the description merged after it or not, however long), opens it and stays in its body."""
        if not _NUMBER_FIRST.match(block.text):
            return None
        whole = heads[at]  # None for a block too long to be a heading alone
        words = whole or tokens(block.text[:MAX_HEADING_CHARS])
        page = block.page_index
        number = _section_number(words)
        if not number:
            return None
        rest = words[number:]
        signature = rest[:SIGNATURE_WORDS]
        for index in range(cursor, min(len(self.targets), cursor + LOOKAHEAD)):
            target = self.targets[index]
            if target.top is not None or target.head or not self.plausible(index, page, 0):
                continue
            if whole is not None and (_numbered(whole, target.words) or _alike(rest, target.words)):
                return _Match(index, 1)
            if number >= 2 and len(target.words) >= 2 and _contains(signature, target.words):
                return _Match(index, 0)
        return None


def printed_heading(heads: Sequence[Tokens | None], at: int, forms: frozenset[str]) -> int:
    """Blocks from `at` (1-3) that together print a heading whose `_key` is in `forms`; 0 if none.

    A label word opening a block (`Chapter`, `Part`, `Annex`, `File` ...) may be set aside, so
    `Chapter 1` over `Introduction` prints `1 Introduction`; the title may be printed with or without
    its number, and a word broken over two blocks (`environ-` / `ments`) is one word. `heads` holds
    each block's `_heading_words`.
    """
    raw: Tokens = ()
    bare: Tokens = ()
    room = max(map(len, forms), default=0)  # a key is at least as long as its words together
    for extra in range(MAX_SPLIT_BLOCKS):
        own = heads[at + extra] if at + extra < len(heads) else None
        if own is None:
            return 0
        room -= sum(map(len, own[1:] if own[0] in _LABELS else own))
        if room < 0:
            return 0
        raw += own
        bare += own[1:] if own[0] in _LABELS else own
        keys = {_key(raw), _key(bare)} if bare != raw else {_key(raw)}
        if keys & forms:
            return extra + 1
        if not any(form.startswith(key) for form in forms for key in keys):
            return 0
    return 0


def anchor_offset(
    stream: Sequence[Block],
    heads: Sequence[Tokens | None],
    clauses: Sequence[Clause],
    forms: Sequence[frozenset[str]],
) -> float:
    """How far below its destination a printed heading's top lies in this document (the lowest fifth of
    the distances found, so a shifted destination stays above nearly every heading; negative: the
    destination is inside the heading, on its baseline). 0 with fewer than `MIN_CALIBRATION` found.

    Generators differ: hyperref puts the destination a few points above the heading, DocBook's a line
    above it, others on the baseline. Shifting every destination by the document's own offset puts
    each just above its heading, where the assignment rule wants it.
    """
    positioned = [pair for pair in zip(clauses, forms, strict=True) if pair[0].top is not None]
    if len(positioned) < MIN_CALIBRATION:
        return 0.0
    pages = [block.page_index for block in stream]
    offsets = []
    for clause, keys in positioned:
        nearest: float | None = None
        for at in range(bisect_left(pages, clause.page_index), bisect_right(pages, clause.page_index)):
            box = stream[at].bbox
            if box is None or not -CALIBRATION_ABOVE <= box[1] - clause.top <= CALIBRATION_BELOW:
                continue
            if printed_heading(heads, at, keys) and (
                nearest is None or abs(box[1] - clause.top) < abs(nearest)
            ):
                nearest = box[1] - clause.top
        if nearest is not None:
            offsets.append(nearest)
    if len(offsets) < MIN_CALIBRATION:
        return 0.0
    return quantiles(offsets, n=CALIBRATION_QUANTILES)[0] - ANCHOR_MARGIN


def _label(words: Tokens | None) -> bool:
    return words is not None and len(words) <= LABEL_WORDS


def anchor_blocks(
    stream: Sequence[Block], clauses: Sequence[Clause], heads: Sequence[Tokens | None] | None = None
) -> list[int | None]:
    """Per clause, the stream index where its destination points (None: its heading is to be matched).

    That is the first block, in reading order, on the destination page whose bottom edge lies below
    the anchor and that is not in another column: the nearest that prints the clause's heading (or
    begins with it) up to `CALIBRATION_BELOW` below, and above the page's next destination where that
    one's title prints alike (a block from there on is the next clause's: `E__`, then `e_`), else the nearest,
    of blocks level with each other one under its left edge (a destination's left edge may be the text
    area's, not its column's, and an index's letters sit well below theirs). With none such, the first
    block of a later page (the end of the stream when none follows). None for a bookmark without a
    position, and where the destination page's blocks carry no bbox to compare it with. `heads`: each
    block's `_heading_words`. Anchors then move to printed headings (`_loose_anchors`) and back into
    reading order (`_anchors_in_reading_order`).
    """
    if all(clause.top is None for clause in clauses):
        return [None] * len(clauses)
    heads = _HeadingWords(stream) if heads is None else heads
    pages = [block.page_index for block in stream]
    targets = [_target(clause) for clause in clauses]
    tops: dict[int, list[tuple[float, frozenset[str]]]] = {}  # page -> its destinations' tops and keys
    for clause, target in zip(clauses, targets, strict=True):
        if clause.top is not None:
            tops.setdefault(clause.page_index, []).append((clause.top, target.keys))
    for page_tops in tops.values():
        page_tops.sort(key=lambda spot: spot[0])
    found: list[int | None] = []
    printed: list[bool] = []  # the heading was found near the destination
    for clause, target in zip(clauses, targets, strict=True):
        printed.append(False)
        if clause.top is None:
            found.append(None)
            continue
        on_page = range(bisect_left(pages, clause.page_index), bisect_right(pages, clause.page_index))
        if on_page and all(stream[at].bbox is None for at in on_page):
            found.append(None)
            continue
        candidates, tails, figures = [], [], []
        left, gutter = clause.left, _in_gutter(stream, on_page, clause.left)
        line = _line_ended(stream, on_page, clause.top, left)
        for at in on_page:
            box = stream[at].bbox
            if box is None or box[3] <= clause.top:
                continue
            if (
                left is not None
                and (box[2] < left - STRADDLE or (gutter and _beside(box, left)))
                and not (line is not None and box[0] < line[2] and line[0] < box[2])
            ):
                continue  # in a column left of the destination
            distance = max(box[1] - clause.top, 0.0)
            if _ends_above(box, clause.top):
                tails.append((distance, at))
            elif stream[at].kind not in _CUTTABLE and _mostly_above(box, clause.top):
                figures.append((distance, at))
            else:
                candidates.append((distance, at))
        page_tops = tops[clause.page_index]
        after = bisect_right(page_tops, clause.top, key=lambda spot: spot[0])
        limit = (  # from the next destination on, a heading alike is the next clause's
            page_tops[after][0] - STRADDLE
            if after < len(page_tops) and page_tops[after][1] == target.keys
            else 1.0
        )
        printing = _printing(
            stream,
            heads,
            [pair for pair in candidates + tails if stream[pair[1]].bbox[1] < limit],  # type: ignore[index]
            target,
            clause.title,
        )
        if printing is not None:
            found.append(printing)
            printed[-1] = True
            continue
        candidates = candidates or figures  # a figure is the clause before's, unless nothing follows it
        if not candidates:
            found.append(bisect_right(pages, clause.page_index))
            continue
        nearest = min(distance for distance, _ in candidates)
        level = [at for distance, at in candidates if distance <= nearest + SAME_LINE]
        beside = [at for at in level if _under(stream[at].bbox, left, gutter)]  # type: ignore[arg-type]
        found.append((beside or level)[0])
    loose = _loose_anchors(stream, clauses, heads, found, printed)
    return _anchors_in_reading_order(stream, pages, clauses, loose)


def _loose_anchors(
    stream: Sequence[Block],
    clauses: Sequence[Clause],
    heads: Sequence[Tokens | None],
    found: list[int | None],
    printed: list[bool],
) -> list[int | None]:
    """Anchors moved down to their printed headings where no heading is printed near the destination.

    Some destinations are not their heading's: one shared with the next or previous bookmark (hyperref's
    last anchor taken again by an entry without its own: `List of Figures` at the last section's
    heading, `Bibliography` at the `Index`'s; texinfo's sections of one page all at its top), one at the
    top of a page whose section starts mid-page. There the clause's printed heading (with a number its
    bookmark lacks, `1.2.2`) is looked for from its anchor on, before the next distinct destination's
    anchor and at most `PAGE_SLACK_AFTER` pages on: any short text for a shared destination (its
    bookmarks would all open at one block), a block typed as a heading otherwise, or a paragraph that
    the heading opens before a sentence (the tier ran it into its paragraph: `_title_end`), unless opening
    the clause at its anchor finds it. Found, the clause opens there; not, it stays at its anchor. Anchors
    stay in outline order: one left behind a moved anchor moves with it.
    """
    spots = [(c.page_index, c.top, c.left) if c.top is not None else None for c in clauses]
    moved = -1  # the furthest anchor moved so far
    for index, (clause, spot) in enumerate(zip(clauses, spots, strict=True)):
        at = found[index]
        if at is None:
            continue
        if at < moved:
            found[index] = at = moved
        if printed[index] or at >= len(stream):
            continue
        target = _target(clause)
        if not any(word.isalpha() for word in target.words):
            continue  # a title of numbers alone (`2.1`, a version) is printed everywhere in its text
        shared = (index > 0 and spots[index - 1] == spot) or (
            index + 1 < len(spots) and spots[index + 1] == spot
        )
        if not shared and _heading_near(stream, heads, at, at + HEADING_REACH, target) is not None:
            continue  # opening the clause at its anchor finds it (labels such as `Chapter 12` above it)
        bound = next((found[j] for j in range(index + 1, len(spots)) if spots[j] != spot), None)
        for probe in range(at, len(stream) if bound is None else bound):
            if stream[probe].page_index > clause.page_index + PAGE_SLACK_AFTER:
                break
            own, block = heads[probe], stream[probe]
            if (
                own is not None
                and (shared or block.kind is _HEADING)
                and (
                    printed_heading(heads, probe, target.keys)
                    or _numbered(own, target.words)
                    or _reordered_heading(heads, probe, target.words)
                )
            ) or (block.kind in _TEXT_KINDS and _title_end(block.text, target) is not None):
                found[index] = moved = probe
                break
    return found


def _anchors_in_reading_order(
    stream: Sequence[Block], pages: list[int], clauses: Sequence[Clause], found: list[int | None]
) -> list[int | None]:
    """An anchor the tier read after a later entry's anchor moves back to the first block of its page, in
    reading order, that lies below its destination, under its left edge, and before that anchor. The nearest
    block below a chapter's destination may be a label set beside its title (`CHAPTER 32` right of
    `Installing Maxima`) that the tier read after the next section's heading; there the walk would pass
    the chapter's anchor and never open it. Where no such block exists the anchor stays. `pages`: each
    block's page index."""
    later = len(stream)  # the first anchor of the entries after
    for index in range(len(clauses) - 1, -1, -1):
        at, clause = found[index], clauses[index]
        if at is None or clause.top is None:
            continue
        if at > later:
            first = bisect_left(pages, clause.page_index)
            gutter = _in_gutter(stream, range(first, bisect_right(pages, clause.page_index)), clause.left)
            for probe in range(first, later):
                box = stream[probe].bbox
                if stream[probe].page_index != clause.page_index:
                    break
                if box is not None and box[3] > clause.top and _under(box, clause.left, gutter):
                    found[index] = at = probe
                    break
        later = min(later, at)
    return found


def _heading_near(
    stream: Sequence[Block], heads: Sequence[Tokens | None], at: int, end: int, target: _Target
) -> tuple[int, int] | None:
    """(block, blocks it spans) of the clause's printed heading among blocks `at`..`end` (excluded) not
    past the page after its own: where opening the clause at anchor `at` finds it; None if none does."""
    for probe in range(at, min(len(stream), end)):
        if stream[probe].page_index > target.page + 1:
            return None
        if heading := (
            printed_heading(heads, probe, target.keys)
            or _numbered_heading(heads, probe, target)
            or _reordered_heading(heads, probe, target.words)
            or (stream[probe].kind is _HEADING and _cut_short(heads[probe], target))
        ):
            return probe, heading
    return None


def _cut_short(own: Tokens | None, target: _Target) -> int:
    """1 if a heading block prints the start of a form of the title (with its number or without), short
    of its end but `CUT_SHORT` of its letters at least: the rest of a title broken over lines the tier put
    into a neighbour block (`5.4 Configure Shells for auto-completion of Why3 command argu-`, `ments` in
    the paragraph above)."""
    if not own:
        return 0
    key = _key(own)
    return int(
        any(form.startswith(key) and CUT_SHORT * len(form) <= len(key) < len(form) for form in target.keys)
    )


def _numbered_heading(heads: Sequence[Tokens | None], at: int, target: _Target) -> int:
    """1 if block `at` prints the title after a number its bookmark lacks, else 0."""
    own = heads[at]
    return int(own is not None and target.top is not None and _numbered(own, target.words))


def _section_number(words: Tokens) -> int:
    """How many of the first words print a section number (`3 4 2`, `a 1`, at most `MAX_NUMBER_PARTS`
    parts), 0 when none."""
    start = int(len(words) > 1 and len(words[0]) == 1 and words[0].isalpha())
    parts = next((at for at in range(start, len(words)) if not words[at].isdigit()), len(words)) - start
    return start + parts if 0 < parts <= MAX_NUMBER_PARTS else 0


def _level(block: Block, beside: Block) -> bool:
    """`beside` starts to the right of `block` on the same line of the same page."""
    box, other = block.bbox, beside.bbox
    return (
        box is not None
        and other is not None
        and block.page_index == beside.page_index
        and other[0] >= box[2] - SAME_LINE
        and other[1] < box[3]
        and box[1] < other[3]
    )


def _mostly_in(title: Tokens, words: Tokens) -> bool:
    """More than half of the title's distinct words are among `words`."""
    own = set(title)
    return bool(own) and 2 * len(own & set(words)) > len(own)


def _contains(words: Tokens, part: Tokens) -> bool:
    return any(words[at : at + len(part)] == part for at in range(len(words) - len(part) + 1))


def _numbered(words: Tokens, title: Tokens) -> bool:
    """`words` print `title` after a section number (`1.2.2`, `A.1`) that the bookmark lacks (a title
    of numbers alone is no title to find after one)."""
    number = words[: len(words) - len(title)]
    return (
        0 < len(number) <= MAX_NUMBER_PARTS
        and any(word.isalpha() for word in title)
        and words[len(number) :] == title
        and all(part.isdigit() for part in number[number[0].isalpha() and len(number[0]) == 1 :])
    )


def _printing(
    stream: Sequence[Block],
    heads: Sequence[Tokens | None],
    candidates: list[tuple[float, int]],
    target: _Target,
    title: str,
) -> int | None:
    """Of the candidates up to `CALIBRATION_BELOW` below the destination, the nearest that prints the
    clause's heading, or prints it on a first line of its own (a text-layer piece cut at the destination,
    `U` over its index names, nearer than the big initial set beside them), else the nearest whose words
    begin with it (`K \\keys_define:nn ...` in an index); a title without words (`\\&`, an index's `@`:
    every block would begin with it) only in a block that prints it alone; None when none does."""
    near = sorted(pair for pair in candidates if pair[0] <= CALIBRATION_BELOW)
    for _, at in near:
        if printed_heading(heads, at, target.keys) or _title_line_end(stream[at], target) is not None:
            return at
    if not target.words:
        alone = title.strip()
        return next((at for _, at in near if alone and stream[at].text.strip() == alone), None)
    for _, at in near:
        own = heads[at]
        if own and _extends(own, target.words):
            return at
    return None


def _line_ended(
    stream: Sequence[Block], on_page: Iterable[int], top: float, left: float | None
) -> BBox | None:
    """The box of a text block whose last line the destination ends (it starts above the destination,
    ends less than `STRADDLE` below it and spans its left edge: a mark set after the paragraph's last
    word, glossaries' `\\glsresetall` at the right of `... multiple glossaries using:`), None if none: the
    blocks below it in its column follow it, whether or not they reach the destination's left edge."""
    if left is None:
        return None
    for at in on_page:
        box = stream[at].bbox
        if (
            box is not None
            and stream[at].kind in _TEXT_KINDS
            and _ends_above(box, top)
            and box[0] < left < box[2]
        ):
            return box
    return None


def _ends_above(box: BBox, top: float) -> bool:
    """The box starts above `top` and ends less than `STRADDLE` below it: its last line lies above (a
    loose bbox, or descenders), the destination points at what follows (unless the box prints the
    clause's heading)."""
    return box[1] < top < box[3] < top + STRADDLE


def _mostly_above(box: BBox, top: float) -> bool:
    """The box starts above `top` and holds more of its height above it than below: a figure or table,
    which cannot be cut, that the clause before holds where a block follows on the page (tkz-euclide
    p104: the next heading set beside the figure's last lines, read into it)."""
    return box[1] < top and top - box[1] > box[3] - top


def _straddles(block: Block, target: _Target) -> bool:
    """The block starts above the anchor on the anchor's page: it began before the clause did."""
    return (
        target.top is not None
        and block.bbox is not None
        and block.page_index == target.page
        and block.bbox[1] < target.top - STRADDLE
    )


def words_pattern(words: Tokens) -> str:
    """A regex of the words as text prints them: anything but letters and digits between them (spaces,
    punctuation, an underscore: `tokens` splits at all of those)."""
    return r"[\W_]*".join(re.escape(word) for word in words)


def _title_offset(text: str, target: _Target) -> int | None:
    """Where inside `text` (after its start) the clause's title begins, on a line or after a sentence."""
    for form in sorted(target.forms, key=len, reverse=True):
        pattern = words_pattern(form)
        for match in re.finditer(rf"(?<![\w.])(?:{pattern})(?![\w])", text, re.IGNORECASE):
            before = text[: match.start()].rstrip(" \t")
            if before.endswith("\n") or before.rstrip().endswith(_SENTENCE_END):
                return match.start()
    return None


@dataclass
class _Walk:
    """The walk's position and what it placed so far: `front`, then each opened clause's body and heading."""

    stream: Sequence[Block]
    heads: Sequence[Tokens | None]  # each block's `_heading_words`
    front: list[Block]
    bodies: dict[str, list[Block]]
    heading_of: dict[str, tuple[Block, ...]]
    current: str | None = None
    split: int = 0
    anchors: list[tuple[Block, float, str | None]] = field(default_factory=list)
    """Anchors opened on the page being walked: (anchor block, anchor top, clause open before it)."""
    at: int = 0
    """The next block of the stream to place."""
    cursor: int = 0
    """The first outline entry not opened yet."""
    mismatched: list[str] = field(default_factory=list)
    anchored: list[str] = field(default_factory=list)
    opened: dict[str, int] = field(default_factory=dict)
    """Where each opened clause opened (a stream index)."""
    outdent: dict[int, float] | None = None
    """Each page's text edge where the document sets its headings out into the margin (`_outdent`), else
    empty; None until a block read late asks."""

    def place(self, block: Block) -> None:
        """Into the open clause; a block MinerU read after an anchor that lies above it, in its column,
        into the clause open before that anchor (a block belongs where its page puts it)."""
        owner = self.current
        box = block.bbox
        if self.anchors and box is not None:
            if self.anchors[0][0].page_index != block.page_index:
                self.anchors.clear()
            for anchor, top, before in self.anchors:
                if box[3] <= top and (
                    _same_column(box, anchor.bbox)  # type: ignore[arg-type]
                    or self._at_text_edge(box, block.page_index)
                ):
                    owner = before
                    break
        (self.front if owner is None else self.bodies[owner]).append(block)

    def _at_text_edge(self, box: BBox, page: int) -> bool:
        """In a document whose headings stand out in the margin, the block starts at its page's text edge:
        the text column under every heading (Apache FOP 0.95's DocBook, 0.14 page out)."""
        if self.outdent is None:
            self.outdent = _outdent(self.stream)
        edge = self.outdent.get(page)
        return edge is not None and abs(box[0] - edge) <= STRADDLE

    def open(self, clause_id: str) -> None:
        self.current = clause_id
        self.opened[clause_id] = self.at
        self.heading_of.setdefault(clause_id, ())


def segment(
    stream: Sequence[Block],
    clauses: Sequence[Clause],
    located: frozenset[str] = frozenset(),
    offset: float | None = None,
    inline: frozenset[str] = frozenset(),
) -> Segmentation:
    """Assign each block to the clause opened last before it (blocks before any go to `front`).

    `stream` is all batches' blocks in plan order: the walk never resets at a batch boundary, so the
    blocks a batch opens with continue the clause left open by the previous batch.

    A clause whose bookmark has a position opens at its anchor block (`anchor_blocks`), whatever its
    printed heading says; its heading is then looked for among the next `HEADING_REACH` blocks (labels
    such as `Chapter 4` count as part of it), blocks above the anchor that the walk reaches first stay
    with the previous clause, and a paragraph that straddles the anchor is cut where the title starts.
    Where no heading is found the clause is `mismatched` (opened all the same).

    A clause without a position opens only at a matched heading: candidates are the next `LOOKAHEAD`
    such entries; an entry matches only on pages [page_index - 1, page_index + 3] (HEADING blocks;
    other kinds from page_index on), or up to the page of the next entry with a position where that is
    further (`_windows`), and expires once the walk is past that window; unmatched ones are
    `unmatched`. TOC, page furniture and sentence-like text never match, but for a heading MinerU merged
    with its description after a section number (`_Outline.numbered`). Where at least
    `COLLAPSED_DESTINATIONS` entries never matched point at one page, their destinations collapsed onto
    it: each is matched again on the page that prints its heading between the clauses opened before and
    after it (`_printed_pages`, the walk runs again). An entry whose heading matched nowhere opens at the
    first block of its bookmark's page (`paged`), where that lies between the clauses opened before and
    after it (the walk runs again with those anchors). A clause whose bookmark repeats an earlier one is
    `repeated`: the walk leaves it out, its text is its original's. Clauses `located` have a position
    found in the text layer (`title_lines`), not a destination: it is neither calibrated nor shifted; nor
    are the destinations of clauses `inline`, which mark a word inside a line of running text (the offset
    is the headings').
    `offset`: the document's `destination_offset` where the caller calibrated it already, on the stream
    before blocks were cut at the shifted destinations (calibrated on the pieces, whose tops are those
    destinations, it would shift every destination up by `ANCHOR_MARGIN` once more: above the piece
    before, a signature line of the bookmark before when titles differ only in marks, `\\csvloop+`).
    """
    if len({clause.id for clause in clauses}) != len(clauses):
        raise ValueError("clause ids repeat: a plan's clause ids are unique by construction")
    repeated = tuple(clause.id for clause in clauses if clause.repeats is not None)
    if repeated:
        segmentation = segment(stream, walked_clauses(clauses), located, offset, inline)
        bodies = segmentation.bodies | dict.fromkeys(repeated, ())
        return replace(segmentation, bodies=bodies, repeated=repeated)
    heads = _HeadingWords(stream)
    words = [_own_words(block, at, heads) for at, block in enumerate(stream)]
    targets = [_target(clause) for clause in clauses]
    if offset is None:
        offset = _offset(stream, heads, clauses, [target.keys for target in targets], located | inline)
    if offset:
        clauses = _all_shifted(clauses, offset, located | inline)
        targets = [target._replace(top=clause.top) for target, clause in zip(targets, clauses, strict=True)]
    anchors = anchor_blocks(stream, clauses, heads)
    walk = _walked(stream, heads, words, targets, anchors)
    printed = (
        _printed_pages(stream, words, targets, anchors, walk.opened)
        if len(walk.opened) < len(clauses)
        else {}
    )
    if printed:  # walked again: those entries are matched on the page that prints their heading
        clauses = list(clauses)
        for index, page in printed.items():
            clauses[index] = clauses[index].model_copy(update={"page_index": page})
            targets[index] = _target(clauses[index])
        walk = _walked(stream, heads, words, targets, anchors)
    paged = _page_anchors(stream, clauses, anchors, walk.opened) if len(walk.opened) < len(clauses) else {}
    if paged:  # walked again: those entries open at their page, the others as before
        for index, at in paged.items():
            targets[index] = _target(clauses[index].model_copy(update={"top": 0.0}))
            anchors[index] = at
        walk = _walked(stream, heads, words, targets, anchors)
    segmentation = _segmentation(walk, clauses, offset, [targets[index].id for index in paged])
    return replace(segmentation, located=tuple(cid for cid in walk.anchored if cid in located))


LINE_ORDER = 1e-4
"""How much lower (page heights) each destination of a line is set than the one left of it."""


def in_line_order(clauses: Sequence[Clause]) -> list[Clause]:
    """The clauses with destinations that share a line (page and top) set left to right, each `LINE_ORDER`
    below the one left of it: two words documented on one line (tl-apnum p48, `\\apEPplus (or
    \\apEPminus ...)`) open in their order, each at its own piece of the line, not both at the first."""
    lines: dict[tuple[int, float], list[int]] = {}
    for index, clause in enumerate(clauses):
        if clause.top is not None and clause.left is not None:
            lines.setdefault((clause.page_index, clause.top), []).append(index)
    ordered = list(clauses)
    for (_, top), indices in lines.items():
        lefts = sorted({clauses[index].left for index in indices})  # type: ignore[type-var]
        if len(lefts) < 2:
            continue
        for index in indices:
            rank = lefts.index(clauses[index].left)  # type: ignore[arg-type]
            if rank:
                ordered[index] = clauses[index].model_copy(update={"top": min(1.0, top + rank * LINE_ORDER)})
    return ordered


def walked_clauses(clauses: Sequence[Clause]) -> list[Clause]:
    """The clauses the walk opens: all but those whose bookmark repeats an earlier one."""
    return [clause for clause in clauses if clause.repeats is None]


def _walked(
    stream: Sequence[Block],
    heads: Sequence[Tokens | None],
    words: list[Tokens | None],
    targets: Sequence[_Target],
    anchors: Sequence[int | None],
) -> _Walk:
    """The walk over the whole stream: anchored entries open as it reaches their anchors, the others at
    their matched headings."""
    outline = _Outline(targets, anchors)
    waiting = sorted((at, index) for index, at in enumerate(anchors) if at is not None)
    walk = _Walk(stream, heads, [], {target.id: [] for target in targets}, {})
    next_anchor = 0
    while walk.at < len(stream) or next_anchor < len(waiting):
        due = []
        while next_anchor < len(waiting) and waiting[next_anchor][0] <= walk.at:
            due.append(waiting[next_anchor][1])
            next_anchor += 1
        if due:
            _open_due(walk, outline, words, due, _bound(waiting, next_anchor))
        elif walk.at < len(stream):
            _step(walk, outline, words)
        else:
            break
    return walk


def _printed_pages(
    stream: Sequence[Block],
    words: Sequence[Tokens | None],
    targets: Sequence[_Target],
    anchors: Sequence[int | None],
    opened: dict[str, int],
) -> dict[int, int]:
    """For the entries without a position that the walk never opened, where at least
    `COLLAPSED_DESTINATIONS` of them point at one page (bookmarks that all point at a code listing's last
    page, or at the title page), the page of the first block that prints their title (with or without
    its number) as a whole heading between where the clauses before and after them opened. Those whose
    heading is printed nowhere there, and a lone entry far from its heading, are left as they are."""
    unplaced = {
        index
        for index, (target, at) in enumerate(zip(targets, anchors, strict=True))
        if at is None and target.top is None and target.id not in opened
    }
    shared = Counter(targets[index].page for index in unplaced)
    if not shared or max(shared.values()) < COLLAPSED_DESTINATIONS:
        return {}
    printing: dict[str, list[int]] = {}
    for at, own in enumerate(words):
        if own is not None:
            printing.setdefault(_key(own), []).append(at)
    later = _opened_after([target.id for target in targets], opened, len(stream) + 1)
    found: dict[int, int] = {}
    before = -1
    for index, target in enumerate(targets):
        if target.id in opened:
            before = opened[target.id]
            continue
        if index not in unplaced or shared[target.page] < COLLAPSED_DESTINATIONS:
            continue
        hits = [
            positions[start]
            for positions in (printing.get(_key(form), ()) for form in target.forms)
            if (start := bisect_right(positions, before)) < len(positions) and positions[start] < later[index]
        ]
        if hits and stream[at := min(hits)].page_index != target.page:
            found[index], before = stream[at].page_index, at
    return found


def _opened_after(ids: Sequence[str], opened: dict[str, int], end: int) -> list[int]:
    """Per entry, the stream index where the next entry the walk opened opened (`end` if none did)."""
    later = []
    upcoming = end
    for clause_id in reversed(ids):
        later.append(upcoming)
        upcoming = opened.get(clause_id, upcoming)
    later.reverse()
    return later


def _page_anchors(
    stream: Sequence[Block], clauses: Sequence[Clause], anchors: Sequence[int | None], opened: dict[str, int]
) -> dict[int, int]:
    """Anchors for the entries matched by title that the walk never opened: the first block of their
    bookmark's page, for a bookmark that gives no position (/Fit; a scanned page, a slide, a heading
    printed unlike its title) says no more than its page. Only where the page has blocks and that one
    lies after the one the clause before opened at and before the one the clause after opened at: the
    others stay unmatched."""
    pages = [block.page_index for block in stream]
    later = _opened_after([clause.id for clause in clauses], opened, len(stream) + 1)
    found: dict[int, int] = {}
    before = -1
    for index, clause in enumerate(clauses):
        if clause.id in opened:
            before = opened[clause.id]
        elif (
            anchors[index] is None
            and before < (at := bisect_left(pages, clause.page_index)) < later[index]
            and at < len(pages)
            and pages[at] == clause.page_index
        ):
            found[index] = before = at
    return found


def _open_due(walk: _Walk, outline: _Outline, words: list[Tokens | None], due: list[int], bound: int) -> None:
    """Open the entries whose anchors the walk has reached (those not passed already); the last of them
    at its anchor block, the others as mismatched (no blocks of their own between them)."""
    opening = [index for index in due if index >= walk.cursor]
    if not opening:
        return
    before = walk.current
    for index in opening:
        walk.open(outline.targets[index].id)
    walk.anchored += [outline.targets[index].id for index in opening]
    walk.cursor = opening[-1] + 1
    first = outline.targets[opening[0]]  # a parent whose heading lies above the anchor it shares
    headed = len(opening) > 1 and _reclaim(walk, walk.at, first, before)
    sharing = outline.targets[opening[-2]].id if len(opening) > 1 else before
    walk.at, matched = _open_at_anchor(walk, outline, words, walk.at, opening[-1], bound, before, sharing)
    if not matched:
        walk.mismatched.append(outline.targets[opening[-1]].id)
    walk.mismatched += [outline.targets[index].id for index in opening[headed:-1]]


def _step(walk: _Walk, outline: _Outline, words: list[Tokens | None]) -> None:
    """Place the next block, or open the entry (without a position) whose heading it is."""
    stream, at = walk.stream, walk.at
    block = stream[at]
    walk.cursor = outline.expire(walk.cursor, block.page_index)
    found = outline.match(stream, words, walk.heads, at, walk.cursor) if outline.plain else None
    if found is None:
        walk.place(block)
        walk.at = at + 1
        return
    if not found.heading:  # embedded below other code lines: the lines above stay where they were
        above, block = _cut(block, found.line)
        if above is not None:
            walk.place(above)
            walk.split += 1
    walk.open(outline.targets[found.index].id)
    walk.cursor = found.index + 1
    if found.heading:
        walk.heading_of[walk.current] = tuple(stream[at : at + found.heading])  # type: ignore[index]
        walk.at = at + found.heading
    else:
        walk.place(block)
        walk.at = at + 1


def _segmentation(walk: _Walk, clauses: Sequence[Clause], offset: float, paged: list[str]) -> Segmentation:
    heading_of = walk.heading_of
    placed = len(walk.front) + sum(map(len, walk.bodies.values())) + sum(map(len, heading_of.values()))
    assigned = placed - walk.split
    unheaded = set(walk.mismatched)  # a set built once: a comprehension's condition runs per clause
    return Segmentation(
        front=tuple(walk.front),
        bodies={clause_id: tuple(blocks) for clause_id, blocks in walk.bodies.items()},
        heading_of={cid: blocks for cid, blocks in heading_of.items() if cid not in unheaded},
        unmatched=tuple(clause.id for clause in clauses if clause.id not in heading_of),
        assigned=assigned,
        dropped=len(walk.stream) - assigned,
        split=walk.split,
        mismatched=tuple(walk.mismatched),
        anchored=tuple(walk.anchored),
        paged=tuple(paged),
        anchor_offset=offset,
    )


def _shifted(clause: Clause, offset: float) -> Clause:
    if clause.top is None:
        return clause
    return clause.model_copy(update={"top": min(max(clause.top + offset, 0.0), 1.0)})


def _bound(waiting: list[tuple[int, int]], next_anchor: int) -> int:
    """The stream index of the next clause's anchor (the heading of this one lies before it)."""
    return waiting[next_anchor][0] if next_anchor < len(waiting) else 1 << 62


def _open_at_anchor(
    walk: _Walk,
    outline: _Outline,
    words: list[Tokens | None],
    at: int,
    index: int,
    bound: int,
    previous: str | None,
    sharing: str | None,
) -> tuple[int, bool]:
    """Open entry `index` (already marked open) at its anchor block `at`; return where the walk goes on
    and whether its printed heading was found.

    The printed heading is looked for among the next `HEADING_REACH` blocks: found, the short label
    blocks right above it (`Chapter 4`) join it and the blocks between the anchor and them go back to
    the clause before (a destination placed a little high); not found, a straddling paragraph or
    listing is cut where the title begins; a paragraph straddling the destination with its last line
    only, the title opening the next, goes to `sharing` (the entry opened at the same anchor before this
    one, else the clause before).
    """
    stream, target = walk.stream, outline.targets[index]
    clause_id = target.id
    if at < len(stream) and stream[at].bbox is not None and stream[at].page_index == target.page:
        walk.anchors.append((stream[at], target.top or 0.0, previous))
    if at >= len(stream):
        return at, False
    if _reclaim(walk, at, target, previous):
        return at, True
    if (found := _heading_near(stream, walk.heads, at, min(at + HEADING_REACH, bound), target)) is not None:
        probe, heading = found
        if probe > at and (end := _title_line_end(stream[at], target)) is not None:
            # the anchor block, a text-layer piece cut at the destination, prints the title on a line of its
            # own; the heading below prints it again (an index's big initial beside its letter's names)
            walk.heading_of[clause_id] = tuple(stream[probe : probe + heading])
            opening = stream[at].model_copy(update={"text": stream[at].text[end:]})
            walk.bodies[clause_id] += [opening, *stream[at + 1 : probe]]
            return probe + heading, True
        labels = probe
        while labels > at and _label(words[labels - 1]) and not _straddles(stream[labels - 1], target):
            labels -= 1
        _return_to_previous(walk, clause_id, stream[at:labels], keep=previous)
        walk.heading_of[clause_id] = tuple(stream[labels : probe + heading])
        return probe + heading, True
    # no heading among the labels: look inside the anchor's own block
    block = stream[at]
    if (buried := outline.buried(block, index)) is not None and buried.line:
        above, rest = _cut(block, buried.line)
        if above is not None:
            _return_to_previous(walk, clause_id, [above], keep=previous)
            walk.split += 1
        walk.bodies[clause_id].append(rest)
        return at + 1, True
    if (
        _straddles(block, target)
        and block.kind in _TEXT_KINDS
        and (offset := _title_offset(block.text, target))
    ):
        above = block.model_copy(update={"text": block.text[:offset].rstrip()})
        rest = block.model_copy(update={"text": block.text[offset:]})
        _return_to_previous(walk, clause_id, [above], keep=previous)
        walk.split += 1
        _open_with(walk, clause_id, rest, _title_end(rest.text, target))
        return at + 1, True
    if block.kind in _TEXT_KINDS and (end := _title_end(block.text, target)) is not None:
        _open_with(walk, clause_id, block, end)
        return at + 1, True
    if at + 1 < min(bound, len(stream)) and _opens_below(block, stream[at + 1], target):
        _return_to_previous(walk, clause_id, [block], keep=sharing)
        _open_with(walk, clause_id, stream[at + 1], _title_end(stream[at + 1].text, target))
        return at + 2, True
    own = walk.heads[at]
    if buried is not None or (own and any(_extends(own, form) for form in target.forms)):
        walk.bodies[clause_id].append(block)  # the heading opens a block that carries more
        return at + 1, True
    return at, False


def _opens_below(block: Block, below: Block, target: _Target) -> bool:
    """The clause's destination was set a line high, over the last line of the paragraph before (a word
    documented where its paragraph opens, DocBy.TeX's `\\dg`: the mark is made between the paragraphs):
    the anchor block straddles it with that line only, and the block right below it opens with the title."""
    box, under = block.bbox, below.bbox
    return (
        _straddles(block, target)
        and box is not None
        and under is not None
        and box[3] - (target.top or 0.0) <= SAME_LINE
        and below.page_index == block.page_index
        and under[1] >= box[3] - STRADDLE
        and below.kind in _TEXT_KINDS
        and _title_opens(below.text, target)
    )


def _title_line_end(block: Block, target: _Target) -> int | None:
    """Where the block's first line ends, its line break included, when that line prints the clause's
    title alone (a text-layer piece keeps its line breaks) and the block does not start above its
    destination; None otherwise."""
    if block.kind not in _TEXT_KINDS or _straddles(block, target):
        return None
    first, newline, _ = block.text.partition("\n")
    return len(first) + 1 if newline and tokens(first) in target.forms else None


def _title_opens(text: str, target: _Target) -> bool:
    """`text` starts with a form of the clause's title, as a whole word (marks before it: `\\apROLLa`)."""
    return any(
        re.match(rf"[\W_]*(?:{words_pattern(form)})(?!\w)", text, re.IGNORECASE) is not None
        for form in target.forms
    )


def _open_with(walk: _Walk, clause_id: str, block: Block, end: int | None) -> None:
    """Open the clause's body with a text block that starts with its title; where a sentence follows the
    title, up to `end` (a side heading the tier ran into its paragraph, `Widows A “widow” occurs ...`),
    the title is cut off as the clause's heading, so that it is not printed twice."""
    if end is None:
        walk.bodies[clause_id].append(block)
        return
    walk.heading_of[clause_id] = (block.model_copy(update={"text": block.text[:end].strip()}),)
    walk.bodies[clause_id].append(block.model_copy(update={"text": block.text[end:].lstrip()}))
    walk.split += 1


def _title_end(text: str, target: _Target) -> int | None:
    """Where the clause's title ends at the start of `text` (with the bracket or quote that closes it:
    `Codes (MACs)`), when a sentence begins after it (a capital, maybe after an opening quote or bracket);
    None otherwise."""
    for form in sorted(target.forms, key=len, reverse=True):
        match = re.match(rf"\s*(?:{words_pattern(form)})(?!\w)[{_CLOSING}]*[ \t]+", text, re.IGNORECASE)
        if match is not None:
            after = text[match.end() : match.end() + 2].lstrip(_OPENING)
            return match.end() if after[:1].isupper() else None
    return None


def _reclaim(walk: _Walk, at: int, target: _Target, previous: str | None) -> bool:
    """The clause's heading lies just above its anchor block on the page (its destination was shifted
    past it, or set below a preamble: memoir's `Index`): take it back from the clause before, as this
    clause's heading, with the paragraphs between it and the anchor (up to `RECLAIM_REACH` blocks; more
    than one only for a block typed as a heading, and not when the anchor block prints the heading
    itself: a running head typed as a heading is no second one)."""
    if previous is None:
        return False
    stream, body = walk.stream, walk.bodies[previous]
    for back in range(1, min(RECLAIM_REACH, len(body), at) + 1):
        before = at - back
        if stream[before].page_index != target.page or body[-back] is not stream[before]:
            return False
        if printed_heading(walk.heads, before, target.keys) == 1 and (
            back == 1
            or (
                stream[before].kind is _HEADING
                and (at == len(stream) or not printed_heading(walk.heads, at, target.keys))
            )
        ):
            heading, *preamble = body[-back:]
            del body[-back:]
            walk.heading_of[target.id] = (heading,)
            walk.bodies[target.id] += preamble
            return True
        if stream[before].kind is _HEADING:
            return False
    return False


def _under(box: BBox, left: float | None, gutter: bool = False) -> bool:
    """The box spans the destination's left edge (`gutter`: which lies in a gutter, `_in_gutter`); one on
    its right edge is the next column's (a block split there, `destination_cuts`)."""
    return left is None or (box[0] - STRADDLE <= left < box[2] and not (gutter and _beside(box, left)))


def _in_gutter(stream: Sequence[Block], on_page: Iterable[int], left: float | None) -> bool:
    """Whether a destination's left edge lies in a gutter: no block of its page (stream indices `on_page`)
    starts at it (within `ALIGNED`) and one starts at most `2 * GUTTER` right of it (an index's letters set
    left of their column's text). A destination at the end of its heading's line (revtex's title) has no
    block starting beside it; one at the text's edge, right of an outdented heading, has blocks starting
    at it (microtype's code)."""
    if left is None:
        return False
    starts = [box[0] - left for at in on_page if (box := stream[at].bbox) is not None]
    return not any(abs(start) <= ALIGNED for start in starts) and any(
        ALIGNED < start <= 2 * GUTTER for start in starts
    )


def _beside(box: BBox, left: float) -> bool:
    """The box is the column's before a destination set in the gutter: it ends within `GUTTER` right of
    the destination's left edge (a loose bbox) and starts more than that left of it."""
    return box[0] < left - GUTTER and box[2] < left + GUTTER


def _outdent(stream: Sequence[Block]) -> dict[int, float]:
    """Each page's text edge (where most of its text blocks start, to the hundredth of its width), where
    `OUTDENTED_SHARE` of the document's headings start left of their page's edge, by `OUTDENT` at most;
    empty otherwise (headings at the text's edge, as most documents set them)."""
    lefts: dict[int, Counter[float]] = {}
    for block in stream:
        if block.bbox is not None and block.kind is BlockKind.TEXT:
            lefts.setdefault(block.page_index, Counter())[round(block.bbox[0], 2)] += 1
    edges = {page: counts.most_common(1)[0][0] for page, counts in lefts.items()}
    headings = [
        (block.bbox[0], edges[block.page_index])
        for block in stream
        if block.kind is _HEADING and block.bbox is not None and block.page_index in edges
    ]
    outdented = sum(edge - OUTDENT <= left < edge - STRADDLE for left, edge in headings)
    return edges if headings and outdented >= OUTDENTED_SHARE * len(headings) else {}


def _same_column(box: BBox, other: BBox) -> bool:
    """The boxes share at least half the narrower one's width, or `box` starts at most `INDENT` right of
    `other` (text indented from a heading set out into the margin, DocBook's)."""
    shared = min(box[2], other[2]) - max(box[0], other[0])
    return shared > 0.5 * min(box[2] - box[0], other[2] - other[0]) or 0 <= box[0] - other[0] <= INDENT


def _return_to_previous(walk: _Walk, clause_id: str, blocks: Sequence[Block], keep: str | None) -> None:
    """Blocks between an anchor and its heading that belong before it: to the clause open before."""
    if not blocks:
        return
    walk.current = keep
    for block in blocks:
        walk.place(block)
    walk.current = clause_id

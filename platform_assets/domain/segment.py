"""The block stream of a whole document -> clause bodies, in one forward walk over the blocks.

Invariant: every block's content lands exactly once (front, one body or one heading; a code block cut
at a heading buried inside it, in two), and a clause opens only at a real heading matched to its
outline entry: at most once, in outline order, on a plausible page.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from platform_assets.domain.batch_plan import Clause
from platform_assets.domain.blocks import NOISE_KINDS, Block, BlockKind
from platform_assets.domain.clauses import clause_number

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

Tokens = tuple[str, ...]

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ROMAN = re.compile(r"[ivxlcdm]+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff\ufffe]")
_SENTENCE_END = (".", ";", ":", "!", "?", ",")
_TEXT_KINDS = frozenset({BlockKind.HEADING, BlockKind.TEXT})
_LINE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_NEVER = NOISE_KINDS | {BlockKind.INDEX}


@dataclass(frozen=True)
class Segmentation:
    """Where each block of the stream went.

    A clause whose heading is the whole text of its block(s) lists them in `heading_of`; a heading
    found inside a block that carries more (a code line, a caption, a heading merged with the next
    one) opens the clause with `heading_of[id] == ()` and that block stays first in its body. A code
    block whose heading sits below other lines is cut there: the lines above stay where the walk
    was, the rest opens the clause. `assigned` and `dropped` count stream blocks, `split` the cuts.
    """

    front: tuple[Block, ...]
    bodies: dict[str, tuple[Block, ...]]
    heading_of: dict[str, tuple[Block, ...]]
    unmatched: tuple[str, ...]
    assigned: int
    dropped: int
    split: int


def tokens(text: str) -> Tokens:
    """Case-, punctuation- and OCR-spacing-blind words: `17 .4.2Foo` -> ('17', '4', '2', 'foo')."""
    return tuple(_TOKEN.findall(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()))


@dataclass(frozen=True)
class _Target:
    """An outline entry as the matcher sees it: whole-title words, number words, title words."""

    id: str
    page: int
    words: Tokens
    head: Tokens  # the number with its keyword (`annex b`, `17 4 2`), () when unnumbered
    rest: Tokens


@dataclass(frozen=True)
class _Match:
    index: int  # outline position
    heading: int  # blocks consumed as a pure heading; 0 = embedded, the block stays in the body
    line: int = 0  # embedded on this code line; > 0 cuts the block before it


def _target(clause: Clause) -> _Target:
    words = tokens(clause.title)
    number = clause_number(clause.title) if clause.numbered else None
    head: Tokens = ()
    if number:
        digits = tokens(number.removeprefix("Part-"))
        for skip in (0, 1):  # `Annex`, `Part`, `Chapter` ... before the number
            if digits and words[skip : skip + len(digits)] == digits:
                head = words[: skip + len(digits)]
                break
    return _Target(clause.id, clause.page_index, words, head, words[len(head) :])


def _sentence_like(text: str) -> bool:
    return text.count("\n") > 1 or (text.endswith(_SENTENCE_END) and text.count(" ") >= 3)


def _own_words(block: Block) -> Tokens | None:
    """Words of a block whose whole text could be a heading; None for anything else."""
    if block.kind not in _TEXT_KINDS:
        return None
    text = block.text.strip()
    if not text or len(text) > MAX_HEADING_CHARS:
        return None
    if block.kind != BlockKind.HEADING and _sentence_like(text):
        return None
    return tokens(text) or None


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


def _similar(words: Tokens, title: Tokens) -> bool:
    """Same number of words and nearly the same letters (an OCR slip such as `widgct`)."""
    if len(words) != len(title):
        return False
    return SequenceMatcher(None, " ".join(words), " ".join(title)).ratio() >= FUZZY_RATIO


class _Outline:
    """The outline entries with the indexes the walk needs, built once."""

    def __init__(self, clauses: Sequence[Clause]) -> None:
        self.targets = [_target(clause) for clause in clauses]
        self.by_words: dict[Tokens, list[int]] = {}
        self.prefixes: set[Tokens] = set()
        for index, target in enumerate(self.targets):
            if target.words:
                self.by_words.setdefault(target.words, []).append(index)
                self.prefixes.update(target.words[:cut] for cut in range(1, len(target.words)))

    def expire(self, cursor: int, page: int) -> int:
        """Skip entries whose page window has passed: their heading can no longer come."""
        while cursor < len(self.targets) and self.targets[cursor].page + PAGE_SLACK_AFTER < page:
            cursor += 1
        return cursor

    @staticmethod
    def plausible(target: _Target, page: int, before: int) -> bool:
        return target.page - before <= page <= target.page + PAGE_SLACK_AFTER

    def find(self, words: Tokens, page: int, cursor: int, before: int) -> int | None:
        """First entry in the lookahead window whose whole title is `words`, on a plausible page."""
        candidates = self.by_words.get(words)
        if not candidates:
            return None
        for index in candidates[bisect_left(candidates, cursor) :]:
            if index >= cursor + LOOKAHEAD:
                return None
            if self.plausible(self.targets[index], page, before):
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
        before = PAGE_SLACK_BEFORE if stream[at].kind == BlockKind.HEADING else 0
        best: _Match | None = None
        if (index := self.find(own, page, cursor, before)) is not None:
            best = _Match(index, 1)
        joined = own
        for extra in range(1, MAX_SPLIT_BLOCKS):
            following = words[at + extra] if at + extra < len(stream) else None
            if following is None or joined not in self.prefixes:
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

    def weak(self, words: Tokens, page: int, cursor: int) -> _Match | None:
        """HEADING blocks only: the number alone, the title with an OCR slip, or a merged heading."""
        for index in range(cursor, min(len(self.targets), cursor + LOOKAHEAD)):
            target = self.targets[index]
            if not target.words or not self.plausible(target, page, PAGE_SLACK_BEFORE):
                continue
            if not target.head:
                if _extends(words, target.rest):
                    return _Match(index, 0)
                continue
            if words[: len(target.head)] != target.head:
                continue
            rest = words[len(target.head) :]
            if rest and rest[0].isdigit():
                continue  # a deeper number: `7.1.3 ...` is not clause 7.1
            if not rest:
                if len(target.head) >= 2:  # `7.1`, `A.1`, `Annex B`; a lone `7` is too weak
                    return _Match(index, 1)
                continue
            if _extends(rest, target.rest):
                return _Match(index, 0)
            if _similar(rest, target.rest):
                return _Match(index, 1)
        return None

    def match(
        self, stream: Sequence[Block], words: list[Tokens | None], at: int, cursor: int
    ) -> _Match | None:
        block = stream[at]
        if cursor >= len(self.targets) or self.targets[cursor].page - PAGE_SLACK_BEFORE > block.page_index:
            return None
        found = self.strong(stream, words, at, cursor) or self.embedded(block, cursor)
        own = words[at]
        if found is None and own is not None and block.kind == BlockKind.HEADING:
            found = self.weak(own, block.page_index, cursor)
        return found


def segment(stream: Sequence[Block], clauses: Sequence[Clause]) -> Segmentation:
    """Assign each block to the clause whose heading came last (blocks before any go to `front`).

    `stream` is all batches' blocks in plan order: the walk never resets at a batch boundary, so the
    blocks a batch opens with continue the clause left open by the previous batch. Candidates for a
    heading are the next `LOOKAHEAD` outline entries; an entry matches only on pages
    [page_index - 1, page_index + 3] (HEADING blocks; other kinds from page_index on) and expires
    once the walk is past that window. TOC, page furniture and sentence-like text never match.
    """
    outline = _Outline(clauses)
    if len({clause.id for clause in clauses}) != len(clauses):
        raise ValueError("clause ids repeat: a plan's clause ids are unique by construction")
    words = [_own_words(block) for block in stream]
    front: list[Block] = []
    bodies: dict[str, list[Block]] = {clause.id: [] for clause in clauses}
    heading_of: dict[str, tuple[Block, ...]] = {}
    cursor, current, at, split = 0, None, 0, 0
    while at < len(stream):
        block = stream[at]
        cursor = outline.expire(cursor, block.page_index)
        found = outline.match(stream, words, at, cursor)
        if found is None:
            (front if current is None else bodies[current]).append(block)
            at += 1
            continue
        if not found.heading:  # embedded below other code lines: the lines above stay where they were
            above, block = _cut(block, found.line)
            if above is not None:
                (front if current is None else bodies[current]).append(above)
                split += 1
        current, cursor = outline.targets[found.index].id, found.index + 1
        if found.heading:
            heading_of[current] = tuple(stream[at : at + found.heading])
            at += found.heading
        else:
            heading_of[current] = ()
            bodies[current].append(block)
            at += 1
    placed = len(front) + sum(map(len, bodies.values())) + sum(map(len, heading_of.values()))
    assigned = placed - split
    return Segmentation(
        front=tuple(front),
        bodies={clause_id: tuple(blocks) for clause_id, blocks in bodies.items()},
        heading_of=heading_of,
        unmatched=tuple(clause.id for clause in clauses if clause.id not in heading_of),
        assigned=assigned,
        dropped=len(stream) - assigned,
        split=split,
    )

"""Code fences for a clause body: MinerU code blocks and runs of code lines typed as text or headings, merged
across page breaks.

Invariant: code keeps its lines, their order and their characters (trailing blanks aside); every fence has a
language label; a code block whose every line is prose renders as prose, a code line never as a heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby, pairwise
from typing import NamedTuple

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.tree.code_lines import (
    bracketed,
    code_language,
    fits_listing,
    is_prose,
    numbered_lines,
)

_LINE_NUMBER = re.compile(r"\s*([1-9]\d{0,5})(?:\s|$)")
"""A listing's line number at the start of a line: `9368 },`, `4` (a blank source line)."""
_ALNUM = re.compile(r"[^\W_]")
"""A letter or digit: a line of operators alone (`=` in a chart's labels) is no code line by itself."""
_COMMENT = re.compile(r"\s*(?:%|//)")
"""A comment line of TeX or C inside a listing: `% and some other keys`."""
_CLOSING = re.compile(r"\s*[})\]]+[;,]?\s*")
"""A line of closing brackets that ends a listing: `}`."""
WRAPPED = 2
"""Lines beside a numbered one that continue a listing: a source line the layout wrapped."""
_NAMESPACED_XML = re.compile(r"</?[A-Za-z_][\w.-]*:[A-Za-z_]|\bxmlns\b")
_BACKTICK_RUN = re.compile(r"`+")
_RELABELLED = frozenset({"", "txt", "text", "asp", "hcl"})
"""Labels MinerU's language guess gives XML listings; namespaced XML under them becomes `xml`."""
_PLAIN = frozenset({"txt", "text"})
_CODE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_LINE_KINDS = frozenset(
    {
        BlockKind.TEXT,
        BlockKind.HEADING,
        BlockKind.FOOTNOTE,
        BlockKind.ASIDE,
        BlockKind.REFERENCE,
        BlockKind.OTHER,
    }
)
"""Kinds rendered as prose: the parser types code lines as any of them."""
_HEADING, _CODE = BlockKind.HEADING, BlockKind.CODE
"""Read once: an enum member is a slow attribute (`EnumType`'s `__getattr__` hook), ~10x a global."""


class Fence(NamedTuple):  # a tuple: built ~3x faster than a frozen dataclass
    """One fenced code block, assembled from one or more blocks of one clause body."""

    language: str
    code: str
    first_page: int
    last_page: int
    from_text: bool
    """Assembled from text or heading lines (the flash tier's listings), not from a MinerU code block."""
    caption: tuple[str, ...] = ()
    footnote: tuple[str, ...] = ()


def fence_label(language: str | None, code: str) -> str:
    """The fence's language label: MinerU's guess, corrected where it guessed plain text (or nothing) for
    namespaced XML (`xml`) or TeX (`latex`), else `text`."""
    label = (language or "").strip().lower()
    if label in _RELABELLED:
        if _NAMESPACED_XML.search(code):
            return "xml"
        if "\\" in code and any(code_language(line) == "latex" for line in code.splitlines()):
            return "latex"
    return label or "text"


def _fence_of(block: Block) -> Fence | None:
    """The block as a fence: a text or heading line that is code, or a code block (unless all prose)."""
    page = block.page_index
    if block.kind in _LINE_KINDS:
        language = code_language(block.text, heading=block.kind is _HEADING)
        return (
            Fence(language, "\n".join(numbered_lines(block.text.strip())), page, page, True)
            if language
            else None
        )
    if block.kind in _CODE_KINDS:
        code = (block.code or block.text).strip("\n")
        if block.kind is _CODE and is_prose(code):
            return None
        label = fence_label(block.language, code)
        return Fence(label, code, page, page, False, tuple(block.caption), tuple(block.footnote))
    return None


def _compatible(first: str, second: str) -> bool:
    return first == second or first in _PLAIN or second in _PLAIN


def _joins(previous: Fence, fence: Fence) -> bool:
    """Whether `fence` continues `previous` (the two are adjacent once page furniture is gone)."""
    if previous.from_text or fence.from_text:
        return _compatible(previous.language, fence.language)
    return fence.first_page > previous.last_page and _compatible(previous.language, fence.language)


def _merged(previous: Fence, fence: Fence) -> Fence:
    return Fence(
        language=fence.language if previous.language in _PLAIN else previous.language,
        code=f"{previous.code}\n{fence.code}",
        first_page=previous.first_page,
        last_page=fence.last_page,
        from_text=previous.from_text and fence.from_text,
        caption=previous.caption + fence.caption,
        footnote=previous.footnote + fence.footnote,
    )


def code_units(blocks: Sequence[Block]) -> list[Block | Fence]:
    """Blocks in order, code blocks and code lines turned into fences, continuations merged.

    Merged: consecutive code lines of one language (or plain `text`), a line between two of them that fits
    a listing (`code_lines.fits_listing`), lines inside an environment, element or brace group that lines
    open and close, and the code blocks they touch (an orphan closing tag after XML); code blocks split by
    a page break (the blocks must already be free of page furniture, so that only furniture lay between
    them).
    """
    fences = [_fence_of(block) for block in blocks]
    if any(fence is not None and fence.from_text for fence in fences):  # a bracket closes on a code line
        for index in _bracketed_lines(blocks):
            if fences[index] is None:
                block = blocks[index]
                fences[index] = Fence("text", block.text.strip(), block.page_index, block.page_index, True)
    units: list[Block | Fence] = []
    for index, (block, fence) in enumerate(zip(blocks, fences, strict=True)):
        previous = units[-1] if units else None
        if (
            fence is None
            and isinstance(previous, Fence)
            and previous.from_text
            and block.kind in _LINE_KINDS
            and fits_listing(block.text)
        ):
            following = fences[index + 1] if index + 1 < len(fences) else None
            if following is not None and following.from_text:
                fence = Fence(previous.language, block.text.strip(), block.page_index, block.page_index, True)
        if fence is None:
            units.append(block)
        elif isinstance(previous, Fence) and _joins(previous, fence):
            units[-1] = _merged(previous, fence)
        else:
            units.append(fence)
    return units


def _bracketed_lines(blocks: Sequence[Block]) -> list[int]:
    """Indexes of the one-line text and heading blocks inside an environment, element or brace group, from
    the line that opens it to the line that closes it (`code_lines.bracketed`): a listing the tier typed
    line by line, `\\item Hey,` between `\\begin{enumerate}` and `\\end{enumerate}`; not across a
    paragraph of prose between listings (a sentence ends the search)."""
    inside: list[int] = []
    for is_line, group in groupby(range(len(blocks)), key=lambda at: _one_line(blocks[at])):
        run = list(group)
        if is_line and len(run) > 2:
            for first, last in bracketed([blocks[at].text for at in run], sentences=False):
                inside += run[first : last + 1]
    return inside


def _one_line(block: Block) -> bool:
    return block.kind in _LINE_KINDS and "\n" not in block.text.strip()


def listing_runs(text: str) -> list[tuple[str, str | None]]:
    """Text the parser read from an image, as prose and listings in order: `(text, None)` for prose,
    `(code, language)` for a listing (blank lines dropped); `[(text, None)]` where it holds no listing.

    A listing is a run of lines, one of them code (`code_language`), each code, numbered (a listing's line
    number first, counting up: `9368 },`, `2 A comment`), between two such lines where it fits a listing,
    is a comment (`% and some other keys`) or is one of at most `WRAPPED` lines next to a numbered one (a
    source line wrapped); or lies inside an environment, element or brace group it opens and closes (an
    example's source beside its output, `code_lines.bracketed`); or closing brackets after one, comments
    before one: a boxed syntax summary, a framed listing, a page of numbered source the tier typed as an
    image. It holds two lines at least, or is all the text.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    languages = [code_language(line) if _ALNUM.search(line) else None for line in lines]
    numbered = _counted(lines)
    listed = [language is not None or number for language, number in zip(languages, numbered, strict=True)]
    marked = [at for at, is_listed in enumerate(listed) if is_listed]
    for before, after in pairwise(marked):
        between = range(before + 1, after)
        if ((numbered[before] or numbered[after]) and len(between) <= WRAPPED) or all(
            fits_listing(lines[at]) or _COMMENT.match(lines[at]) for at in between
        ):
            listed[before + 1 : after] = [True] * len(between)
    for first, last in bracketed(lines):
        listed[first : last + 1] = [True] * (last + 1 - first)
    for at in range(1, len(lines)):
        listed[at] = listed[at] or (listed[at - 1] and _CLOSING.fullmatch(lines[at]) is not None)
    for at in range(len(lines) - 2, -1, -1):
        listed[at] = listed[at] or (listed[at + 1] and _COMMENT.match(lines[at]) is not None)
    runs: list[tuple[str, str | None]] = []
    for is_listing, group in groupby(range(len(lines)), key=listed.__getitem__):
        at = list(group)
        run = "\n".join(lines[index] for index in at)
        first = next((languages[index] for index in at if languages[index]), None)
        if is_listing and first and (len(at) >= 2 or len(lines) == 1):
            runs.append((run, fence_label(first, run)))
        elif runs and runs[-1][1] is None:
            runs[-1] = (f"{runs[-1][0]}\n{run}", None)
        else:
            runs.append((run, None))
    return runs if any(language for _, language in runs) else [(text, None)]


def _counted(lines: Sequence[str]) -> list[bool]:
    """Which lines start with a listing's line number: one that a nearby numbered line continues or is
    continued by (up to `WRAPPED` + 1 apart: `1 ... 2 ... 5 3 4 6` as the tier read a listing), not a
    chart's axis labels (`30`, `25`, `20`)."""
    numbers = [int(match.group(1)) if (match := _LINE_NUMBER.match(line)) else None for line in lines]
    present = [(at, number) for at, number in enumerate(numbers) if number is not None]
    counted = [False] * len(lines)
    for (at, number), (later, following) in pairwise(present):
        if 0 < following - number <= WRAPPED + 1:
            counted[at] = counted[later] = True
    return counted


def fenced(code: str, language: str) -> str:
    """`code` in a backtick fence longer than any backtick run inside it; "" when there is no code."""
    code = "\n".join(line.rstrip() for line in code.split("\n")).strip("\n")
    if not code:
        return ""
    runs = _BACKTICK_RUN.findall(code) if "`" in code else []
    ticks = "`" * max(3, 1 + max(map(len, runs), default=0))
    return f"{ticks}{language}\n{code}\n{ticks}"

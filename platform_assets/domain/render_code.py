"""Code fences for a clause body: MinerU code blocks and runs of XML text lines, merged across page breaks.

Invariant: code keeps its lines, their order and their characters (trailing blanks aside); every fence has a
language label, and namespaced XML that MinerU labelled as plain text is labelled `xml`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from platform_assets.domain.blocks import Block, BlockKind

_MARKUP_LINE = re.compile(r"<[A-Za-z_/?!].*>", re.DOTALL)
_CLOSING_TAGS = re.compile(r"(?:\s*</[A-Za-z_][\w.:-]*\s*>)+\s*")
_NAMESPACED_XML = re.compile(r"</?[A-Za-z_][\w.-]*:[A-Za-z_]|\bxmlns\b")
_BACKTICK_RUN = re.compile(r"`+")
_RELABELLED = frozenset({"", "txt", "text", "asp", "hcl"})
"""Labels MinerU's language guess gives XML listings; namespaced XML under them becomes `xml`."""
_PLAIN = frozenset({"txt", "text"})
_CODE_KINDS = frozenset({BlockKind.CODE, BlockKind.ALGORITHM})
_LINE_KINDS = frozenset({BlockKind.TEXT, BlockKind.HEADING})


@dataclass(frozen=True)
class Fence:
    """One fenced code block, assembled from one or more blocks of one clause body."""

    language: str
    code: str
    first_page: int
    last_page: int
    from_text: bool
    """Assembled from text lines (flash tier's XML examples), not from a MinerU code block."""
    caption: tuple[str, ...] = ()
    footnote: tuple[str, ...] = ()


def _is_markup_line(block: Block) -> bool:
    """A text or heading block that is nothing but markup: `<wml ...>`, `</panel>`, `<?xml ...?> <xs:...>`."""
    return block.kind in _LINE_KINDS and bool(_MARKUP_LINE.fullmatch(block.text.strip()))


def fence_label(language: str | None, code: str) -> str:
    """The fence's language label: MinerU's guess, `xml` for namespaced XML guessed as text, else `text`."""
    label = (language or "").strip().lower()
    if label in _RELABELLED and _NAMESPACED_XML.search(code):
        return "xml"
    return label or "text"


def _fence_of(block: Block) -> Fence | None:
    page = block.page_index
    if block.kind in _CODE_KINDS:
        code = (block.code or block.text).strip("\n")
        label = fence_label(block.language, code)
        return Fence(label, code, page, page, False, tuple(block.caption), tuple(block.footnote))
    if _is_markup_line(block):
        return Fence("xml", block.text.strip(), page, page, True)
    return None


def _compatible(first: str, second: str) -> bool:
    return first == second or first in _PLAIN or second in _PLAIN


def _joins(previous: Fence, fence: Fence) -> bool:
    """Whether `fence` continues `previous` (the two are adjacent once page furniture is gone)."""
    if previous.from_text and fence.from_text:
        return True
    if fence.from_text and previous.language == "xml" and _CLOSING_TAGS.fullmatch(fence.code):
        return True
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
    """Blocks in order, code blocks and XML text lines turned into fences, continuations merged.

    Merged: consecutive XML lines; an orphan closing tag after an XML fence; code split by a page break
    (the blocks must already be free of page furniture, so that only furniture lay between them).
    """
    units: list[Block | Fence] = []
    for block in blocks:
        fence = _fence_of(block)
        previous = units[-1] if units else None
        if fence is None:
            units.append(block)
        elif isinstance(previous, Fence) and _joins(previous, fence):
            units[-1] = _merged(previous, fence)
        else:
            units.append(fence)
    return units


def fenced(code: str, language: str) -> str:
    """`code` in a backtick fence longer than any backtick run inside it; "" when there is no code."""
    code = "\n".join(line.rstrip() for line in code.split("\n")).strip("\n")
    if not code:
        return ""
    ticks = "`" * max(3, 1 + max((len(run) for run in _BACKTICK_RUN.findall(code)), default=0))
    return f"{ticks}{language}\n{code}\n{ticks}"

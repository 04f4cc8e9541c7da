"""A clause whose own text is a table of contents (`Contents`, a chapter's mini contents), rendered as
links to the clauses it lists.

Triage drops contents blocks (`toc`): they repeat the outline, which the tree's barrels render. Where
those blocks were all a clause had, its file came out empty. Such a clause gets them back: each entry
(its dot leaders and page number left out) that names an outline clause becomes a link to that clause's
file, nested by outline level; a line naming none stays as text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping, Sequence

from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, tokens
from platform_assets.domain.tree.block_triage import ENTRY_TAIL
from platform_assets.domain.tree.markdown_escape import escape_inline
from platform_assets.domain.tree.segment import STRADDLE

WRAPPED = 3
"""Lines of one entry at most: a long title the contents print over two or three lines."""
_BRACKET = re.compile(r"(?<!\\)([\[\]])")


def contents_clauses(
    dropped: Sequence[tuple[Block, str]],
    clauses: Sequence[Clause],
    bodies: Mapping[str, Sequence[Block]],
    unopened: Collection[str],
) -> dict[str, list[Block]]:
    """Clause id -> the contents blocks dropped in its span, for opened clauses without a body of their
    own. A block's clause is the last whose destination (page, top) lies above the block's top."""
    toc = [block for block, reason in dropped if reason == "toc" and block.bbox is not None]
    starts = sorted(
        (clause.page_index, clause.top if clause.top is not None else 0.0, at)
        for at, clause in enumerate(clauses)
    )
    keys = [(page, top) for page, top, _ in starts]
    found: dict[str, list[Block]] = {}
    for block in toc:
        at = bisect_right(keys, (block.page_index, block.bbox[1] + STRADDLE)) - 1  # type: ignore[index]
        if at < 0:
            continue  # front matter: the root index renders the top-level clauses
        clause = clauses[starts[at][2]]
        if clause.id not in unopened and not bodies.get(clause.id):
            found.setdefault(clause.id, []).append(block)
    return found


def render_contents(blocks: Sequence[Block], clauses: Sequence[Clause], href: Callable[[str], str]) -> str:
    """The blocks' entries as a Markdown list: an entry naming a clause links to `href(clause id)`,
    indented by its outline level (at most one level deeper than the entry before)."""
    named = _titles(clauses)
    lines = [line.strip() for block in blocks for line in (block.items or block.text.splitlines())]
    lines = [line for line in lines if line]
    items: list[tuple[int | None, str]] = []  # (clause index or None, text)
    last = -1
    at = 0
    while at < len(lines):
        for span in range(1, WRAPPED + 1):  # the entry on this line, else wrapped over the next ones
            text = ENTRY_TAIL.sub("", " ".join(lines[at : at + span])).strip()
            index = _named(named.get(tokens(text), ()), last)
            if index is not None or at + span >= len(lines):
                break
        if index is None:
            span, text = 1, ENTRY_TAIL.sub("", lines[at]).strip() or lines[at]
        else:
            last = index
        items.append((index, text))
        at += span
    base = min((clauses[index].level for index, _ in items if index is not None), default=0)
    out: list[str] = []
    depth = 0
    for index, text in items:
        if index is None:
            out.append(f"{'  ' * depth}- {escape_inline(text)}")
            continue
        depth = min(clauses[index].level - base, depth + 1)
        out.append(f"{'  ' * depth}- [{link_text(text)}]({href(clauses[index].id)})")
    return "\n".join(out) + "\n" if out else ""


def link_text(text: str) -> str:
    """`text` escaped for a link's text: also every bracket, which CommonMark pairs there."""
    return _BRACKET.sub(r"\\\1", escape_inline(text))


def title_forms(clause: Clause) -> set[Tokens]:
    """The clause's title as a table of contents prints it: its words with and without its number."""
    words = tokens(clause.title)
    forms = {words}
    if clause.number:
        number = tokens(clause.number.removeprefix("Part-"))
        forms.add(words[len(number) :] if words[: len(number)] == number else number + words)
    return forms


def _titles(clauses: Sequence[Clause]) -> dict[Tokens, list[int]]:
    """Title forms -> the clauses printing them, in outline order."""
    named: dict[Tokens, list[int]] = {}
    for index, clause in enumerate(clauses):
        for form in title_forms(clause):
            if form:
                named.setdefault(form, []).append(index)
    return named


def _named(candidates: Sequence[int], last: int) -> int | None:
    """The clause an entry names: the first after the last one named (contents follow the outline)."""
    return next((index for index in candidates if index > last), candidates[0] if candidates else None)

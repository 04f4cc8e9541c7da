"""Faithful Markdown for the body of one clause, rendered from its blocks in reading order.

Invariant: same blocks, same bytes; every block with something to show renders (what to leave out is
`block_triage`'s decision, made before); no H1 (the caller writes the clause title); blocks apart by one
blank line, one final newline; source text shows its own characters (escaped), so no link, image,
emphasis or HTML comes from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.tree.markdown_escape import escape_block_starts, escape_heading, escape_inline
from platform_assets.domain.tree.render_code import Fence, code_units, fenced, listing_runs
from platform_assets.domain.tree.render_tables import html_table, text_table

_HEADING_MAX_CHARS = 120
_HEADING_MAX_WORDS = 20
_SENTENCE_ENDS = ".;:,"
_ABBREVIATION = re.compile(r"(?:[A-Z]|\d+)(?:\.\d+)*\.|(?:[A-Za-z]\.){2,}")
"""A trailing token that ends in a dot without ending a sentence: `4.1.`, `A.`, `e.g.`."""
_EXAMPLE_MARKER = re.compile(r"^\[example\b|\bend example\]$", re.IGNORECASE)
_INLINE_MATH = re.compile(r"\$[^$]+\$")
_SECTION_MATH = re.compile(r"\$\s*(?:§|\\S)\s*((?:[A-Z]\s*\.\s*)?\d[\d\s.]*?)\s*\$")
_TAG_MATH = re.compile(r"\$\s*(<[^$\n]*>)\s*\$")
_TAG_RUN = re.compile(r"</?[A-Za-z_][\w.:-]*(?:\s[^<>]*)?/?>(?:\s*</?[A-Za-z_][\w.:-]*(?:\s[^<>]*)?/?>)*")
_MATH = r"\$(?![\s({])[^$\n]*?(?<![\s\\])\$"
"""MinerU's inline math, not a shell or make variable (`$(CC)`, `${HOME}`)."""
_SCRIPT = r"<(?P<script>su[pb])>([^<>\n]{1,40})</(?P=script)>"
"""MinerU's own superscript or subscript markup (`<sup>1</sup>`), kept as such around escaped text."""
_OWN_SPANS = re.compile(
    f"{_SECTION_MATH.pattern}|{_TAG_MATH.pattern}|{_SCRIPT}|({_TAG_RUN.pattern})|({_MATH})"
)
"""What `normalize_inline` writes itself: a section sign out of math, MinerU's scripts, tags as code
spans, math as it is."""
_ESCAPED_BULLET = re.compile(r"^\\-[ \t]?", re.MULTILINE)
_SPACES = re.compile(r" {2,}")
_BRACKET = re.compile(r"(\\*)([\[\]])")
_BULLET = re.compile(r"[-•*·◦▪●–—](?:\s+|$)")
_NUMBERED = re.compile(r"(\d{1,9}[.)])\s")
_UNSAFE_HREF = re.compile(r"[\s()]")


def _no_image(block: Block) -> str | None:
    return None


@dataclass(frozen=True)
class RenderContext:
    """What rendering one clause needs from the whole document."""

    image_href: Callable[[Block], str | None] = _no_image
    """Relative link to a block's image file, None where there is no file."""


def is_heading_like(block: Block) -> bool:
    """A heading block that reads as a heading: short, not a sentence, not an `[Example:` marker.

    Inline math counts as one word. Sentence ends are `.` `;` `:` `,`; a trailing clause number or
    abbreviation (`4.1.`, `e.g.`) is not one.
    """
    text = " ".join(block.text.split())
    if block.kind is not BlockKind.HEADING or not text or _EXAMPLE_MARKER.search(text):
        return False
    visible = _INLINE_MATH.sub("$", text) if "$" in text else text  # MinerU spaces out `$2 5 ^ { \circ }$`
    if len(visible) > _HEADING_MAX_CHARS or len(visible.split()) > _HEADING_MAX_WORDS:
        return False
    return text[-1] not in _SENTENCE_ENDS or bool(_ABBREVIATION.fullmatch(text.split()[-1]))


def _own_span(match: re.Match[str]) -> str:
    section, math_tag, script, scripted, tags, math = match.groups()
    if section is not None:
        return "§" + "".join(section.split())
    if script is not None:
        return f"<{script}>{escape_inline(scripted, '>', '<')}</{script}>"
    if math is not None:
        return math
    code = math_tag or tags
    return f"`{code}`" if "`" not in code else escape_inline(code)


def normalize_inline(text: str) -> str:
    """Inline text as Markdown: MinerU's habits cleaned, every other character shown as it is.

    `$§17.4.62$` and `$\\S 17.4.62$` -> `§17.4.62`; `$<w:p>$` and bare tags -> `` `<w:p>` ``; a leading
    `\\-` -> `- `; runs of spaces -> one space; other inline math (`$x_1$`) as it is, for a math renderer;
    the rest escaped where Markdown would read it as syntax.
    """
    if "\\-" in text:
        text = _ESCAPED_BULLET.sub("- ", text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    if "$" not in text and "<" not in text:
        return escape_inline(text)
    parts, last = [], 0
    for match in _OWN_SPANS.finditer(text):
        start, end = match.span()
        parts += [escape_inline(text[last:start], text[:last], text[start:]), _own_span(match)]
        last = end
    parts.append(escape_inline(text[last:], text[:last]))
    return "".join(parts)


def _paragraphs(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def _paragraph(text: str) -> str:
    """Normalised text that stays one paragraph: what would open a heading, list or quote is escaped."""
    return escape_block_starts(normalize_inline(text))


def _with_notes(caption: Sequence[str], body: str, footnote: Sequence[str]) -> str:
    """Captions above the body, footnotes below it."""
    if not caption and not footnote:
        return body
    return _paragraphs(*map(_paragraph, caption), body, *map(_paragraph, footnote))


def _render_prose(block: Block, context: RenderContext) -> str:
    return _paragraph(block.text)


def _render_heading(block: Block, context: RenderContext) -> str:
    """A heading that reads as one (code headings are fences already, see `render_code`), else prose."""
    if is_heading_like(block):
        return f"## {escape_heading(normalize_inline(' '.join(block.text.split())))}"
    return _render_prose(block, context)


def _list_line(item: str) -> tuple[str, str]:
    """Marker and text of one list entry: its own number kept, its own bullet replaced by `-`."""
    text = normalize_inline(item)
    if bullet := _BULLET.match(text):
        return "-", escape_block_starts(text[bullet.end() :])
    if number := _NUMBERED.match(text):
        return number.group(1), escape_block_starts(text[number.end() :])
    return "-", escape_block_starts(text)


def _render_list(block: Block, context: RenderContext) -> str:
    """Entries nested by their two-space indent, each under its parent's text column."""
    lines: list[str] = []
    columns: list[int] = []  # text column of the latest entry at each depth
    for item in block.items or block.text.splitlines():
        if not item.strip():
            continue
        depth = min((len(item) - len(item.lstrip(" "))) // 2, len(columns))
        indent = columns[depth - 1] if depth else 0
        marker, text = _list_line(item)
        column = indent + len(marker) + 1
        columns[depth:] = [column]
        lines.append(f"{' ' * indent}{marker} {text}".rstrip().replace("\n", "\n" + " " * column))
    return "\n".join(lines)


def _image_link(block: Block, context: RenderContext, default_alt: str) -> str:
    href = context.image_href(block)
    if not href:
        return ""
    alt = normalize_inline(block.caption[0] if block.caption else default_alt)
    alt = _BRACKET.sub(lambda m: m[1] + ("" if len(m[1]) % 2 else "\\") + m[2], alt)
    return f"![{alt}](<{href}>)" if _UNSAFE_HREF.search(href) else f"![{alt}]({href})"


def _render_table(block: Block, context: RenderContext) -> str:
    """Caption, the table (its image when MinerU gave no body), footnotes."""
    if block.html:
        body = html_table(block.html, normalize_inline)
    elif block.text.strip():
        body = text_table(block.text, normalize_inline)
    else:
        body = _image_link(block, context, "table")
    return _with_notes(block.caption, body, block.footnote)


def _render_image(block: Block, context: RenderContext) -> str:
    """The image link, then captions, the description MinerU read from it (its listings fenced: a boxed
    syntax summary, a page of numbered source), footnotes."""
    description = "" if block.text.strip() == "\n".join(block.caption).strip() else block.text
    runs = listing_runs(description)
    described = _paragraphs(*(fenced(text, label) if label else _paragraph(text) for text, label in runs))
    image = _image_link(block, context, "image")
    return _paragraphs(image, _with_notes(block.caption, described, block.footnote))


def _render_equation(block: Block, context: RenderContext) -> str:
    """Display math; without LaTeX, the image MinerU cropped of it (with its captions); nothing only when
    it has neither (an empty equation whose bbox held text was filled as TEXT by `text_layer_fill`)."""
    latex = (block.latex or block.text).strip()  # the adapters have taken MinerU 3's `$$` off
    if latex:
        return _with_notes(block.caption, f"$$\n{latex}\n$$", block.footnote)
    return _with_notes(block.caption, _image_link(block, context, "equation"), block.footnote)


_RENDERERS: dict[BlockKind, Callable[[Block, RenderContext], str]] = {
    BlockKind.HEADING: _render_heading,
    BlockKind.LIST: _render_list,
    BlockKind.INDEX: _render_list,
    BlockKind.TABLE: _render_table,
    BlockKind.IMAGE: _render_image,
    BlockKind.CHART: _render_image,
    BlockKind.EQUATION: _render_equation,
}


class RenderedUnit(NamedTuple):  # a tuple: ~40,000 of them a book, built ~3x faster than a dataclass
    """The Markdown of one unit of a clause body (a block, or a fence assembled from several)."""

    markdown: str
    page_index: int
    """The page the unit starts on (0-based)."""
    code: bool
    """A code fence: its text is verbatim, never linked."""


def render_units(blocks: Sequence[Block], context: RenderContext) -> list[RenderedUnit]:
    """The units of one clause body in order, those that render to nothing left out."""
    units: list[RenderedUnit] = []
    for unit in code_units(blocks):
        if isinstance(unit, Fence):
            markdown = _with_notes(unit.caption, fenced(unit.code, unit.language), unit.footnote)
            if markdown:
                units.append(RenderedUnit(markdown, unit.first_page, True))
        elif markdown := _RENDERERS.get(unit.kind, _render_prose)(unit, context):
            units.append(RenderedUnit(markdown, unit.page_index, False))
    return units


def render_blocks(blocks: Sequence[Block], context: RenderContext) -> str:
    """Markdown of one clause body: blocks one blank line apart, ending in one newline ("" when empty)."""
    body = _paragraphs(*(unit.markdown for unit in render_units(blocks, context)))
    return f"{body}\n" if body else ""

"""Table bodies as Markdown: MinerU's HTML as a pipe table, or the HTML itself where a grid would lie.

Invariant: no cell text is lost, and one table stays one table. Spans are expanded into a grid whose spanned
text sits in the span's top-left cell, the cells it covers left empty; a table a grid cannot hold faithfully
is embedded as HTML. Tables MinerU ran together (a row holding only a caption) come apart at that caption.
"""

from __future__ import annotations

import html as markup
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import NamedTuple

from platform_assets.domain.tree.code_lines import is_prose
from platform_assets.domain.tree.render_code import fenced

_STRUCTURE = frozenset(
    {"html", "body", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup", "col"}
)
_INLINE = frozenset(
    {"a", "abbr", "b", "big", "code", "em", "font", "i", "s", "small", "span", "strong", "sub", "sup", "u"}
)
_BLOCKS = frozenset(
    {"blockquote", "caption", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img"}
    | {"li", "ol", "p", "pre", "ul"}
)
"""Elements a pipe-table cell cannot hold: a table holding one is embedded as HTML."""
_KNOWN = _STRUCTURE | _INLINE | _BLOCKS | {"br"}
_MAX_COLSPAN = 1000
_MAX_ROWSPAN = 65534
CAPTION = re.compile(r"^\W*table\s+[a-z]?[\d.\-–]*\d\s*[—–:.\-]", re.IGNORECASE)
"""A table caption's start: `Table 3 - Simple types`, `Table 9–1. Part properties`, `Table C–2:`."""

Inline = Callable[[str], str]


class _Cell(NamedTuple):
    text: str
    rowspan: int
    colspan: int


def _span(value: str | None, limit: int) -> int:
    return min(int(value), limit) if value and value.strip().isdigit() and int(value) > 0 else 1


class _TableParser(HTMLParser):
    """Cells row by row from one MinerU table; tags it does not know (`<w:p>`) are cell text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[_Cell]] = []
        self.head_rows = 0
        self.faithful = True
        self._tables = 0
        self._in_head = False
        self._cell: list[str] | None = None
        self._spans = (1, 1)
        self._names: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _KNOWN:
            literal = self.get_starttag_text() or f"<{tag}>"
            self._names[tag] = literal[1:].split(None, 1)[0].rstrip("/>")
            self.handle_data(literal)
        elif tag == "table":
            self._tables += 1
            self.faithful = self.faithful and self._tables == 1
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self.rows.append([])
            if self._in_head:
                self.head_rows += 1
        elif tag in ("td", "th"):
            self._cell = []
            self._spans = (1, 1)
            if attrs:
                values = dict(attrs)
                rowspan, colspan = values.get("rowspan"), values.get("colspan")
                self._spans = (_span(rowspan, _MAX_ROWSPAN), _span(colspan, _MAX_COLSPAN))
        elif tag == "br":
            self.handle_data(" ")
        elif tag in _BLOCKS:
            self.faithful = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _KNOWN:
            super().handle_startendtag(tag, attrs)
        else:
            self.handle_data(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _KNOWN:
            self.handle_data(f"</{self._names.get(tag, tag)}>")
        elif tag in ("td", "th") and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(_Cell(" ".join("".join(self._cell).split()), *self._spans))
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table":
            self._tables -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif data.strip():
            self.faithful = False  # text outside any cell (a caption element, stray text)


def _grid(rows: list[list[_Cell]]) -> list[list[str]]:
    """Rows of equal width; a span's text in its top-left cell, the cells it covers empty."""
    taken: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(min(cell.rowspan, len(rows) - r)):
                for dc in range(cell.colspan):
                    taken.setdefault((r + dr, c + dc), cell.text if dr == dc == 0 else "")
            c += cell.colspan
    width = 1 + max((c for _, c in taken), default=-1)
    return [[taken.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def _has_complex_header(rows: list[list[_Cell]], head_rows: int) -> bool:
    """More than one header row, or a first row whose cells reach down into the body."""
    first = rows[0] if rows else []
    return head_rows > 1 or (len(rows) > 1 and any(cell.rowspan > 1 for cell in first))


def _cell_markdown(text: str, inline: Inline) -> str:
    """Inline-normalised cell text (`inline` writes bare XML tags as inline code), pipes escaped."""
    return inline(text).replace("|", "\\|")


def _pipe_table(grid: list[list[str]], inline: Inline) -> str:
    """A pipe table with the first row as header, columns that are empty in every row dropped."""
    keep = [c for c in range(len(grid[0]) if grid else 0) if any(row[c] for row in grid)]
    if not keep:
        return ""
    rows = [[_cell_markdown(row[c], inline) for c in keep] for row in grid]
    header, *body = rows
    return "\n".join(f"| {' | '.join(cells)} |" for cells in [header, ["---"] * len(keep), *body])


def _embedded_html(html: str) -> str:
    """The table's own HTML without blank lines (a blank line would end the HTML block in Markdown)."""
    return "\n".join(line for line in html.strip().splitlines() if line.strip())


def _caption(texts: list[str]) -> str | None:
    """The caption a row holds alone (its only cell with text), None for any other row."""
    filled = [text for text in texts if text.strip()]
    return filled[0] if len(filled) == 1 and CAPTION.match(filled[0]) else None


def _caption_rows(rows: list[list[_Cell]]) -> dict[int, str]:
    """Rows that hold a caption alone and that no rowspan from a row above reaches into."""
    captions, reach = {}, 0
    for number, row in enumerate(rows):
        caption = _caption([cell.text for cell in row])
        if caption is not None and reach <= number and all(cell.rowspan == 1 for cell in row):
            captions[number] = caption
        reach = max([reach, *(number + cell.rowspan for cell in row)])
    return captions


def _cells_html(rows: list[list[_Cell]]) -> str:
    """Rows as a plain HTML table (cell text escaped, spans kept): a part of a table split at a caption."""
    lines = ["<table>"]
    for row in rows:
        cells = []
        for cell in row:
            spans = "".join(
                f" {name}={n}" for name, n in (("rowspan", cell.rowspan), ("colspan", cell.colspan)) if n > 1
            )
            cells.append(f"<td{spans}>{markup.escape(cell.text, quote=False)}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return "\n".join([*lines, "</table>"])


def _part(rows: list[list[_Cell]], head_rows: int, inline: Inline) -> str:
    """One table of a split body: a pipe table, or HTML when its header is not one plain row."""
    if _has_complex_header(rows, head_rows):
        return _cells_html(rows)
    return _pipe_table(_grid(rows), inline)


_SIMPLE_TAG = re.compile(
    r"<(/?)(table|thead|tbody|tfoot|tr|td|th|br|sub|sup|b|i|em|strong|span)"
    r"((?:\s+[a-z][a-z-]*+(?:=(?:\"[^\"<>&]*\"|'[^'<>&]*'|[^\s\"'<>=`&]++))?)*+)\s*(/?)>"
)
"""A tag as MinerU writes them: a known lower-case name, plain attribute values (no entity, no `<`)."""
_ATTRIBUTE = re.compile(r"([a-z][a-z-]*+)(?:=(?:\"([^\"]*)\"|'([^']*)'|(\S+)))?")


def _read_simple(parser: _TableParser, html: str) -> bool:
    """Feed `parser` a table written the way MinerU writes them; False (`parser` half fed) for other markup.

    About 2x faster than `HTMLParser` on MinerU's tables; anything it does not know (a comment, an entity in
    an attribute, an unknown or upper-case tag, a stray `<`) stops it, and `HTMLParser` reads the table.
    """
    pieces = _SIMPLE_TAG.split(html)  # text, then each tag's four groups and the text after it
    for at in range(1, len(pieces), 5):
        data, closing, name, attributes, self_closing = pieces[at - 1 : at + 4]
        if data:
            if "<" in data:
                return False
            parser.handle_data(markup.unescape(data) if "&" in data else data)
        if closing:
            if attributes or self_closing:
                return False
            parser.handle_endtag(name)
        else:
            pairs = (
                [
                    (m[1], m[2] if m[2] is not None else m[3] if m[3] is not None else m[4])
                    for m in _ATTRIBUTE.finditer(attributes)
                ]
                if attributes
                else []
            )
            parser.handle_starttag(name, pairs)
            if self_closing:
                parser.handle_endtag(name)
    rest = pieces[-1]
    if "<" in rest:
        return False
    if rest:
        parser.handle_data(markup.unescape(rest) if "&" in rest else rest)
    return True


def _parsed(html: str) -> _TableParser:
    """The table read by `_TableParser`: by `_read_simple` where it can, else by `HTMLParser` itself."""
    parser = _TableParser()
    if not _read_simple(parser, html):
        parser = _TableParser()
        parser.feed(html)
        parser.close()
    return parser


def html_table(html: str, inline: Inline) -> str:
    """A MinerU HTML table as a pipe table, or embedded as HTML when spans or nesting defeat a grid; a body
    holding tables MinerU ran together gives each its own table, the caption rows between as paragraphs."""
    parser = _parsed(html)
    captions = _caption_rows(parser.rows) if parser.faithful else {}
    if not captions:
        if not parser.faithful or _has_complex_header(parser.rows, parser.head_rows):
            return _embedded_html(html)
        return _pipe_table(_grid(parser.rows), inline)
    parts, start = [], 0
    for number in [*sorted(captions), len(parser.rows)]:
        if number > start:
            head_rows = parser.head_rows if start == 0 else 0
            parts.append(_part(parser.rows[start:number], head_rows, inline))
        if number in captions:
            parts.append(inline(captions[number]))
        start = number + 1
    return "\n\n".join(part for part in parts if part)


def text_table(text: str, inline: Inline) -> str:
    """A table MinerU gave as text: ` | `-separated rows as a pipe table (split at rows holding a caption
    alone, as `html_table` splits), layout text in a `text` fence, and text whose every line is prose (a
    paragraph the tier typed as a table) as a paragraph."""
    rows = [[cell.strip() for cell in line.split(" | ")] for line in text.splitlines() if line.strip()]
    if not any(len(row) > 1 for row in rows):
        return inline(" ".join(text.split())) if is_prose(text) else fenced(text, "text")
    parts: list[str] = []
    table: list[list[str]] = []
    for row in [*rows, None]:
        caption = None if row is None else _caption(row)
        if row is not None and caption is None:
            table.append(row)
            continue
        if table:
            width = max(len(cells) for cells in table)
            parts.append(_pipe_table([cells + [""] * (width - len(cells)) for cells in table], inline))
            table = []
        if caption is not None:
            parts.append(inline(caption))
    return "\n\n".join(part for part in parts if part)

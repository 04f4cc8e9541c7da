"""A clause file's Markdown split back into what verification compares: prose, code, tables, links.

Invariant: every character of the file's content lands in exactly one part (link targets, fences and
table rules excepted), so a word checked nowhere cannot hide in a part nobody reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_LINK = re.compile(r"(!?)\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)")
_RULE_CELL = re.compile(r"^:?-{3,}:?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    line: int
    image: bool


@dataclass
class MarkdownParts:
    """Prose lines (links reduced to their text), code block bodies, tables (rows of cell text), links."""

    prose: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    ordered: list[str] = field(default_factory=list)
    """Every part's text (a table's rows, one per line) in the file's order."""

    def text(self) -> str:
        """All the words of the clause in the file's order: prose, code and every table cell, so a line
        the file sets half as prose, half as code is still one run of words."""
        return "\n".join(self.ordered)


def unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _strip_links(line: str, number: int, links: list[Link]) -> str:
    def keep_text(match: re.Match[str]) -> str:
        links.append(Link(unescape(match[2]), match[3], number, bool(match[1])))
        return "" if match[1] else match[2]

    return _LINK.sub(keep_text, line)


def _pipe_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [unescape(cell.strip()) for cell in _CELL_SPLIT.split(inner)]


def _is_rule(cells: list[str]) -> bool:
    return bool(cells) and all(_RULE_CELL.match(cell) for cell in cells)


class _HtmlTables(HTMLParser):
    """Rows of cell text from HTML tables (the renderer's fallback for tables a grid cannot hold)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.outside: list[str] = []
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif tag == "tr" and self._depth == 1:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth = max(self._depth - 1, 0)
        elif tag in ("td", "th") and self._cell is not None and self._depth == 1:
            if not self.tables[-1]:
                self.tables[-1].append([])
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._depth == 0:
            self.outside.append(data)


def split_markdown(markdown: str) -> MarkdownParts:
    """Split rendered clause Markdown into its parts; headings and list items count as prose."""
    parts = MarkdownParts()
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            body, index = [], index + 1
            while index < len(lines) and not lines[index].startswith(fence[1]):
                body.append(lines[index])
                index += 1
            parts.code.append("\n".join(body))
            parts.ordered.append(parts.code[-1])
        elif line.lstrip().startswith("<table"):
            html = [line]
            while "</table>" not in html[-1] and index + 1 < len(lines):
                index += 1
                html.append(lines[index])
            parser = _HtmlTables()
            parser.feed("\n".join(html))
            parser.close()
            parts.tables.extend(parser.tables)
            parts.ordered += [" ".join(row) for table in parser.tables for row in table]
            outside = "".join(parser.outside).strip()
            if outside:
                parts.prose.append(outside)
                parts.ordered.append(outside)
        elif line.lstrip().startswith("|"):
            table = []
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                row = _pipe_row(_strip_links(lines[index], index, parts.links))
                if not _is_rule(row):
                    table.append(row)
                index += 1
            parts.tables.append(table)
            parts.ordered += [" ".join(row) for row in table]
            continue
        elif line.strip():
            parts.prose.append(unescape(_strip_links(line, index, parts.links)))
            parts.ordered.append(parts.prose[-1])
        index += 1
    return parts

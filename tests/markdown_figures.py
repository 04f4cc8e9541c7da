"""Clause-tree Markdown read back with a real CommonMark parser: code where it should not be, foreign links.

Shared by the tests and `benchmarks/bench_clause_tree_real.py`, so both count the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from platform_assets.domain.tree.code_lines import code_language, is_prose
from platform_assets.domain.verify.link_check import link_target

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
"""CommonMark plus GFM's tables and strikethrough, as the tree's readers render it."""


@dataclass
class CodeFindings:
    """What one tree's Markdown shows, as lists of (path, text) so a failing test can print them."""

    code_headings: list[tuple[str, str]] = field(default_factory=list)
    """Headings that are code lines, but for each file's title (its bookmark's title, whatever its shape)."""
    code_lines_outside: list[tuple[str, str]] = field(default_factory=list)
    """Lines of paragraphs and list items (not table cells) that are code lines."""
    fences: int = 0
    prose_fences: list[tuple[str, str]] = field(default_factory=list)
    foreign_links: list[tuple[str, str]] = field(default_factory=list)
    """Links and images whose target is no file of the tree: made from source text, not by us."""
    html: list[tuple[str, str]] = field(default_factory=list)
    """Raw HTML other than MinerU's `<sup>`/`<sub>` and the HTML tables the renderer embeds."""


def _shown(inline: Token) -> str:
    """The text a reader sees of an inline token: links and emphasis reduced to their text."""
    parts = []
    for child in _children(inline.children or []):
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _children(tokens: Iterable[Token]) -> Iterable[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _children(token.children)


def _allowed_html(content: str) -> bool:
    tag = content.strip().lstrip("<").lstrip("/").split(">")[0].split()[0].lower() if content.strip() else ""
    return tag in {"sup", "sub", "table", "tr", "td", "th", "thead", "tbody", "br", "p"}


def read_tree(files: Mapping[str, str], existing: frozenset[str]) -> CodeFindings:
    """Every Markdown file of a tree parsed; `existing` holds every path of the tree (pages and images)."""
    found = CodeFindings()
    for path, markdown in sorted(files.items()):
        tokens = _PARSER.parse(markdown)
        for index, token in enumerate(tokens):
            if token.type == "fence":
                found.fences += 1
                if is_prose(token.content):
                    found.prose_fences.append((path, token.content))
            elif token.type == "html_block" and not _allowed_html(token.content):
                found.html.append((path, token.content))
            elif token.type == "inline":
                opener = tokens[index - 1].type
                children = token.children or []
                if children and children[0].type == "link_open" and children[-1].type == "link_close":
                    opener = "navigation"  # the tree's own list of child clauses: outline titles
                if index == 1 and opener == "heading_open":
                    opener = "title"  # the file's title, its bookmark's (`ei_connect()`): a heading anyway
                for line in _shown(token).splitlines():
                    if opener == "heading_open" and code_language(line, heading=True):
                        found.code_headings.append((path, line))
                    elif opener == "paragraph_open" and code_language(line):
                        found.code_lines_outside.append((path, line))
                for child in _children(token.children or []):
                    href = child.attrs.get("href") or child.attrs.get("src")
                    if child.type in ("link_open", "image") and link_target(path, str(href)) not in existing:
                        found.foreign_links.append((path, str(href)))
                    if child.type == "html_inline" and not _allowed_html(child.content):
                        found.html.append((path, child.content))
    return found


def code_figures(files: Mapping[str, str], existing: frozenset[str]) -> dict[str, int]:
    """`read_tree`'s findings as counts, for a benchmark row."""
    found = read_tree(files, existing)
    return {
        "code_headings": len(found.code_headings),
        "code_lines_outside": len(found.code_lines_outside),
        "fences": found.fences,
        "prose_fences": len(found.prose_fences),
        "foreign_links": len(found.foreign_links),
        "html": len(found.html),
    }

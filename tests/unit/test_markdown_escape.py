"""Source text escaped so Markdown shows its characters: only where CommonMark would read syntax."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from platform_assets.domain.tree.markdown_escape import escape_block_starts, escape_heading, escape_inline

COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _shown(markdown: str) -> str:
    """The text a CommonMark renderer shows for `markdown`, with the tags it would create."""
    return COMMONMARK.render(markdown).strip()


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("\\macro<1><2>[border](0cm,0cm)", "\\macro<1><2>[border\\](0cm,0cm)"),
        ("[phi](x)", "[phi\\](x)"),
        ("![alt](pic.png)", "![alt\\](pic.png)"),
        ("[a][b]", "[a\\][b]"),
        ("see [1] and [ISO 8601]", "see [1] and [ISO 8601]"),
        ("a *bold* claim", "a \\*bold\\* claim"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("\\cs_new_protected:Npn", "\\cs_new_protected:Npn"),
        ("\\__kernel_x:n", "\\\\\\_\\_kernel_x:n"),
        ("_start and end_", "\\_start and end\\_"),
        ("use `code` here", "use \\`code\\` here"),
        ("the <xs:element> tag", "the \\<xs:element> tag"),
        ("<http://example.com>", "\\<http://example.com>"),
        ("a < b and c > d", "a < b and c > d"),
        ("&amp; and &#167; but AT&T", "\\&amp; and \\&#167; but AT&T"),
        ("\\{ and \\}", "\\\\{ and \\\\}"),
        ("~~gone~~ and ~ alone", "\\~\\~gone\\~\\~ and ~ alone"),
        ("plain words only", "plain words only"),
    ],
)
def test_inline_escapes_exactly_what_commonmark_would_read(text: str, escaped: str) -> None:
    assert escape_inline(text) == escaped
    shown = _shown(escaped)
    assert "<a " not in shown and "<img" not in shown and "<em>" not in shown and "<code>" not in shown
    assert "<s>" not in shown and "<xs:" not in shown


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# of widgets", "\\# of widgets"),
        ("## \\begin{align}", "\\## \\begin{align}"),
        ("1. Initialize", "1\\. Initialize"),
        ("1) Widths", "1\\) Widths"),
        ("- dash", "\\- dash"),
        ("+ plus", "\\+ plus"),
        ("> quoted", "\\> quoted"),
        ("* star", "\\* star"),
        ("---", "\\---"),
        ("* * *", "\\* * *"),
        ("~~~", "\\~~~"),
        ("[label]: target", "\\[label]: target"),
        ("first line\n===", "first line\n\\==="),
        ("2024 was a year", "2024 was a year"),
        ("1.5 is a number", "1.5 is a number"),
    ],
)
def test_block_starts_are_escaped_where_they_would_open_a_block(text: str, escaped: str) -> None:
    assert escape_block_starts(text) == escaped
    assert _shown(escaped).startswith("<p>")


def test_a_heading_keeps_a_trailing_hash() -> None:
    assert escape_heading("Notes on C #") == "Notes on C \\#"
    assert _shown(f"## {escape_heading('Notes on C #')}") == "<h2>Notes on C #</h2>"
    assert escape_heading("C# notes") == "C# notes"


@pytest.mark.parametrize(
    "text",
    [
        "\\macro<1><2>[border](0cm,0cm)",
        "x_1 * y_2 = z",
        "`a` and ``b``",
        "\\\\ ends \\",
        "[x]: y",
        "<!-- not a comment -->",
        "snake_case and __dunder__ and *",
    ],
)
def test_a_renderer_shows_the_source_characters(text: str) -> None:
    shown = _shown(escape_block_starts(escape_inline(text)))
    inner = shown.removeprefix("<p>").removesuffix("</p>")
    assert html.unescape(inner) == text

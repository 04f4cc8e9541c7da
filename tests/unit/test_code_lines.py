"""Which lines are code, in which language, judged from the shape of the whole line; joined listings split."""

from __future__ import annotations

import pytest

from platform_assets.domain.tree.code_lines import bracketed, code_language, is_prose, numbered_lines


@pytest.mark.parametrize(
    ("line", "language"),
    [
        ("\\begin{align}", "latex"),
        ("\\newinsert\\footins", "latex"),
        ("\\cs_new_protected:Npn \\my_map_dbl:nn #1#2", "latex"),
        ("\\macro<1><2>[border](0cm,0cm)", "latex"),
        ("\\msg_error:nn { module } { my-message }", "latex"),
        ("\\begin{itemize} \\item First point. \\item Second point. \\end{itemize}", "latex"),
        ('<w:p w:rsidR="00A1"><w:r><w:t>text</w:t></w:r></w:p>', "xml"),
        ("</panel>", "xml"),
        ("$ pkg-config --cflags libtiff-4", "sh"),
        ("SEXP convolve2(SEXP a, SEXP b) {", "text"),
        ("x <- c(1, 2)", "text"),
        ("exit(status);", "text"),
        # prose that mentions code stays prose
        ("Use \\section to start a section.", None),
        ("\\section starts a section.", None),
        ("The <panel> element holds labels and buttons.", None),
        ("If you get too many strung out pages with \\flushbottom you may want \\raggedbottom.", None),
        ("it would point out that this function is the TEX primitive \\string.", None),
        ("Hooks provided by \\begin{document}", None),
        ("process each image element in document order (see A.1).", None),
        ("the function(s) it calls", None),
        # an index entry, contents leaders, a Windows path, a Markdown escape
        ("\\verb, 468", None),
        ("\\markright{⟨right⟩} . . . . . . . . 110", None),
        ("C:\\texlive\\texmf-local", None),
        ("egg.zoo.basic\\_games.play", None),
    ],
)
def test_a_line_is_code_by_its_whole_shape(line: str, language: str | None) -> None:
    assert code_language(line) == language


@pytest.mark.parametrize(
    ("heading", "language"),
    [
        ("\\begin{align}", "latex"),
        ("\\usepackage{amsthm}", "latex"),
        ("Example: \\beamerdefaultoverlayspecification{<+->}", "latex"),
        ("\\DeclareOption or \\DeclareOption*:", "latex"),
        ("1.1 \\DocumentMetadata", None),
        ("4 Setting \\@currdir", None),
        ("The \\l3tl package", None),
        ("Finding R_HOME", None),
        ("Widget Markup Language", None),
    ],
)
def test_a_heading_is_code_on_a_tie_unless_it_starts_with_a_clause_number(
    heading: str, language: str | None
) -> None:
    assert code_language(heading, heading=True) == language


def test_a_joined_numbered_listing_splits_into_its_source_lines() -> None:
    joined = "18182 {…} 18183 \\cs_new_protected:Npn \\__kernel_x:n #1 18184 { \\use:n {#1} }"
    assert numbered_lines(joined) == [
        "18182 {…}",
        "18183 \\cs_new_protected:Npn \\__kernel_x:n #1",
        "18184 { \\use:n {#1} }",
    ]
    # margin names before the first number stay a line of their own; numbers must count up by one
    margin = "\\@whiledim \\@iwhiledim 7 \\long\\def\\@whiledim#1{\\ifdim #1} 8 \\long\\def\\@iwhiledim#1{x}"
    assert numbered_lines(margin) == [
        "\\@whiledim \\@iwhiledim",
        "7 \\long\\def\\@whiledim#1{\\ifdim #1}",
        "8 \\long\\def\\@iwhiledim#1{x}",
    ]
    assert numbered_lines("13 \\def\\@nnil{\\@nil}") == ["13 \\def\\@nnil{\\@nil}"]
    assert numbered_lines("1 & 2 & 3 \\\\") == ["1 & 2 & 3 \\\\"]  # a table row, no listing
    assert numbered_lines("see 3 of them and 4 more") == ["see 3 of them and 4 more"]


def test_a_code_block_is_prose_only_when_no_line_holds_code() -> None:
    quotation = (
        "This quotation has a short last line so there is enough space for the\n"
        "source to be set at the end of the line. I. M. Short"
    )
    assert is_prose(quotation)
    assert not is_prose("if twocolumn then:\n  marginparwidth = min{inner margin,outer margin}")
    assert not is_prose("The \\verb?\\emph? command is used to produce some text that")
    assert not is_prose("make install")
    assert not is_prose("")


def test_brackets_pair_an_opening_line_with_its_closing_line_and_an_escaped_brace_opens_nothing() -> None:
    lines = ["\\tcbset{", "left=\\{ 2mm,", "title=My title of the box", "}", "Some words after it."]
    assert bracketed(lines) == [(0, 3)]
    quote = ["\\begin{quote}", "Text of the quote, a sentence of words.", "\\end{quote}"]
    assert bracketed(quote) == [(0, 2)]
    assert bracketed(quote, sentences=False) == []  # a sentence between ends the search
    assert bracketed(["<para>", "Text.", "</para>"]) == [(0, 2)]
    assert bracketed(["<para>Text.</para>", "More.", "</para>"]) == []  # closed on its own line

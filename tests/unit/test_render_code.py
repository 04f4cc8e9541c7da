"""Code in clause bodies: labelled fences, XML examples of the flash tier, merges across page breaks."""

from __future__ import annotations

from typing import Any

import pytest

from platform_assets.domain.parse.adapters import blocks_from_middle_json
from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.tree.block_triage import triage
from platform_assets.domain.tree.render_code import fence_label, fenced
from platform_assets.domain.tree.render_markdown import RenderContext, render_blocks

_KINDS = {
    "header": BlockKind.PAGE_HEADER,
    "footer": BlockKind.PAGE_FOOTER,
    "page_number": BlockKind.PAGE_NUMBER,
    "text": BlockKind.TEXT,
    "paragraph_title": BlockKind.HEADING,
    "code": BlockKind.CODE,
}
HEADER = "ACME-1234:2024(E)"
FOOTER = "© ACME Standards 2024 – All rights reserved"


def _blocks(*rows: tuple[Any, ...]) -> list[Block]:
    """Blocks in the shape the flash tier gave the sample standard: (page, MinerU type, text[, fields])."""
    blocks = []
    for seq, (page, type_, text, *fields) in enumerate(rows):
        extra = fields[0] if fields else {}
        blocks.append(
            Block(seq=seq, page_index=page, kind=_KINDS[type_], source_type=type_, text=text, **extra)
        )
    return blocks


def _furniture(page: int, number: str) -> list[tuple[int, str, str]]:
    """The sample's running footer and page number at the foot of `page`, its headers atop `page + 1`."""
    return [
        (page, "footer", FOOTER),
        (page, "page_number", number),
        (page + 1, "header", HEADER),
        (page + 1, "header", "Widget Markup Language"),
    ]


AROUND = 10_000
"""`seq` from which the blocks `_render` adds around the ones under test start."""


def _render(blocks: list[Block]) -> str:
    """`blocks` rendered as the tree renders them: after triage of a document with the sample's running
    headers and footers on the pages around them (triage tells furniture by repetition)."""
    pages = range(max(min(b.page_index for b in blocks) - 3, 0), max(b.page_index for b in blocks) + 4)
    around = _blocks(*(row for page in pages for row in _furniture(page, str(page + 1))))
    around = [b.model_copy(update={"seq": AROUND + b.seq}) for b in around]
    kept = triage([*around, *blocks]).kept
    return render_blocks([b for b in kept if b.seq < AROUND], RenderContext())


def _middle_code(**block: Any) -> Block:
    """One MinerU 4 middle_json code block (code_caption, code_body, code_footnote children)."""
    middle = {
        "schema": "docvortex.middle",
        "schema_version": "2.0",
        "pages": [{"page_idx": 3, "blocks": [{"type": "code", "sub_type": "code", **block}]}],
    }
    (code,) = blocks_from_middle_json(middle)
    return code


def _span(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "content": text}]


# sample b001 page 6: the flash tier gives an example as marker text, one text block per XML line,
# and the closing marker as a heading
OPENER = "[Example: The following wml document declares one widget with a panel of a label and a button:"
EXAMPLE_PAGE_6 = [
    (6, "text", OPENER),
    (6, "text", '<wml xmlns="urn:acme:1234:wml" version="1.0">'),
    (6, "text", '<widget id="w1" align="center" width="220px">'),
    (6, "text", '<panel orientation="vertical" spacing="5pt">'),
    (6, "text", '<label align="center">Settings Page</label> <button kind="toggle" text="OK"/>'),
    (6, "text", "</panel>"),
    (6, "text", "</widget>"),
    (6, "text", "</wml>"),
    (6, "paragraph_title", "end example]"),
]


def test_code_body_renders_as_a_labelled_fence_under_its_caption() -> None:
    code = _middle_code(
        guess_lang="python",
        content=[
            {"type": "code_caption", "content": _span("Listing 1 — reading a part")},
            {"type": "code_body", "content": "with open(path) as part:\n    data = part.read()"},
            {"type": "code_footnote", "content": _span("NOTE The path is relative.")},
        ],
    )
    assert code.code and code.caption == ["Listing 1 — reading a part"]
    assert render_blocks([code], RenderContext()) == (
        "Listing 1 — reading a part\n\n"
        "```python\nwith open(path) as part:\n    data = part.read()\n```\n\n"
        "NOTE The path is relative.\n"
    )


def test_code_without_a_language_guess_is_labelled_text() -> None:
    code = _middle_code(content=[{"type": "code_body", "content": "[3, 1, 4]   \n[1, 5]"}])
    assert render_blocks([code], RenderContext()) == "```text\n[3, 1, 4]\n[1, 5]\n```\n"


def test_example_markers_stay_prose_around_one_xml_fence() -> None:
    blocks = _blocks(*EXAMPLE_PAGE_6, *_furniture(6, "3"), (7, "paragraph_title", "5.1.2 Attributes"))
    assert _render(blocks) == (
        f"{OPENER}\n\n"
        "```xml\n"
        '<wml xmlns="urn:acme:1234:wml" version="1.0">\n'
        '<widget id="w1" align="center" width="220px">\n'
        '<panel orientation="vertical" spacing="5pt">\n'
        '<label align="center">Settings Page</label> <button kind="toggle" text="OK"/>\n'
        "</panel>\n</widget>\n</wml>\n"
        "```\n\n"
        "end example]\n\n"
        "## 5.1.2 Attributes\n"
    )


def test_example_given_as_one_xml_heading_is_fenced_too() -> None:
    # sample b005 page 41: the whole listing came as one paragraph_title
    xml = '<wml xmlns="urn:acme:1234:wml" version="1.0"> <widget id="w8" align="right"/> </wml>'
    blocks = _blocks(
        (41, "text", "[Example: The settings page, version 8:"),
        (41, "paragraph_title", xml),
        (41, "paragraph_title", "end example]"),
    )
    fence = f"```xml\n{xml}\n```"
    assert _render(blocks) == f"[Example: The settings page, version 8:\n\n{fence}\n\nend example]\n"


SCHEMA_TAIL = "</xs:simpleContent>\n       </xs:complexType>\n   </xs:schema>"


def test_code_split_by_a_page_break_merges_into_one_fence() -> None:
    # sample b004: the schema listing starts as text lines on page 32 and goes on as a code block on page 33
    blocks = _blocks(
        (32, "text", "The schema file acme-wml.xsd reads as follows."),
        (32, "text", '<xs:element name="label">'),
        (32, "text", "<xs:complexType>"),
        (32, "text", '<xs:attribute name="align" type="ST_Align" default="left"/> </xs:extension>'),
        *_furniture(32, "29"),
        (33, "code", SCHEMA_TAIL, {"language": "txt", "code": SCHEMA_TAIL}),
    )
    assert _render(blocks) == (
        "The schema file acme-wml.xsd reads as follows.\n\n"
        "```xml\n"
        '<xs:element name="label">\n<xs:complexType>\n'
        '<xs:attribute name="align" type="ST_Align" default="left"/> </xs:extension>\n'
        "</xs:simpleContent>\n       </xs:complexType>\n   </xs:schema>\n"
        "```\n"
    )


def test_separate_examples_stay_separate_fences() -> None:
    # sample b001 pages 8 and 10 (abridged): prose between two examples keeps them apart, page break or not
    blocks = _blocks(
        (8, "text", "[Example: A horizontal panel with two buttons:"),
        (8, "text", '<panel orientation="horizontal" spacing="6pt">'),
        (8, "text", "</panel>"),
        (8, "paragraph_title", "end example]"),
        *_furniture(8, "5"),
        (9, "text", "[Example: A wizard step:"),
        (9, "text", '<wml xmlns="urn:acme:1234:wml" version="1.0">'),
        (9, "text", "</wml>"),
        (9, "paragraph_title", "end example]"),
    )
    assert _render(blocks).count("```xml\n") == 2


def test_code_blocks_on_one_page_stay_separate() -> None:
    first = _middle_code(guess_lang="python", content=[{"type": "code_body", "content": "print(1)"}])
    second = _middle_code(guess_lang="json", content=[{"type": "code_body", "content": "{}"}])
    second = second.model_copy(update={"seq": 1})
    assert render_blocks([first, second], RenderContext()) == "```python\nprint(1)\n```\n\n```json\n{}\n```\n"


@pytest.mark.parametrize("guess", ["txt", "text", "asp", "hcl", None])
def test_namespaced_xml_guessed_as_text_is_labelled_xml(guess: str | None) -> None:
    assert fence_label(guess, '<w:p w:rsidR="00AB">\n  <w:r/>\n</w:p>') == "xml"
    assert fence_label(guess, '<Types xmlns="http://schemas.openxmlformats.org/package/2006/ct"/>') == "xml"
    assert fence_label(guess, "SELECT 1;") == (guess or "text")
    assert fence_label("python", "x = '<w:p>'") == "python"


def test_orphan_closing_tag_after_an_xml_fence_is_folded_back() -> None:
    code = _middle_code(guess_lang="xml", content=[{"type": "code_body", "content": "<w:p>\n  <w:r/>"}])
    orphan = Block(seq=1, page_index=3, kind=BlockKind.TEXT, source_type="text", text="</w:p>")
    after = Block(seq=2, page_index=3, kind=BlockKind.TEXT, source_type="text", text="end example]")
    assert render_blocks([code, orphan, after], RenderContext()) == (
        "```xml\n<w:p>\n  <w:r/>\n</w:p>\n```\n\nend example]\n"
    )


def test_fence_outgrows_backticks_inside_the_code() -> None:
    assert fenced("```\nnested\n```", "markdown") == "````markdown\n```\nnested\n```\n````"
    assert fenced("\n\n   \n", "text") == ""


def _line(seq: int, kind: BlockKind, text: str, page: int = 12) -> Block:
    return Block(seq=seq, page_index=page, kind=kind, source_type=kind.value, text=text)


def test_a_code_heading_is_a_fence_never_a_heading_and_code_lines_join_one_fence() -> None:
    """tl-memman and tl-beameruserguide (flash tier): macro lines typed as headings and as text in turn."""
    blocks = [
        _line(0, BlockKind.TEXT, "For example:"),
        _line(1, BlockKind.HEADING, "\\begin{align}"),
        _line(2, BlockKind.TEXT, "a &= b \\\\"),
        _line(3, BlockKind.HEADING, "\\end{align}"),
        _line(4, BlockKind.TEXT, "Use \\section to start a section."),
    ]
    assert render_blocks(blocks, RenderContext()) == (
        "For example:\n\n```latex\n\\begin{align}\na &= b \\\\\n\\end{align}\n```\n\n"
        "Use \\section to start a section.\n"
    )


def test_a_short_fragment_between_two_code_lines_stays_in_the_listing() -> None:
    """tl-source2e page 301: the parser made `fi` of a pseudo-code listing a heading of its own."""
    blocks = [
        _line(0, BlockKind.TEXT, "\\@nextwhile = def(\\@iwhilesw)"),
        _line(1, BlockKind.HEADING, "fi"),
        _line(2, BlockKind.TEXT, "\\@nextwhile {SWITCH BODY} \\fi"),
        _line(3, BlockKind.HEADING, "Syntax"),
    ]
    assert render_blocks(blocks, RenderContext()) == (
        "```latex\n\\@nextwhile = def(\\@iwhilesw)\nfi\n\\@nextwhile {SWITCH BODY} \\fi\n```\n\n## Syntax\n"
    )


def test_a_joined_line_numbered_listing_keeps_one_source_line_per_line() -> None:
    """tl-source2e: the documented source's numbered lines joined into one text block by the parser."""
    joined = _line(0, BlockKind.TEXT, "18182 {…} 18183 \\cs_new_protected:Npn \\__kernel_x:n #1 18184 { #1 }")
    assert render_blocks([joined], RenderContext()) == (
        "```latex\n18182 {…}\n18183 \\cs_new_protected:Npn \\__kernel_x:n #1\n18184 { #1 }\n```\n"
    )


def test_a_code_block_of_prose_renders_as_prose() -> None:
    """tl-memman page 167: the typeset result of an example, fenced by the parser as `txt`; likewise a
    paragraph guessed as `xml`."""
    quotation = "This quotation has a short last line so there is enough space for the source."
    for guess in ("txt", "xml"):
        block = _middle_code(guess_lang=guess, content=[{"type": "code_body", "content": quotation}])
        assert render_blocks([block], RenderContext()) == f"{quotation}\n"
    latex = _middle_code(
        guess_lang="txt", content=[{"type": "code_body", "content": "\\linenottooshort[4em]"}]
    )
    assert render_blocks([latex], RenderContext()) == "```latex\n\\linenottooshort[4em]\n```\n"


def test_code_lines_of_other_languages_get_their_own_fences() -> None:
    blocks = [
        _line(0, BlockKind.TEXT, "SEXP convolve2(SEXP a, SEXP b) {"),
        _line(1, BlockKind.TEXT, "nab = length(a);"),
        _line(2, BlockKind.TEXT, "}"),
        _line(3, BlockKind.TEXT, "Compile it with"),
        _line(4, BlockKind.TEXT, "$ R CMD SHLIB convolve.c"),
        _line(5, BlockKind.TEXT, "<w:p/>"),
    ]
    assert render_blocks(blocks, RenderContext()) == (
        "```text\nSEXP convolve2(SEXP a, SEXP b) {\nnab = length(a);\n}\n```\n\nCompile it with\n\n"
        "```sh\n$ R CMD SHLIB convolve.c\n```\n\n```xml\n<w:p/>\n```\n"
    )


def test_a_boxed_syntax_summary_read_from_an_image_is_a_fence_and_a_figure_label_stays_prose() -> None:
    """tl-usrguide page 11: the flash tier typed a framed syntax box as an image and read its lines."""
    box = "\\IfValueTF {⟨arg⟩} {⟨true code⟩} {⟨false code⟩}\n\\IfValueT {⟨arg⟩} {⟨true code⟩}"
    image = Block(seq=0, page_index=11, kind=BlockKind.IMAGE, source_type="image", text=box)
    assert render_blocks([image], RenderContext()) == f"```latex\n{box}\n```\n"
    figure = image.model_copy(update={"text": "2. LAYING OUT THE PAGE\n\\setpagetl{h}{w}{r}"})
    assert render_blocks([figure], RenderContext()) == "2\\. LAYING OUT THE PAGE\n\\setpagetl{h}{w}{r}\n"


def _image(text: str) -> Block:
    return Block(seq=0, page_index=5, kind=BlockKind.IMAGE, source_type="image", text=text)


def test_a_numbered_listing_read_from_an_image_is_one_fence_with_its_prose_like_lines() -> None:
    """fancyvrb-doc page 6: a framed listing with line numbers, typed as an image; most of its lines
    read as prose alone (`2 A comment`), the numbers and the code around them make it a listing."""
    listing = "1 \\begin{Verbatim}[commentchar=!]\n2   A comment\n3   Verbatim line.\n4\n5 \\end{Verbatim}"
    assert render_blocks([_image(listing)], RenderContext()) == f"```latex\n{listing}\n```\n"


def test_a_page_of_numbered_source_read_from_an_image_keeps_its_running_head_as_prose() -> None:
    """microtype-code page 198: a page of configuration source typed as one image, its running head first
    and a comment wrapped onto an unnumbered line."""
    head = "OPENTYPE CONFIGURATION FILES : Character inheritance"
    source = (
        "9378        Ο}, % Greek\n"
        "9379 <NewComputerModern> (l)O = {Ό,Ὀ,Ὁ}, % Greek accents except Ό that has in-\n"
        "dep. protrusion numbers (below)\n"
        "9380    P = {Ρ}, % Greek"
    )
    assert (
        render_blocks([_image(f"{head}\n{source}")], RenderContext()) == f"{head}\n\n```text\n{source}\n```\n"
    )


def test_a_listing_read_from_an_image_keeps_its_comments_and_closing_brace() -> None:
    """xkeyval: a file name comment over the code, comment lines inside it, a closing brace after it; a
    description of one code line is a fence too."""
    listing = "% myclass.cls\n\\define@key{mybox}{left}{\\def\\left{#1}}\n% and other keys\n\\def\\mybox{%\n}"
    assert render_blocks([_image(listing)], RenderContext()) == f"```latex\n{listing}\n```\n"
    line = "\\mybox[5pt][20pt]{some text}"
    assert render_blocks([_image(line)], RenderContext()) == f"```latex\n{line}\n```\n"


def test_numbered_lines_without_code_read_from_an_image_stay_prose() -> None:
    """A chart's labels that start with numbers (`2019 revenue`, an axis's `30`, `25`) are no listing."""
    labels = "2019 revenue grew in every region\n2020 revenue fell in two regions"
    assert render_blocks([_image(labels)], RenderContext()) == f"{labels}\n"
    axis = "30\n25\n=\n=\nA\n20\n[s]\nTime,\n10\n1:\n5"  # asmeconf p2: a plot's labels, no line numbers
    assert "```" not in render_blocks([_image(axis)], RenderContext())


def test_a_code_block_of_columns_stays_a_fence() -> None:
    """tl-memman: layout text (a table set in columns) fenced by the parser keeps its columns."""
    columns = "one      two      three     four   five\nsix      seven    eight     nine   ten"
    block = _middle_code(guess_lang="txt", content=[{"type": "code_body", "content": columns}])
    assert render_blocks([block], RenderContext()) == f"```txt\n{columns}\n```\n"


def test_an_example_box_read_from_an_image_is_one_fence_from_its_begin_to_its_end() -> None:
    """tcolorbox page 53: an example's source and its typeset output side by side, typed as one image and
    read line by line; the output's line (`This is a tcolorbox.`) and a key list with prose words inside
    the environment do not cut the listing in two."""
    items = "• uphill\n• all"
    listing = (
        "\\begin{tcolorbox}[colback=red!5!white,\ncolframe=red!75!black,\nsharp corners=northwest ]\n"
        "This is a tcolorbox.\nThis is a \\textbf{tcolorbox}.\n\\end{tcolorbox}"
    )
    expected = f"{items}\n\n```latex\n{listing}\n```\n"
    assert render_blocks([_image(f"{items}\n{listing}")], RenderContext()) == expected


def test_a_brace_group_or_an_element_read_from_an_image_is_one_fence_up_to_its_close() -> None:
    """tcolorbox: `\\tcbset{` opens a group of keys closed lines later; an XML element likewise; prose-like
    lines inside stay in."""
    listing = "\\tcbset{\nenhanced jigsaw, drop shadow,\ntitle=My title of the box\n}"
    assert render_blocks([_image(listing)], RenderContext()) == f"```latex\n{listing}\n```\n"
    element = "<section>\n<title>Getting started</title>\nThe first steps are simple.\n</section>"
    assert render_blocks([_image(element)], RenderContext()) == f"```xml\n{element}\n```\n"


def test_an_environment_named_in_prose_brackets_nothing() -> None:
    """Sentences that name `\\begin{itemize}` and `\\end{itemize}` are prose: neither line fits a listing."""
    prose = (
        "\\begin{itemize} opens the list and every item of it starts a new line\n"
        "Some more words about lists in the middle of the description\n"
        "\\end{itemize} closes the list and ends the last item of it"
    )
    assert "```" not in render_blocks([_image(prose)], RenderContext())


def test_lines_the_tier_typed_one_by_one_inside_an_environment_are_one_listing() -> None:
    """metanorma (Asciidoctor PDF) page 14: `\\item Hey,` alone reads as prose, between `\\begin{enumerate}`
    and `\\end{enumerate}` it is a listing's line; the sentence before and the output after stay prose."""
    lines = ["\\begin{enumerate}", "\\item Hey,", "\\item ho,", "\\item let's go!", "\\end{enumerate}"]
    before = "You can typeset ordered lists using the enumerate environment:"
    texts = [before, *lines, "Hey, ho, let's go!"]
    blocks = [_line(at, BlockKind.TEXT, text) for at, text in enumerate(texts)]
    listing = "\n".join(lines)
    assert render_blocks(blocks, RenderContext()) == (
        f"{before}\n\n```latex\n{listing}\n```\n\nHey, ho, let's go!\n"
    )


def test_a_paragraph_of_commentary_inside_a_brace_group_stays_prose() -> None:
    """microtype-code: documented source breaks a macro's code for a sentence of commentary; the group the
    code opens is closed lines later, but the paragraph between is no listing's line."""
    texts = ["\\def\\MT@get@inh@list{%", "Get the name of the inheritance list and parse it.", "}"]
    blocks = [_line(at, BlockKind.TEXT, text) for at, text in enumerate(texts)]
    rendered = render_blocks(blocks, RenderContext())
    assert "\nGet the name of the inheritance list and parse it.\n" in rendered
    assert rendered.count("```") == 4  # two fences, the sentence between them

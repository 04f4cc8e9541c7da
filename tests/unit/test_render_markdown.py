"""One clause body as Markdown: after triage nothing left out, headings judged, lists, equations, images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.adapters import blocks_from_content_list, blocks_from_middle_json
from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.tree.block_triage import triage
from platform_assets.domain.tree.render_markdown import (
    RenderContext,
    is_heading_like,
    normalize_inline,
    render_blocks,
    render_units,
)
from platform_assets.domain.verify.markdown_parts import unescape

MINERU = "fetched/mineru"
NAACL = f"{MINERU}/ZhangCurosr-mineru-naacl2024-001_36cd3d0_naacl-long.82_noPDF"
SVOLT = f"{MINERU}/MinerU-fork_329770b_v2.7.6-pipeline"
DEMO1 = f"{MINERU}/opendatalab-MinerU_demo1_b1adde8"
HEADER = "ACME-1234:2024(E)"
FOOTER = "© ACME Standards 2024 – All rights reserved"
_KINDS = {
    "header": BlockKind.PAGE_HEADER,
    "footer": BlockKind.PAGE_FOOTER,
    "page_number": BlockKind.PAGE_NUMBER,
    "text": BlockKind.TEXT,
    "paragraph_title": BlockKind.HEADING,
    "doc_title": BlockKind.HEADING,
    "index": BlockKind.INDEX,
}


def _blocks(*rows: tuple[int, str, str]) -> list[Block]:
    """Blocks in the shape the flash tier gave the sample standard: (page, MinerU type, text)."""
    return [
        Block(seq=seq, page_index=page, kind=_KINDS[type_], source_type=type_, text=text)
        for seq, (page, type_, text) in enumerate(rows)
    ]


def _content_list(corpus: Path, folder: str) -> list[Block]:
    (path,) = (corpus / folder).rglob("*_content_list.json")
    return blocks_from_content_list(json.loads(path.read_text(encoding="utf-8")), first_page=0)


def _middle(*blocks: dict[str, Any]) -> list[Block]:
    """Blocks of a MinerU 4 middle_json page holding `blocks` (shapes as in test_adapters)."""
    middle = {
        "schema": "docvortex.middle",
        "schema_version": "2.0",
        "pages": [{"page_idx": 5, "blocks": blocks}],
    }
    return blocks_from_middle_json(middle)


def _span(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "content": text}]


# sample b002 pages 10-11: running headers and footers on every page, plus a one-off page_header that is
# really the first body line of the page (the flash tier misclassifies it)
PAGES_10_11 = [
    (10, "header", HEADER),
    (10, "header", "Widget Markup Language"),
    (10, "header", "Every button element that is not visible still takes part in identifier resolution."),
    (10, "paragraph_title", "7 Processing model"),
    (10, "text", "process each image element in document order (see A.1)."),
    (10, "footer", FOOTER),
    (10, "page_number", "7"),
    (11, "header", HEADER),
    (11, "header", "Widget Markup Language"),
    (11, "text", "Unknown attributes on the button element are ignored."),
    (11, "footer", FOOTER),
    (11, "page_number", "8"),
]


def _triaged(blocks: list[Block]) -> str:
    """The blocks rendered as the tree renders them: what triage keeps of the whole stream."""
    return render_blocks(triage(blocks).kept, RenderContext())


def test_running_headers_are_furniture_but_a_one_off_header_stays_as_prose() -> None:
    assert _triaged(_blocks(*PAGES_10_11)) == (
        "Every button element that is not visible still takes part in identifier resolution.\n\n"
        "## 7 Processing model\n\n"
        "process each image element in document order (see A.1).\n\n"
        "Unknown attributes on the button element are ignored.\n"
    )


def test_running_footers_match_across_page_numbers_of_any_length() -> None:
    footers = [(page, "footer", f"Page {page + 1} of 12") for page in (8, 9)]
    assert _triaged(_blocks(*footers, (9, "text", "Body."))) == "Body.\n"


def test_page_numbers_and_discarded_furniture_never_reach_the_tree(shared_corpus: Path) -> None:
    svolt = _content_list(shared_corpus, SVOLT)
    naacl = _content_list(shared_corpus, NAACL)
    assert any(b.kind is BlockKind.DISCARDED and b.text == "第 1 页 共 20 页" for b in svolt)
    assert "第 1 页 共 20 页" not in _triaged(svolt)
    assert not {"1475", "1476", "1487"} & set(_triaged(naacl).split("\n\n"))


def test_internal_table_of_contents_is_dropped() -> None:
    # sample b001 page 2: the "Contents" page is an index block
    blocks = _blocks(
        (2, "paragraph_title", "Contents"),
        (2, "index", "Foreword ii\nIntroduction iv\n1 Scope 1"),
        (3, "paragraph_title", "Introduction"),
    )
    assert _triaged(blocks) == "## Contents\n\n## Introduction\n"


def test_rendering_leaves_out_no_kind_the_triage_kept_or_a_caller_passed() -> None:
    """Only triage drops; whatever reaches rendering with text shows (furniture kinds as prose)."""
    blocks = _blocks(
        (4, "header", "Scope of this part"),
        (4, "page_number", "4"),
        (4, "footer", "Draft"),
        (4, "index", "Foreword ii"),
    )
    discarded = Block(seq=9, page_index=4, kind=BlockKind.DISCARDED, source_type="discarded", text="kept")
    assert render_blocks([*blocks, discarded], RenderContext()) == (
        "Scope of this part\n\n4\n\nDraft\n\n- Foreword ii\n\nkept\n"
    )


def test_units_carry_their_page_and_whether_they_are_code() -> None:
    def make(seq: int, page: int, kind: BlockKind, value: str, **fields) -> Block:
        return Block(seq=seq, page_index=page, kind=kind, source_type=str(kind), text=value, **fields)

    blocks = [
        make(0, 3, BlockKind.TEXT, "See 4.2."),
        make(1, 3, BlockKind.CODE, "<a>", code="<a>", language="xml"),
        make(2, 4, BlockKind.CODE, "</a>", code="</a>", language="xml"),  # continues over the page break
        make(3, 4, BlockKind.EQUATION, ""),  # neither LaTeX nor image: renders nothing
        make(4, 4, BlockKind.TEXT, "End."),
    ]
    units = render_units(blocks, RenderContext())
    assert [(u.page_index, u.code) for u in units] == [(3, False), (3, True), (4, False)]
    assert units[1].markdown == "```xml\n<a>\n</a>\n```"
    assert render_blocks(blocks, RenderContext()) == "\n\n".join(u.markdown for u in units) + "\n"


def test_an_equation_without_latex_shows_its_image_and_renders_nothing_only_when_it_has_none() -> None:
    cropped, bare = _middle(
        {"type": "equation", "content": "", "image_path": "images/page_1_equation_1.jpg"},
        {"type": "equation", "content": ""},
    )
    assert (cropped.latex, cropped.text) == (None, "")
    context = RenderContext(image_href=lambda block: block.image_path)
    assert render_blocks([cropped], context) == "![equation](images/page_1_equation_1.jpg)\n"
    assert render_blocks([bare], context) == ""
    assert triage([bare]).drops["empty"] == 1 and triage([cropped]).kept == [cropped]


@pytest.mark.parametrize(
    ("text", "heading_like"),
    [
        ("5.1.2 Attributes", True),
        ("Attributes", True),
        ("Annex B (informative) Examples Example 1 — settings page", True),
        ("Requirements of 4.1.", True),
        ("Shapes, e.g.", True),
        # SVOLT datasheet (MinerU 2.7): inline math whose LaTeX tokens MinerU spaced out
        (
            "1.7.3 $\\mathbf { - 2 0 } ^ { \\circ } \\mathbf { C }$ 的容量 "
            "Capacity at $\\mathbf { \\nabla } _ { - 2 0 } \\circ \\mathbf { C }$",
            True,
        ),
        ("This annex is normative. A conforming document is valid against this schema.", False),
        ("The widget element has the following attributes:", False),
        ("Where the panel is horizontal;", False),
        ("end example]", False),
        ("[Example: A toolbar", False),
        (" ".join(["word"] * 21), False),
        ("Widget " + "x" * 120, False),
    ],
)
def test_short_headings_not_ending_like_a_sentence_are_heading_like(text: str, heading_like: bool) -> None:
    block = Block(seq=0, page_index=0, kind=BlockKind.HEADING, source_type="paragraph_title", text=text)
    assert is_heading_like(block) is heading_like
    assert render_blocks([block], RenderContext()).startswith("## ") is heading_like


def test_sentence_like_heading_renders_as_a_paragraph() -> None:
    # sample b004 page 32: the flash tier made the annex's first sentence a doc_title
    blocks = _blocks(
        (32, "text", "Annex A (normative) Schema"),
        (32, "doc_title", "This annex is normative. A conforming document is valid against this schema."),
        (32, "paragraph_title", "A.1 Schema listing"),
    )
    assert render_blocks(blocks, RenderContext()) == (
        "Annex A (normative) Schema\n\n"
        "This annex is normative. A conforming document is valid against this schema.\n\n"
        "## A.1 Schema listing\n"
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("as in $§17.4.62$ above", "as in §17.4.62 above"),
        ("as in $\\S 17.4.62$ above", "as in §17.4.62 above"),
        ("see $\\S 1 7 . 4$ and $\\S A.1$", "see §17.4 and §A.1"),
        ("the $<w:p>$ element", "the `<w:p>` element"),
        ("\\- a bullet MinerU escaped", "- a bullet MinerU escaped"),
        ("spaced    out  text", "spaced out text"),
        ("inline $x^2$ math, § 7.3 and $a < b$ stay", "inline $x^2$ math, § 7.3 and $a < b$ stay"),
    ],
)
def test_normalize_inline_cleans_mineru_habits_and_keeps_the_rest(raw: str, clean: str) -> None:
    assert normalize_inline(raw) == clean


def test_list_items_keep_their_own_labels_without_doubled_bullets() -> None:
    items = ["- first", "• second", "* third", "\\- fourth", "1. numbered", "a) lettered", "(i) roman", "x"]
    listed = Block(seq=0, page_index=0, kind=BlockKind.LIST, source_type="list", items=items)
    assert render_blocks([listed], RenderContext()) == (
        "- first\n- second\n- third\n- fourth\n1. numbered\n- a) lettered\n- (i) roman\n- x\n"
    )


def test_nested_list_entries_sit_under_their_parent_text() -> None:
    (listed,) = _middle(
        {
            "type": "list",
            "content": [
                {"type": "text", "content": _span("1. Parsing")},
                {
                    "type": "list",
                    "content": [
                        {"type": "text", "content": _span("• widgets")},
                        {"type": "list", "content": [{"type": "text", "content": _span("- panels")}]},
                    ],
                },
                {"type": "text", "content": _span("2. Layout")},
            ],
        }
    )
    assert listed.items == ["1. Parsing", "  • widgets", "    - panels", "2. Layout"]
    assert render_blocks([listed], RenderContext()) == "1. Parsing\n   - widgets\n     - panels\n2. Layout\n"


def test_reference_list_of_a_real_paper_renders_one_bullet_per_entry(shared_corpus: Path) -> None:
    references = next(b for b in _content_list(shared_corpus, NAACL) if b.kind is BlockKind.LIST)
    lines = render_blocks([references], RenderContext()).splitlines()
    assert len(lines) == len(references.items)
    assert all(line.startswith("- ") and not line.startswith("- - ") for line in lines)
    assert lines[0].startswith("- Mikel Artetxe, Sebastian Ruder, and Dani Yogatama. 2020.")


def test_equations_of_mineru_3_and_4_render_as_the_same_display_block() -> None:
    item = {
        "type": "equation",
        "text": "$$\nE = m c ^ { 2 }\\tag{1}\n$$",
        "text_format": "latex",
        "page_idx": 0,
    }
    (mineru3,) = blocks_from_content_list([item], first_page=0)
    (mineru4,) = _middle({"type": "equation", "content": "E = m c ^ { 2 }\\tag{1}"})
    expected = "$$\nE = m c ^ { 2 }\\tag{1}\n$$\n"
    assert render_blocks([mineru3], RenderContext()) == render_blocks([mineru4], RenderContext()) == expected


def test_real_display_equations_keep_their_latex_and_inline_math_stays(shared_corpus: Path) -> None:
    naacl = _content_list(shared_corpus, NAACL)
    equation = next(b for b in naacl if b.kind is BlockKind.EQUATION)
    assert render_blocks([equation], RenderContext()) == f"$$\n{equation.latex}\n$$\n"
    prose = next(b for b in naacl if b.kind is BlockKind.TEXT and "$h _ { s , t }$" in b.text)
    assert "$h _ { s , t }$" in render_blocks([prose], RenderContext())


def test_images_link_their_file_and_never_lose_a_caption(shared_corpus: Path) -> None:
    figure = next(b for b in _content_list(shared_corpus, DEMO1) if b.kind is BlockKind.IMAGE)
    caption = "Fig. 1. Annual flow duration curves of daily flows from Pine Creek, Australia, 1989–2000."
    linked = render_blocks([figure], RenderContext(image_href=lambda block: f"../{block.image_path}"))
    assert linked == f"![{caption}](../{figure.image_path})\n\n{caption}\n"
    assert render_blocks([figure], RenderContext()) == f"{caption}\n"


def test_image_without_caption_links_as_image_and_keeps_its_description() -> None:
    chart, described = _middle(
        {"type": "chart", "content": [{"type": "chart_body", "content": "", "image_path": "images/c.jpg"}]},
        {
            "type": "image",
            "content": [
                {
                    "type": "image_body",
                    "content": _span("A panel [left], two buttons"),
                    "image_path": "i.jpg",
                },
                {"type": "image_caption", "content": _span("Figure 2 — Panel")},
                {"type": "image_footnote", "content": _span("Key: 1 button")},
            ],
        },
    )
    context = RenderContext(image_href=lambda block: block.image_path)
    assert render_blocks([chart], context) == "![image](images/c.jpg)\n"
    assert render_blocks([described], context) == (
        "![Figure 2 — Panel](i.jpg)\n\nFigure 2 — Panel\n\nA panel [left], two buttons\n\nKey: 1 button\n"
    )


def test_footnotes_asides_references_and_unknown_blocks_render_as_prose_and_algorithms_as_fences() -> None:
    blocks = _middle(
        {"type": "page_footnote", "content": _span("1) Widths are in CSS pixels.")},
        {"type": "aside_text", "content": _span("ACME-1234:2024(E) draft")},
        {"type": "ref_text", "content": _span("[1] W3C XML Schema Part 1.")},
        {"type": "marginalia", "content": _span("kept")},
        {
            "type": "code",
            "sub_type": "algorithm",
            "content": [
                {"type": "code_caption", "content": _span("Algorithm 1 Layout")},
                {"type": "algorithm_body", "content": _span("for each child: place it")},
            ],
        },
    )
    assert [b.kind for b in blocks] == [
        BlockKind.FOOTNOTE,
        BlockKind.ASIDE,
        BlockKind.REFERENCE,
        BlockKind.OTHER,
        BlockKind.ALGORITHM,
    ]
    assert render_blocks(blocks, RenderContext()) == (
        "1\\) Widths are in CSS pixels.\n\nACME-1234:2024(E) draft\n\n[1] W3C XML Schema Part 1.\n\nkept\n\n"
        "Algorithm 1 Layout\n\n```text\nfor each child: place it\n```\n"
    )


def test_every_text_of_a_real_paper_survives_except_page_furniture(shared_corpus: Path) -> None:
    naacl = _content_list(shared_corpus, NAACL)
    triaged = triage(naacl)
    reasons = {reason for _, reason in triaged.dropped}
    assert reasons == {"page_number", "empty"}  # 10 text blocks MinerU 3 left empty (no PDF here to fill)
    rendered = unescape(render_blocks(triaged.kept, RenderContext()))
    kept = [b for b in triaged.kept if b.kind is not BlockKind.TABLE and b.text]
    missing = [b.seq for b in kept if " ".join(b.text.split()[:6]) not in " ".join(rendered.split())]
    assert missing == []


def test_output_is_byte_stable_one_blank_line_apart_with_one_final_newline() -> None:
    blocks = triage(_blocks(*PAGES_10_11)).kept
    context = RenderContext()
    rendered = render_blocks(blocks, context)
    assert rendered == render_blocks(list(blocks), context)
    assert rendered.endswith(".\n") and "\n\n\n" not in rendered
    assert not any(line.startswith("# ") for line in rendered.splitlines())
    assert render_blocks([], context) == ""
    assert render_blocks(blocks[-1:], context) == "Unknown attributes on the button element are ignored.\n"


def test_prose_never_turns_into_a_heading() -> None:
    (prose,) = _blocks((3, "text", "# of widgets per panel is unbounded;\n## also for labels"))
    assert (
        render_blocks([prose], RenderContext())
        == "\\# of widgets per panel is unbounded;\n\\## also for labels\n"
    )

"""MinerU tables as Markdown: pipe tables on a span-expanded grid, embedded HTML where a grid would lie."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_assets.domain.adapters import blocks_from_content_list
from platform_assets.domain.blocks import Block, BlockKind
from platform_assets.domain.render_markdown import RenderContext, normalize_inline, render_blocks
from platform_assets.domain.render_tables import html_table, text_table

NAACL = "fetched/mineru/ZhangCurosr-mineru-naacl2024-001_36cd3d0_naacl-long.82_noPDF"
SVOLT = "fetched/mineru/MinerU-fork_329770b_v2.7.6-pipeline"

# sample b001 page 4 (Table 1) and page 6 (Table 2, first rows): flash tier HTML as MinerU 4.0.12 gave it
TABLE_1 = (
    "<table><tbody><tr><td>Class</td><td>Applies to</td><td>Requirements</td></tr>"
    "<tr><td>WML Strict</td><td>documents</td><td>Clauses 5 and 6; Annex A</td></tr>"
    "<tr><td>WML Consumer</td><td>applications</td><td>Clause 7</td></tr></tbody></table>"
)
TABLE_2 = (
    '<table><tbody><tr><td>Element</td><td colspan="2">Parent</td><td colspan="2">Content</td><td>Clause</td>'
    '</tr><tr><td>wml</td><td colspan="2">(root)</td><td colspan="2">widget+</td><td>5</td></tr><tr>'
    '<td>panel</td><td colspan="2">widget</td><td colspan="2">label | button | image</td><td>5.2</td></tr>'
    '<tr><td colspan="6">Table 3 - Simple types</td></tr><tr><td colspan="2">Type</td>'
    '<td colspan="2">Base</td><td colspan="2">Values</td></tr></tbody></table>'
)


def _table_blocks(corpus: Path, folder: str) -> list[Block]:
    (path,) = (corpus / folder).rglob("*_content_list.json")
    blocks = blocks_from_content_list(json.loads(path.read_text(encoding="utf-8")), first_page=0)
    return [block for block in blocks if block.kind is BlockKind.TABLE]


def _table(html: str) -> str:
    return html_table(html, normalize_inline)


def test_simple_html_table_becomes_a_pipe_table_with_the_first_row_as_header() -> None:
    assert _table(TABLE_1) == (
        "| Class | Applies to | Requirements |\n"
        "| --- | --- | --- |\n"
        "| WML Strict | documents | Clauses 5 and 6; Annex A |\n"
        "| WML Consumer | applications | Clause 7 |"
    )


def test_colspans_put_the_text_in_the_first_cell_and_leave_covered_cells_empty() -> None:
    assert _table(TABLE_2).splitlines() == [
        "| Element | Parent |  | Content |  | Clause |",
        "| --- | --- | --- | --- | --- | --- |",
        "| wml | (root) |  | widget+ |  | 5 |",
        "| panel | widget |  | label \\| button \\| image |  | 5.2 |",
        "| Table 3 - Simple types |  |  |  |  |  |",
        "| Type |  | Base |  | Values |  |",
    ]


def test_rowspans_leave_the_rows_they_cover_empty(shared_corpus: Path) -> None:
    tables = _table_blocks(shared_corpus, NAACL)
    writing_systems = next(t for t in tables if t.caption[0].startswith("Table 6"))
    assert '<td rowspan="3">Abjad</td>' in (writing_systems.html or "")
    assert _table(writing_systems.html or "").splitlines()[:8] == [
        "| Type | Writing System | Language |",
        "| --- | --- | --- |",
        "| Abjad | Arabic | ar fa |",
        "|  |  | ur |",
        "|  | Hebrew | he |",
        "| Abugida | Devanagari | hi |",
        "| Alphabet | Cyrillic | kk |",
        "|  |  | ru |",
    ]


def test_columns_empty_in_every_row_are_dropped() -> None:
    html = (
        "<table><tr><td colspan=2>Attribute</td><td></td><td>Type</td></tr>"
        "<tr><td colspan=2>align</td><td></td><td>ST_Align</td></tr></table>"
    )
    assert _table(html) == "| Attribute | Type |\n| --- | --- |\n| align | ST_Align |"


def test_pipes_in_cells_are_escaped(shared_corpus: Path) -> None:
    hyperparameters = _table_blocks(shared_corpus, NAACL)[0]
    assert _table(hyperparameters.html or "").splitlines()[0] == (
        "| Setting | Observ. | \\|V\\| | \\|M\\| | \\|C\\| |"
    )


def test_inline_xml_in_cells_becomes_inline_code() -> None:
    html = (
        "<table><tr><td>Element</td><td>Meaning</td></tr>"
        "<tr><td>$<w:p>$</td><td>a paragraph, see $\\S 17.3.1.22$</td></tr>"
        "<tr><td>&lt;w:r&gt; &lt;/w:r&gt;</td><td>a run</td></tr>"
        "<tr><td><w:rPr/> and <w:b w:val='1'>bold</w:b></td><td>run properties | flags</td></tr></table>"
    )
    assert _table(html).splitlines()[2:] == [
        "| `<w:p>` | a paragraph, see §17.3.1.22 |",
        "| `<w:r> </w:r>` | a run |",
        "| `<w:rPr/>` and `<w:b w:val='1'>`bold`</w:b>` | run properties \\| flags |",
    ]


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td>outer</td><td><table><tr><td>inner</td></tr></table></td></tr></table>",
        "<table><tr><td>Steps</td></tr><tr><td><ul><li>one</li><li>two</li></ul></td></tr></table>",
        "<table><tr><td>Note</td></tr><tr><td><p>first</p><p>second</p></td></tr></table>",
        "<table><thead><tr><td colspan=2>Size</td></tr><tr><td>min</td><td>max</td></tr></thead>"
        "<tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
        "<table><caption>Table 9</caption><tr><td>a</td></tr></table>",
    ],
    ids=["nested-table", "list-in-cell", "paragraphs-in-cell", "two-header-rows", "caption-element"],
)
def test_tables_a_grid_cannot_hold_are_embedded_as_html(html: str) -> None:
    assert _table(html) == html


def test_a_first_row_reaching_into_the_body_is_embedded_as_html(shared_corpus: Path) -> None:
    step_charge = next(t for t in _table_blocks(shared_corpus, SVOLT) if "rowspan=8" in (t.html or ""))
    assert _table(step_charge.html or "") == step_charge.html


def test_embedded_html_loses_its_blank_lines() -> None:
    html = "<table>\n<tr><td><p>a</p></td></tr>\n\n</table>\n"
    assert _table(html) == "<table>\n<tr><td><p>a</p></td></tr>\n</table>"


def test_table_given_as_pipe_separated_text_becomes_a_pipe_table() -> None:
    # sample b001 page 7, Table 6 as text (what the adapter keeps beside the HTML)
    text = (
        "Attribute | Type | Default | Description\n"
        "orientation | ST_Orientation | vertical | Axis along which children are laid out.\n"
        "spacing | ST_Length | auto"
    )
    assert text_table(text, normalize_inline).splitlines() == [
        "| Attribute | Type | Default | Description |",
        "| --- | --- | --- | --- |",
        "| orientation | ST_Orientation | vertical | Axis along which children are laid out. |",
        "| spacing | ST_Length | auto |  |",
    ]


def test_table_given_as_layout_text_keeps_its_layout_in_a_text_fence() -> None:
    text = "Name        Default\nalign       left\nwidth       auto"
    assert text_table(text, normalize_inline) == f"```text\n{text}\n```"


def test_table_block_keeps_its_caption_above_and_footnotes_below() -> None:
    table = Block(
        seq=0,
        page_index=4,
        kind=BlockKind.TABLE,
        source_type="table",
        html=TABLE_1,
        caption=["Table 1 — Conformance classes"],
        footnote=["NOTE Classes are cumulative."],
    )
    rendered = render_blocks([table], RenderContext())
    assert rendered.startswith("Table 1 — Conformance classes\n\n| Class |")
    assert rendered.endswith("| Clause 7 |\n\nNOTE Classes are cumulative.\n")


def test_table_without_a_body_keeps_caption_footnotes_and_its_image(shared_corpus: Path) -> None:
    demo1 = _table_blocks(shared_corpus, "fetched/mineru/opendatalab-MinerU_demo1_b1adde8")
    significance = next(t for t in demo1 if t.caption[0].startswith("Table 2 Significance"))
    assert not significance.html and not significance.text
    linked = render_blocks([significance], RenderContext(image_href=lambda block: block.image_path))
    assert linked.split("\n\n")[:2] == [
        "Table 2 Significance of the rainfall and time terms",
        f"![Table 2 Significance of the rainfall and time terms]({significance.image_path})",
    ]
    assert linked.split("\n\n")[2].startswith("$P$ indicates that the rainfall term was significant")
    assert render_blocks([significance], RenderContext()).split("\n\n")[0] == significance.caption[0]

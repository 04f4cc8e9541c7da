"""MinerU outputs (real 2.x/3.x content lists, 4.x middle JSON) adapted into absolute-page Blocks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.adapters import (
    blocks_from_content_list,
    blocks_from_middle_json,
    load_blocks,
)
from platform_assets.domain.parse.blocks import Block, BlockKind, summarize

MINERU = "fetched/mineru"
NAACL = f"{MINERU}/ZhangCurosr-mineru-naacl2024-001_36cd3d0_naacl-long.82_noPDF"
SVOLT = (
    f"{MINERU}/MinerU-fork_329770b_v2.7.6-pipeline/SVOLT-196Ah-3.2V-LiFePO4-Blade-Battery-Cell-"
    + "SpecificationDatasheet"
)
DEMO1 = f"{MINERU}/opendatalab-MinerU_demo1_b1adde8"


def _content_list(corpus: Path, folder: str) -> list[dict[str, Any]]:
    (path,) = (corpus / folder).glob("*_content_list.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def naacl(shared_corpus: Path) -> list[dict[str, Any]]:
    """MinerU 3.4.4 content list: tables, $$ equations, reference lists, an algorithm, page numbers."""
    return _content_list(shared_corpus, NAACL)


@pytest.mark.parametrize("folder", [NAACL, SVOLT, DEMO1])
def test_every_content_list_item_becomes_one_block_in_order(shared_corpus: Path, folder: str) -> None:
    items = _content_list(shared_corpus, folder)
    blocks = blocks_from_content_list(items, first_page=0)
    assert [b.seq for b in blocks] == list(range(len(items)))
    assert [b.source_type for b in blocks] == [item["type"] for item in items]


def test_content_list_pages_shift_from_relative_to_absolute(naacl: list[dict[str, Any]]) -> None:
    blocks = blocks_from_content_list(naacl, first_page=120)
    assert [b.page_index for b in blocks] == [item["page_idx"] + 120 for item in naacl]
    assert min(b.page_index for b in blocks) == 120


def test_content_list_bbox_is_normalised_from_0_1000(naacl: list[dict[str, Any]]) -> None:
    blocks = blocks_from_content_list(naacl, first_page=0)
    assert naacl[0]["bbox"] == [169, 90, 826, 110]
    assert blocks[0].bbox == pytest.approx((0.169, 0.090, 0.826, 0.110))
    assert all(b.bbox is not None and all(0 <= v <= 1 for v in b.bbox) for b in blocks)


def test_content_list_equations_lose_their_dollar_fences(naacl: list[dict[str, Any]]) -> None:
    equations = [b for b in blocks_from_content_list(naacl, 0) if b.kind is BlockKind.EQUATION]
    assert len(equations) == 6
    for block in equations:
        assert block.latex and "$$" not in block.latex and block.text == block.latex
    assert equations[0].latex.endswith(r"\tag{1}")


def test_content_list_tables_keep_html_caption_and_readable_text(naacl: list[dict[str, Any]]) -> None:
    tables = [b for b in blocks_from_content_list(naacl, 0) if b.kind is BlockKind.TABLE]
    assert len(tables) == 8
    assert all(t.html and t.html.startswith("<table") and t.text for t in tables)
    assert tables[0].caption[0].startswith("Table 1: Summary of key hyperparameters")
    assert tables[0].text.splitlines()[0] == "Setting | Observ. | |V| | |M| | |C|"


def test_content_list_lists_and_code_keep_items_body_and_caption(naacl: list[dict[str, Any]]) -> None:
    blocks = blocks_from_content_list(naacl, 0)
    lists = [(b, item) for b, item in zip(blocks, naacl, strict=True) if b.kind is BlockKind.LIST]
    assert len(lists) == 2
    for block, item in lists:
        assert block.items == [text.strip() for text in item["list_items"]]
    (algorithm,) = [b for b in blocks if b.source_type == "code"]
    assert algorithm.kind is BlockKind.ALGORITHM
    assert algorithm.code and algorithm.code.startswith("[3, 1, 4, 1, 5, 9, 2]")
    assert algorithm.caption == [] and algorithm.text == algorithm.code


def test_content_list_page_furniture_is_flagged_as_noise(shared_corpus: Path, naacl: list[dict]) -> None:
    blocks = blocks_from_content_list(naacl, 0)
    assert {b.source_type for b in blocks if b.is_noise} == {"page_number", "footer"}
    svolt = blocks_from_content_list(_content_list(shared_corpus, SVOLT), 0)
    assert sum(b.is_noise for b in svolt) == 22 == sum(b.kind is BlockKind.DISCARDED for b in svolt)
    assert not any(b.is_noise for b in blocks if b.kind in (BlockKind.TEXT, BlockKind.HEADING))


def test_content_list_headings_take_text_level(naacl: list[dict[str, Any]]) -> None:
    headings = [b for b in blocks_from_content_list(naacl, 0) if b.kind is BlockKind.HEADING]
    assert len(headings) == sum(1 for item in naacl if item.get("text_level"))
    assert headings[0].text.startswith("XferBench") and headings[0].level == 1


def test_content_list_of_mineru_0_10_keeps_img_captions_without_bboxes(shared_corpus: Path) -> None:
    blocks = blocks_from_content_list(_content_list(shared_corpus, DEMO1), 0)
    images = [b for b in blocks if b.kind is BlockKind.IMAGE]
    assert images[0].caption[0].startswith("Fig. 1. Annual flow duration curves")
    assert images[0].text == images[0].caption[0] and images[0].image_path
    assert all(b.bbox is None for b in blocks)


def test_load_blocks_does_not_take_a_2x_middle_json_for_mineru_4(shared_corpus: Path, tmp_path: Path) -> None:
    for path in (shared_corpus / SVOLT).glob("*_[cm]*.json"):
        shutil.copy(path, tmp_path / path.name)
    assert {p.name.rsplit("_", 1)[-1] for p in tmp_path.iterdir()} >= {"middle.json", "list.json"}
    blocks = load_blocks(tmp_path, first_page=40)
    assert len(blocks) == 208 and blocks[0].page_index == 40


def test_load_blocks_rejects_folders_without_usable_output(tmp_path: Path) -> None:
    (tmp_path / "x_middle.json").write_text(json.dumps({"pdf_info": [], "_version_name": "2.7.6"}))
    with pytest.raises(ValueError, match="no MinerU output"):
        load_blocks(tmp_path, 0)
    (tmp_path / "middle_json.json").write_text(
        json.dumps({"schema": "docvortex.middle", "schema_version": "9"})
    )
    with pytest.raises(ValueError, match="not a MinerU 4 middle json"):
        load_blocks(tmp_path, 0)


def _span(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "content": text}]


def _hand_made_middle() -> dict[str, Any]:
    """Block types flash tier did not emit here (lists, algorithms, charts, asides), in MinerU's shape."""
    box = [0.1, 0.1, 0.9, 0.2]
    blocks: list[dict[str, Any]] = [
        {"type": "aside_text", "content": _span("arXiv:2401.00001")},
        {
            "type": "list",
            "content": [
                {"type": "text", "content": _span("first")},
                {"type": "list", "content": [{"type": "text", "content": _span("nested")}]},
                {"type": "text", "content": [*_span("x is "), {"type": "equation_inline", "content": "x^2"}]},
            ],
        },
        {"type": "ref_text", "content": _span("[1] A. Author. 2020.")},
        {
            "type": "code",
            "sub_type": "algorithm",
            "content": [
                {"type": "code_caption", "content": _span("Algorithm 1")},
                {"type": "algorithm_body", "content": _span("repeat until done")},
            ],
        },
        {
            "type": "code",
            "sub_type": "code",
            "guess_lang": "xml",
            "content": [
                {"type": "code_body", "content": "<Types/>"},
                {"type": "code_footnote", "content": _span("Example 9-1")},
            ],
        },
        {
            "type": "chart",
            "content": [
                {"type": "chart_body", "content": "", "image_path": "images/chart.jpg"},
                {"type": "chart_caption", "content": _span("Figure 2: Loss"), "bbox": [0.1, 0.6, 0.9, 0.65]},
            ],
        },
        {"type": "equation", "content": "E = mc^2"},
    ]
    for index, block in enumerate(blocks):
        block |= {"index": index, "bbox": box}
        for child in block["content"]:
            if isinstance(child, dict) and child["type"].endswith(("_body", "_caption")):
                child |= {"index": index, "bbox": child.get("bbox", box)}
    return {
        "schema": "docvortex.middle",
        "schema_version": "2.0",
        "metadata": {"file_suffix": "pdf", "producer": {"name": "mineru", "version": "4.0.12"}},
        "is_full_document": False,
        "pages": [{"page_idx": 7, "blocks": blocks}],
    }


def test_middle_json_maps_every_mineru_4_block_type() -> None:
    from mineru.types import MiddleJson

    middle = _hand_made_middle()
    MiddleJson.from_dict(middle)  # the fixture is what MinerU 4.0.12 itself accepts
    middle["pages"][0]["blocks"].append({"type": "marginalia", "index": 99, "content": _span("kept")})
    aside, listed, ref, algorithm, code, chart, equation, unknown = blocks_from_middle_json(middle)
    assert (aside.kind, aside.is_noise, aside.text) == (BlockKind.ASIDE, False, "arXiv:2401.00001")
    assert listed.items == ["first", "  nested", "x is $x^2$"] and listed.text.startswith("first\n")
    assert ref.kind is BlockKind.REFERENCE
    assert (algorithm.kind, algorithm.code, algorithm.caption) == (
        BlockKind.ALGORITHM,
        "repeat until done",
        ["Algorithm 1"],
    )
    assert (code.code, code.language, code.footnote) == ("<Types/>", "xml", ["Example 9-1"])
    assert (chart.text, chart.image_path) == ("Figure 2: Loss", "images/chart.jpg")
    assert chart.caption_bbox == (0.1, 0.6, 0.9, 0.65) and algorithm.caption_bbox == (0.1, 0.1, 0.9, 0.2)
    assert code.caption_bbox is None  # no caption
    assert equation.latex == "E = mc^2"
    assert (unknown.kind, unknown.text, unknown.source_type) == (BlockKind.OTHER, "kept", "marginalia")
    assert {b.page_index for b in (aside, unknown)} == {7}


def test_summarize_counts_blocks_by_kind(naacl: list[dict[str, Any]]) -> None:
    counts = summarize(blocks_from_content_list(naacl, 0))
    assert counts["table"] == 8 and counts["equation"] == 6 and counts["page_number"] == 15
    assert sum(counts.values()) == len(naacl)


def test_block_rejects_unnormalised_bbox() -> None:
    with pytest.raises(ValueError, match="normalised"):
        Block(seq=0, page_index=0, kind=BlockKind.TEXT, source_type="text", bbox=(0, 0, 500, 10))


# ── blank pages and what MinerU 4 leaves out ────────────────────────────────────────────────────────


def _blank_pages_middle() -> dict[str, Any]:
    """Real MinerU 4.0.12 flash output for pages 2-4 of `tests.blank_pages` (blank, text, blank)."""
    from tests.blank_pages import FIXTURE

    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_a_blank_page_of_a_real_mineru4_parse_is_an_empty_page() -> None:
    from mineru.types import MiddleJson

    from tests.blank_pages import BLANK_PAGES, FIXTURE_PAGES

    middle = _blank_pages_middle()
    MiddleJson.from_dict(middle)  # what MinerU itself accepts
    first, last = FIXTURE_PAGES
    assert [page["page_idx"] for page in middle["pages"]] == list(range(first, last + 1))
    blank = [page for page in middle["pages"] if page["page_idx"] in BLANK_PAGES]
    assert blank == [{"page_idx": 1}, {"page_idx": 3}]  # no `blocks` key at all: the crash of issue 11
    blocks = blocks_from_middle_json(middle)
    assert [(b.page_index, b.kind, b.text) for b in blocks] == [
        (2, BlockKind.HEADING, "2 Terms"),
        (2, BlockKind.TEXT, "This clause follows a blank page and is followed by a blank last page."),
    ]
    assert [b.seq for b in blocks] == [0, 1]


@pytest.mark.parametrize("source", ["real blank pages", "hand-made block types"])
def test_middle_json_reads_the_same_with_defaults_left_out_or_written_as_null(source: str) -> None:
    """MinerU writes without defaults (a blank page has no `blocks`; no `index`, `bbox`, `image_path`,
    `sub_type`, `guess_lang` where unset); the same model written out in full must give the same blocks."""
    from mineru.types import MiddleJson

    middle = _blank_pages_middle() if source == "real blank pages" else _hand_made_middle()
    full = MiddleJson.from_dict(middle).to_dict(skip_defaults=False)
    assert all("blocks" in page for page in full["pages"])
    assert "null" in json.dumps(full)
    assert blocks_from_middle_json(full) == blocks_from_middle_json(middle)


def test_middle_json_blocks_without_optional_fields_still_become_blocks() -> None:
    middle = _hand_made_middle()
    middle["pages"] = [
        {"page_idx": 6, "blocks": None},
        {"page_idx": 7, "blocks": [{"type": "text", "content": _span("no index, no bbox")}]},
        {"page_idx": 8},
    ]
    (block,) = blocks_from_middle_json(middle)
    assert (block.page_index, block.text, block.bbox, block.image_path) == (
        7,
        "no index, no bbox",
        None,
        None,
    )


def test_load_blocks_of_a_batch_folder_with_blank_pages(tmp_path: Path) -> None:
    (tmp_path / "middle_json.json").write_text(json.dumps(_blank_pages_middle()), encoding="utf-8")
    blocks = load_blocks(tmp_path, first_page=1)
    assert {b.page_index for b in blocks} == {2}

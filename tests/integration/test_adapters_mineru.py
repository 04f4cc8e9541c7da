"""MinerU 4 output -> blocks, on real flash parses of a few pages run here, and the blank-pages fixture
regenerated with this venv's MinerU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.adapters import blocks_from_middle_json, load_blocks
from platform_assets.domain.parse.blocks import BlockKind
from tests.blank_pages import FIXTURE, FIXTURE_PAGES, build_blank_pages_pdf, parse_middle_json

DEMO1 = "fetched/mineru/opendatalab-MinerU_demo1_b1adde8"
ECMA_PART2 = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9/ECMA-376-Part2-OPC.pdf"
PARSES = {"demo1": (f"{DEMO1}/demo1.pdf", 4, 6), "ecma": (ECMA_PART2, 88, 90)}


@pytest.fixture(scope="module")
def mineru4(shared_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Flash-tier output folders for a few real pages, parsed once (page ranges are 1-based inclusive)."""
    import mineru
    from mineru.parser.writer import FileBasedDataWriter

    folders: dict[str, Path] = {}
    for name, (pdf, first, last) in PARSES.items():
        out = tmp_path_factory.mktemp(name)
        # ocr_mode="txt": under pytest "auto" classified demo1 as scanned and fetched OCR weights.
        result = mineru.parse(
            str(shared_corpus / pdf), tier="flash", ocr_mode="txt", page_range=f"{first}-{last}"
        )
        result.save(FileBasedDataWriter(str(out)))
        folders[name] = out
    return folders


def _middle(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "middle_json.json").read_text(encoding="utf-8"))


def _has_text(node: object) -> bool:
    if isinstance(node, dict):
        return _has_text(node.get("content"))
    if isinstance(node, list):
        return any(_has_text(child) for child in node)
    return isinstance(node, str) and bool(node.strip())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PARSES))
def test_mineru4_blocks_have_absolute_pages_of_the_requested_range(
    mineru4: dict[str, Path], name: str
) -> None:
    _, first, last = PARSES[name]
    blocks = load_blocks(mineru4[name], first_page=first - 1)
    assert {b.page_index for b in blocks} == set(range(first - 1, last))
    assert [b.seq for b in blocks] == list(range(len(blocks)))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PARSES))
def test_mineru4_every_text_bearing_block_yields_text(mineru4: dict[str, Path], name: str) -> None:
    middle = _middle(mineru4[name])
    raw = [block for page in middle["pages"] for block in page["blocks"]]
    blocks = blocks_from_middle_json(middle)
    assert [b.source_type for b in blocks] == [block["type"] for block in raw]
    missing = [
        (b.seq, b.source_type)
        for b, block in zip(blocks, raw, strict=True)
        if _has_text(block) and not b.text
    ]
    assert missing == []
    assert all(b.bbox is not None and all(0 <= v <= 1 for v in b.bbox) for b in blocks)


@pytest.mark.slow
def test_mineru4_flash_finds_tables_headings_and_code(mineru4: dict[str, Path]) -> None:
    demo1 = load_blocks(mineru4["demo1"], first_page=3)
    ecma = load_blocks(mineru4["ecma"], first_page=87)
    tables = [b for b in demo1 + ecma if b.kind is BlockKind.TABLE]
    assert len(tables) >= 4 and all(t.text for t in tables)
    assert all(t.html.startswith("<table") for t in tables if t.html) and any(t.html for t in tables)
    assert any(t.caption for t in tables)
    headings = [b for b in ecma if b.kind is BlockKind.HEADING]
    assert any(h.text.startswith("D.1 Content Types") for h in headings) and all(h.level for h in headings)
    code = [b for b in ecma if b.kind is BlockKind.CODE]
    assert code and all(b.code and b.language for b in code)
    assert all(b.is_noise for b in ecma if b.source_type in ("header", "page_number"))


@pytest.mark.slow
def test_mineru4_still_writes_blank_pages_as_the_committed_fixture(tmp_path: Path) -> None:
    """Regenerates the fixture's parse with the MinerU of this venv; after an upgrade that changes it,
    rewrite it with `python -m tests.blank_pages` and re-read the adapter against it."""
    committed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    fresh = parse_middle_json(build_blank_pages_pdf(tmp_path / "blank.pdf"), *FIXTURE_PAGES)
    assert fresh["pages"] == committed["pages"]
    assert blocks_from_middle_json(fresh) == blocks_from_middle_json(committed)

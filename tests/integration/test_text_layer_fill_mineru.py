"""Equations the flash tier of this venv's MinerU returns without LaTeX take the text layer's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_assets.domain.parse.adapters import blocks_from_middle_json
from platform_assets.domain.parse.blocks import BlockKind
from platform_assets.domain.tree.block_triage import triage
from platform_assets.domain.tree.render_markdown import RenderContext, render_blocks
from platform_assets.domain.tree.text_layer_fill import fill_from_text_layer


@pytest.mark.slow
def test_flash_equations_without_latex_come_back_with_their_text(real_pdfs: Path, tmp_path: Path) -> None:
    """tl-interface3 pages 27-28: the flash tier types the boxed function names in the margin as equations
    with empty LaTeX; filled, they are kept and rendered as text."""
    import mineru
    from mineru.parser.writer import FileBasedDataWriter

    pdf = real_pdfs / "tl-interface3.pdf"
    result = mineru.parse(str(pdf), tier="flash", ocr_mode="txt", page_range="27-28")
    result.save(FileBasedDataWriter(str(tmp_path)))
    stream = blocks_from_middle_json(json.loads((tmp_path / "middle_json.json").read_text(encoding="utf-8")))
    empty = [b.seq for b in stream if b.kind is BlockKind.EQUATION and not b.latex and b.bbox]
    assert empty, "flash no longer returns empty equations here: re-check the fixture pages"
    filled, count = fill_from_text_layer(stream, pdf)
    assert count >= len(empty)
    by_seq = {b.seq: b for b in filled}
    assert all(by_seq[seq].from_text_layer and by_seq[seq].text.startswith("\\cs_") for seq in empty)
    kept = triage(filled).kept
    rendered = render_blocks(kept, RenderContext())
    assert all(by_seq[seq].text in rendered for seq in empty)

"""Blocks the tier returned empty take the text the PDF's text layer holds inside their bbox."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.tree.render_markdown import RenderContext, render_blocks
from platform_assets.domain.tree.text_layer_fill import fill_from_text_layer, needs_text

# tl-clsguide.pdf page index 1, bboxes as the flash tier gave them (MinerU 4.0.12)
CLSGUIDE_TOC_LINE: BBox = (0.21, 0.236, 0.787, 0.247)  # an equation block with empty LaTeX
CLSGUIDE_HEADING: BBox = (0.21, 0.447, 0.399, 0.462)
CLSGUIDE_PARAGRAPH: BBox = (0.21, 0.483, 0.787, 0.536)


def _block(page: int, kind: BlockKind, bbox: BBox | None, **fields: Any) -> Block:
    return Block(
        seq=fields.pop("seq", 0), page_index=page, kind=kind, source_type=kind.value, bbox=bbox, **fields
    )


def test_empty_blocks_of_a_real_page_take_the_text_under_their_bbox(real_pdfs: Path) -> None:
    stream = [
        _block(1, BlockKind.EQUATION, CLSGUIDE_TOC_LINE, seq=0, image_path="images/page_1_equation_1.jpg"),
        _block(1, BlockKind.HEADING, CLSGUIDE_HEADING, seq=1, level=2),
        _block(1, BlockKind.TEXT, CLSGUIDE_PARAGRAPH, seq=2),
        _block(1, BlockKind.TEXT, CLSGUIDE_PARAGRAPH, seq=3, text="Kept as the tier gave it."),
        _block(1, BlockKind.TEXT, None, seq=4),
        _block(1, BlockKind.TEXT, (0.0, 0.0, 0.05, 0.05), seq=5),  # a corner without text
    ]
    filled, count = fill_from_text_layer(stream, real_pdfs / "tl-clsguide.pdf")
    assert count == 3
    equation, heading, paragraph, *untouched = filled
    assert (equation.kind, equation.text, equation.latex) == (
        BlockKind.TEXT,
        "5 Miscellaneous commands, etc 25",
        None,
    )
    assert equation.source_type == "equation" and equation.from_text_layer
    assert (heading.kind, heading.text, heading.level) == (BlockKind.HEADING, "1 Introduction", 2)
    assert paragraph.text.startswith(
        "This document is an introduction to writing classes and packages for LATEX, with special"
    )
    assert paragraph.text.endswith("in TUGboat 15.3.") and "\n" not in paragraph.text
    assert untouched == stream[3:] and not any(b.from_text_layer for b in untouched)
    assert (
        render_blocks([heading, equation], RenderContext())
        == "## 1 Introduction\n\n5 Miscellaneous commands, etc 25\n"
    )


def _pdf_with_line(
    path: Path, rotation: int, crop: tuple[float, float, float, float] | None
) -> tuple[float, ...]:
    """A one-page PDF with `Rotated heading` at user (100, 500), 12 pt; returns the line's user rectangle."""
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=(400, 600))
    drawing.setFont("Helvetica", 12)
    drawing.drawString(100, 500, "Rotated heading")
    drawing.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    page = document[0]
    if crop:
        page.set_cropbox(*crop)
    page.set_rotation(rotation)
    document.save(str(path))
    document.close()
    return (99.0, 496.0, 190.0, 510.0)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("crop", [None, (30.0, 200.0, 350.0, 560.0)], ids=["uncropped", "cropped"])
def test_the_bbox_is_read_on_the_page_as_displayed(tmp_path: Path, rotation: int, crop: Any) -> None:
    pdf = tmp_path / "line.pdf"
    left, bottom, right, top = _pdf_with_line(pdf, rotation, crop)
    document = pdfium.PdfDocument(str(pdf))
    box = PageBox.of(document[0])
    document.close()
    corners = [box.to_fraction(x, y) for x in (left, right) for y in (bottom, top)]
    bbox = (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[0] for c in corners),
        max(c[1] for c in corners),
    )
    filled, count = fill_from_text_layer([_block(0, BlockKind.HEADING, bbox)], pdf)
    assert count == 1 and filled[0].text == "Rotated heading"


def test_code_keeps_its_lines_and_nothing_is_opened_when_nothing_is_empty(tmp_path: Path) -> None:
    code = _block(0, BlockKind.CODE, (0.1, 0.1, 0.9, 0.9))
    assert needs_text(code)
    assert not needs_text(_block(0, BlockKind.IMAGE, (0.1, 0.1, 0.9, 0.9)))
    assert not needs_text(_block(0, BlockKind.EQUATION, (0.1, 0.1, 0.9, 0.9), latex="x^2"))
    full = [_block(0, BlockKind.TEXT, (0.1, 0.1, 0.9, 0.9), text="Already there.")]
    assert fill_from_text_layer(full, tmp_path / "absent.pdf") == (full, 0)


def test_blocks_stored_before_the_field_existed_read_as_not_filled() -> None:
    stored = {"seq": 0, "page_index": 0, "kind": "text", "source_type": "text", "text": "old"}
    assert Block.model_validate(json.loads(json.dumps(stored))).from_text_layer is False

"""Page geometry against PDFium's own rendering: a mark drawn at known user-space coordinates is found
at the fractions `PageBox` predicts, on plain, cropped and rotated pages."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from platform_assets.domain.pdf.page_geometry import PageBox

MARK = (60.0, 430.0, 100.0, 450.0)  # user space: left, bottom, right, top
WIDTH, HEIGHT = 400.0, 600.0


def _page_with_mark(rotation: int, crop: tuple[float, float, float, float] | None) -> pdfium.PdfDocument:
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    left, bottom, right, top = MARK
    drawing.rect(left, bottom, right - left, top - bottom, stroke=0, fill=1)
    drawing.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    page = document[0]
    if crop:
        page.set_cropbox(*crop)
    page.set_rotation(rotation)
    return document


def _rendered_mark(page: pdfium.PdfPage) -> tuple[float, float, float, float]:
    """Fractions (x0, y0, x1, y1), top-down, of the dark pixels PDFium renders for the page."""
    pixels = np.asarray(page.render(scale=2).to_pil().convert("L"))
    rows, cols = np.nonzero(pixels < 128)
    height, width = pixels.shape
    return cols.min() / width, rows.min() / height, (cols.max() + 1) / width, (rows.max() + 1) / height


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("crop", [None, (30.0, 200.0, 350.0, 560.0)], ids=["uncropped", "cropped"])
def test_fractions_match_where_pdfium_draws_the_mark(rotation, crop):
    document = _page_with_mark(rotation, crop)
    page = document[0]
    box = PageBox.of(page)
    assert box.rotation == rotation
    left, bottom, right, top = MARK
    corners = [box.to_fraction(x, y) for x in (left, right) for y in (bottom, top)]
    predicted = (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[0] for c in corners),
        max(c[1] for c in corners),
    )
    assert predicted == pytest.approx(_rendered_mark(page), abs=0.01)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_to_user_inverts_to_fraction(rotation):
    box = PageBox(30.0, 200.0, 350.0, 560.0, rotation)
    fx, fy = box.to_fraction(61.0, 447.5)
    assert box.to_user_point(fx, fy) == pytest.approx((61.0, 447.5))
    assert box.to_user((0.0, 0.0, 1.0, 1.0)) == pytest.approx((30.0, 200.0, 350.0, 560.0))


def test_points_outside_the_crop_box_are_clamped_to_the_page():
    box = PageBox(0.0, 0.0, 100.0, 200.0)
    assert box.to_fraction(-5.0, 250.0) == (0.0, 0.0)
    assert box.to_fraction(50.0, 150.0) == (0.5, 0.25)


def test_a_rotation_that_is_not_a_right_angle_is_refused():
    with pytest.raises(ValueError, match="rotation"):
        PageBox(0.0, 0.0, 100.0, 100.0, 45)

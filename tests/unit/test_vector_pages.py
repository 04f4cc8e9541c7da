"""Pages drawn with more paths (or clip segments) than MinerU can analyse are parsed from a copy where each
figure of the drawing is one image: the text stays, the page looks the same, what lies under text stays
vector, and a line of text between two figures keeps them apart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from gpu_image.worker.vector_pages import DPI, MARGIN, MAX_PARTS, _parts, flattened_copy
from tests.vector_drawings import BOXED_LINE, DRAWING, SPLIT_LINE, build_drawing_pdf

LIMIT = 500


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def kinds(pdf: Path, depth: int = 0) -> Counter[int]:
    document = pdfium.PdfDocument(pdf)
    return Counter(obj.type for obj in document[0].get_objects(max_depth=depth))


def bounds(pdf: Path, kind: int) -> list[tuple[float, float, float, float]]:
    return [obj.get_bounds() for obj in pdfium.PdfDocument(pdf)[0].get_objects(filter=[kind], max_depth=0)]


def text(pdf: Path) -> str:
    return pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()


def pixels(pdf: Path) -> np.ndarray:
    page = pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72)
    return np.asarray(page.to_pil().convert("L"), dtype=float)


def looks_the_same(pdf: Path, copy: Path) -> bool:
    """The copy differs from the original by less than half of what moving the original 2 px aside changes
    (resampling the images in the copy: about a third)."""
    before, after = pixels(pdf), pixels(copy)
    moved = np.abs(before[:, 2:] - before[:, :-2]).mean()
    return float(np.abs(before - after).mean()) < moved / 2


def test_a_drawing_within_the_limit_is_parsed_from_the_file_itself(tmp_path: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", LIMIT)
    assert flattened_copy(pdf, 0, 0, tmp_path, limit=LIMIT) == (pdf, [])


def test_a_drawing_over_the_limit_becomes_one_image_in_its_place_and_the_text_stays(
    tmp_path: Path, work: Path
) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT)
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0] and copy == work / "plot.pdf"
    assert kinds(pdf)[pdfium_c.FPDF_PAGEOBJ_PATH] == 2 * LIMIT
    assert kinds(copy) == Counter(
        {pdfium_c.FPDF_PAGEOBJ_TEXT: kinds(pdf)[pdfium_c.FPDF_PAGEOBJ_TEXT], pdfium_c.FPDF_PAGEOBJ_IMAGE: 1}
    )
    assert text(copy) == text(pdf)
    image = next(pdfium.PdfDocument(copy)[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    # the part's margin and the squares' gaps (up to 2.4 pt)
    assert image.get_bounds() == pytest.approx(DRAWING, abs=MARGIN + 2.4)
    assert looks_the_same(pdf, copy)


def test_a_line_of_text_between_two_figures_parts_them_into_two_images(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, split=True)
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0] and SPLIT_LINE in text(copy)
    line = next(box for box in bounds(copy, pdfium_c.FPDF_PAGEOBJ_TEXT) if 450 < box[1] < 470)
    images = sorted(bounds(copy, pdfium_c.FPDF_PAGEOBJ_IMAGE), key=lambda box: box[1])
    assert len(images) == 2
    assert images[0][3] < line[1] and line[3] < images[1][1]  # one below the line, one above it
    assert looks_the_same(pdf, copy)


def test_few_paths_under_a_clip_of_many_segments_are_flattened_too(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", LIMIT // 2, clip_points=2_000)  # 250 x 2,001 segments
    assert flattened_copy(pdf, 0, 0, work, limit=LIMIT, clip_limit=600_000) == (pdf, [])
    assert flattened_copy(pdf, 0, 0, work, limit=LIMIT, clip_limit=400_000) == (work / "plot.pdf", [0])
    assert looks_the_same(pdf, work / "plot.pdf")


def test_a_rotated_page_keeps_its_rotation_and_its_drawing_in_place(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, rotate=90)
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0]
    assert pdfium.PdfDocument(copy)[0].get_rotation() == 90
    assert looks_the_same(pdf, copy)


def test_a_cropped_page_gets_its_drawing_in_place_and_nothing_outside_its_crop(
    tmp_path: Path, work: Path
) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, cropbox=(40.0, 350.0, 500.0, 800.0))
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0]
    [image] = bounds(copy, pdfium_c.FPDF_PAGEOBJ_IMAGE)
    assert image[0] == pytest.approx(DRAWING[0] - MARGIN, abs=0.5) and image[1] == pytest.approx(350, abs=0.5)
    assert image[2] <= 500 and image[3] == pytest.approx(DRAWING[3], abs=3)
    assert looks_the_same(pdf, copy)


def test_a_box_under_text_stays_vector_with_the_squares_under_its_line(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, boxed=True)
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0]
    left, bottom, right, top = next(
        box for box in bounds(copy, pdfium_c.FPDF_PAGEOBJ_TEXT) if 450 < box[1] < 470
    )
    kept = bounds(copy, pdfium_c.FPDF_PAGEOBJ_PATH)
    assert pytest.approx((150, 450, 400, 470)) in kept  # the shaded box
    assert len(kept) > 1 and all(
        b[0] <= right and left <= b[2] and b[1] <= top and bottom <= b[3] for b in kept
    )
    assert BOXED_LINE in text(copy)
    assert looks_the_same(pdf, copy)


def test_a_form_of_paths_counts_its_paths_and_is_flattened_whole(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, form=True)
    assert kinds(pdf)[pdfium_c.FPDF_PAGEOBJ_FORM] == 1
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0]
    assert kinds(copy, depth=15)[pdfium_c.FPDF_PAGEOBJ_PATH] == 0
    assert looks_the_same(pdf, copy)


def test_a_form_that_holds_text_is_left_as_it_is(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, form=True, form_text=True)
    assert flattened_copy(pdf, 0, 0, work, limit=LIMIT) == (pdf, [])


def test_a_hairline_or_a_dot_gets_an_image_wide_enough_to_render() -> None:
    hairline, dot = (72.0, 700.0, 520.0, 700.0), (300.0, 300.0, 300.2, 300.2)
    parts = _parts([hairline, dot], (0.0, 0.0, 595.0, 842.0))
    assert len(parts) == 2
    assert all(min(part[2] - part[0], part[3] - part[1]) * DPI / 72 >= 2 for part in parts)  # pixels
    assert all(any(_inside(box, part) for part in parts) for box in (hairline, dot))


def _inside(box: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def test_a_scatter_of_dots_far_apart_becomes_a_few_images(tmp_path: Path, work: Path) -> None:
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", 2 * LIMIT, scatter=True)
    copy, pages = flattened_copy(pdf, 0, 0, work, limit=LIMIT)
    assert pages == [0]
    assert 1 <= len(bounds(copy, pdfium_c.FPDF_PAGEOBJ_IMAGE)) <= MAX_PARTS
    assert looks_the_same(pdf, copy)

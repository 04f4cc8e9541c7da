"""Bookmark destinations -> clause anchors: the position on the page, as the block model measures it, and
the lines printed there (hand-made PDFs with every kind of destination)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from platform_assets.domain.pdf.pdf_facts import (
    OutlineEntry,
    PdfFacts,
    locate_lines,
    page_texts,
    read_pdf_facts,
)
from platform_assets.domain.plan.batch_plan import BatchPlan, PlanConfig, PlanMethod
from platform_assets.domain.plan.planning import plan_batches

WIDTH, HEIGHT = 400.0, 600.0
HEADING_Y = 500.0  # baseline of each page's heading, user space


def _document(path: Path, rotation: int = 0, crop: tuple[float, float, float, float] | None = None) -> Path:
    """Four pages, each with a label line and a heading, bookmarked with a different kind of destination."""
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    fits = [
        ("XYZ", {"left": 50, "top": HEADING_Y + 20}),  # hyperref: a little above the heading
        ("FitH", {"top": HEADING_Y + 10}),  # on the label's baseline
        ("Fit", {}),  # no position at all
        ("XYZ", {"left": 50, "top": 200}),  # below the heading, above the body line
    ]
    for number, (fit, view) in enumerate(fits, start=1):
        if crop:
            drawing.setCropBox(crop)
        drawing.setPageRotation(rotation)
        drawing.setFont("Helvetica", 14)
        drawing.drawString(50, HEADING_Y + 10, f"Chapter {number}")
        drawing.drawString(50, HEADING_Y - 14, f"Heading number {number}")
        drawing.setFont("Helvetica", 10)
        drawing.drawString(50, 180, "A body line further down the page.")
        drawing.bookmarkPage(f"p{number}", fit=fit, **view)
        drawing.addOutlineEntry(f"Heading number {number}", f"p{number}", level=0)
        drawing.showPage()
    drawing.save()
    return path


def test_destinations_become_top_down_fractions_of_the_page(tmp_path):
    outline = read_pdf_facts(_document(tmp_path / "plain.pdf")).outline
    assert [e.page_index for e in outline] == [0, 1, 2, 3]
    assert outline[0].top == pytest.approx(1 - (HEADING_Y + 20) / HEIGHT)
    assert outline[0].left == pytest.approx(50 / WIDTH)
    assert outline[1].top == pytest.approx(1 - (HEADING_Y + 10) / HEIGHT) and outline[1].left is None
    assert (outline[2].top, outline[2].left, outline[2].printed) == (None, None, [])
    assert outline[3].top == pytest.approx(1 - 200 / HEIGHT)


def test_the_lines_printed_at_a_destination_are_read_label_first(tmp_path):
    outline = read_pdf_facts(_document(tmp_path / "plain.pdf")).outline
    assert outline[0].printed == ["Chapter 1", "Heading number 1"]
    assert outline[1].printed == ["Chapter 2", "Heading number 2"]  # baseline destination: its line counts
    assert outline[3].printed == ["A body line further down the page."]  # nothing near follows


def test_a_cropped_page_measures_from_its_crop_box(tmp_path):
    crop = (20.0, 100.0, 380.0, 560.0)
    outline = read_pdf_facts(_document(tmp_path / "cropped.pdf", crop=crop)).outline
    assert outline[0].top == pytest.approx((crop[3] - (HEADING_Y + 20)) / (crop[3] - crop[1]))
    assert outline[0].left == pytest.approx((50 - crop[0]) / (crop[2] - crop[0]))
    assert outline[0].printed == ["Chapter 1", "Heading number 1"]


@pytest.mark.parametrize(("rotation", "top"), [(90, 50 / HEIGHT), (180, (HEADING_Y + 20) / HEIGHT)])
def test_a_rotated_page_measures_as_displayed(tmp_path, rotation, top):
    """reportlab turns the media box of a page it rotates a quarter (600 x 400 in user space), so the
    page shows upright at 400 x 600; across that page's user x is down the displayed one."""
    outline = read_pdf_facts(_document(tmp_path / f"rotated-{rotation}.pdf", rotation=rotation)).outline
    assert outline[0].top == pytest.approx(top)
    assert outline[0].printed == []  # lines are read on upright pages only


def test_facts_and_plans_written_before_anchors_still_load():
    old_facts = (
        '{"sha256": "ab", "size_bytes": 1, "page_count": 2, '
        '"outline": [{"title": "1 A", "level": 0, "page_index": 0}]}'
    )
    facts = PdfFacts.model_validate_json(old_facts)
    assert facts.schema_version == 1 and facts.outline == [OutlineEntry(title="1 A", level=0, page_index=0)]
    old_plan = (
        '{"schema_version": 1, "doc_id": "d-0123456789ab", "page_count": 2, "method": "outline", '
        '"config": {"target_pages": 100, "max_pages": 200}, '
        '"batches": [{"index": 1, "key": "d-0123456789ab~b001", '
        '"first_page": 0, "last_page": 1, "clauses": ["1"], "reason": "document_start"}], '
        '"clauses": [{"id": "1", "title": "1 A", "level": 0, "page_index": 0}]}'
    )
    plan = BatchPlan.model_validate_json(old_plan)
    assert plan.clauses[0].top is None and plan.clauses[0].number is None


def test_headings_found_without_an_outline_are_anchored_where_they_are_printed(tmp_path):
    path = tmp_path / "no-outline.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    for number, title, y in ((1, "Scope", 520.0), (2, "Terms and definitions", 300.0)):
        drawing.drawString(50, y, f"{number} {title}")
        drawing.drawString(50, y - 30, "Body text of the clause goes on here.")
    drawing.showPage()
    drawing.save()
    facts = read_pdf_facts(path)
    plan = plan_batches("d", facts, PlanConfig(), lambda: page_texts(path), lambda e: locate_lines(path, e))
    assert plan.method is PlanMethod.TEXT_HEADINGS
    assert [(c.id, c.page_index) for c in plan.clauses] == [("1", 0), ("2", 0)]
    tops = [c.top for c in plan.clauses]
    assert tops[0] == pytest.approx(1 - 530 / HEIGHT, abs=0.01) and tops[1] == pytest.approx(
        1 - 310 / HEIGHT, abs=0.01
    )


def _with_links_out(source: Path, path: Path) -> Path:
    """`source` with two more bookmarks: one opening page 1 of another file (`/GoToR`), one a URL."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    writer = PdfWriter(clone_from=source)
    actions = {
        "User manual": {
            "/S": NameObject("/GoToR"),
            "/F": TextStringObject("manual.pdf"),
            "/D": ArrayObject([NumberObject(0), NameObject("/Fit")]),
        },
        "Project page": {"/S": NameObject("/URI"), "/URI": TextStringObject("https://example.org/")},
    }
    for title, action in actions.items():
        item = writer.add_outline_item(title, 0).get_object()
        item.pop("/Dest", None)  # pypdf gives it a /GoTo action to page 1, replaced here
        item[NameObject("/A")] = DictionaryObject({NameObject(k): v for k, v in action.items()})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_bookmarks_that_leave_the_document_are_listed_apart_not_outline_entries(tmp_path):
    facts = read_pdf_facts(_with_links_out(_document(tmp_path / "plain.pdf"), tmp_path / "links.pdf"))
    assert [e.title for e in facts.outline] == [f"Heading number {n}" for n in range(1, 5)]
    assert facts.external_bookmarks == ["User manual", "Project page"]
    assert facts.bookmarks_without_destination == 0


def test_a_heading_further_down_a_shared_destination_gives_the_printed_lines(tmp_path):
    """texinfo points several sections of a page at its top: each entry's lines are its own heading's,
    printed with its number further down; a sentence that mentions the title, and a heading printed
    without a number, leave the lines at the destination."""
    path = tmp_path / "shared.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    drawing.drawString(50, 570, "Chapter 1: A Brief Introduction                7")
    drawing.drawString(50, 540, "We are now creating a matrix of the constants below.")
    drawing.drawString(50, 480, "1.2.2 Creating a Matrix")
    drawing.drawString(50, 460, "To create a new matrix and store it in a variable,")
    drawing.drawString(50, 300, "1.2.3 Matrix Arithmetic")
    drawing.drawString(50, 200, "Help and Documentation")
    for key, title in enumerate(("Creating a Matrix", "Matrix Arithmetic", "Help and Documentation")):
        drawing.bookmarkPage(str(key), fit="XYZ", left=0, top=590)  # one destination per entry, all alike
        drawing.addOutlineEntry(title, str(key), level=0)
    drawing.showPage()
    drawing.save()
    outline = read_pdf_facts(path).outline
    assert [e.top for e in outline] == [pytest.approx(10 / HEIGHT)] * 3
    assert outline[0].printed == ["1.2.2 Creating a Matrix"]
    assert outline[1].printed == ["1.2.3 Matrix Arithmetic"]
    at_top = ["Chapter 1: A Brief Introduction 7", "We are now creating a matrix of the constants below."]
    assert outline[2].printed == at_top

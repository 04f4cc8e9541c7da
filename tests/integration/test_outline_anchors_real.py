"""Bookmark destinations -> clause anchors on the real corpus: a position and printed lines for every one."""

from __future__ import annotations

from platform_assets.domain.pdf.pdf_facts import locate_lines, page_texts, read_pdf_facts
from platform_assets.domain.plan.batch_plan import PlanConfig, PlanMethod
from platform_assets.domain.plan.planning import plan_batches


def test_real_outlines_have_a_position_for_every_bookmark_with_a_destination(real_pdfs):
    for name in ("r-R-exts.pdf", "tl-interface3.pdf", "tl-usrguide.pdf"):
        outline = read_pdf_facts(real_pdfs / name).outline
        assert outline and all(e.top is not None for e in outline if e.page_index is not None), name
    r_exts = read_pdf_facts(real_pdfs / "r-R-exts.pdf").outline
    structure = next(e for e in r_exts if e.title == "Package structure")
    assert structure.printed[0] == "1.1 Package structure"


def test_a_real_document_without_outline_gets_every_heading_placed(real_pdfs):
    path = real_pdfs / "tl-amsclass.pdf"
    plan = plan_batches(
        "d", read_pdf_facts(path), PlanConfig(), lambda: page_texts(path), lambda e: locate_lines(path, e)
    )
    assert plan.method is PlanMethod.TEXT_HEADINGS and len(plan.clauses) >= 20
    assert all(c.top is not None for c in plan.clauses)


def test_a_bookmark_to_another_file_is_no_clause(extra_pdfs):
    facts = read_pdf_facts(extra_pdfs / "tl-microtype-code.pdf")  # its last bookmark opens microtype.pdf
    assert facts.external_bookmarks == ["User manual"]
    assert [e.title for e in facts.outline][-1] == "The LaTeX Project Public License"

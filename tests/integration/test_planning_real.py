"""The batch planner on real documents: outlines, text headings, scanned pages, junk bookmarks."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_assets.domain.pdf.pdf_facts import page_texts, read_pdf_facts
from platform_assets.domain.plan.batch_plan import BatchReason, PlanConfig, PlanMethod
from platform_assets.domain.plan.planning import plan_batches
from platform_assets.domain.plan.tiling import page_numbers
from tests.plan_invariants import assert_plan_invariants

ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"
SMALL = PlanConfig(target_pages=10, max_pages=20)
REAL_FILES = [
    "tl-source2e.pdf",
    "tl-interface3.pdf",
    "r-R-exts.pdf",
    "tl-clsguide.pdf",
    "tl-usrguide.pdf",
    "tl-fntguide.pdf",
    "tl-amsclass.pdf",
    "ocrmypdf-multipage.pdf",
]


@pytest.mark.parametrize("config", [PlanConfig(), SMALL], ids=["default", "small"])
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_pdf_plans_keep_the_invariants(real_pdfs: Path, name: str, config: PlanConfig) -> None:
    path = real_pdfs / name
    plan = plan_batches("real", read_pdf_facts(path), config, lambda: page_texts(path))
    assert_plan_invariants(plan)


def test_real_pdf_without_outline_is_planned_on_text_headings(real_pdfs: Path) -> None:
    path = real_pdfs / "tl-amsclass.pdf"
    plan = plan_batches("ams", read_pdf_facts(path), SMALL, lambda: page_texts(path))
    assert plan.method is PlanMethod.TEXT_HEADINGS
    assert len(plan.batches) > 4
    assert all(b.reason is not BatchReason.SPLIT_PAGE for b in plan.batches)


def test_real_scanned_pdf_warns_about_its_scanned_pages(real_pdfs: Path) -> None:
    facts_ = read_pdf_facts(real_pdfs / "ocrmypdf-multipage.pdf")
    plan = plan_batches("scan", facts_, PlanConfig())
    assert facts_.scanned_pages
    assert any(page_numbers(facts_.scanned_pages) in w and "cannot OCR" in w for w in plan.warnings)


def test_real_restarting_numbering_plans_anchor_on_parts(real_pdfs: Path) -> None:
    plan = plan_batches("src", read_pdf_facts(real_pdfs / "tl-source2e.pdf"), PlanConfig())
    assert plan.method is PlanMethod.OUTLINE
    assert 10 <= len(plan.batches) <= 25
    assert all(b.reason in (BatchReason.DOCUMENT_START, BatchReason.ANCHOR) for b in plan.batches)


def test_real_standard_with_junk_bookmarks_is_planned_on_its_clauses(shared_corpus: Path) -> None:
    for name, method in (
        ("ECMA-376-Part2-OPC.pdf", PlanMethod.OUTLINE),
        ("ECMA-376-Part3-MCE.pdf", PlanMethod.TEXT_HEADINGS),
    ):
        path = shared_corpus / ECMA / name
        plan = plan_batches("ecma", read_pdf_facts(path), SMALL, lambda path=path: page_texts(path))
        assert plan.method is method
        assert_plan_invariants(plan)

"""Outline -> clauses on real documents: restarting numbering gets unique ids, junk bookmarks are dropped."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from platform_assets.domain.pdf.pdf_facts import read_pdf_facts
from platform_assets.domain.plan.clauses import clauses_from_outline

ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"


def test_real_restarting_numbering_yields_unique_ids(real_pdfs: Path) -> None:
    facts = read_pdf_facts(real_pdfs / "tl-source2e.pdf")
    clauses, warnings = clauses_from_outline(facts.outline, facts.page_count)
    ids = [c.id for c in clauses]
    assert len(clauses) == len(facts.outline) - facts.bookmarks_without_destination
    assert len(set(ids)) == len(ids)
    assert "b-ltplain-dtx/1" in ids
    assert any("repeat" in w for w in warnings)
    assert all(a.page_index <= b.page_index for a, b in pairwise(clauses))


def test_real_word_junk_bookmarks_are_dropped(shared_corpus: Path) -> None:
    facts = read_pdf_facts(shared_corpus / ECMA / "ECMA-376-Part2-OPC.pdf")
    clauses, warnings = clauses_from_outline(facts.outline, facts.page_count)
    assert facts.bookmarks_without_destination >= 65
    assert len(clauses) == len(facts.outline) - facts.bookmarks_without_destination
    assert f"dropped {facts.bookmarks_without_destination} bookmarks" in warnings[0]
    ids = [c.id for c in clauses]
    assert ids[:4] == ["table-of-contents", "foreword", "introduction", "1"]
    assert {"9.1.1.1.1", "A", "A.1", "J"} <= set(ids)

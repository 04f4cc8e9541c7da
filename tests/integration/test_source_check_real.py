"""The source cross-check on a real standard (ECMA-376 Part 2, 137 pages): clause files written from its
outline and text layer are clean; planted garbles and lost lines are caught on the right clause and page."""

from __future__ import annotations

import dataclasses

import pytest

from platform_assets.domain.pdf.pdf_facts import open_pdf, read_outline
from platform_assets.domain.pdf.pdf_text import PageWords
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.verify.findings import ClauseText, Severity
from platform_assets.domain.verify.source_check import check_source_text
from tests.text_layer import text_layer_clauses

pytestmark = pytest.mark.slow
OPC = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9/ECMA-376-Part2-OPC.pdf"


@pytest.fixture(scope="module")
def opc(shared_corpus):
    pdf = shared_corpus / OPC
    document = open_pdf(pdf)
    try:
        clauses, _ = clauses_from_outline(read_outline(document, len(document)), len(document))
    finally:
        document.close()
    return pdf, text_layer_clauses(pdf, clauses)


def planted(texts: list[ClauseText], clause_id: str, old: str, new: str) -> list[ClauseText]:
    (target,) = [t for t in texts if t.clause_id == clause_id]
    assert old in target.markdown
    return [
        dataclasses.replace(t, markdown=t.markdown.replace(old, new, 1)) if t is target else t for t in texts
    ]


def test_clause_files_true_to_the_text_layer_are_clean(opc):
    pdf, texts = opc
    with PageWords(pdf) as pages:
        report = check_source_text(texts, pages)
        assert pages.reads == pages.page_count == 137
    assert len(report.clauses) == len(texts) > 150
    assert report.findings == []
    assert all(c.garbles == 0 and c.lines_lost == 0 for c in report.clauses)
    assert sum(c.lines for c in report.clauses) > 2500  # every line long enough to check, found
    measured = [c for c in report.clauses if c.recall is not None]
    assert len(measured) > 150 and min(c.recall for c in measured) == 1.0


def test_planted_garbles_are_caught_with_their_clause_and_page(opc):
    pdf, texts = opc
    texts = planted(texts, "1", "designed", "designer")  # `designer` is a word of pages 13 on, not 8-10
    texts = planted(texts, "9.3.3", "TargetMode", "TargetMde")  # a dropped letter in a name
    with PageWords(pdf) as pages:
        assert not any(pages.page(p).words.has("designer") for p in range(7, 11))
        assert pages.page(12).words.has("designer")
        report = check_source_text(texts, pages)
    found = {(f.clause_id, f.subject, f.expected): f for f in report.findings}
    assert set(found) == {("1", "designer", "designed"), ("9.3.3", "TargetMde", "TargetMode")}
    assert all(f.kind == "garble" and f.severity is Severity.ERROR for f in found.values())
    assert set(found["1", "designer", "designed"].pages) <= {7, 8, 9, 10}
    assert set(found["9.3.3", "TargetMde", "TargetMode"].pages) & {31, 32, 33}


def deleted(texts: list[ClauseText], clause_id: str, *starts: str) -> list[ClauseText]:
    """The clause files less consecutive lines of one clause, each named by how it starts."""
    (target,) = [t for t in texts if t.clause_id == clause_id]
    lines = target.markdown.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(starts[0]))
    assert all(lines[first + n].startswith(start) for n, start in enumerate(starts))
    kept = "\n".join(lines[:first] + lines[first + len(starts) :])
    return [dataclasses.replace(t, markdown=kept) if t is target else t for t in texts]


def test_planted_lost_lines_are_caught_with_their_clause_and_page(opc):
    pdf, texts = opc
    texts = deleted(texts, "1", "and persisted according to a set of rules.")
    texts = deleted(texts, "9.3.3", ' Type="http://schemas.openxmlformats.org/package/2006/relationships/')
    texts = deleted(  # a run: three lines of one paragraph
        texts,
        "1",
        "Because this Part of ECMA-376 might evolve",
        "compatibility goals",
        "compatibility between",
    )
    with PageWords(pdf) as pages:
        report = check_source_text(texts, pages)
    found = [(f.clause_id, f.severity, f.pages, f.subject) for f in report.findings if f.kind == "lost_line"]
    assert found == [
        ("1", Severity.WARN, (8,), "and persisted according to a set of rules. Parts can have r\u2026"),
        ("1", Severity.ERROR, (8,), "Because this Part of ECMA-376 might evolve, packages are de\u2026"),
        # a line of Example 9-4's markup, on the page after its heading
        ("9.3.3", Severity.WARN, (32,), 'Type="http://schemas.openxmlformats.org/package/2006/relati\u2026'),
    ]
    assert sum(c.lines_lost for c in report.clauses) == 5 and sum(c.lines for c in report.clauses) > 2500

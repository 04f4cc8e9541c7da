"""Verification results as data: finding keys, summaries, the findings table, history and DuckDB."""

from __future__ import annotations

import duckdb

from platform_assets.domain.verify.findings import CheckName, Finding, Severity
from platform_assets.domain.verify.verification_report import (
    ClauseFigures,
    VerificationReport,
    findings_table,
    summarize,
)
from platform_assets.domain.verify.verification_store import load_reports, read_latest, write_report
from platform_assets.edges.verification_tables import load_into_duckdb


def finding(severity: Severity, clause: str = "5.1", subject: str = "algn", **fields) -> Finding:
    return Finding(
        check=CheckName.SOURCE_TEXT,
        kind="garble",
        severity=severity,
        message=f"{subject} | on its page",
        clause_id=clause,
        path="5/5-1.md",
        pages=(9, 10),
        subject=subject,
        expected="align",
        **fields,
    )


def report(at: str, findings: list[Finding]) -> VerificationReport:
    return VerificationReport(
        doc_id="d",
        verified_at=at,
        page_count=20,
        clauses=2,
        checks={
            CheckName.SOURCE_TEXT: summarize(CheckName.SOURCE_TEXT, findings),
            CheckName.VOCABULARY: summarize(CheckName.VOCABULARY, [], ran=False, note="no schema"),
        },
        findings=findings,
        clause_figures=[
            ClauseFigures(
                clause_id="5.1", path="5/5-1.md", first_page=9, last_page=10, recall=0.8, actionable=1
            ),
            ClauseFigures(clause_id="5.2", path="5/5-2.md", first_page=11, last_page=11, recall=None),
        ],
    )


def test_a_finding_key_ignores_wording_and_score_but_not_what_it_is_about():
    first = finding(Severity.ERROR, score=0.5)
    assert first.key == finding(Severity.WARN, score=0.9).model_copy(update={"message": "other"}).key
    assert first.key != finding(Severity.ERROR, clause="5.2").key
    assert first.actionable and not finding(Severity.INFO).actionable


def test_summaries_count_by_severity_and_tell_skipped_from_passed():
    summary = summarize(CheckName.SOURCE_TEXT, [finding(Severity.ERROR), finding(Severity.INFO, subject="x")])
    assert (summary.findings, summary.errors, summary.info, summary.worst) == (2, 1, 1, Severity.ERROR)
    skipped = summarize(CheckName.VOCABULARY, [], ran=False, note="no schema")
    assert not skipped.ran and skipped.worst is None


def test_the_findings_table_lists_worst_first_with_1_based_pages_and_escaped_cells():
    table = findings_table([finding(Severity.INFO, subject="x"), finding(Severity.ERROR)])
    rows = table.splitlines()[2:]
    assert rows[0].startswith(
        "| error | source_text | garble | 5.1 | 5/5-1.md | 10-11 | algn \\| on its page |"
    )
    assert rows[1].startswith("| info ")
    assert findings_table([]) == "no findings"


def test_the_findings_table_keeps_a_long_message_whole():
    long = "a line of page 20 is in neither this file nor its neighbours: " + "x" * 200
    table = findings_table([finding(Severity.WARN, subject=long)])
    assert table.splitlines()[2].endswith(f"| {long} \\| on its page |")


def test_reports_are_kept_as_history_and_loaded_into_duckdb(tmp_path):
    root, db = tmp_path / "verification", tmp_path / "warehouse.duckdb"
    write_report(root, report("2026-11-22T03:00:00.000001Z", [finding(Severity.ERROR)]))
    write_report(root, report("2026-11-23T03:00:00.000001Z", []))
    assert read_latest(root, "d").verified_at == "2026-11-23T03:00:00.000001Z"
    reports = load_reports(root)
    assert [r.verified_at for r in reports] == ["2026-11-22T03:00:00.000001Z", "2026-11-23T03:00:00.000001Z"]

    counts = load_into_duckdb(db, reports)
    assert counts == {"verification_summary": 4, "verification_findings": 1, "verification_clauses": 4}
    assert load_into_duckdb(db, reports) == counts  # rebuilt, not appended
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM verification_latest").fetchone() == (0,)
        row = conn.execute(
            'SELECT "check", severity, pages, actionable FROM verification_findings'
        ).fetchone()
        ran = conn.execute(
            'SELECT "check", ran FROM verification_summary ORDER BY verified_at, "check"'
        ).fetchall()
    assert row == ("source_text", "error", [9, 10], True)
    assert ran[:2] == [("source_text", True), ("vocabulary", False)]


def test_the_worst_clauses_come_first_by_findings_then_recall():
    worst = report("2026-11-23T00:00:00Z", []).worst_clauses()
    assert [c.clause_id for c in worst] == ["5.1"]

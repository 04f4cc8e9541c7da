"""The verification tables of the DuckDB warehouse, rebuilt from all report files by the file's one writer."""

from __future__ import annotations

from pathlib import Path

from platform_assets.domain.verify.verification_report import VerificationReport
from platform_assets.edges.warehouse import writing

_SCHEMA = """
CREATE OR REPLACE TABLE verification_summary (
    doc_id VARCHAR, verified_at TIMESTAMPTZ, "check" VARCHAR, ran BOOLEAN, findings INTEGER,
    errors INTEGER, warnings INTEGER, info INTEGER, seconds DOUBLE, note VARCHAR,
    PRIMARY KEY (doc_id, verified_at, "check")
);
CREATE OR REPLACE TABLE verification_findings (
    doc_id VARCHAR, verified_at TIMESTAMPTZ, finding_key VARCHAR, "check" VARCHAR, kind VARCHAR,
    severity VARCHAR, actionable BOOLEAN, clause_id VARCHAR, path VARCHAR, pages INTEGER[],
    subject VARCHAR, expected VARCHAR, score DOUBLE, message VARCHAR
);
CREATE OR REPLACE TABLE verification_clauses (
    doc_id VARCHAR, verified_at TIMESTAMPTZ, clause_id VARCHAR, path VARCHAR, first_page INTEGER,
    last_page INTEGER, recall DOUBLE, actionable INTEGER
);
CREATE OR REPLACE VIEW verification_latest AS
    SELECT * FROM verification_findings
    WHERE (doc_id, verified_at) IN (
        SELECT doc_id, max(verified_at) FROM verification_summary GROUP BY doc_id
    );
"""


def load_into_duckdb(db_path: Path, reports: list[VerificationReport]) -> dict[str, int]:
    """Rebuild the verification tables from all reports in one transaction, as the file's one writer;
    returns row counts. Raises `WarehouseLocked` when another process kept the file locked."""
    summary = [
        (
            r.doc_id,
            r.verified_at,
            c.check.value,
            c.ran,
            c.findings,
            c.errors,
            c.warnings,
            c.info,
            c.seconds,
            c.note,
        )
        for r in reports
        for c in r.checks.values()
    ]
    findings = [
        (
            r.doc_id,
            r.verified_at,
            f.key,
            f.check.value,
            f.kind,
            f.severity.value,
            f.actionable,
            f.clause_id,
            f.path,
            list(f.pages),
            f.subject,
            f.expected,
            f.score,
            f.message,
        )
        for r in reports
        for f in r.findings
    ]
    clauses = [
        (r.doc_id, r.verified_at, c.clause_id, c.path, c.first_page, c.last_page, c.recall, c.actionable)
        for r in reports
        for c in r.clause_figures
    ]
    with writing(db_path) as conn:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(_SCHEMA)
        for table, rows in (
            ("verification_summary", summary),
            ("verification_findings", findings),
            ("verification_clauses", clauses),
        ):
            if rows:
                conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        conn.execute("COMMIT")
    return {
        "verification_summary": len(summary),
        "verification_findings": len(findings),
        "verification_clauses": len(clauses),
    }

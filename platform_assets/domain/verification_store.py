"""Verification reports on disk (one JSON file per run, kept as history) and their DuckDB tables.

Invariant: as with timing records, runs only write their own report file atomically; one writer
rebuilds `verification_summary`, `verification_findings` and `verification_clauses` from all files.
"""

from __future__ import annotations

from pathlib import Path

from platform_assets.domain.atomic import write_text_atomic
from platform_assets.domain.verification_report import VerificationReport
from platform_assets.domain.warehouse import writing

LATEST = "latest.json"

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


def report_path(root: Path, report: VerificationReport) -> Path:
    stamp = report.verified_at.replace(":", "").replace("-", "")
    return root / report.doc_id / f"{stamp}.json"


def write_report(root: Path, report: VerificationReport) -> Path:
    """Store the run's report (history) and the document's `latest.json`, each atomically."""
    text = report.model_dump_json(indent=1)
    path = report_path(root, report)
    write_text_atomic(path, text)
    write_text_atomic(root / report.doc_id / LATEST, text)
    return path


def read_latest(root: Path, doc_id: str) -> VerificationReport | None:
    path = root / doc_id / LATEST
    return VerificationReport.model_validate_json(path.read_bytes()) if path.is_file() else None


def load_reports(root: Path) -> list[VerificationReport]:
    files = sorted(p for p in root.glob("*/*.json") if p.name != LATEST) if root.is_dir() else []
    return [VerificationReport.model_validate_json(p.read_bytes()) for p in files]


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

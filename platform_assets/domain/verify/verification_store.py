"""Verification reports on disk: one JSON file per run, kept as history.

Invariant: as with timing records, runs only write their own report file atomically; one writer
rebuilds the DuckDB tables from all files (`platform_assets.edges.verification_tables`).
"""

from __future__ import annotations

from pathlib import Path

from platform_assets.domain.common.atomic import write_text_atomic
from platform_assets.domain.verify.verification_report import VerificationReport

LATEST = "latest.json"


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

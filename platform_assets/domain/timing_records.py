"""Timing records: one small JSON file per parse attempt, loaded into DuckDB by a single writer.

Parallel runs only ever write their own record file (atomically); `load_into_duckdb` rebuilds the
tables from all files in one transaction, so re-loading is idempotent.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from pydantic import BaseModel, Field

from platform_assets.domain.atomic import write_text_atomic

ORCHESTRATOR_PHASES = ("queue_wait", "download_extract", "normalize")
WORKER_PHASES = {"fetch_input": "fetch_input", "mineru_parse": "parse", "package": "package"}
DEGRADED_PREFIX = "degraded:"
"""`error` of a failed attempt whose worker reported lost artifacts (the batch is then re-parsed)."""


class TimingRecord(BaseModel):
    record_id: str = Field(description="<batch key>/<run id>-<attempt>")
    run_id: str
    attempt: int
    doc_id: str
    batch_key: str
    first_page: int
    last_page: int
    pages: int
    status: str = Field(description="succeeded | reused | failed | cancelled")
    engine: str = "mineru"
    engine_version: str = ""
    tier: str = ""
    worker_id: str = ""
    job_id: str = ""
    cold_start: bool | None = None
    started_at: str
    finished_at: str
    wall_s: float
    phases: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    phase_sources: dict[str, str] = Field(default_factory=dict, description="phase -> worker | orchestrator")
    error: str | None = None

    @property
    def pages_per_s(self) -> float | None:
        parse = self.phases.get("parse")
        return round(self.pages / parse, 3) if parse else None


def record_path(root: Path, record: TimingRecord) -> Path:
    return root / f"{record.record_id}.json"


def write_record(root: Path, record: TimingRecord) -> Path:
    path = record_path(root, record)
    write_text_atomic(path, record.model_dump_json(indent=2))
    return path


def load_records(root: Path) -> list[TimingRecord]:
    files = sorted(root.glob("*/*.json")) if root.is_dir() else []
    return [TimingRecord.model_validate_json(p.read_bytes()) for p in files]


_SCHEMA = """
CREATE OR REPLACE TABLE parse_runs (
    record_id VARCHAR PRIMARY KEY, run_id VARCHAR, attempt INTEGER, doc_id VARCHAR, batch_key VARCHAR,
    first_page INTEGER, last_page INTEGER, pages INTEGER, status VARCHAR, engine VARCHAR,
    engine_version VARCHAR, tier VARCHAR, worker_id VARCHAR, job_id VARCHAR, cold_start BOOLEAN,
    started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, wall_s DOUBLE, queue_wait_s DOUBLE,
    parse_s DOUBLE, pages_per_s DOUBLE, error VARCHAR
);
CREATE OR REPLACE TABLE phase_timings (
    record_id VARCHAR, batch_key VARCHAR, phase VARCHAR, source VARCHAR, seconds DOUBLE
);
"""


def load_into_duckdb(db_path: Path, records: list[TimingRecord]) -> dict[str, int]:
    """Rebuild `parse_runs` and `phase_timings` from the records; returns row counts."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    runs = [
        (
            r.record_id,
            r.run_id,
            r.attempt,
            r.doc_id,
            r.batch_key,
            r.first_page,
            r.last_page,
            r.pages,
            r.status,
            r.engine,
            r.engine_version,
            r.tier,
            r.worker_id,
            r.job_id,
            r.cold_start,
            r.started_at,
            r.finished_at,
            r.wall_s,
            r.phases.get("queue_wait"),
            r.phases.get("parse"),
            r.pages_per_s,
            r.error,
        )
        for r in records
    ]
    phases = [
        (r.record_id, r.batch_key, phase, r.phase_sources.get(phase, "orchestrator"), seconds)
        for r in records
        for phase, seconds in sorted(r.phases.items())
    ]
    with duckdb.connect(str(db_path)) as conn:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(_SCHEMA)
        if runs:
            conn.executemany(f"INSERT INTO parse_runs VALUES ({', '.join('?' * 22)})", runs)
        if phases:
            conn.executemany("INSERT INTO phase_timings VALUES (?, ?, ?, ?, ?)", phases)
        conn.execute("COMMIT")
    return {"parse_runs": len(runs), "phase_timings": len(phases)}

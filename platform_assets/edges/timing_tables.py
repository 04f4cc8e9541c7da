"""The timing tables of the DuckDB warehouse: the schema (`MIGRATIONS`, recorded in `schema_version`) and
`load_into_duckdb`, which rebuilds the rows from all timing record files in one transaction as the file's
one writer (`warehouse.writing`), so re-loading is idempotent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platform_assets.domain.observe.cost_model import BatchCost, CostModel
from platform_assets.domain.observe.timing_records import (
    BILLED_STATUSES,
    LEGACY_PHASES,
    PARSED_STATUSES,
    DocumentInfo,
    PhaseRecord,
    TimingRecord,
)
from platform_assets.edges.warehouse import writing

if TYPE_CHECKING:
    import duckdb

SCHEMA_COMPONENT = "timings"
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE IF NOT EXISTS parse_runs (
            record_id VARCHAR PRIMARY KEY, run_id VARCHAR, attempt INTEGER, doc_id VARCHAR,
            batch_key VARCHAR, first_page INTEGER, last_page INTEGER, pages INTEGER, status VARCHAR,
            engine VARCHAR, engine_version VARCHAR, tier VARCHAR, worker_id VARCHAR, job_id VARCHAR,
            cold_start BOOLEAN, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, wall_s DOUBLE,
            queue_wait_s DOUBLE, parse_s DOUBLE, pages_per_s DOUBLE, error VARCHAR
        );
        CREATE TABLE IF NOT EXISTS phase_timings (
            record_id VARCHAR, batch_key VARCHAR, phase VARCHAR, source VARCHAR, seconds DOUBLE
        );
        """,
    ),
    (
        2,
        """
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS gpu VARCHAR;
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS execution_s DOUBLE;
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS warmup_s DOUBLE;
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS execution_cost_usd DOUBLE;
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS cold_start_cost_usd DOUBLE;
        ALTER TABLE parse_runs ADD COLUMN IF NOT EXISTS cost_usd DOUBLE;
        ALTER TABLE phase_timings ADD COLUMN IF NOT EXISTS doc_id VARCHAR;
        ALTER TABLE phase_timings ADD COLUMN IF NOT EXISTS run_id VARCHAR;
        CREATE TABLE IF NOT EXISTS documents (
            doc_id VARCHAR PRIMARY KEY, filename VARCHAR, pages INTEGER, batches INTEGER,
            parsed_pages INTEGER, attempts INTEGER, cold_starts INTEGER, execution_s DOUBLE,
            queue_wait_s DOUBLE, cost_usd DOUBLE, cost_per_page_usd DOUBLE, warm_cost_per_page_usd DOUBLE,
            pages_per_cold_start DOUBLE, first_parse_at TIMESTAMPTZ, last_parse_at TIMESTAMPTZ
        );
        """,
    ),
)
"""Ordered, idempotent DDL; version N is applied once to a database below N (`schema_version`)."""
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the timing tables to `SCHEMA_VERSION` (a database without `schema_version` is at 0, or
    at 1 when it has the tables of schema 1: they are created IF NOT EXISTS); returns the version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(component VARCHAR, version INTEGER, applied_at TIMESTAMPTZ DEFAULT current_timestamp)"
    )
    (current,) = conn.execute(
        "SELECT coalesce(max(version), 0) FROM schema_version WHERE component = ?", [SCHEMA_COMPONENT]
    ).fetchone()
    for version, ddl in MIGRATIONS:
        if version > current:
            conn.execute(ddl)
            conn.execute(
                "INSERT INTO schema_version (component, version) VALUES (?, ?)", [SCHEMA_COMPONENT, version]
            )
    return max(current, SCHEMA_VERSION)


PARSE_RUN_COLUMNS = (
    "record_id", "run_id", "attempt", "doc_id", "batch_key", "first_page", "last_page", "pages", "status",
    "engine", "engine_version", "tier", "worker_id", "job_id", "gpu", "cold_start", "started_at",
    "finished_at", "wall_s", "queue_wait_s", "execution_s", "warmup_s", "parse_s", "pages_per_s",
    "execution_cost_usd", "cold_start_cost_usd", "cost_usd", "error",
)  # fmt: skip
PHASE_COLUMNS = ("record_id", "doc_id", "batch_key", "run_id", "phase", "source", "seconds")
DOCUMENT_COLUMNS = (
    "doc_id", "filename", "pages", "batches", "parsed_pages", "attempts", "cold_starts", "execution_s",
    "queue_wait_s", "cost_usd", "cost_per_page_usd", "warm_cost_per_page_usd", "pages_per_cold_start",
    "first_parse_at", "last_parse_at",
)  # fmt: skip


def attempt_cost(cost: CostModel, r: TimingRecord) -> BatchCost:
    """What the attempt was billed: reused batches and attempts that never ran cost nothing."""
    if r.status not in BILLED_STATUSES:
        return BatchCost()
    return cost.batch_cost(r.gpu, r.execution_s, r.cold_start)


def _parse_run_row(r: TimingRecord, c: BatchCost) -> tuple:
    billed = r.status in BILLED_STATUSES
    return (
        r.record_id, r.run_id, r.attempt, r.doc_id, r.batch_key, r.first_page, r.last_page, r.pages,
        r.status, r.engine, r.engine_version, r.tier, r.worker_id, r.job_id, r.gpu, r.cold_start,
        r.started_at, r.finished_at, r.wall_s, r.phase("queue"), r.execution_s, r.warmup_s,
        r.phase("parse"), r.pages_per_s, c.execution_usd if billed else None,
        c.cold_start_usd if billed else None, c.total_usd if billed else None, r.error,
    )  # fmt: skip


def _phase_rows(records: list[TimingRecord], phase_records: list[PhaseRecord]) -> list[tuple]:
    rows = [
        (r.record_id, r.doc_id, r.batch_key, r.run_id, LEGACY_PHASES.get(phase, phase),
         r.phase_sources.get(phase, "orchestrator"), seconds)
        for r in records
        for phase, seconds in sorted(r.phases.items())
    ]  # fmt: skip
    rows += [
        (p.record_id, p.doc_id, None, p.run_id, p.phase, "orchestrator", p.seconds) for p in phase_records
    ]
    return rows


def _document_rows(
    records: list[TimingRecord], documents: list[DocumentInfo], cost: CostModel
) -> list[tuple]:
    infos = {d.doc_id: d for d in documents}
    by_doc: dict[str, list[TimingRecord]] = {}
    for r in records:
        by_doc.setdefault(r.doc_id, []).append(r)
    rows = []
    for doc_id in sorted(set(infos) | set(by_doc)):
        info, attempts = infos.get(doc_id, DocumentInfo(doc_id)), by_doc.get(doc_id, [])
        parsed = {r.batch_key: r.pages for r in attempts if r.status in PARSED_STATUSES}
        ran = [r for r in attempts if r.status != "reused"]
        parsed_pages = sum(parsed.values())
        cold_starts = sum(1 for r in ran if r.cold_start)
        doc_cost = cost.document_cost((attempt_cost(cost, r) for r in ran), parsed_pages)
        rows.append(
            (
                doc_id, info.filename, info.pages, info.batches, parsed_pages, len(ran), cold_starts,
                sum(r.execution_s or 0.0 for r in ran), sum(r.phase("queue") or 0.0 for r in ran),
                doc_cost.total_usd, doc_cost.per_page_usd, doc_cost.warm_per_page_usd,
                parsed_pages / cold_starts if cold_starts else None,
                min((r.started_at for r in ran), default=None),
                max((r.finished_at for r in ran), default=None),
            )
        )  # fmt: skip
    return rows


def _insert(conn: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    conn.execute(f"DELETE FROM {table}")
    if rows:
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def load_into_duckdb(
    db_path: Path,
    records: list[TimingRecord],
    phase_records: list[PhaseRecord] | None = None,
    documents: list[DocumentInfo] | None = None,
    cost: CostModel | None = None,
) -> dict[str, int]:
    """Migrate, then rebuild `parse_runs`, `phase_timings` and `documents` from the records in one
    transaction, as the file's one writer; returns row counts. `cost` defaults to `CostModel()` (the
    default price table). Raises `WarehouseLocked` when another process kept the file locked."""
    cost = cost or CostModel()
    runs = [_parse_run_row(r, attempt_cost(cost, r)) for r in records]
    phases = _phase_rows(records, phase_records or [])
    docs = _document_rows(records, documents or [], cost)
    with writing(db_path) as conn:
        conn.execute("BEGIN TRANSACTION")
        migrate(conn)
        _insert(conn, "parse_runs", PARSE_RUN_COLUMNS, runs)
        _insert(conn, "phase_timings", PHASE_COLUMNS, phases)
        _insert(conn, "documents", DOCUMENT_COLUMNS, docs)
        conn.execute("COMMIT")
    return {"parse_runs": len(runs), "phase_timings": len(phases), "documents": len(docs)}

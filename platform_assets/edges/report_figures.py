"""The parse report's figures, read from the timing tables of the DuckDB warehouse (read-only).

Invariant: every figure is derived from `parse_runs`, `phase_timings` and `documents` as loaded by
`parse_timings`; a missing database or missing tables read as "no parse runs yet", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_assets.edges.warehouse import reading

TIMING_TABLES = ("parse_runs", "phase_timings", "documents")
PLOT_ALTS = {
    "pages_per_second": "pages per second",
    "phase_breakdown": "phase breakdown",
    "cost_per_page": "cost per page",
}
"""Plot name (file stem) -> alt text, in report order."""

_DOCUMENTS_SQL = """
WITH runs AS (
    SELECT doc_id, count(DISTINCT batch_key) AS batch_keys,
           count(*) FILTER (status = 'failed') AS failed,
           sum(pages) FILTER (status = 'succeeded' AND parse_s > 0) AS timed_pages,
           sum(parse_s) FILTER (status = 'succeeded' AND parse_s > 0) AS parse_s
    FROM parse_runs GROUP BY doc_id
)
SELECT d.doc_id, d.filename, d.pages, coalesce(d.batches, r.batch_keys, 0), d.parsed_pages,
       d.attempts, coalesce(r.failed, 0), r.timed_pages / r.parse_s, d.cold_starts,
       d.pages_per_cold_start, d.cost_usd, d.warm_cost_per_page_usd, d.cost_per_page_usd
FROM documents d LEFT JOIN runs r USING (doc_id)
ORDER BY d.cost_usd DESC, d.doc_id
"""

_FLEET_SQL = """
SELECT count(DISTINCT doc_id),
       count(DISTINCT batch_key) FILTER (status IN ('succeeded', 'reused')),
       count(*) FILTER (status <> 'reused'), count(*) FILTER (status = 'failed'),
       count(*) FILTER (cold_start AND status <> 'reused'),
       (SELECT coalesce(sum(parsed_pages), 0) FROM documents),
       sum(pages) FILTER (status = 'succeeded' AND parse_s > 0)
           / sum(parse_s) FILTER (status = 'succeeded' AND parse_s > 0),
       coalesce(sum(execution_s) FILTER (status <> 'reused'), 0),
       coalesce(sum(cost_usd), 0), coalesce(sum(execution_cost_usd), 0)
FROM parse_runs
"""

_BATCHES_SQL = """
SELECT doc_id, batch_key, pages, parse_s FROM parse_runs
WHERE status = 'succeeded' AND parse_s > 0
QUALIFY row_number() OVER (PARTITION BY batch_key ORDER BY finished_at DESC, record_id DESC) = 1
ORDER BY doc_id, batch_key
"""

_PHASES_SQL = """
SELECT doc_id, phase, source, sum(seconds) FROM phase_timings
WHERE doc_id IS NOT NULL GROUP BY ALL ORDER BY doc_id, phase, source
"""


@dataclass(frozen=True)
class DocumentFigures:
    """One document: plan size, what was parsed, how fast and at what cost (None: nothing to divide)."""

    doc_id: str
    filename: str | None
    pages: int | None
    batches: int
    parsed_pages: int
    attempts: int
    failed_attempts: int
    pages_per_s: float | None
    cold_starts: int
    pages_per_cold_start: float | None
    cost_usd: float
    warm_cost_per_page_usd: float | None
    cost_per_page_usd: float | None


@dataclass(frozen=True)
class FleetFigures:
    """All documents together. `pages_per_s` is MinerU's parse-phase throughput per worker, pooled
    over every successful parse; costs include failed attempts and cold starts."""

    documents: int
    batches_parsed: int
    attempts: int
    failed_attempts: int
    cold_starts: int
    parsed_pages: int
    pages_per_s: float | None
    execution_s: float
    cost_usd: float
    warm_cost_usd: float

    @property
    def cost_per_page_usd(self) -> float | None:
        return self.cost_usd / self.parsed_pages if self.parsed_pages else None

    @property
    def warm_cost_per_page_usd(self) -> float | None:
        return self.warm_cost_usd / self.parsed_pages if self.parsed_pages else None

    @property
    def pages_per_cold_start(self) -> float | None:
        return self.parsed_pages / self.cold_starts if self.cold_starts else None


@dataclass(frozen=True)
class BatchThroughput:
    """The latest successful parse of one batch."""

    doc_id: str
    batch_key: str
    pages: int
    parse_s: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.parse_s


@dataclass(frozen=True)
class PhaseSeconds:
    """Seconds one document spent in one phase, summed over its batches and attempts."""

    doc_id: str
    phase: str
    source: str
    seconds: float


@dataclass(frozen=True)
class ReportFigures:
    documents: list[DocumentFigures]
    fleet: FleetFigures
    batches: list[BatchThroughput]
    phases: list[PhaseSeconds]

    @property
    def empty(self) -> bool:
        """True until a parse run (of any status) has been loaded."""
        return self.fleet.attempts == 0 and self.fleet.batches_parsed == 0


NO_RUNS = ReportFigures(
    documents=[],
    fleet=FleetFigures(0, 0, 0, 0, 0, 0, None, 0.0, 0.0, 0.0),
    batches=[],
    phases=[],
)


def read_report_figures(db_path: Path) -> ReportFigures:
    """The report's figures from `db_path`, opened read-only beside this platform's loads (`WarehouseLocked`
    when another process holds the file); `NO_RUNS` when the file or its timing tables do not exist yet."""
    if not db_path.is_file():
        return NO_RUNS
    with reading(db_path) as conn:
        tables = {name for (name,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if not set(TIMING_TABLES) <= tables:
            return NO_RUNS
        documents = [DocumentFigures(*row) for row in conn.execute(_DOCUMENTS_SQL).fetchall()]
        (fleet,) = conn.execute(_FLEET_SQL).fetchall()
        batches = [BatchThroughput(*row) for row in conn.execute(_BATCHES_SQL).fetchall()]
        phases = [PhaseSeconds(*row) for row in conn.execute(_PHASES_SQL).fetchall()]
    return ReportFigures(
        documents=documents,
        fleet=FleetFigures(*fleet),
        batches=batches,
        phases=phases,
    )

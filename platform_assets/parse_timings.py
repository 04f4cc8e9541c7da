"""`parse_timings`: every timing record file loaded into DuckDB by this one writer.

Runs never touch the DuckDB file (one writer per file); they write record files, and this
unpartitioned asset (own pool, limit 1; as the file's one writer on every path, the CLI's in-process
runs included: `edges/warehouse.py`) migrates the schema and rebuilds `parse_runs`, `phase_timings`
and `documents` from them (schema: docs/warehouse.md). A load that
another process's lock on the file prevents is reported as pending, never a failure.
`timed_phase` records the document-level phases (plan, tree, verify) of other assets as such files.
"""

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import dagster as dg

from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.observe.timing_records import (
    DocumentInfo,
    PhaseRecord,
    load_phase_records,
    load_records,
    write_record,
)
from platform_assets.edges.batch_telemetry import DocumentPhase
from platform_assets.edges.timing_tables import load_into_duckdb
from platform_assets.edges.warehouse import WarehouseLocked, reading
from resources.platform_data import CostSettings, PlatformData

SUMMARY_SQL = """
SELECT r.doc_id, count(*) AS attempts, count(*) FILTER (status = 'succeeded') AS parsed,
       count(*) FILTER (status = 'reused') AS reused, count(*) FILTER (status = 'failed') AS failed,
       sum(r.pages) FILTER (status = 'succeeded') AS pages_parsed,
       round(sum(r.pages) FILTER (status = 'succeeded')
             / nullif(sum(parse_s) FILTER (status = 'succeeded'), 0), 2) AS pages_per_s,
       any_value(d.cold_starts) AS cold_starts, round(any_value(d.cost_usd), 4) AS cost_usd,
       round(any_value(d.cost_per_page_usd), 5) AS usd_per_page
FROM parse_runs r LEFT JOIN documents d USING (doc_id) GROUP BY r.doc_id ORDER BY r.doc_id
"""


def document_infos(data: PlatformData) -> list[DocumentInfo]:
    registry = data.registry
    plans = registry.plans()
    return [
        DocumentInfo(
            doc_id=d.doc_id,
            filename=d.filename,
            pages=plans[d.doc_id].page_count if d.doc_id in plans else None,
            batches=len(plans[d.doc_id].batches) if d.doc_id in plans else None,
        )
        for d in registry.documents()
    ]


def build_parse_timings(parsed_batch: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=[parsed_batch],
        group_name="observability",
        kinds={"duckdb"},
        pool="duckdb_writer",
        # eager, but not held back by missing batches (failed, or of a document still parsing):
        # parses that update batches refresh the tables once none is in progress.
        automation_condition=dg.AutomationCondition.eager()
        .without(~dg.AutomationCondition.any_deps_missing())
        .with_label("eager_allowing_missing_batches"),
        description="DuckDB tables parse_runs, phase_timings and documents, rebuilt from all timing records.",
    )
    def parse_timings(
        context: dg.AssetExecutionContext, data: PlatformData, cost_settings: CostSettings
    ) -> dg.MaterializeResult:
        root = data.paths.timings
        try:
            counts = load_into_duckdb(
                data.paths.warehouse,
                load_records(root),
                load_phase_records(root),
                document_infos(data),
                cost_settings.model(),
            )
        except WarehouseLocked as locked:
            return warehouse_pending(context, data, locked, root)
        try:
            with reading(data.paths.warehouse) as conn:
                summary = conn.execute(SUMMARY_SQL).fetchall()
                columns = [d[0] for d in conn.description]
        except WarehouseLocked as locked:
            by_document = f"not read: {locked}"
        else:
            by_document = markdown_table(columns, summary)
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(data.paths.warehouse)),
                "pending": dg.MetadataValue.bool(False),
                "parse_runs": dg.MetadataValue.int(counts["parse_runs"]),
                "phase_timings": dg.MetadataValue.int(counts["phase_timings"]),
                "documents": dg.MetadataValue.int(counts["documents"]),
                "by_document": dg.MetadataValue.md(by_document),
            }
        )

    return parse_timings


def warehouse_pending(
    context: dg.AssetExecutionContext, data: PlatformData, locked: WarehouseLocked, records: Path
) -> dg.MaterializeResult:
    """A load the DuckDB lock prevented: a warning, never a failure (the parse or verification is done);
    the record files stay under `records` and the next load of this asset rebuilds the tables."""
    context.log.warning(
        f"DuckDB tables not updated: {locked}. The records stay in {records.name}/ and load with the "
        f"next {context.asset_key.to_user_string()} (readers: connect with read_only=True briefly, or "
        "query a copy of the file)"
    )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(data.paths.warehouse)),
            "pending": dg.MetadataValue.bool(True),
            "pending_reason": dg.MetadataValue.text(str(locked)),
        }
    )


def timed_phase(phase: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a document-partitioned asset function (`context` first, a `data: PlatformData`
    resource argument): each call writes a `PhaseRecord`, also when the body raises, and is traced as
    `platform.<phase>`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            context = kwargs["context"] if "context" in kwargs else args[0]
            doc_id, run_id = context.partition_key, context.run_id
            observed = DocumentPhase(phase, doc_id=doc_id, run_id=run_id)
            try:
                with observed:
                    return fn(*args, **kwargs)
            finally:
                record = PhaseRecord(
                    record_id=f"{doc_id}/{phase}-{run_id}",
                    doc_id=doc_id,
                    phase=phase,
                    run_id=run_id,
                    status=observed.status,
                    started_at=observed.started_at.isoformat(),
                    finished_at=observed.finished_at.isoformat(),
                    seconds=observed.seconds,
                )
                write_record(kwargs["data"].paths.timings, record)

        return wrapper

    return decorate

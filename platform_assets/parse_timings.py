"""`parse_timings`: every timing record file loaded into DuckDB by this one writer.

Runs never touch the DuckDB file (one writer per file); they write record files, and this
unpartitioned asset (own pool, limit 1; as the file's one writer on every path, the CLI's in-process
runs included: `edges/warehouse.py`) migrates the schema and rebuilds `parse_runs`, `phase_timings`
and `documents` from them (schema: docs/warehouse.md). A load that
another process's lock on the file prevents is reported as pending, never a failure.
"""

import dagster as dg

from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.observe.timing_records import (
    DocumentInfo,
    load_phase_records,
    load_records,
)
from platform_assets.edges.timing_tables import load_into_duckdb
from platform_assets.edges.warehouse import WarehouseLocked, reading
from platform_assets.warehouse_loads import warehouse_pending
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
        data.pull("timings/")
        try:
            with data.updating_warehouse() as warehouse:
                counts = load_into_duckdb(
                    warehouse,
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

"""`parse_timings`: every timing record file loaded into DuckDB by this one writer.

Parse runs never touch the DuckDB file (one writer per file); they write record files, and this
unpartitioned asset (own pool, limit 1) rebuilds `parse_runs` and `phase_timings` from them.
"""

import dagster as dg
import duckdb

from platform_assets.domain.timing_records import load_into_duckdb, load_records
from resources.platform_data import PlatformData

SUMMARY_SQL = """
SELECT doc_id, count(*) AS attempts, count(*) FILTER (status = 'succeeded') AS parsed,
       count(*) FILTER (status = 'reused') AS reused, count(*) FILTER (status = 'failed') AS failed,
       sum(pages) FILTER (status = 'succeeded') AS pages_parsed,
       round(sum(pages) FILTER (status = 'succeeded')
             / nullif(sum(parse_s) FILTER (status = 'succeeded'), 0), 2) AS pages_per_s
FROM parse_runs GROUP BY doc_id ORDER BY doc_id
"""


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
        description="DuckDB tables parse_runs and phase_timings, rebuilt from all timing records.",
    )
    def parse_timings(data: PlatformData) -> dg.MaterializeResult:
        records = load_records(data.paths.timings)
        counts = load_into_duckdb(data.paths.warehouse, records)
        with duckdb.connect(str(data.paths.warehouse), read_only=True) as conn:
            summary = conn.execute(SUMMARY_SQL).fetchall()
            columns = [d[0] for d in conn.description]
        table = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        table += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in summary]
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(data.paths.warehouse)),
                "parse_runs": dg.MetadataValue.int(counts["parse_runs"]),
                "phase_timings": dg.MetadataValue.int(counts["phase_timings"]),
                "by_document": dg.MetadataValue.md("\n".join(table)),
            }
        )

    return parse_timings

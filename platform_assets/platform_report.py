"""`platform_report`: where parse time and money go, per document, batch and phase, on the asset page.

Reads the timing tables read-only after `parse_timings` (in the writer's pool, so no writer holds the
DuckDB file meanwhile); the Markdown metadata embeds the plots, which also go to `<data>/reports/`.
"""

import dagster as dg

from platform_assets.edges.report_figures import read_report_figures
from platform_assets.edges.report_markdown import data_uri, report_markdown, write_report
from platform_assets.edges.warehouse import WarehouseLocked
from resources.platform_data import PlatformData


def build_platform_report(parse_timings: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=[parse_timings],
        group_name="observability",
        kinds={"duckdb"},
        pool="duckdb_writer",
        # parse_timings is its only, unpartitioned dep: plain eager refreshes the report after each load.
        automation_condition=dg.AutomationCondition.eager(),
        description="Parse report: pages/s per batch, time per phase, cost per page, key figures.",
    )
    def platform_report(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        from platform_assets.edges.report_plots import render_plots  # matplotlib: only this step needs it

        try:
            figures = read_report_figures(data.warehouse_snapshot())
        except WarehouseLocked as locked:  # another process holds the file: report the last figures later
            context.log.warning(f"report not refreshed: {locked}")
            return dg.MaterializeResult(
                metadata={
                    "pending": dg.MetadataValue.bool(True),
                    "pending_reason": dg.MetadataValue.text(str(locked)),
                }
            )
        images = render_plots(figures)
        files = write_report(data.paths.reports, figures, images)
        data.push("reports/")
        fleet = figures.fleet
        optional = {
            "fleet_pages_per_s": fleet.pages_per_s,
            "cost_per_page_usd": fleet.cost_per_page_usd,
            "warm_cost_per_page_usd": fleet.warm_cost_per_page_usd,
        }
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.md(report_markdown(figures, images, data_uri)),
                "total_pages_parsed": dg.MetadataValue.int(fleet.parsed_pages),
                "total_cost_usd": dg.MetadataValue.float(fleet.cost_usd),
                "cold_starts": dg.MetadataValue.int(fleet.cold_starts),
                "failed_attempts": dg.MetadataValue.int(fleet.failed_attempts),
                **{key: dg.MetadataValue.float(v) for key, v in optional.items() if v is not None},
                **{f"{name}_file": dg.MetadataValue.path(str(path)) for name, path in files.items()},
            }
        )

    return platform_report

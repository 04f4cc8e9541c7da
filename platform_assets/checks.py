"""Asset checks of the spine: per-document contiguity of the produced page spans against the plan."""

import dagster as dg

from platform_assets.domain.parse.batch_store import batch_dir, read_manifest
from platform_assets.domain.plan.batch_plan import BatchPlan
from platform_assets.domain.plan.tiling import TilingReport, check_tiling, page_numbers
from resources.platform_data import PlatformData

CONTIGUITY = "contiguity"


def contiguity_spec(asset_key: str, partitions_def: dg.PartitionsDefinition) -> dg.AssetCheckSpec:
    """Partitioned like its asset (`partitions_def`), so each document keeps its own check result."""
    return dg.AssetCheckSpec(
        CONTIGUITY,
        asset=asset_key,
        blocking=True,
        description="Produced page spans tile the document: 0 gaps, 0 overlaps, every planned page parsed.",
        partitions_def=partitions_def,
    )


def contiguity_report(data: PlatformData, plan: BatchPlan) -> TilingReport:
    produced = {}
    data.pull_batches(plan.doc_id, blocks=False)
    for batch in plan.batches:
        manifest = read_manifest(batch_dir(data.paths.batches, plan.doc_id, batch.key))
        produced[batch.key] = manifest.produced_pages if manifest else None
    return check_tiling(plan, produced)


def contiguity_result(report: TilingReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=CONTIGUITY,
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=describe(report),
        metadata={
            "batches": dg.MetadataValue.int(report.batches),
            "parsed_batches": dg.MetadataValue.int(report.parsed_batches),
            "unparsed_batches": dg.MetadataValue.text(", ".join(report.unparsed_batches) or "none"),
            "missing_pages": dg.MetadataValue.text(page_numbers(report.missing_pages) or "none"),
            "overlapping_pages": dg.MetadataValue.text(page_numbers(report.overlapping_pages) or "none"),
            "stray_pages": dg.MetadataValue.text(page_numbers(report.stray_pages) or "none"),
        },
    )


def describe(report: TilingReport) -> str:
    if report.passed:
        return f"all {report.page_count} pages parsed exactly once across {report.batches} batches"
    parts = []
    if report.unparsed_batches:
        parts.append(f"{len(report.unparsed_batches)} batch(es) not parsed")
    if report.missing_pages:
        parts.append(f"{len(report.missing_pages)} page(s) missing")
    if report.overlapping_pages:
        parts.append(f"{len(report.overlapping_pages)} page(s) parsed twice")
    if report.stray_pages:
        parts.append(f"{len(report.stray_pages)} page(s) outside their batch")
    return "; ".join(parts)

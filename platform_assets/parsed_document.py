"""`parsed_document[doc]`: a document's parsed batches gathered in plan order, checked for contiguity.

It starts only once every batch of the document's plan is a known partition and materialized; its
blocking `contiguity` check keeps anything downstream (clause tree, verification) from running on an
incomplete parse.
"""

import json

import dagster as dg

from platform_assets.automation import eager_on_changed_batches
from platform_assets.checks import contiguity_report, contiguity_result, contiguity_spec
from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.parse.batch_store import BatchManifest, batch_dir, read_manifest
from platform_assets.domain.plan.batch_plan import BatchPlan
from platform_assets.partitions import PartitionScheme
from resources.platform_data import PlatformData

INDEX_FILE = "batches.json"


def all_batches_parsed(parsed_batch: dg.AssetsDefinition) -> dg.AutomationCondition:
    """Eager (a batch counting as updated when its data version changed), but only for a document whose
    batches are known partitions and all materialized.

    A document without a plan, or whose plan is registered but not yet loaded as partitions, maps to
    no batches, so `eager()` alone would see no missing dependency and start at once; a batch
    requested in the same tick would count as present and run apart, after the contiguity check.
    """
    batches = dg.AssetSelection.assets(parsed_batch)
    some_parsed = dg.AutomationCondition.any_deps_match(~dg.AutomationCondition.missing()).allow(batches)
    any_unparsed = dg.AutomationCondition.any_deps_match(dg.AutomationCondition.missing()).allow(batches)
    return (eager_on_changed_batches(parsed_batch) & some_parsed & ~any_unparsed).with_label(
        "eager_after_all_batches"
    )


def build_parsed_document(
    scheme: PartitionScheme, batch_plan: dg.AssetsDefinition, parsed_batch: dg.AssetsDefinition
) -> dg.AssetsDefinition:
    @dg.asset(
        partitions_def=scheme.documents,
        deps=[batch_plan, dg.AssetDep(parsed_batch, partition_mapping=scheme.batches_to_document)],
        check_specs=[contiguity_spec("parsed_document", scheme.documents)],
        group_name="parsing",
        kinds={"json"},
        automation_condition=all_batches_parsed(parsed_batch),
        description="All parsed batches of a document, in plan order (the input of the clause tree).",
    )
    def parsed_document(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        doc_id = context.partition_key
        plan = data.registered_plan(doc_id)
        report = contiguity_report(data, plan)
        manifests = [read_manifest(batch_dir(data.paths.batches, doc_id, b.key)) for b in plan.batches]
        index = [
            {
                "key": b.key,
                "first_page": b.first_page,
                "last_page": b.last_page,
                "folder": str(batch_dir(data.paths.batches, doc_id, b.key)),
                "blocks": m.block_count if m else None,
            }
            for b, m in zip(plan.batches, manifests, strict=True)
        ]
        data.write(f"documents/{doc_id}/{INDEX_FILE}", json.dumps(index, indent=2).encode())
        return dg.MaterializeResult(
            metadata={
                "pages": dg.MetadataValue.int(plan.page_count),
                "batches": dg.MetadataValue.int(len(plan.batches)),
                "blocks": dg.MetadataValue.int(sum(m.block_count for m in manifests if m)),
                "batch_pages": dg.MetadataValue.md(batch_pages_table(plan, manifests)),
                "index": dg.MetadataValue.path(str(data.document_dir(doc_id) / INDEX_FILE)),
            },
            check_results=[contiguity_result(report)],
        )

    return parsed_document


def batch_pages_table(plan: BatchPlan, manifests: list[BatchManifest | None]) -> str:
    """Each batch's partition key, pages (as people number them) and blocks, for the asset's metadata."""
    rows = [
        [
            f"`{batch.key}`",
            f"{batch.first_page + 1}–{batch.last_page + 1}",
            m.block_count if m else "not parsed",
        ]
        for batch, m in zip(plan.batches, manifests, strict=True)
    ]
    return markdown_table(["batch", "pages", "blocks"], rows)

"""`parsed_document[doc]`: a document's parsed batches gathered in plan order, checked for contiguity.

Its blocking `contiguity` check keeps anything downstream (clause tree, verification) from running
on an incomplete parse.
"""

import dagster as dg

from platform_assets.checks import contiguity_report, contiguity_result, contiguity_spec
from platform_assets.domain.atomic import write_text_atomic
from platform_assets.domain.batch_store import batch_dir, read_manifest
from platform_assets.partitions import PartitionScheme
from resources.platform_data import PlatformData

INDEX_FILE = "batches.json"


def build_parsed_document(scheme: PartitionScheme, parsed_batch: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        partitions_def=scheme.documents,
        deps=[dg.AssetDep(parsed_batch, partition_mapping=scheme.batches_to_document)],
        check_specs=[contiguity_spec("parsed_document")],
        group_name="parsing",
        kinds={"json"},
        automation_condition=dg.AutomationCondition.eager(),
        description="All parsed batches of a document, in plan order (the input of the clause tree).",
    )
    def parsed_document(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        doc_id = context.partition_key
        plan = data.registry.plan(doc_id)
        if plan is None:
            raise dg.Failure(f"{doc_id} has no registered plan", allow_retries=False)
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
        import json

        write_text_atomic(data.document_dir(doc_id) / INDEX_FILE, json.dumps(index, indent=2))
        return dg.MaterializeResult(
            metadata={
                "pages": dg.MetadataValue.int(plan.page_count),
                "batches": dg.MetadataValue.int(len(plan.batches)),
                "blocks": dg.MetadataValue.int(sum(m.block_count for m in manifests if m)),
                "index": dg.MetadataValue.path(str(data.document_dir(doc_id) / INDEX_FILE)),
            },
            check_results=[contiguity_result(report)],
        )

    return parsed_document

"""`batch_plan[doc]`: the document cut at clause starts, registered once (plans are immutable)."""

import dagster as dg

from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.pdf.pdf_facts import locate_lines, page_texts
from platform_assets.domain.plan.batch_plan import BatchPlan
from platform_assets.domain.plan.planning import plan_batches
from platform_assets.partitions import PartitionScheme
from platform_assets.phases import timed_phase
from resources.platform_data import PlannerSettings, PlatformData


def build_batch_plan(scheme: PartitionScheme, source_pdf: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        partitions_def=scheme.documents,
        deps=[source_pdf],
        group_name="documents",
        kinds={"json"},
        automation_condition=dg.AutomationCondition.eager(),
        description="Clause-aligned page ranges (batches) of the document; their keys become partitions.",
    )
    @timed_phase("plan")
    def batch_plan(
        context: dg.AssetExecutionContext, data: PlatformData, planner: PlannerSettings
    ) -> dg.MaterializeResult:
        doc_id = context.partition_key
        registry = data.registry
        record = registry.document(doc_id)
        facts = data.facts(doc_id)
        pdf = data.landing_pdf(record)
        computed = plan_batches(
            doc_id, facts, planner.config(), lambda: page_texts(pdf), lambda found: locate_lines(pdf, found)
        )

        registered = registry.plan(doc_id)
        if registered is None:
            registry.add_plan(computed)
            plan, note = computed, "registered; its batches appear as parse_batches partitions on reload"
        else:
            plan = registered
            same = registered.model_dump() == computed.model_dump()
            note = (
                "already registered (unchanged)"
                if same
                else (
                    "already registered; the current planner settings would cut differently, "
                    "but plans are immutable: the registered plan is kept"
                )
            )
            if not same:
                context.log.warning(f"{doc_id}: {note}")
        for warning in plan.warnings:
            context.log.warning(f"{doc_id}: {warning}")
        return dg.MaterializeResult(
            metadata={**plan_metadata(plan), "registration": dg.MetadataValue.text(note)}
        )

    return batch_plan


def plan_metadata(plan: BatchPlan) -> dict[str, dg.MetadataValue]:
    sizes = [b.pages for b in plan.batches]
    return {
        "method": dg.MetadataValue.text(plan.method.value),
        "batches": dg.MetadataValue.int(len(plan.batches)),
        "pages": dg.MetadataValue.int(plan.page_count),
        "clauses": dg.MetadataValue.int(len(plan.clauses)),
        "batch_pages_min_mean_max": dg.MetadataValue.text(
            f"{min(sizes)} / {sum(sizes) / len(sizes):.1f} / {max(sizes)}"
        ),
        "target_max_pages": dg.MetadataValue.text(f"{plan.config.target_pages} / {plan.config.max_pages}"),
        "warnings": dg.MetadataValue.md("\n".join(f"- {w}" for w in plan.warnings) or "none"),
        "plan": dg.MetadataValue.md(plan_table(plan)),
    }


def plan_table(plan: BatchPlan) -> str:
    rows = []
    for batch in plan.batches:
        clauses = ", ".join(batch.clauses[:6]) + (
            f" … (+{len(batch.clauses) - 6})" if len(batch.clauses) > 6 else ""
        )
        first = batch.clauses[0] if batch.clauses else "(continues)"
        pages = f"{batch.first_page + 1}–{batch.last_page + 1}"
        rows.append([f"`{batch.key}`", pages, batch.pages, first, clauses, batch.reason.value])
    return markdown_table(["batch", "pages", "count", "starts with", "clauses", "reason"], rows)

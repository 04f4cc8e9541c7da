"""`clause_tree[doc]`: the parsed blocks joined back to the outline, one Markdown file per clause.

Reads exactly its document's parsed batches (StaticPartitionMapping) and its plan; runs only after
`parsed_document`'s blocking contiguity check passed, so it never renders an incomplete parse.
"""

import dagster as dg

from platform_assets.automation import eager_on_changed_batches
from platform_assets.domain.parse.batch_store import batch_dir, read_blocks
from platform_assets.domain.pdf.page_names import PageNames
from platform_assets.domain.tree.clause_tree import (
    ClauseTree,
    SourceBatch,
    TreeManifest,
    build_clause_tree,
    write_clause_tree,
)
from platform_assets.domain.verify.corrections import ReferenceConfig
from platform_assets.domain.verify.tree_corrections import correct_tree
from platform_assets.partitions import PartitionScheme
from platform_assets.phases import timed_phase
from resources.platform_data import PlatformData

TREE_COMPLETE = "tree_complete"
PREVIEW_LINES = 40


def build_clause_tree_asset(
    scheme: PartitionScheme,
    batch_plan: dg.AssetsDefinition,
    parsed_batch: dg.AssetsDefinition,
    parsed_document: dg.AssetsDefinition,
) -> dg.AssetsDefinition:
    @dg.asset(
        name="clause_tree",
        partitions_def=scheme.documents,
        deps=[
            batch_plan,
            dg.AssetDep(parsed_batch, partition_mapping=scheme.batches_to_document),
            parsed_document,
        ],
        check_specs=[
            dg.AssetCheckSpec(
                TREE_COMPLETE,
                asset="clause_tree",
                description="Every outline clause opened in the tree and every block was placed or "
                "dropped for a named reason.",
                partitions_def=scheme.documents,
            )
        ],
        group_name="clauses",
        kinds={"markdown"},
        automation_condition=eager_on_changed_batches(parsed_batch),
        description="One small Markdown file per clause (folders + index files), cross-references linked.",
    )
    @timed_phase("tree")
    def clause_tree(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        doc_id = context.partition_key
        plan = data.registered_plan(doc_id)
        data.pull_batches(doc_id, images=True)
        batches = []
        for batch in plan.batches:
            folder = batch_dir(data.paths.batches, doc_id, batch.key)
            if not (folder / "blocks.json").is_file():
                raise dg.Failure(f"{batch.key} has no parsed output: materialize parsed_batch first")
            batches.append(SourceBatch(key=batch.key, blocks=read_blocks(folder), raw_dir=folder / "raw"))
        record = data.registry.document(doc_id)
        title = data.facts(doc_id).title or record.filename
        pdf = data.landing_pdf(record)
        config = data.document_config(doc_id, record.filename)
        references = config.corrections.references if config is not None else ReferenceConfig()
        tree = build_clause_tree(
            doc_id, title, batches, plan.clauses, references.patterns, pdf=pdf, not_ours=references.not_ours
        )
        if config is not None:
            with PageNames(pdf) as page_names:
                names = config.vocabulary or frozenset()
                tree = correct_tree(tree, config.corrections, page_names.has, names, config.path)
            log = tree.manifest.corrections
            context.log.info(
                f"{config.path.name}: {len(log.applied)} edit(s) applied, {len(log.unproven)} held back, "
                f"{len(log.stale_patches)} stale patch(es)"
            )
        dest = data.paths.trees / doc_id
        write_clause_tree(tree, dest)
        data.publish_tree(doc_id)
        manifest = tree.manifest
        if manifest.unmatched:
            context.log.warning(
                f"{doc_id}: {len(manifest.unmatched)} outline clause(s) never opened "
                "(no destination position, no heading found)"
            )
        if manifest.heading_mismatch:
            context.log.info(
                f"{doc_id}: {len(manifest.heading_mismatch)} clause(s) opened at their bookmark's "
                "destination, whose printed heading differs from the bookmark title"
            )
        return dg.MaterializeResult(
            metadata=tree_metadata(tree, str(dest)), check_results=[completeness_result(manifest)]
        )

    return clause_tree


def _opened(matched: int, entries: int, repeated: int) -> str:
    """`4 of 8 (4 repeat an earlier bookmark)`: a repeat never opens, its original holds the text."""
    return f"{matched} of {entries}" + (f" ({repeated} repeat an earlier bookmark)" if repeated else "")


def tree_metadata(tree: ClauseTree, location: str) -> dict[str, dg.MetadataValue]:
    m = tree.manifest
    unresolved = [f"{cid}: {r.text}" for cid, r in m.unresolved]
    preview = "\n".join(tree.root_index.splitlines()[:PREVIEW_LINES])
    return {
        "tree": dg.MetadataValue.path(location),
        "files": dg.MetadataValue.int(m.files),
        "barrels": dg.MetadataValue.int(m.barrels),
        "images": dg.MetadataValue.int(m.images),
        "clauses_opened": dg.MetadataValue.text(
            _opened(m.clauses_matched, m.outline_entries, len(m.repeated))
        ),
        "opened_at_destination": dg.MetadataValue.int(
            sum(1 for c in m.clauses.values() if c.opened_at == "destination")
        ),
        "opened_at_page": dg.MetadataValue.int(sum(1 for c in m.clauses.values() if c.opened_at == "page")),
        "opened_at_line": dg.MetadataValue.int(sum(1 for c in m.clauses.values() if c.opened_at == "line")),
        "never_opened": dg.MetadataValue.text(", ".join(m.unmatched) or "none"),
        "repeated_bookmarks": dg.MetadataValue.text(", ".join(m.repeated) or "none"),
        "heading_mismatch": dg.MetadataValue.text(", ".join(m.heading_mismatch) or "none"),
        "references_found": dg.MetadataValue.int(m.references_found),
        "references_linked": dg.MetadataValue.int(m.references_linked),
        "references_external": dg.MetadataValue.int(m.references_external),
        "unresolved_references": dg.MetadataValue.text("\n".join(unresolved) or "none"),
        "blocks_assigned": dg.MetadataValue.int(m.blocks_assigned),
        "blocks_dropped": dg.MetadataValue.int(m.blocks_dropped),
        "blocks_dropped_by_reason": dg.MetadataValue.json(m.drops),
        "blocks_lost": dg.MetadataValue.int(m.blocks_lost),
        "blocks_from_text_layer": dg.MetadataValue.int(m.from_text_layer),
        "corrections": dg.MetadataValue.text(
            f"{m.corrections.config}: {len(m.corrections.applied)} applied, {len(m.corrections.unproven)} "
            f"held back, {len(m.corrections.stale_patches)} stale"
            if m.corrections.config
            else "no corrections file"
        ),
        "root_index": dg.MetadataValue.md(preview),
    }


def completeness_result(manifest: TreeManifest) -> dg.AssetCheckResult:
    problems = []
    if manifest.unmatched:
        problems.append(f"{len(manifest.unmatched)} outline clause(s) never opened")
    if manifest.blocks_lost:
        problems.append(f"{manifest.blocks_lost} block(s) lost without a reason")
    dropped = ", ".join(f"{n} {reason}" for reason, n in manifest.drops.items() if n) or "none"
    repeated = f" ({len(manifest.repeated)} more repeat their bookmarks)" if manifest.repeated else ""
    return dg.AssetCheckResult(
        check_name=TREE_COMPLETE,
        passed=not problems,
        description="; ".join(problems)
        or f"all {manifest.clauses_matched} clauses opened{repeated}; of {manifest.blocks_total} blocks, "
        f"{manifest.blocks_assigned} placed and {manifest.blocks_dropped} dropped ({dropped})",
        metadata={
            "never_opened": dg.MetadataValue.text(", ".join(manifest.unmatched) or "none"),
            "heading_mismatch": dg.MetadataValue.int(len(manifest.heading_mismatch)),
            "blocks_lost": dg.MetadataValue.int(manifest.blocks_lost),
            "blocks_dropped_by_reason": dg.MetadataValue.json(manifest.drops),
        },
    )

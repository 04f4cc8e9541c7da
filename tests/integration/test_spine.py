"""The whole spine in process on the sample: register -> plan -> parse -> check -> tree -> DuckDB.

Real MinerU (flash, CPU), a real Dagster instance, real files. A second pass must reuse every batch
and rewrite a byte-identical clause tree.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.batch_store import batch_dir, read_blocks, read_manifest
from platform_assets.domain.plan.batch_plan import BatchReason, PlanMethod
from platform_assets.domain.tree.clause_tree import read_tree_manifest
from platform_assets.local_run import materialize_document
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings

pytestmark = pytest.mark.slow
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def spine(tmp_path_factory, sample_pdf):
    """One document taken through every asset, then taken through again."""
    paths = PlatformPaths(tmp_path_factory.mktemp("spine"))
    resources = {
        **default_resources(PlatformSettings(paths)),
        "planner": PlannerSettings(target_pages=10, max_pages=20),
    }
    intake = register_pdf(sample_pdf, Registry(paths.registry), paths.landing, "test")
    with dg.instance_for_test() as instance:
        first = materialize_document(
            intake.record.doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )
        first_tree = tree_digest(paths.trees / intake.record.doc_id)
        second = materialize_document(
            intake.record.doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )
        yield paths, instance, first, second, first_tree


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_plan_anchors_clauses_and_splits_the_long_ones(spine):
    paths, _, first, _, _ = spine
    plan = Registry(paths.registry).plan(first.doc_id)
    assert plan.method is PlanMethod.OUTLINE
    plan.validate_tiling()  # raises on a gap or overlap
    reasons = {b.reason for b in plan.batches}
    assert {BatchReason.SPLIT_CHILD, BatchReason.SPLIT_PAGE} <= reasons
    assert all(b.last_page - b.first_page + 1 <= 20 for b in plan.batches)


def test_every_batch_holds_blocks_on_absolute_pages_of_its_own_range(spine):
    paths, _, first, _, _ = spine
    plan = Registry(paths.registry).plan(first.doc_id)
    for batch in plan.batches:
        folder = batch_dir(paths.batches, first.doc_id, batch.key)
        manifest = read_manifest(folder)
        assert manifest.fingerprint.first_page == batch.first_page
        assert manifest.missing_pages == []
        blocks = read_blocks(folder)
        assert len(blocks) == manifest.block_count > 0
        pages = {b.page_index for b in blocks}
        assert pages <= set(range(batch.first_page, batch.last_page + 1)), batch.key
    assert first.blocks == sum(
        read_manifest(batch_dir(paths.batches, first.doc_id, b.key)).block_count for b in plan.batches
    )


def test_the_contiguity_check_passes_and_the_report_adds_up(spine):
    _, _, first, _, _ = spine
    assert first.contiguity_passed
    assert first.clean and first.lines()[-1].startswith("result     clean: 56 pages, ")  # exit 0
    assert first.pages == 56 and first.batches >= 5
    assert first.pages_per_s > 0


def test_a_second_pass_reuses_every_finished_batch(spine):
    paths, _, first, second, _ = spine
    assert second.blocks == first.blocks and second.contiguity_passed
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM parse_runs GROUP BY status").fetchall())
        phases = {p for (p,) in conn.execute("SELECT DISTINCT phase FROM phase_timings").fetchall()}
        document = conn.execute(
            "SELECT pages, batches, parsed_pages, attempts, cost_usd FROM documents WHERE doc_id = ?",
            [first.doc_id],
        ).fetchone()
    assert statuses == {"succeeded": first.batches, "reused": first.batches}
    assert {"plan", "submit", "queue", "download", "extract", "normalize", "tree", "verify"} <= phases
    assert {"fetch_input", "parse", "package"} <= phases
    assert document == (first.pages, first.batches, first.pages, first.batches, 0.0)  # CPU runs cost 0


def test_the_instance_records_every_partition_and_the_check(spine):
    _, instance, first, _, _ = spine
    materialized = instance.get_materialized_partitions(dg.AssetKey("parsed_batch"))
    assert len(materialized) == first.batches
    assert all(key.startswith(f"{first.doc_id}~b") for key in materialized)
    source = instance.get_latest_materialization_event(dg.AssetKey("source_pdf"))
    metadata = source.asset_materialization.metadata
    assert metadata["pages"].value == 56 and metadata["bookmarks"].value > 10


def test_the_clause_tree_matches_every_clause_and_links_every_reference(spine):
    paths, _, first, _, _ = spine
    plan = Registry(paths.registry).plan(first.doc_id)
    manifest = read_tree_manifest(paths.trees / first.doc_id)
    assert first.tree_complete
    assert manifest.unmatched == [] and manifest.clauses_matched == len(plan.clauses)
    assert manifest.heading_mismatch == []
    assert all(c.opened_at == "destination" for c in manifest.clauses.values())
    assert manifest.blocks_lost == 0 and manifest.blocks_assigned + manifest.blocks_dropped == first.blocks
    assert set(manifest.drops) == {"page_header", "page_footer", "page_number", "toc", "empty"}
    assert manifest.references_found > 50
    assert manifest.references_linked == manifest.references_found
    assert manifest.clauses["7"].path == "7-processing-model/7-0-index.md"
    assert manifest.clauses["7.1"].parent == "7"


def test_every_link_in_the_tree_resolves_to_a_file_in_it(spine):
    paths, _, first, _, _ = spine
    root = paths.trees / first.doc_id
    links = 0
    for page in root.rglob("*.md"):
        for href in LINK.findall(page.read_text()):
            links += 1
            assert not href.startswith(("/", "http")), f"{page.name}: {href}"
            assert (page.parent / href).resolve().is_file(), f"{page.relative_to(root)} -> {href}"
            assert (page.parent / href).resolve().is_relative_to(root.resolve())
    assert links > 100


def test_a_second_pass_writes_a_byte_identical_tree(spine):
    paths, _, first, _, first_tree = spine
    assert tree_digest(paths.trees / first.doc_id) == first_tree
    assert not [p for p in paths.trees.iterdir() if p.name.startswith(".")]  # no stage left behind

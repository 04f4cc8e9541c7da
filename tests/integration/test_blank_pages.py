"""A PDF with blank pages through every asset: real MinerU flash (LocalWorker), a real Dagster instance.

MinerU 4 writes a blank page as `{"page_idx": n}` with no `blocks`; it is a produced page without
blocks, so the contiguity check passes and the clause tree is complete (issue 11: `KeyError: 'blocks'`).
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.batch_store import batch_dir, read_blocks, read_manifest
from platform_assets.local_run import materialize_document
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings
from tests.blank_pages import BLANK_PAGES, PAGES, build_blank_pages_pdf

pytestmark = pytest.mark.slow


def test_a_pdf_with_blank_pages_parses_end_to_end(tmp_path) -> None:
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    paths = PlatformPaths(tmp_path / "data")
    # two batches of two pages: each ends on a blank page
    resources = {
        **default_resources(PlatformSettings(paths)),
        "planner": PlannerSettings(target_pages=2, max_pages=3),
    }
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        report = materialize_document(
            doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )

    assert report.pages == len(PAGES) and report.batches == 2
    assert report.contiguity_passed and report.tree_complete
    assert report.clauses_matched == report.outline_entries == 2
    produced, with_blocks = set(), set()
    for batch in Registry(paths.registry).plan(doc_id).batches:
        folder = batch_dir(paths.batches, doc_id, batch.key)
        manifest = read_manifest(folder)
        assert manifest.missing_pages == [] and batch.last_page in BLANK_PAGES
        produced |= set(manifest.produced_pages)
        with_blocks |= {b.page_index for b in read_blocks(folder)}
    assert produced == set(range(len(PAGES))) and with_blocks == produced - set(BLANK_PAGES)
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        statuses = conn.execute("SELECT status, count(*) FROM parse_runs GROUP BY status").fetchall()
    assert statuses == [("succeeded", 2)]

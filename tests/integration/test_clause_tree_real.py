"""A real PDF (a TeX Live guide, flash tier) through the whole spine to its clause tree."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.tree.clause_tree import read_tree_manifest
from platform_assets.local_run import materialize_document
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings

pytestmark = pytest.mark.slow
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_a_real_guide_gets_every_outline_entry_and_every_reference_linked(real_pdfs, tmp_path):
    paths = PlatformPaths(tmp_path)
    resources = {
        **default_resources(PlatformSettings(paths)),
        "planner": PlannerSettings(target_pages=10, max_pages=20),
    }
    doc_id = register_pdf(
        real_pdfs / "tl-usrguide.pdf", Registry(paths.registry), paths.landing, "test"
    ).record.doc_id
    with dg.instance_for_test() as instance:
        report = materialize_document(
            doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )
    assert report.contiguity_passed and report.tree_complete and report.batches >= 2

    manifest = read_tree_manifest(paths.trees / doc_id)
    plan = Registry(paths.registry).plan(doc_id)
    assert manifest.unmatched == [] and manifest.clauses_matched == len(plan.clauses) >= 20
    assert manifest.references_found > 0
    assert manifest.references_linked == manifest.references_found
    root = paths.trees / doc_id
    for clause in manifest.clauses.values():  # the links the tree made (source text may hold `[x](#2)`)
        page = root / clause.path
        for reference in clause.references:
            assert (page.parent / reference.href).resolve().is_file(), f"{clause.path} -> {reference.href}"
        for href in LINK.findall(page.read_text()):
            if href.endswith(".md"):
                assert (page.parent / href).resolve().is_file(), f"{clause.path} -> {href}"
    assert Path(report.tree_dir) == root

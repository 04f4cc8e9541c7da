"""`local_run` builds the definitions again only when the registry changed, as the daemon's code location
reloads only then: a document or plan registered between two runs of one process is in the next one."""

from __future__ import annotations

import dagster as dg
import pytest

from platform_assets import local_run
from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from resources.settings import PlatformSettings
from tests.blank_pages import build_blank_pages_pdf

pytestmark = pytest.mark.slow


def test_definitions_are_built_again_only_when_the_registry_changed(tmp_path, sample_pdf, monkeypatch):
    paths = PlatformPaths(tmp_path / "data")
    settings, registry = PlatformSettings(paths), Registry(paths.registry)
    builds: list[object] = []
    build = local_run.build_definitions
    monkeypatch.setattr(local_run, "build_definitions", lambda *args: builds.append(args) or build(*args))
    resources = default_resources(settings)
    planning, source = (
        dg.AssetSelection.assets("source_pdf", "batch_plan"),
        dg.AssetSelection.assets("source_pdf"),
    )
    first = register_pdf(sample_pdf, registry, paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        local_run._run(settings, instance, resources, planning, first)
        local_run._run(settings, instance, resources, source, first)  # the plan is new: built again
        local_run._run(settings, instance, resources, source, first)
        assert len(builds) == 2
        blank = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
        second = register_pdf(blank, registry, paths.landing, "test").record.doc_id
        result = local_run._run(settings, instance, resources, planning, second)  # a partition unknown before
    assert len(builds) == 3 and result.success and registry.plan(second) is not None

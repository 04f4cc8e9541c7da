"""Automation starts no step before its inputs exist: a new document's ticks, evaluated on a real instance.

The conditions the daemon evaluates, tick by tick, over a registry that gains a document, then its
plan (before and after the code location reloads), then its parsed batches one by one.
"""

from __future__ import annotations

import dagster as dg

from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from resources.settings import PlatformSettings
from tests.unit.test_definitions import add_plan, register

DOC = "delta-0123456789ab"
B1, B2 = f"{DOC}~b001", f"{DOC}~b002"


def requested(result: dg.EvaluateAutomationConditionsResult) -> dict[str, list[str]]:
    """Partitions requested per asset on this tick (`[]` for an unpartitioned asset)."""
    return {
        r.key.to_user_string(): sorted(
            ap.partition_key
            for ap in r.true_subset.expensively_compute_asset_partitions()
            if ap.partition_key
        )
        for r in result.results
        if result.get_num_requested(r.key)
    }


def materialize(instance: dg.DagsterInstance, asset: str, *partitions: str) -> None:
    for partition in partitions:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition))


def test_parsed_document_starts_only_after_every_batch_of_its_loaded_plan_is_parsed(tmp_path):
    paths = PlatformPaths(tmp_path)
    registry = Registry(paths.registry)
    with dg.instance_for_test() as instance:
        tick = dg.evaluate_automation_conditions(build_definitions(PlatformSettings(paths)), instance)
        register(registry, DOC, "2026-01-01T00:00:00", None)  # the inbox sensor's work, then a reload
        defs = build_definitions(PlatformSettings(paths))
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        # one run; the first-run failure started parsed_document (and what follows it) beside them
        assert requested(tick) == {"source_pdf": [DOC], "batch_plan": [DOC]}

        materialize(instance, "source_pdf", DOC)
        add_plan(registry, DOC, 2)  # registered by batch_plan; the code location has not reloaded yet
        materialize(instance, "batch_plan", DOC)
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert requested(tick) == {}

        defs = build_definitions(PlatformSettings(paths))  # the reload: the plan's batches are partitions now
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert requested(tick) == {"parsed_batch": [B1, B2]}  # not parsed_document beside them

        materialize(instance, "parsed_batch", B1)
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert "parsed_document" not in requested(tick)

        materialize(instance, "parsed_batch", B2)
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert requested(tick) == {
            "parsed_document": [DOC],
            "clause_tree": [DOC],
            "verification": [DOC],
        }

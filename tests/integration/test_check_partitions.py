"""Asset checks are partitioned by document: each document keeps its own check status in the instance,
and a check that did not run shows as skipped, never as passed (issue 14).

Two documents on one real Dagster instance, parsed by the canned worker: the blank-pages PDF through
every asset (complete parse, no verification config, so no vocabulary check), the sample with a page
missing from its parse (stopped by the blocking contiguity check).
"""

from __future__ import annotations

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions, default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.failures import StepFailed
from platform_assets.domain.verify.findings import CheckName
from platform_assets.local_run import materialize_document
from platform_assets.verification import check_key
from resources.settings import PlatformSettings
from tests.blank_pages import build_blank_pages_pdf
from tests.integration.test_automation_order import requested
from tests.integration.test_batch_failures import CannedWorker

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def documents(tmp_path_factory, sample_pdf):
    """(paths, instance, complete doc id, doc id with a page missing), both taken as far as they go."""
    root = tmp_path_factory.mktemp("check-partitions")
    paths = PlatformPaths(root / "data")
    registry = Registry(paths.registry)
    complete = register_pdf(build_blank_pages_pdf(root / "blank-pages.pdf"), registry, paths.landing, "test")
    gapped = register_pdf(sample_pdf, registry, paths.landing, "test")
    with dg.instance_for_test() as instance:
        resources = {**default_resources(PlatformSettings(paths)), "worker": CannedWorker()}
        materialize_document(
            complete.record.doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )
        with pytest.raises(StepFailed, match="blocking check failed"):
            resources = {
                **default_resources(PlatformSettings(paths)),
                "worker": CannedWorker(fault="missing_page"),
            }
            materialize_document(
                gapped.record.doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
            )
        yield paths, instance, complete.record.doc_id, gapped.record.doc_id


CONTIGUITY = dg.AssetCheckKey(dg.AssetKey("parsed_document"), "contiguity")
TREE_COMPLETE = dg.AssetCheckKey(dg.AssetKey("clause_tree"), "tree_complete")


def statuses(instance: dg.DagsterInstance, paths: PlatformPaths, key: dg.AssetCheckKey) -> dict[str, str]:
    """{document: resolved status} of one check, read as the UI reads a partitioned check."""
    partitions_def = (
        build_definitions(PlatformSettings(paths)).get_repository_def().asset_graph.get(key).partitions_def
    )
    state = instance.event_log_storage.get_asset_check_state([(key, partitions_def)])[key]
    return {
        doc_id: status.value
        for status, subset in state.subsets.items()
        for doc_id in subset.subset_value.get_partition_keys()
    }


def test_each_document_keeps_its_own_check_status(documents):
    paths, instance, complete, gapped = documents
    assert statuses(instance, paths, CONTIGUITY) == {complete: "SUCCEEDED", gapped: "FAILED"}
    history = instance.event_log_storage.get_asset_check_execution_history(CONTIGUITY, limit=10)
    assert sorted((r.partition, r.evaluation.passed) for r in history) == sorted(
        [(complete, True), (gapped, False)]
    )
    # the gapped document never reached its tree: the complete one's result is not its own
    assert set(statuses(instance, paths, TREE_COMPLETE)) == {complete}


def test_a_check_that_did_not_run_is_skipped_not_passed(documents):
    paths, instance, complete, _ = documents
    by_check = {check: statuses(instance, paths, check_key(check)) for check in CheckName}
    assert by_check.pop(CheckName.VOCABULARY) == {complete: "SKIPPED"}  # no schema configured
    assert all(by_doc[complete] in {"SUCCEEDED", "FAILED"} for by_doc in by_check.values())


def test_checks_run_alone_re_verify_without_materializing(documents):
    paths, instance, complete, _ = documents
    defs = build_definitions(
        PlatformSettings(paths), {**default_resources(PlatformSettings(paths)), "worker": CannedWorker()}
    )
    # in process, a partition key is validated against the selected assets only (none here): the run
    # carries its partition as the tag a partitioned check run gets from the UI
    result = dg.materialize(
        list(defs.assets or []),
        selection=dg.AssetSelection.checks(check_key(CheckName.LINKS), check_key(CheckName.VOCABULARY)),
        tags={"dagster/partition": complete},
        instance=instance,
        resources=defs.resources,
    )
    assert [(e.check_name, e.partition) for e in result.get_asset_check_evaluations()] == [
        (CheckName.LINKS.value, complete)
    ]
    assert result.get_asset_materialization_events() == []
    assert statuses(instance, paths, check_key(CheckName.VOCABULARY)) == {complete: "SKIPPED"}


def test_automation_requests_the_verification_checks_with_their_document(documents):
    paths, _, complete, _ = documents
    plan = Registry(paths.registry).plan(complete)
    upstream = {
        "source_pdf": [complete],
        "batch_plan": [complete],
        "parsed_batch": [f"{complete}~{batch.key}" for batch in plan.batches],
        "parsed_document": [complete],
    }
    with dg.instance_for_test() as instance:  # everything up to the parsed document is there
        for asset, partitions in upstream.items():
            for partition in partitions:
                instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition))
        defs = build_definitions(PlatformSettings(paths))
        tick = dg.evaluate_automation_conditions(defs, instance)
        instance.report_runless_asset_event(dg.AssetMaterialization("clause_tree", partition=complete))
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
    assert requested(tick)["verification"] == [complete]
    checks = {
        r.key.name: sorted(r.true_subset.expensively_compute_partition_keys())
        for r in tick.results
        if isinstance(r.key, dg.AssetCheckKey) and r.key.asset_key == dg.AssetKey("verification")
    }
    assert checks == {check.value: [complete] for check in CheckName}  # in the same tick: one run

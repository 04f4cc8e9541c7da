"""`batch_resume_sensor` on a real instance: a batch stalled by a canceled run is asked for again, boundedly.

Runs are real records in a real DagsterInstance, ended the way the daemon ends them (canceled,
failed); the sensor is evaluated through its definition, as the daemon does. The live test
`tests/live/test_automation_runs.py` terminates a real batch run and sees its document completed.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from platform_assets.batch_resume_sensor import (
    MAX_RESUMES,
    PARTITION_TAG,
    RANGE_TAGS,
    REASON_TAG,
    RESUMES_TAG,
)
from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from resources.settings import PlatformSettings
from tests.unit.test_definitions import DOC_A, DOC_B, register

A1, A2 = f"{DOC_A}~b001", f"{DOC_A}~b002"
B1, B2, B3 = f"{DOC_B}~b001", f"{DOC_B}~b002", f"{DOC_B}~b003"


@pytest.fixture
def defs(tmp_path) -> dg.Definitions:
    paths = PlatformPaths(tmp_path)
    registry = Registry(paths.registry)
    register(registry, DOC_A, "2026-01-01T00:00:00", 2)
    register(registry, DOC_B, "2026-01-02T00:00:00", 3)
    return build_definitions(PlatformSettings(paths))


def batch_run(instance: dg.DagsterInstance, key: str, ended: str | None, **tags: str) -> str:
    """A run of one batch tagged as the daemon tags it (automation's backfill: a one-batch range; the
    sensor's request: the partition), ended `canceled`, `failed` or not at all."""
    by = {PARTITION_TAG: key} if RESUMES_TAG in tags else dict.fromkeys(RANGE_TAGS, key)
    run = create_run_for_test(instance, job_name="__ASSET_JOB", tags={**by, **tags})
    if ended == "canceled":
        instance.report_run_canceled(run)
    elif ended == "failed":
        instance.report_run_failed(run)
    return run.run_id


def tick(defs: dg.Definitions, instance: dg.DagsterInstance) -> tuple[list[dg.RunRequest], str]:
    """One evaluation of the sensor, as the daemon runs it: its run requests and its skip message."""
    sensor = next(s for s in defs.sensors if s.name == "batch_resume_sensor")
    with dg.build_sensor_context(instance=instance, definitions=defs) as context:
        data = sensor.evaluate_tick(context)
    return list(data.run_requests), data.skip_message or ""


def test_a_batch_whose_run_was_canceled_is_requested_again_with_the_reason(defs):
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization("parsed_batch", partition=A1))
        canceled = batch_run(instance, A2, "canceled")
        batch_run(instance, B1, None)  # queued or running: not ours to touch
        # B2, B3 never ran: automation has not reached them

        [request], message = tick(defs, instance)
        assert (request.partition_key, request.run_key) == (A2, f"resume-{canceled}")
        assert request.tags[RESUMES_TAG] == A2
        assert f"run {canceled} was canceled" in request.tags[REASON_TAG]
        assert f"resume 1 of {MAX_RESUMES}" in request.tags[REASON_TAG]
        assert message == ""

        resumed = batch_run(instance, A2, None, **request.tags)  # the daemon launched it
        assert tick(defs, instance) == ([], "no batch stalled by a canceled run")
        instance.report_runless_asset_event(dg.AssetMaterialization("parsed_batch", partition=A2))
        instance.report_run_canceled(instance.get_run_by_id(resumed))  # after it had parsed: not stalled
        assert tick(defs, instance) == ([], "no batch stalled by a canceled run")


def test_a_batch_that_keeps_being_canceled_is_resumed_a_bounded_number_of_times(defs):
    with dg.instance_for_test() as instance:
        last = batch_run(instance, A2, "canceled")
        for _ in range(MAX_RESUMES):
            [request], _ = tick(defs, instance)
            assert request.run_key == f"resume-{last}"
            last = batch_run(instance, A2, "canceled", **request.tags)
        requests, message = tick(defs, instance)
        assert requests == []
        assert message == f"{A2}: run {last} was canceled; resumed {MAX_RESUMES} times already, left to you"


def test_a_batch_that_failed_for_real_is_reported_never_requested(defs):
    with dg.instance_for_test() as instance:
        failed = batch_run(instance, B3, "failed")
        for _ in range(3):
            requests, message = tick(defs, instance)
            assert requests == []
            assert message == f"{B3}: run {failed} failed; not resumed (relaunch it once the cause is fixed)"

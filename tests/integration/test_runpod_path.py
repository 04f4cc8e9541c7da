"""The RunPod path end to end through Dagster: the emulated endpoint, presigned S3 inputs, cancel, reuse.

A document goes through every asset with `RunPodWorker` on the emulator (real worker code, MinerU flash)
and `S3ObjectStore` on the moto server, so each worker fetches the PDF by presigned `file_url`. A second
pass must submit nothing; one batch is then re-parsed with the `s3` result transport. Terminating a run
mid-batch (in a separate run process, as Dagster's run launcher does) must cancel the remote job.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import load_records
from platform_assets.domain.parse.batch_store import batch_dir, read_manifest
from platform_assets.local_run import _run, materialize_document
from resources.object_store import LocalObjectStore, S3ObjectStore
from resources.platform_data import PlannerSettings
from resources.runpod_worker import RunPodWorker
from resources.settings import PlatformSettings
from tests.polling import until
from tests.runpod_emulator import RunPodEmulator, worker_settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
API_KEY = "rp_TEST_PATH_KEY_0123456789"
PLANNER = PlannerSettings(target_pages=10, max_pages=20)


def batch_materializations(instance: dg.DagsterInstance) -> list[dg.AssetMaterialization]:
    records = instance.fetch_materializations(dg.AssetKey("parsed_batch"), limit=1000).records
    return [r.asset_materialization for r in records if r.asset_materialization is not None]


# -- a whole document on the emulated endpoint -------------------------------------------------------


@pytest.fixture(scope="module")
def runpod_doc(tmp_path_factory, sample_pdf, s3_server):
    """The sample through every asset twice on the emulator (tarball_b64), then one batch again over s3."""
    paths = PlatformPaths(tmp_path_factory.mktemp("runpod_path"))
    intake = register_pdf(sample_pdf, Registry(paths.registry), paths.landing, "test")
    doc_id = intake.record.doc_id
    store = S3ObjectStore(
        bucket=s3_server.bucket,
        prefix="runpod-path/",
        endpoint_url=s3_server.endpoint_url,
        region=s3_server.region,
        access_key_id=s3_server.access_key_id,
        secret_access_key=s3_server.secret_access_key,
    )
    with pytest.MonkeyPatch.context() as patch:
        # Emulated workers are spawned processes that inherit this environment: the SSRF guard must
        # admit the loopback S3 server that the presigned URLs point at.
        patch.setenv("ALLOWED_URL_HOSTS", "127.0.0.1")
        with (
            RunPodEmulator(workers=2, mode="mineru", api_key=API_KEY) as emulator,
            dg.instance_for_test() as instance,
        ):

            def resources(**worker: Any) -> dict[str, Any]:
                return {
                    **default_resources(PlatformSettings(paths)),
                    "worker": RunPodWorker(**{**worker_settings(emulator), **worker}),
                    "object_store": store,
                    "planner": PLANNER,
                }

            quiet: Callable[[str], None] = lambda _: None  # noqa: E731
            first = materialize_document(doc_id, PlatformSettings(paths), instance, resources(), log=quiet)
            after_first = {"jobs": len(emulator.jobs), "runs": emulator.calls("run")}
            second = materialize_document(doc_id, PlatformSettings(paths), instance, resources(), log=quiet)
            after_second = {"jobs": len(emulator.jobs), "runs": emulator.calls("run")}

            # One stored batch lost: re-parsed alone, its result coming back over the `s3` transport.
            plan = Registry(paths.registry).plan(doc_id)
            lost = plan.batches[len(plan.batches) // 2].key
            lost_before = read_manifest(batch_dir(paths.batches, doc_id, lost))
            shutil.rmtree(batch_dir(paths.batches, doc_id, lost))
            s3_resources = resources(result_transport="s3")
            _run(
                PlatformSettings(paths),
                instance,
                s3_resources,
                dg.AssetSelection.assets("parsed_batch"),
                lost,
            )
            check = _run(
                PlatformSettings(paths),
                instance,
                s3_resources,
                dg.AssetSelection.assets("parsed_document"),
                doc_id,
            )
            yield {
                "paths": paths,
                "instance": instance,
                "emulator": emulator,
                "store": store,
                "doc_id": doc_id,
                "first": first,
                "second": second,
                "after_first": after_first,
                "after_second": after_second,
                "lost": lost,
                "lost_before": lost_before,
                "s3_check": check,
            }


def test_the_document_goes_through_every_asset_on_the_emulated_endpoint(runpod_doc):
    first, emulator = runpod_doc["first"], runpod_doc["emulator"]
    assert first.contiguity_passed and first.tree_complete
    assert first.pages == 56 and first.batches >= 5
    assert first.clauses_matched == first.outline_entries
    assert "coverage" in first.actionable and "coverage" not in first.checks_skipped
    assert first.actionable["coverage"] == 0
    # every batch was one job on the emulator, none elsewhere
    assert runpod_doc["after_first"] == {"jobs": first.batches, "runs": first.batches}
    assert {job.status for job in emulator.jobs.values()} == {"COMPLETED"}
    assert {job.output["debug"]["worker_id"] for job in emulator.jobs.values()} <= {
        "emu-worker-0",
        "emu-worker-1",
    }


def test_each_worker_fetched_the_pdf_by_presigned_url_from_the_bucket(runpod_doc):
    emulator, store, doc_id = runpod_doc["emulator"], runpod_doc["store"], runpod_doc["doc_id"]
    record = Registry(runpod_doc["paths"].registry).document(doc_id)
    key = f"pdfs/{record.sha256[:2]}/{record.sha256}.pdf"
    assert store.exists(key) and store.size(key) == record.size_bytes
    for job in emulator.jobs.values():
        assert "volume_path" not in job.input and "file_b64" not in job.input
        url = job.input["file_url"]
        assert url.startswith(f"{store.endpoint_url}/{store.bucket}/runpod-path/{key}?")
        assert "X-Amz-Signature=" in url
        assert job.output["results"][0]["source"] == "file_url"
        assert job.output["debug"]["phase_ms"]["fetch_input"] >= 0


def test_each_batch_records_queue_wait_and_execution_time_from_the_runpod_status(runpod_doc):
    paths, emulator, doc_id = runpod_doc["paths"], runpod_doc["emulator"], runpod_doc["doc_id"]
    plan = Registry(paths.registry).plan(doc_id)
    succeeded = [r for r in load_records(paths.timings) if r.status == "succeeded"]
    assert {r.batch_key for r in succeeded} == {b.key for b in plan.batches}
    for record in succeeded:
        status = emulator.jobs[record.job_id].view()
        assert record.phases["queue"] == status["delayTime"] / 1000
        assert record.execution_s == status["executionTime"] / 1000
        phases = {"submit", "queue", "download", "extract", "normalize", "fetch_input", "parse", "package"}
        assert phases <= set(record.phases)
        assert record.worker_id == status["workerId"]
    parsed = [m for m in batch_materializations(runpod_doc["instance"]) if not m.metadata["reused"].value]
    assert len(parsed) == len(plan.batches) + 1  # the first pass and the lost batch's re-parse
    for materialization in parsed:
        status = emulator.jobs[materialization.metadata["job_id"].value].view()
        assert materialization.metadata["queue_wait_s"].value == round(status["delayTime"] / 1000, 3)
        assert materialization.metadata["execution_s"].value == round(status["executionTime"] / 1000, 3)
        assert status["executionTime"] > 0


def test_a_second_pass_reuses_every_batch_and_submits_nothing(runpod_doc):
    first, second = runpod_doc["first"], runpod_doc["second"]
    assert runpod_doc["after_second"] == runpod_doc["after_first"]
    assert second.contiguity_passed and second.blocks == first.blocks
    records = load_records(runpod_doc["paths"].timings)
    reused = [r for r in records if r.status == "reused"]
    assert len(reused) == first.batches
    parsed = {(r.batch_key, r.job_id) for r in records if r.status == "succeeded"}
    assert all((r.batch_key, r.job_id) in parsed and "queue_wait" not in r.phases for r in reused)
    assert {r.batch_key for r in reused} == {r.batch_key for r in records if r.status == "succeeded"}
    second_pass = [m for m in batch_materializations(runpod_doc["instance"]) if m.metadata["reused"].value]
    assert len(second_pass) == first.batches


def test_a_lost_batch_is_reparsed_once_over_the_s3_result_transport(runpod_doc):
    emulator, paths, doc_id, lost = (runpod_doc[k] for k in ("emulator", "paths", "doc_id", "lost"))
    before = runpod_doc["after_second"]
    assert len(emulator.jobs) == before["jobs"] + 1 and emulator.calls("run") == before["runs"] + 1
    job = list(emulator.jobs.values())[-1]
    assert job.input["transport"] == "s3" and job.status == "COMPLETED"
    result = job.output["results"][0]
    assert "tarball_b64" not in result and result["bucket_bytes"] > 0
    assert any(path == f"/bucket/{result['bucket_key']}" for _, path, _ in emulator.requests)
    manifest = read_manifest(batch_dir(paths.batches, doc_id, lost))
    assert manifest.job_id == job.id and manifest.missing_pages == []
    assert manifest.block_count == runpod_doc["lost_before"].block_count
    evaluations = runpod_doc["s3_check"].get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)


# -- terminating a run mid-batch ----------------------------------------------------------------------

RUN_PROCESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import dagster as dg
    from platform_assets.definitions import default_resources
    from platform_assets.local_run import _run
    from platform_assets.domain.common.platform_paths import PlatformPaths
    from resources.object_store import LocalObjectStore
    from resources.platform_data import PlannerSettings
    from resources.runpod_worker import RunPodWorker
    from resources.settings import PlatformSettings

    args = json.loads(sys.argv[1])
    settings = PlatformSettings(PlatformPaths(Path(args["root"])))
    resources = {
        **default_resources(settings),
        "worker": RunPodWorker(**args["worker"]),
        "object_store": LocalObjectStore(root=str(settings.paths.objects)),
        "planner": PlannerSettings(**args["planner"]),
    }
    instance = dg.DagsterInstance.local_temp(args["dagster_home"])
    _run(settings, instance, resources, dg.AssetSelection.assets("parsed_batch"), args["batch"])
    """
)


def test_terminating_a_run_mid_batch_cancels_the_remote_job(tmp_path, sample_pdf):
    paths = PlatformPaths(tmp_path / "data")
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    intake = register_pdf(sample_pdf, Registry(paths.registry), paths.landing, "test")
    doc_id = intake.record.doc_id
    with (
        RunPodEmulator(workers=1, mode="fake", fake_ms_per_page=10, api_key=API_KEY) as emulator,
        dg.DagsterInstance.local_temp(str(dagster_home)) as instance,
    ):
        settings = worker_settings(emulator)
        resources = {
            **default_resources(PlatformSettings(paths)),
            "worker": RunPodWorker(**settings),
            "object_store": LocalObjectStore(root=str(paths.objects)),
            "planner": PLANNER,
        }
        _run(
            PlatformSettings(paths),
            instance,
            resources,
            dg.AssetSelection.assets("source_pdf", "batch_plan"),
            doc_id,
        )
        batch = Registry(paths.registry).plan(doc_id).batches[0].key
        emulator.next_job(fake_pages=100_000)  # ~1000 s of work: still running when the run is terminated
        args = {
            "root": str(paths.root),
            "dagster_home": str(dagster_home),
            "worker": settings,
            "planner": {"target_pages": PLANNER.target_pages, "max_pages": PLANNER.max_pages},
            "batch": batch,
        }
        process = subprocess.Popen(
            [sys.executable, "-c", RUN_PROCESS, json.dumps(args)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:

            def submitted() -> Any:
                if process.poll() is not None:
                    raise AssertionError(process.communicate()[0].decode(errors="replace")[-3000:])
                return next(iter(emulator.jobs.values()), None)

            job = until(submitted, "the batch to be submitted")
            emulator.wait_for(job.id, "IN_PROGRESS", timeout_s=60)
            until(lambda: emulator.calls("status", job.id) > 0, "the run process to poll the job")
            run = until(
                lambda: next(
                    iter(instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))), None
                ),
                "the Dagster run to be STARTED",
            )
            # What terminating a run does for the default run launcher: mark it CANCELING, then interrupt
            # the run process (the gRPC server's termination thread sends it SIGINT).
            instance.report_run_canceling(run)
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        log = output.decode(errors="replace")
        assert process.returncode != 0, log[-3000:]
        assert emulator.calls("cancel", job.id) >= 1, log[-3000:]
        assert emulator.jobs[job.id].status == "CANCELLED"
        until(lambda: not emulator.slots[0].busy, "the cancelled job's worker to be freed", 30)
        assert emulator.calls("run") == 1
        finished = instance.get_run_by_id(run.run_id)
        assert finished.status == dg.DagsterRunStatus.CANCELED
        records = [r for r in load_records(paths.timings) if r.batch_key == batch]
        assert [(r.status, r.job_id, r.run_id) for r in records] == [("cancelled", job.id, run.run_id)]
        assert not os.path.exists(batch_dir(paths.batches, doc_id, batch) / "manifest.json")

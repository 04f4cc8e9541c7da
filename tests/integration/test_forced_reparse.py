"""Re-materializing a finished batch: reused visibly, or parsed again when forced, and nothing downstream
rebuilt while its output is unchanged.

The canned worker of `test_batch_failures` (logging every job it is handed) parses the four-page
blank-pages PDF as one batch; the rest is the real asset code on a real Dagster instance, and the
automation conditions the daemon evaluates, tick by tick.
"""

from __future__ import annotations

import threading
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from platform_assets import parsed_batch as batch_asset
from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import load_records
from platform_assets.domain.parse.batch_claim import BatchClaim, claim_batch, claim_path
from platform_assets.domain.parse.batch_store import batch_dir, read_manifest, store_batch
from platform_assets.local_run import materialize_document
from resources.parse_worker import JobHandle
from resources.settings import PlatformSettings
from tests.blank_pages import build_blank_pages_pdf
from tests.integration.test_automation_order import requested
from tests.integration.test_batch_failures import CannedWorker
from tests.racing import CALLS, CountingWorker, plan_document, resources

pytestmark = pytest.mark.slow
FORCE = {"ops": {"parsed_batch": {"config": {"force": True}}}}
DOWNSTREAM = {"parsed_document", "clause_tree", "verification"}


@pytest.fixture
def document(tmp_path: Path) -> tuple[PlatformPaths, str]:
    """The four-page blank-pages PDF registered and planned (one batch, pages 1-4), not parsed yet."""
    paths = PlatformPaths(tmp_path / "data")
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        assert plan_document(paths, doc_id, instance) == [f"{doc_id}~b001"]
    return paths, doc_id


def parse(
    paths: PlatformPaths,
    instance: dg.DagsterInstance,
    key: str,
    *,
    run_config: dict | None = None,
    tags: dict[str, str] | None = None,
    fault: str = "",
) -> dg.ExecuteInProcessResult:
    """One `parsed_batch` run of `key` with the run config and tags an operator would give it."""
    worker = CountingWorker(calls=str(paths.root.parent / CALLS), fault=fault)
    defs = build_definitions(PlatformSettings(paths), {**resources(paths), "worker": worker})
    job = dg.Definitions(
        jobs=[dg.define_asset_job("parse", selection=["parsed_batch"])],
        assets=list(defs.assets or []),
        resources=defs.resources,
    ).resolve_job_def("parse")
    return job.execute_in_process(instance=instance, partition_key=key, run_config=run_config, tags=tags)


def materialization(result: dg.ExecuteInProcessResult) -> tuple[dict, str]:
    """(metadata values, data version) of the run's `parsed_batch` materialization."""
    [event] = result.asset_materializations_for_node("parsed_batch")
    return {k: v.value for k, v in event.metadata.items()}, event.tags[DATA_VERSION_TAG]


def jobs_submitted(paths: PlatformPaths) -> int:
    log = paths.root.parent / CALLS
    return len(log.read_text().splitlines()) if log.exists() else 0


def statuses(paths: PlatformPaths) -> list[str]:
    return [r.status for r in sorted(load_records(paths.timings), key=lambda r: r.started_at)]


def messages(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.dagster_event is None]


def test_a_reused_batch_says_why_and_keeps_its_data_version(document) -> None:
    paths, doc_id = document
    key = f"{doc_id}~b001"
    with dg.instance_for_test() as instance:
        _, parsed_version = materialization(parse(paths, instance, key))
        again = parse(paths, instance, key)
        metadata, version = materialization(again)
        assert f"batch {key} (pages 1-4, 1-based) reused: its stored fingerprint matches" in messages(
            instance, again
        )
    assert metadata["reused"] is True and metadata["forced"] is False
    assert version == parsed_version
    assert (jobs_submitted(paths), statuses(paths)) == (1, ["succeeded", "reused"])


@pytest.mark.parametrize(
    "how", [{"run_config": FORCE}, {"tags": {batch_asset.FORCE_TAG: "true"}}], ids=["config", "tag"]
)
def test_a_forced_reparse_parses_a_finished_batch_again_and_keeps_an_unchanged_data_version(
    document, how
) -> None:
    paths, doc_id = document
    key = f"{doc_id}~b001"
    folder = batch_dir(paths.batches, doc_id, key)
    with dg.instance_for_test() as instance:
        _, parsed_version = materialization(parse(paths, instance, key))
        first_job = read_manifest(folder).job_id
        metadata, version = materialization(parse(paths, instance, key, **how))
    assert metadata["reused"] is False and metadata["forced"] is True
    assert (jobs_submitted(paths), statuses(paths)) == (2, ["succeeded", "succeeded"])
    assert read_manifest(folder).job_id == metadata["job_id"] != first_job  # the new output, stored
    assert version == parsed_version  # the same output: the same data version
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{key}")]  # no stage left


def test_a_forced_reparse_waits_for_the_claim_holder_and_reuses_what_it_stored(document) -> None:
    paths, doc_id = document
    key = f"{doc_id}~b001"
    folder = batch_dir(paths.batches, doc_id, key)
    with dg.instance_for_test() as instance:
        parse(paths, instance, key)
        stored = read_manifest(folder)
        holder = claim_batch(
            claim_path(paths.batches, doc_id, key), "other-run", finished=lambda: None, timeout_s=5
        )
        assert isinstance(holder, BatchClaim)

        def other_process_parses() -> None:  # holds the claim a while, stores its own output, lets go
            with holder.renewing():
                threading.Event().wait(1.5)
                handle = JobHandle(job_id="other-job", submitted_at=0.0, state={"pages": (0, 3)})
                run = CannedWorker().wait(handle, 5.0)
                store_batch(
                    folder,
                    key=key,
                    doc_id=doc_id,
                    fingerprint=stored.fingerprint,
                    archive=run.archive,
                    archive_format="tar.gz",
                    job_id="other-job",
                )

        other = threading.Thread(target=other_process_parses)
        other.start()
        forced = parse(paths, instance, key, run_config=FORCE)
        other.join()
        metadata, _ = materialization(forced)
        lines = messages(instance, forced)
    assert metadata["reused"] is True and metadata["forced"] is True and metadata["job_id"] == "other-job"
    assert any("being parsed by run other-run" in line for line in lines)
    assert f"batch {key} (pages 1-4, 1-based) reused: another process parsed it meanwhile" in lines
    assert (jobs_submitted(paths), statuses(paths)) == (1, ["succeeded", "reused"])  # never parsed twice


def test_only_a_changed_batch_starts_its_document_again(document) -> None:
    paths, doc_id = document
    key = f"{doc_id}~b001"
    with dg.instance_for_test() as instance:
        materialize_document(doc_id, PlatformSettings(paths), instance, resources(paths), log=lambda _: None)
        defs = build_definitions(PlatformSettings(paths))
        tick = dg.evaluate_automation_conditions(defs, instance)
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert not DOWNSTREAM & set(requested(tick))  # a finished document rests

        parse(paths, instance, key)  # reused: the same data version
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert not DOWNSTREAM & set(requested(tick))

        parse(paths, instance, key, tags={batch_asset.FORCE_TAG: "true"})  # parsed again, the same output
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert not DOWNSTREAM & set(requested(tick))

        parse(paths, instance, key, run_config=FORCE, fault="missing_page")  # parsed again, other output
        tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
        assert requested(tick)["parsed_document"] == [doc_id]
        assert requested(tick)["clause_tree"] == [doc_id]

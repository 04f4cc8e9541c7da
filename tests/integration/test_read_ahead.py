"""`ingest --wait` reads ahead: the next batch's job is queued on the real LocalWorker (MinerU flash) before
its run starts, that run takes it, and whatever no run took is cancelled, also when a batch fails."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import load_records
from platform_assets.domain.parse.failures import StepFailed
from platform_assets.local_run import materialize_document
from resources.parse_worker import LocalWorker
from resources.platform_data import ParseSettings, PlannerSettings
from resources.settings import PlatformSettings
from tests.blank_pages import build_blank_pages_pdf
from worker_contract.contract import JobInput

pytestmark = pytest.mark.slow


def test_a_run_takes_the_job_read_ahead_and_one_nobody_took_is_withdrawn(
    worker: LocalWorker, sample_pdf: Path
) -> None:
    job = JobInput(volume_path=str(sample_pdf), start_page=2, end_page=4, tier="flash", transport="local_dir")
    other = job.model_copy(update={"start_page": 5, "end_page": 6})
    queued = worker.read_ahead(job)
    assert worker.read_ahead(job) == queued  # queued once
    spare = worker.read_ahead(other)
    traced = job.model_copy(update={"trace_context": {"traceparent": f"00-{'1' * 32}-{'2' * 16}-01"}})
    handle = worker.submit(traced)  # the run's own job input: the same pages, its trace context
    assert handle.job_id == queued
    run = worker.wait(handle, timeout_s=300)
    assert run.output.results[0].pages_requested == [2, 4] and run.result_dir is not None
    assert worker.withdraw_read_ahead() == 1 and worker.withdraw_read_ahead() == 0
    assert spare not in worker.spool.queued_ids() and worker.submit(other).job_id != spare


def document(tmp_path: Path, deadline_s: float = 3600.0) -> tuple[PlatformSettings, dict, str]:
    """The four-page PDF with blank pages in 2-page batches, with the real LocalWorker of this test."""
    paths = PlatformPaths(tmp_path / "data")
    settings = PlatformSettings(paths)
    resources = {
        **default_resources(settings),
        "planner": PlannerSettings(target_pages=2, max_pages=3),
        "parse_settings": ParseSettings(batch_deadline_s=deadline_s),
    }
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    return (
        settings,
        resources,
        register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id,
    )


def test_every_batch_is_parsed_once_and_nothing_is_left_queued(tmp_path: Path) -> None:
    settings, resources, doc_id = document(tmp_path)
    worker = resources["worker"]
    try:
        with dg.instance_for_test() as instance:
            report = materialize_document(doc_id, settings, instance, resources, log=lambda _: None)
        records = load_records(settings.paths.timings)
        assert report.batches == 2 and sorted(r.status for r in records) == ["succeeded", "succeeded"]
        assert len({r.job_id for r in records}) == 2
        assert worker.spool.queued_ids() == [] and worker.withdraw_read_ahead() == 0
    finally:
        worker.stop_workers()


def test_a_failed_batch_leaves_no_job_read_ahead_behind(tmp_path: Path) -> None:
    settings, resources, doc_id = document(tmp_path, deadline_s=0.001)  # the first batch's job times out
    worker = resources["worker"]
    try:
        with dg.instance_for_test() as instance, pytest.raises(StepFailed, match="~b001"):
            materialize_document(doc_id, settings, instance, resources, log=lambda _: None)
        assert worker.spool.queued_ids() == [] and worker.withdraw_read_ahead() == 0
        assert not any((settings.paths.root / "handoff").iterdir())  # the next batch's folder went too
    finally:
        worker.stop_workers()

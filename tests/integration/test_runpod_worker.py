"""RunPodWorker against the emulated RunPod endpoint: real flash parses, and every failure mode classified."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.archive import CorruptArchiveError, UnsafeArchiveError, extract_archive
from resources.parse_worker import WorkerError
from resources.runpod_worker import RunPodWorker
from tests import polling
from tests.runpod_emulator import RunPodEmulator, worker_settings
from worker_contract.contract import JobInput

pytestmark = pytest.mark.slow

API_KEY = "rp_TEST_SECRET_KEY_0123456789"
until = partial(polling.until, timeout_s=60, poll_s=0.01)


def worker_for(emulator: RunPodEmulator, **overrides: Any) -> RunPodWorker:
    return RunPodWorker(**{**worker_settings(emulator), **overrides})


def job_for(pdf: Path | str, first: int = 0, last: int = 1, transport: str = "tarball_b64") -> JobInput:
    return JobInput(
        volume_path=str(pdf), start_page=first, end_page=last, tier="flash", transport=transport, basename="b"
    )


@pytest.fixture(scope="module")
def mineru_endpoint() -> Iterator[RunPodEmulator]:
    """One warm emulated worker running the real worker code with MinerU flash."""
    with RunPodEmulator(workers=1, mode="mineru", api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fake_base() -> Iterator[RunPodEmulator]:
    with RunPodEmulator(workers=2, mode="fake", fake_ms_per_page=10, api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture
def fake_endpoint(fake_base: RunPodEmulator) -> Iterator[RunPodEmulator]:
    """The shared fake-handler endpoint, its limits restored and its fault queues emptied after each test."""
    saved = (fake_base.execution_timeout_s, fake_base.response_cap_bytes, fake_base.request_cap_bytes)
    yield fake_base
    fake_base.execution_timeout_s, fake_base.response_cap_bytes, fake_base.request_cap_bytes = saved
    fake_base._http_faults.clear()
    fake_base._job_faults.clear()
    until(lambda: not any(slot.busy for slot in fake_base.slots), "the fake workers to be idle")


# -- real flash parses --------------------------------------------------------------------------------


def test_a_batch_is_parsed_by_the_real_worker_code_on_the_emulated_endpoint(
    mineru_endpoint, sample_pdf, tmp_path
):
    worker = worker_for(mineru_endpoint)
    handle = worker.submit(job_for(sample_pdf, 1, 3))
    run = worker.wait(handle, 300)

    result = run.output.results[0]
    assert run.output.ok and result.pages_requested == [1, 3] and result.page_count_parsed == 3
    assert run.output.debug.worker_id == "emu-worker-0" and run.output.debug.tier == "flash"
    assert base64.b64decode(result.tarball_b64 or "") == run.archive
    names = extract_archive(run.archive, tmp_path / "raw", "tar.gz")
    assert {"markdown.md", "middle_json.json", "content_list.json"} <= set(names)
    status = mineru_endpoint.jobs[handle.job_id].view()
    assert (
        run.execution_s == status["executionTime"] / 1000 and run.queue_wait_s == status["delayTime"] / 1000
    )


def test_the_s3_transport_downloads_the_archive_from_the_presigned_url(
    mineru_endpoint, sample_pdf, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    worker = worker_for(mineru_endpoint, result_transport="s3")
    assert worker.transport == "s3"
    run = worker.wait(worker.submit(job_for(sample_pdf, 0, 1, transport=worker.transport)), 300)

    result = run.output.results[0]
    assert result.tarball_url and result.tarball_b64 is None and result.bucket_bytes == len(run.archive)
    assert "markdown.md" in extract_archive(run.archive, tmp_path / "raw", "tar.gz")
    assert "SECRETSIG" not in caplog.text and API_KEY not in caplog.text


def test_a_contract_error_is_a_permanent_failure_with_the_workers_message(mineru_endpoint, tmp_path):
    worker = worker_for(mineru_endpoint)
    handle = worker.submit(job_for(tmp_path / "missing.pdf"))
    with pytest.raises(WorkerError) as caught:
        worker.wait(handle, 120)
    assert not caught.value.transient
    assert "FAILED" in str(caught.value) and "FetchError" in str(caught.value)
    assert "does not exist" in str(caught.value) and str(tmp_path) not in str(caught.value)


# -- the queue API and its faults (fake handler) --------------------------------------------------------


def test_the_endpoint_reports_workers_max_and_health(fake_endpoint):
    worker = worker_for(fake_endpoint)
    assert worker.endpoint_workers_max() == 2
    health = worker.health()
    assert health["workers"] == {"idle": 2, "running": 0} and "inQueue" in health["jobs"]


def test_429_and_5xx_bursts_are_retried_until_the_job_completes(fake_endpoint):
    worker = worker_for(fake_endpoint)
    fake_endpoint.fail_next(3, 429)
    handle = worker.submit(job_for("/volume/doc.pdf"))
    fake_endpoint.fail_next(2, 503)
    fake_endpoint.fail_next(1, 502)
    run = worker.wait(handle, 30)
    assert run.output.ok and run.archive
    statuses = [
        path for method, path, _ in fake_endpoint.requests if path.endswith(f"/status/{handle.job_id}")
    ]
    assert len(statuses) >= 4


def test_retries_are_bounded_and_end_in_a_transient_error(fake_endpoint):
    worker = worker_for(fake_endpoint, max_retries=2)
    fake_endpoint.fail_next(3, 500)
    with pytest.raises(WorkerError, match="after 2 retries: HTTP 500") as caught:
        worker.submit(job_for("/volume/doc.pdf"))
    assert caught.value.transient


def test_a_wrong_api_key_is_permanent_and_no_key_reaches_a_message_or_log(fake_endpoint, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "rp_WRONG_SECRET_KEY_987"
    with pytest.raises(WorkerError, match="refused the API key") as caught:
        worker_for(fake_endpoint, api_key=wrong).submit(job_for("/volume/doc.pdf"))
    assert not caught.value.transient
    fake_endpoint.fail_next(2, 503)
    worker = worker_for(fake_endpoint)
    run = worker.wait(worker.submit(job_for("/volume/doc.pdf")), 30)
    assert run.output.ok
    assert "retrying request" in caplog.text
    for secret in (wrong, API_KEY):
        assert secret not in caplog.text and secret not in str(caught.value)


def test_the_plain_authorization_header_form_is_accepted(fake_endpoint):
    import httpx

    response = httpx.get(
        f"{fake_endpoint.base_url}/{fake_endpoint.endpoint_id}/health", headers={"authorization": API_KEY}
    )
    assert response.status_code == 200
    assert httpx.get(f"{fake_endpoint.base_url}/{fake_endpoint.endpoint_id}/health").status_code == 401


def test_a_request_over_the_10mb_cap_is_permanent(fake_endpoint):
    fake_endpoint.request_cap_bytes = 2000
    job = JobInput(file_b64=base64.b64encode(b"%PDF-" + b"x" * 4000).decode(), tier="flash")
    with pytest.raises(WorkerError, match="10 MB") as caught:
        worker_for(fake_endpoint).submit(job)
    assert not caught.value.transient


def test_timed_out_is_transient_and_frees_the_worker(fake_endpoint):
    fake_endpoint.execution_timeout_s = 0.3
    fake_endpoint.next_job(fake_pages=100_000)
    worker = worker_for(fake_endpoint)
    handle = worker.submit(job_for("/volume/doc.pdf"))
    with pytest.raises(WorkerError, match="TIMED_OUT") as caught:
        worker.wait(handle, 30)
    assert caught.value.transient
    until(lambda: worker.health()["workers"]["running"] == 0, "the timed-out worker to be freed")


def test_an_output_over_the_response_cap_names_the_cap_and_the_s3_transport(fake_endpoint):
    fake_endpoint.response_cap_bytes = 200
    worker = worker_for(fake_endpoint)
    handle = worker.submit(job_for("/volume/doc.pdf"))
    with pytest.raises(WorkerError, match="output") as caught:
        worker.wait(handle, 30)
    assert not caught.value.transient
    assert "20 MB" in str(caught.value) and "`s3` transport" in str(caught.value)
    assert fake_endpoint.jobs[handle.job_id].view()["status"] == "COMPLETED"


def test_cancel_stops_a_running_job_and_frees_its_worker(fake_endpoint):
    fake_endpoint.next_job(fake_pages=100_000)
    worker = worker_for(fake_endpoint)
    handle = worker.submit(job_for("/volume/doc.pdf"))
    fake_endpoint.wait_for(handle.job_id, "IN_PROGRESS")
    slot = until(
        lambda: next((s for s in fake_endpoint.slots if s.busy and s.process is not None), None),
        "a busy worker",
    )
    pid = slot.process.pid

    worker.cancel(handle)
    worker.cancel(handle)  # idempotent

    assert fake_endpoint.jobs[handle.job_id].status == "CANCELLED"
    until(lambda: not slot.busy, "the cancelled job's worker to be freed")
    until(lambda: slot.process is None or slot.process.pid != pid, "the worker process to be replaced")
    with pytest.raises(WorkerError, match="CANCELLED") as caught:
        worker.wait(handle, 10)
    assert caught.value.transient


def test_a_passed_deadline_cancels_the_job_and_is_transient(fake_endpoint):
    fake_endpoint.next_job(fake_pages=100_000)
    worker = worker_for(fake_endpoint)
    handle = worker.submit(job_for("/volume/doc.pdf"))
    fake_endpoint.wait_for(handle.job_id, "IN_PROGRESS")
    with pytest.raises(WorkerError, match="deadline") as caught:
        worker.wait(handle, 0.2)
    assert caught.value.transient
    assert fake_endpoint.jobs[handle.job_id].status == "CANCELLED"


def test_a_slow_queue_shows_up_as_queue_wait_not_execution(fake_endpoint):
    fake_endpoint.next_job(queue_delay_s=0.5)
    worker = worker_for(fake_endpoint)
    run = worker.wait(worker.submit(job_for("/volume/doc.pdf")), 30)
    assert run.queue_wait_s >= 0.5 and run.execution_s < run.queue_wait_s + 5


def test_a_worker_crash_mid_job_requeues_the_job_which_then_completes(fake_endpoint):
    fake_endpoint.next_job(crash_after_s=0.05)
    retried = fake_endpoint.retried
    worker = worker_for(fake_endpoint)
    run = worker.wait(worker.submit(job_for("/volume/doc.pdf")), 60)
    assert run.output.ok and fake_endpoint.retried == retried + 1
    assert worker.health()["jobs"]["retried"] == retried + 1


def test_a_worker_that_keeps_crashing_fails_the_job_transiently(fake_endpoint):
    fake_endpoint.next_job(crash_after_s=0.01, crash_times=5)
    worker = worker_for(fake_endpoint)
    with pytest.raises(WorkerError, match="worker crashed") as caught:
        worker.wait(worker.submit(job_for("/volume/doc.pdf")), 60)
    assert caught.value.transient


def test_a_truncated_archive_is_passed_on_and_refused_by_extraction(fake_endpoint, tmp_path):
    fake_endpoint.next_job(truncate_archive=True)
    worker = worker_for(fake_endpoint)
    run = worker.wait(worker.submit(job_for("/volume/doc.pdf")), 30)
    with pytest.raises(CorruptArchiveError):
        extract_archive(run.archive, tmp_path / "raw", "tar.gz")
    assert not (tmp_path / "raw").exists()


def test_an_archive_with_parent_members_is_refused_by_extraction(fake_endpoint, tmp_path):
    fake_endpoint.next_job(malicious_archive=True)
    worker = worker_for(fake_endpoint, result_transport="s3")
    run = worker.wait(worker.submit(job_for("/volume/doc.pdf", transport="s3")), 30)
    with pytest.raises(UnsafeArchiveError, match=r"\.\."):
        extract_archive(run.archive, tmp_path / "out" / "raw", "tar.gz")
    assert not (tmp_path / "out" / "escaped.txt").exists() and not (tmp_path / "out" / "raw").exists()


def test_an_expired_presigned_url_is_a_transient_error_asking_for_a_rerun(fake_endpoint, caplog):
    caplog.set_level(logging.DEBUG)
    fake_endpoint.next_job(url_ttl_s=0)
    worker = worker_for(fake_endpoint, result_transport="s3")
    with pytest.raises(WorkerError, match="HTTP 403") as caught:
        worker.wait(worker.submit(job_for("/volume/doc.pdf", transport="s3")), 30)
    assert caught.value.transient and "re-run" in str(caught.value)
    assert "SECRETSIG" not in str(caught.value) and "SECRETSIG" not in caplog.text

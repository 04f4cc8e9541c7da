"""The embedded LocalWorker: real child processes running the gpu_image worker with MinerU flash."""

from __future__ import annotations

import os
import time

import pytest

from gpu_image.worker.contract import JobInput
from resources.parse_worker import LocalWorker, WorkerError

pytestmark = pytest.mark.slow


def job_for(pdf, first: int, last: int) -> JobInput:
    return JobInput(volume_path=str(pdf), start_page=first, end_page=last, tier="flash", basename="t")


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_local_worker_parses_a_page_range_and_reports_phases(sample_pdf):
    worker = LocalWorker()
    run = worker.wait(worker.submit(job_for(sample_pdf, 2, 4)), timeout_s=300)
    [result] = run.output.results
    assert run.output.ok and result.pages_requested == [2, 4] and result.tarball_b64
    assert run.output.debug.tier == "flash" and run.output.debug.phase_ms.mineru_parse > 0
    assert run.execution_s > 0 and run.queue_wait_s >= 0
    assert worker.engine_identity == (run.output.mineru_version, "flash")


def test_a_bad_page_range_is_a_permanent_failure_with_a_clear_message(sample_pdf, sample):
    worker = LocalWorker()
    with pytest.raises(WorkerError, match="past the last page") as caught:
        worker.wait(worker.submit(job_for(sample_pdf, 0, sample.page_count + 5)), timeout_s=300)
    assert caught.value.transient is False
    assert str(sample_pdf.parent) not in str(caught.value)  # no local paths leak into errors


def test_cancel_kills_the_whole_process_group(sample_pdf, sample):
    worker = LocalWorker(kill_grace_s=5)
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = handle.state["process"].pid
    time.sleep(0.5)  # let it start importing; the assertion does not depend on timing
    worker.cancel(handle)
    assert handle.state["process"].poll() is not None
    assert not group_alive(pid)
    worker.cancel(handle)  # safe to call twice


def test_a_passed_deadline_cancels_the_job_and_is_retryable(sample_pdf, sample):
    worker = LocalWorker(kill_grace_s=5)
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    with pytest.raises(WorkerError, match="deadline") as caught:
        worker.wait(handle, timeout_s=0.2)
    assert caught.value.transient is True
    assert not group_alive(handle.state["process"].pid)

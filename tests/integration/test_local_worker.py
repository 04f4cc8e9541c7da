"""The embedded LocalWorker: real warm worker processes running the gpu_image worker with MinerU flash."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gpu_image.worker.spool import WorkerRecord
from resources.parse_worker import JobHandle, LocalWorker, WorkerError, WorkerRun
from tests.polling import until
from worker_contract.contract import JobInput

pytestmark = pytest.mark.slow

MakeWorker = Callable[..., LocalWorker]


def job_for(pdf: Path, first: int, last: int) -> JobInput:
    return JobInput(volume_path=str(pdf), start_page=first, end_page=last, tier="flash", basename="t")


def live_group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes in process group `pgid`, as `ps` sees them: "pid ppid stat args"."""
    listing = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid=,pgid=,stat=,args="], capture_output=True, text=True
    ).stdout
    rows = [line.split(None, 4) for line in listing.splitlines()]
    return [
        f"{pid} {ppid} {stat} {args[:100]}"
        for pid, ppid, group, stat, args in rows
        if int(group) == pgid and not stat.startswith("Z")
    ]


def worker_pid(run: WorkerRun) -> int:
    return int((run.output.debug.worker_id or "").removeprefix("local-"))


def claimed_by(worker: LocalWorker, handle: JobHandle) -> int:
    """Wait until a worker has claimed the job; its pid."""
    return until(lambda: worker.spool.claim_owner(handle.job_id), f"a worker to claim {handle.job_id}")


def log_events(worker: LocalWorker, pid: int) -> list[dict[str, Any]]:
    lines = worker.spool.log_path(pid).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text in proc.joinpath("cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


@pytest.fixture
def make_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeWorker]:
    """LocalWorkers on this test's own spool; every worker process they started is gone afterwards."""
    monkeypatch.delenv("WORKER_ID", raising=False)
    spool_dir = tmp_path / "spool"
    made: list[LocalWorker] = []

    def make(**fields: Any) -> LocalWorker:
        worker = LocalWorker(spool_dir=str(spool_dir), **{"kill_grace_s": 5.0, **fields})
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop_workers()
    for pid in _processes_mentioning(str(spool_dir)):  # anything stop_workers missed
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)


def test_local_worker_parses_a_page_range_and_reports_phases(make_worker, sample_pdf):
    worker = make_worker()
    run = worker.wait(worker.submit(job_for(sample_pdf, 2, 4)), timeout_s=300)
    [result] = run.output.results
    assert run.output.ok and result.pages_requested == [2, 4] and result.tarball_b64
    assert run.output.debug.tier == "flash" and run.output.debug.phase_ms.mineru_parse > 0
    assert run.output.debug.cold_start is False and run.output.debug.warmup_ms  # the boot warmup paid it
    assert run.execution_s == run.output.elapsed_seconds and run.queue_wait_s >= 0
    assert worker.engine_identity == (run.output.mineru_version, "flash")
    assert not any(worker.spool.done.iterdir()) and not any(worker.spool.queue.iterdir())


def test_a_second_job_on_the_same_worker_is_warm(make_worker, sample_pdf):
    worker = make_worker()
    first = worker.wait(worker.submit(job_for(sample_pdf, 0, 1)), timeout_s=300)
    second = worker.wait(worker.submit(job_for(sample_pdf, 2, 3)), timeout_s=300)
    assert first.output.debug.warmup_ms and second.output.debug.warmup_ms is None  # reported once
    assert not first.output.debug.cold_start and not second.output.debug.cold_start
    assert worker_pid(first) == worker_pid(second)
    assert [r.pid for r in worker.spool.live_workers(worker.fingerprint)] == [worker_pid(first)]
    assert (worker.spool.root.stat().st_mode & 0o777) == 0o700


def test_a_bad_page_range_is_a_permanent_failure_with_a_clear_message(make_worker, sample_pdf, sample):
    worker = make_worker()
    with pytest.raises(WorkerError, match="past the last page") as caught:
        worker.wait(worker.submit(job_for(sample_pdf, 0, sample.page_count + 5)), timeout_s=300)
    assert caught.value.transient is False
    assert str(sample_pdf.parent) not in str(caught.value)  # no local paths leak into errors


def test_cancel_kills_the_whole_process_group(make_worker, sample_pdf, sample):
    worker = make_worker()
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = claimed_by(worker, handle)
    until(lambda: len(live_group_members(pid)) > 1, "MinerU's render processes")
    worker.cancel(handle)
    assert live_group_members(pid) == []
    assert not worker.spool.is_registered(pid) and worker.spool.claim_owner(handle.job_id) is None
    worker.cancel(handle)  # safe to call twice
    with pytest.raises(WorkerError, match="no longer in the spool"):
        worker.wait(handle, timeout_s=5)

    after = worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300)
    assert worker_pid(after) != pid and after.output.debug.warmup_ms  # a new worker, warmed up


def test_a_passed_deadline_cancels_the_job_and_is_retryable(make_worker, sample_pdf, sample):
    worker = make_worker()
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = claimed_by(worker, handle)
    with pytest.raises(WorkerError, match="deadline") as caught:
        worker.wait(handle, timeout_s=0.2)
    assert caught.value.transient is True
    assert live_group_members(pid) == []
    assert worker.spool.claim_owner(handle.job_id) is None and not worker.spool.has_output(handle.job_id)


def test_a_job_queued_behind_a_running_one_is_cancelled_without_ever_running(make_worker, sample_pdf, sample):
    worker = make_worker()
    running = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = claimed_by(worker, running)
    queued = worker.submit(job_for(sample_pdf, 7, 9))
    assert worker.spool.is_queued(queued.job_id)
    worker.cancel(queued)
    worker.cancel(queued)
    assert not worker.spool.is_queued(queued.job_id)

    run = worker.wait(running, timeout_s=300)
    assert worker_pid(run) == pid
    with pytest.raises(WorkerError, match="no longer in the spool"):
        worker.wait(queued, timeout_s=5)
    events = log_events(worker, pid)
    started = [event["pages"] for event in events if event["event"] == "starting job" and event["job_id"]]
    assert started == [[0, sample.page_count - 1]]  # besides the boot warmup (no job id)
    assert worker.spool.is_registered(pid)  # the worker itself stays warm


def test_a_worker_killed_mid_job_is_a_transient_error(make_worker, sample_pdf, sample):
    worker = make_worker()
    earlier = worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300)
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = claimed_by(worker, handle)
    started = {"event": "starting job", "job_id": handle.job_id}
    until(lambda: any(started.items() <= e.items() for e in log_events(worker, pid)), "the job's start")
    os.kill(pid, signal.SIGKILL)  # the worker alone: its render processes are orphaned
    with pytest.raises(WorkerError, match=f"parse worker {pid} died") as caught:
        worker.wait(handle, timeout_s=300)
    assert caught.value.transient is True
    message = str(caught.value)  # the job's own log lines, never an earlier job's or the worker's start
    assert '"event": "claimed job"' in message and "starting job" in message
    assert earlier.job_id not in message and "worker started" not in message and len(message) < 600
    until(lambda: live_group_members(pid) == [], "the group's SIGKILL to take effect")
    assert not worker.spool.is_registered(pid)

    after = worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300)
    assert worker_pid(after) != pid


def test_two_runs_share_one_worker(make_worker, sample_pdf):
    first_run, second_run = make_worker(), make_worker()
    handles = [first_run.submit(job_for(sample_pdf, 0, 2)), second_run.submit(job_for(sample_pdf, 3, 5))]
    runs = [first_run.wait(handles[0], timeout_s=300), second_run.wait(handles[1], timeout_s=300)]
    assert worker_pid(runs[0]) == worker_pid(runs[1])
    assert sorted(run.output.debug.warmup_ms is not None for run in runs) == [False, True]
    assert len(first_run.spool.live_workers(first_run.fingerprint)) == 1


def test_sigterm_drains_the_job_in_hand_then_exits(make_worker, sample_pdf, sample):
    worker = make_worker()
    handle = worker.submit(job_for(sample_pdf, 0, sample.page_count - 1))
    pid = claimed_by(worker, handle)
    os.kill(pid, signal.SIGTERM)
    run = worker.wait(handle, timeout_s=300)
    assert run.output.results[0].page_count_parsed == sample.page_count
    until(lambda: not live_group_members(pid), "the drained worker to exit")
    assert log_events(worker, pid)[-1] | {"ts": 0} == {
        "ts": 0,
        "level": "info",
        "event": "worker exiting",
        "reason": "sigterm",
        "jobs": 1,
        "worker_id": f"local-{pid}",
    }


def test_an_idle_worker_exits_after_its_idle_timeout(make_worker, sample_pdf):
    worker = make_worker(idle_timeout_s=0.5)
    pid = worker_pid(worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300))
    until(lambda: not live_group_members(pid), "the idle worker to exit")
    assert not worker.spool.is_registered(pid)
    assert log_events(worker, pid)[-1]["reason"] == "idle"


def test_a_worker_exits_after_max_jobs_and_the_next_job_gets_a_fresh_one(make_worker, sample_pdf):
    worker = make_worker(max_jobs_per_worker=1)
    first = worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300)
    until(lambda: not live_group_members(worker_pid(first)), "the worker to recycle")
    assert log_events(worker, worker_pid(first))[-1]["reason"] == "max_jobs"
    second = worker.wait(worker.submit(job_for(sample_pdf, 1, 1)), timeout_s=300)
    assert worker_pid(second) != worker_pid(first) and second.output.debug.warmup_ms


def test_stale_worker_records_are_ignored_and_removed(make_worker, sample_pdf):
    worker = make_worker()
    spool = worker.spool.create()
    exited = subprocess.Popen(["true"])
    exited.wait()
    stale = [
        WorkerRecord(exited.pid, "1", worker.fingerprint, "2020-01-01T00:00:00+00:00"),  # dead pid
        WorkerRecord(os.getpid(), "1", worker.fingerprint, "2020-01-01T00:00:00+00:00"),  # pid reused
    ]
    for record in stale:
        spool.register(record)
    run = worker.wait(worker.submit(job_for(sample_pdf, 0, 0)), timeout_s=300)
    assert worker_pid(run) not in {record.pid for record in stale}
    assert sorted(path.stem for path in spool.workers.glob("*.json")) == [str(worker_pid(run))]


def test_a_worker_that_cannot_start_is_a_clear_permanent_error(make_worker, sample_pdf, tmp_path):
    worker = make_worker(python=str(tmp_path / "no-such-python"))
    handle = worker.submit(job_for(sample_pdf, 0, 0))
    with pytest.raises(WorkerError, match="no parse worker could be started: cannot run") as caught:
        worker.wait(handle, timeout_s=60)
    assert caught.value.transient is False
    assert not worker.spool.is_queued(handle.job_id)

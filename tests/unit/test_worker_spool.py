"""The spool protocol between LocalWorker and its serve workers, without starting any worker."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from gpu_image.worker.spool import Spool, SpoolError, WorkerRecord, ensure_private_dir


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool").create()


def test_jobs_are_claimed_oldest_first_and_only_once(spool: Spool) -> None:
    for n in range(3):
        spool.enqueue(f"job-{n}", {"input": {"volume_path": f"/d/{n}.pdf"}})
        os.utime(spool.queue / f"job-{n}.json", ns=(n, n))
    first = spool.claim_next(101)
    assert first is not None and first.job_id == "job-0"
    assert first.payload() == {"input": {"volume_path": "/d/0.pdf"}}
    assert spool.claim_owner("job-0") == 101 and not spool.is_queued("job-0")
    assert spool.withdraw("job-0") is False  # claimed: too late to withdraw
    assert spool.withdraw("job-1") is True  # queued: gone before any worker saw it
    second = spool.claim_next(202)
    assert second is not None and second.job_id == "job-2"
    assert spool.claim_next(101) is None and spool.claim_count() == 2


def test_concurrent_claimers_never_share_a_job(spool: Spool) -> None:
    jobs = [f"job-{n}" for n in range(200)]
    for job_id in jobs:
        spool.enqueue(job_id, {"input": {}})
    claimed: dict[int, list[str]] = {pid: [] for pid in range(1, 9)}

    def claimer(pid: int) -> None:
        while (claim := spool.claim_next(pid)) is not None:
            claimed[pid].append(claim.job_id)

    threads = [threading.Thread(target=claimer, args=(pid,)) for pid in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job for taken in claimed.values() for job in taken) == sorted(jobs)


def test_revoke_and_outputs(spool: Spool) -> None:
    spool.enqueue("job", {"input": {}})
    assert spool.claim_next(7) is not None
    assert spool.revoke("job") == 7 and spool.revoke("job") is None
    spool.publish("job", {"ok": True})
    assert spool.has_output("job") and spool.take_output("job") == {"ok": True}
    assert spool.take_output("job") is None
    assert not any(spool.done.iterdir())  # no temp files left behind


def test_worker_records_tell_live_workers_from_stale_ones(spool: Spool) -> None:
    me = WorkerRecord.of_this_process("fp")
    exited = subprocess.Popen(["true"])
    exited.wait()
    stale = [
        WorkerRecord(exited.pid, me.identity, "fp", me.started_at),  # dead
        WorkerRecord(os.getppid(), "1", "fp", me.started_at),  # another process under that pid
    ]
    for record in [me, *stale]:
        spool.register(record)
    assert spool.live_workers("fp") == [me]
    assert sorted(p.stem for p in spool.workers.glob("*.json")) == [str(me.pid)]
    assert spool.live_workers("other-fingerprint") == []


def test_the_spool_must_be_private_to_this_user(tmp_path: Path) -> None:
    assert (Spool(tmp_path / "new").create().root.stat().st_mode & 0o777) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(SpoolError, match="not a private directory"):
        ensure_private_dir(shared)
    target = tmp_path / "target"
    target.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(SpoolError):
        ensure_private_dir(tmp_path / "link")

"""Warm `--serve` worker processes on one spool: the side of the spool the orchestrator's LocalWorker drives.

A job is queued, claimed by a live worker of the same fingerprint and answered in done/; a worker that
dies, a deadline or a cancel ends it, and a cancelled job never leaves an output or a process behind.
A `local_dir` job's result folder goes to the pool's private hand-off folder, for the caller to adopt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpu_image.worker.spool import (
    CODE_ROOT,
    Spool,
    code_digest,
    ensure_private_dir,
    process_group_alive,
    process_identity,
    settings_digest,
)

__all__ = ["PoolError", "PoolJob", "Spool", "WorkerPool"]

POLL_S = 0.02
"""How often `wait` looks for the output file."""
CHECK_EVERY_S = 0.25
"""How often `wait` checks that a queued job has a worker, or that a running job's worker lives."""
WORKER_START_TIMEOUT_S = 60.0
"""A started worker must write its record within this time (it does so before importing the engine)."""

LOG_RETENTION_S = 7 * 24 * 3600
"""Worker logs (kept after exit for diagnosis) older than this are removed when a worker starts."""
OUTPUT_RETENTION_S = 24 * 3600
"""A job output or result folder nobody took for this long (its orchestrator was killed) is removed at the
next submit."""


class PoolError(RuntimeError):
    """The job produced no output; `transient` says whether a retry can help."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class _StartError(RuntimeError):
    """No serve worker could be started (bad interpreter, crash at import, no registration in time)."""


@dataclass
class PoolJob:
    """A job queued on a pool's spool, and what waiting for it learned."""

    job_id: str
    spool: Spool
    fingerprint: str
    submitted_at: float
    """`time.monotonic()` when it was submitted."""
    start_error: str | None = None
    claimed_at: float | None = None
    """`time.monotonic()` when `wait` first saw a worker's claim on it."""


@dataclass(frozen=True)
class WorkerPool:
    """Serve workers running `python -m gpu_image.worker.local --serve`, shared through a spool directory.

    Each fingerprint (code, engine, tier, interpreter, settings) gets its own spool under `spool_base`
    (None: a private `parse-workers-<uid>` in the system temp dir). Workers outlive the run that started
    them (their own session), until idle, `max_jobs_per_worker` or the RSS limit.
    """

    engine_version: str
    tier: str
    python: str
    """Absolute path of the workers' interpreter."""
    spool_base: Path | None
    max_workers: int
    idle_timeout_s: float
    max_jobs_per_worker: int
    max_worker_rss_mb: float
    kill_grace_s: float
    handoff_base: Path | None = None
    """Where `local_dir` jobs leave their result folders (None: `handoff` beside the spools); on the
    caller's data filesystem, so that adopting one is a rename."""

    @property
    def fingerprint(self) -> str:
        """Which workers may serve this pool's jobs: a change of code or settings means new workers."""
        parts = [code_digest(), self.engine_version, self.tier, self.python, settings_digest()]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

    @property
    def spool(self) -> Spool:
        """The spool of this pool's fingerprint (`submit` creates it)."""
        return self._spool_for(self.fingerprint)

    def _spool_for(self, fingerprint: str) -> Spool:
        return Spool(self._base() / fingerprint)

    def _base(self) -> Path:
        return self.spool_base or Path(tempfile.gettempdir()) / f"parse-workers-{os.getuid()}"

    def new_result_dir(self) -> Path:
        """A fresh path in the private hand-off folder for a `local_dir` job's result (the worker creates
        it); result folders nobody took within `OUTPUT_RETENTION_S` are removed first."""
        base = self.handoff_base or self._base() / "handoff"
        if self.handoff_base is None and self.spool_base is None:
            ensure_private_dir(base.parent)  # in the shared temp dir: ours alone, or refused
        base.parent.mkdir(parents=True, exist_ok=True)
        ensure_private_dir(base)
        cutoff = time.time() - OUTPUT_RETENTION_S
        for entry in os.scandir(base):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)
        return base / f"result-{uuid.uuid4().hex[:12]}"

    def submit(self, payload: dict[str, Any]) -> PoolJob:
        """Queue `payload` and make sure enough workers are alive (a start failure is kept for `wait`)."""
        submitted_at = time.monotonic()
        fingerprint, spool = self._created_spool()
        spool.sweep_outputs(OUTPUT_RETENTION_S)
        job = PoolJob(f"local-{uuid.uuid4().hex[:12]}", spool, fingerprint, submitted_at)
        spool.enqueue(job.job_id, payload)
        job.start_error = self._ensure_workers(spool, fingerprint)
        return job

    def wait(self, job: PoolJob, timeout_s: float) -> Any:
        """The job's output JSON; raise PoolError when it was cancelled, its worker died, no worker could
        start or `timeout_s` passed (the job is cancelled then)."""
        spool = job.spool
        deadline = time.monotonic() + max(timeout_s, 0.0)
        next_check = 0.0
        while (raw := spool.take_output(job.job_id)) is None:
            now = time.monotonic()
            if spool.is_queued(job.job_id):
                if now >= next_check:
                    self._check_queued(job)
                    next_check = now + CHECK_EVERY_S
            elif (owner := spool.claim_owner(job.job_id)) is not None:
                if job.claimed_at is None:
                    job.claimed_at = now
                if now >= next_check:
                    self._check_owner(job, owner)
                    next_check = now + CHECK_EVERY_S
            elif not spool.has_output(job.job_id):  # not queued, claimed nor done
                raise PoolError(f"job {job.job_id} is no longer in the spool (cancelled)", transient=True)
            if now >= deadline:
                self.cancel(job)
                raise PoolError(f"job {job.job_id} passed its {timeout_s:.0f}s deadline", transient=True)
            time.sleep(POLL_S)
        return raw

    def cancel(self, job: PoolJob) -> None:
        """Withdraw the job, or stop the worker running it; an output that raced the cancel is discarded.
        Safe to call twice."""
        spool = job.spool
        if spool.withdraw(job.job_id):
            return  # still queued: it never ran
        owner = spool.revoke(job.job_id)
        if owner is not None:
            self._stop_worker(spool, owner, unless_done=job.job_id)
        spool.take_output(job.job_id)

    def stop_workers(self) -> None:
        """Stop this spool's live workers: SIGTERM (each drains its job in hand), SIGKILL after the grace."""
        spool = self.spool
        if spool.workers.is_dir():
            for record in spool.live_workers(self.fingerprint):
                self._stop_worker(spool, record.pid)

    def start_workers(self) -> str | None:
        """Start a worker now if none of this pool's is alive, so that it warms up (its boot warmup) before
        the first job comes; an error message, or None (a job then reports it)."""
        fingerprint, spool = self._created_spool()
        return self._ensure_workers(spool, fingerprint, at_least=1)

    def _created_spool(self) -> tuple[str, Spool]:
        """This pool's fingerprint and its spool, created (in the shared temp dir: ours alone, or refused)."""
        fingerprint = self.fingerprint
        spool = self._spool_for(fingerprint)
        if self.spool_base is None:
            ensure_private_dir(spool.root.parent)
        spool.create()
        return fingerprint, spool

    def _ensure_workers(self, spool: Spool, fingerprint: str, at_least: int = 0) -> str | None:
        """Start workers until min(max_workers, queued + running, or `at_least`) are alive; an error
        message, or None."""

        def missing() -> int:
            busy = len(spool.queued_ids()) + spool.claim_count()
            wanted = min(self.max_workers, max(busy, at_least))
            return wanted - len(spool.live_workers(fingerprint))

        if missing() <= 0:
            return None
        with spool.start_lock():
            try:
                for _ in range(missing()):
                    self._start_worker(spool, fingerprint)
            except _StartError as error:
                return str(error)
        return None

    def _start_worker(self, spool: Spool, fingerprint: str) -> None:
        """Start one detached serve worker and wait until it has registered (its record is written)."""
        for old in spool.logs.glob("*.log"):
            with contextlib.suppress(FileNotFoundError):
                if old.stat().st_mtime < time.time() - LOG_RETENTION_S:
                    old.unlink()
        starting = spool.logs / f"starting-{uuid.uuid4().hex[:8]}.log"
        command = [
            self.python, "-m", "gpu_image.worker.local", "--serve", "--spool", str(spool.root),
            "--fingerprint", fingerprint, "--idle-timeout-s", str(self.idle_timeout_s),
            "--max-jobs", str(self.max_jobs_per_worker), "--max-rss-mb", str(self.max_worker_rss_mb),
            "--warmup-tier", self.tier,
        ]  # fmt: skip
        try:
            with starting.open("wb") as log:  # the worker keeps its own descriptor
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    cwd=CODE_ROOT,  # run the very code the fingerprint hashed
                    start_new_session=True,  # outlives this run; cancel kills MinerU's render children too
                )
        except OSError as error:
            starting.unlink(missing_ok=True)
            raise _StartError(f"cannot run {self.python}: {error}") from None
        _STARTED[process.pid] = process
        starting.rename(spool.log_path(process.pid))
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while not spool.is_registered(process.pid):
            if process.poll() is not None:
                raise _StartError(
                    f"the parse worker exited with {process.returncode} while starting: "
                    f"{spool.log_tail(process.pid)}"
                )
            if time.monotonic() > deadline:
                _signal_group(process.pid, signal.SIGKILL)
                raise _StartError(f"the parse worker did not start within {WORKER_START_TIMEOUT_S:.0f}s")
            time.sleep(0.01)

    def _check_queued(self, job: PoolJob) -> None:
        """A queued job needs a live worker: start one if none is (a worker may have just recycled)."""
        spool = job.spool
        error, job.start_error = job.start_error, None
        error = error or self._ensure_workers(spool, job.fingerprint)
        if error and not spool.live_workers(job.fingerprint) and spool.withdraw(job.job_id):
            raise PoolError(f"no parse worker could be started: {error}", transient=False)

    def _check_owner(self, job: PoolJob, owner: int) -> None:
        """The worker running the job must still be alive; if it died, the job is lost (retry it)."""
        spool = job.spool
        _reap_started()
        if spool.is_live(owner, job.fingerprint) or spool.has_output(job.job_id):
            return
        spool.revoke(job.job_id)
        _signal_group(owner, signal.SIGKILL)  # render children of the dead worker, if any are left
        tail = spool.job_log(owner, job.job_id)
        spool.unregister(owner)
        raise PoolError(f"parse worker {owner} died running job {job.job_id}: {tail}", transient=True)

    def _stop_worker(self, spool: Spool, pid: int, *, unless_done: str | None = None) -> None:
        """SIGTERM worker `pid`, SIGKILL it after `kill_grace_s`, then what is left of its process group.

        A worker whose claim was revoked exits at once on SIGTERM; otherwise it drains the job in hand
        (its render processes must live for that, so they are not signalled first). With
        `unless_done`: a worker that finished that job meanwhile is left alone, as it may be
        draining another run's job.
        """
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_grace_s
        while _alive(pid) and time.monotonic() < deadline:
            if unless_done is not None and spool.has_output(unless_done):
                return
            time.sleep(0.02)
        _signal_group(pid, signal.SIGKILL)  # a worker that did not stop, and its render processes
        deadline = time.monotonic() + self.kill_grace_s
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        spool.unregister(pid)


_STARTED: dict[int, subprocess.Popen[bytes]] = {}
"""Workers this process started: kept so they can be reaped (a zombie is not a live worker)."""


def _reap_started() -> None:
    for pid, process in list(_STARTED.items()):
        if process.poll() is not None:
            del _STARTED[pid]


def _alive(pid: int) -> bool:
    _reap_started()
    return process_identity(pid) is not None


def _group_alive(pgid: int) -> bool:
    _reap_started()
    return process_group_alive(pgid)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)

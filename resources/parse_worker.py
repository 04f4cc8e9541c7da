"""Parse workers: hand a typed job to the worker code in `gpu_image/` and get a typed result back.

`LocalWorker` (the embedded default) runs that code with MinerU's CPU `flash` tier in warm local
worker processes fed through a spool directory; a RunPod worker implements the same submit / wait /
cancel over HTTP.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from gpu_image.worker.contract import JobInput, JobOutput, Transport
from gpu_image.worker.spool import (
    PACKAGE_ROOT,
    Spool,
    code_digest,
    ensure_private_dir,
    process_group_alive,
    process_identity,
    settings_digest,
)


class WorkerError(RuntimeError):
    """The job did not produce a usable result; `transient` says whether a retry can help."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass
class JobHandle:
    job_id: str
    submitted_at: float
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerRun:
    """A finished job: the worker's output, its result archive and what the orchestrator measured."""

    job_id: str
    output: JobOutput
    queue_wait_s: float
    execution_s: float
    archive: bytes = field(default=b"", repr=False)
    """The result archive (`results[0].archive_format`), whatever transport carried it."""


class ParseWorker(dg.ConfigurableResource):
    """Runs parse jobs (the worker contract of DESIGN.md section 5)."""

    @property
    @abstractmethod
    def engine_identity(self) -> tuple[str, str]:
        """(engine version, tier) this worker will parse with: part of a batch's fingerprint."""

    @property
    def transport(self) -> Transport:
        """How this worker's results travel back (the `transport` of the jobs built for it)."""
        return "tarball_b64"

    def capacity(self) -> int | None:
        """Jobs the backend runs at once (the `runpod_gpu` pool follows it); None when unknown."""
        return None

    @abstractmethod
    def submit(self, job: JobInput) -> JobHandle: ...

    @abstractmethod
    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        """Block until the job finishes; raise WorkerError on failure or timeout."""

    @abstractmethod
    def cancel(self, handle: JobHandle) -> None:
        """Stop the job (run terminated, deadline passed); safe to call twice."""


class WorkerStartError(RuntimeError):
    """No serve worker could be started (bad interpreter, crash at import, no registration in time)."""


POLL_S = 0.02
"""How often `wait` looks for the output file."""
CHECK_EVERY_S = 0.25
"""How often `wait` checks that a queued job has a worker, or that a running job's worker lives."""
WORKER_START_TIMEOUT_S = 60.0
"""A started worker must write its record within this time (it does so before importing the engine)."""

LOG_RETENTION_S = 7 * 24 * 3600
"""Worker logs (kept after exit for diagnosis) older than this are removed when a worker starts."""
OUTPUT_RETENTION_S = 24 * 3600
"""A job output nobody took for this long (its orchestrator was killed) is removed at the next submit."""


class LocalWorker(ParseWorker):
    """MinerU on this machine's CPU, in warm worker processes shared through a spool directory.

    `submit` queues the job and makes sure enough workers are alive; each worker serves jobs one at a
    time and outlives the run that started it (its own session), until idle, `max_jobs_per_worker` or
    its RSS limit. The first job of a worker pays the cold start (`debug.cold_start`).
    """

    tier: str = Field(default="flash", description="MinerU 4 tier; only `flash` needs no model weights")
    python: str = Field(default="", description="interpreter for the worker processes (default: this one)")
    kill_grace_s: float = Field(default=10.0, description="SIGTERM to SIGKILL grace on cancel")
    spool_dir: str = Field(
        default="",
        description="base folder of the spools (default: parse-workers-<uid> in the system temp dir); "
        "each worker fingerprint (code, engine, tier, interpreter, settings) gets its own spool in it",
    )
    max_workers: int = Field(
        default=1,
        ge=1,
        description="workers of one spool at most (the runpod_gpu pool bounds concurrent runs)",
    )
    idle_timeout_s: float = Field(
        default=300.0, gt=0, description="a worker exits after this long without a job"
    )
    max_jobs_per_worker: int = Field(default=200, ge=1, description="a worker exits after this many jobs")
    max_worker_rss_mb: float = Field(
        default=4096.0,
        gt=0,
        description="a worker exits after a job that leaves its process group above this",
    )

    @property
    def engine_identity(self) -> tuple[str, str]:
        from importlib.metadata import version

        return version("mineru"), self.tier

    def capacity(self) -> int | None:
        return self.max_workers

    @property
    def fingerprint(self) -> str:
        """Which workers may serve this resource's jobs: a change of code or settings means new workers."""
        engine_version, tier = self.engine_identity
        parts = [code_digest(), engine_version, tier, self._python, settings_digest()]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

    @property
    def spool(self) -> Spool:
        """The spool of this resource's fingerprint (`submit` creates it)."""
        return self._spool_for(self.fingerprint)

    def _spool_for(self, fingerprint: str) -> Spool:
        base = Path(self.spool_dir) if self.spool_dir else _default_spool_base()
        return Spool(base / fingerprint)

    @property
    def _python(self) -> str:
        return os.path.abspath(self.python or sys.executable)

    def submit(self, job: JobInput) -> JobHandle:
        submitted_at = time.monotonic()
        fingerprint = self.fingerprint
        spool = self._spool_for(fingerprint)
        if not self.spool_dir:
            ensure_private_dir(spool.root.parent)  # in the shared temp dir: ours alone, or refused
        spool.create()
        spool.sweep_outputs(OUTPUT_RETENTION_S)
        job_id = f"local-{uuid.uuid4().hex[:12]}"
        spool.enqueue(job_id, {"input": job.model_dump(exclude_none=True)})
        state: dict[str, Any] = {"spool": spool, "fingerprint": fingerprint}
        state["start_error"] = self._ensure_workers(spool, fingerprint)
        return JobHandle(job_id=job_id, submitted_at=submitted_at, state=state)

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        spool: Spool = handle.state["spool"]
        deadline = time.monotonic() + max(timeout_s, 0.0)
        next_check = 0.0
        while (raw := spool.take_output(handle.job_id)) is None:
            now = time.monotonic()
            if spool.is_queued(handle.job_id):
                if now >= next_check:
                    self._check_queued(handle)
                    next_check = now + CHECK_EVERY_S
            elif (owner := spool.claim_owner(handle.job_id)) is not None:
                handle.state.setdefault("claimed_at", now)
                if now >= next_check:
                    self._check_owner(handle, owner)
                    next_check = now + CHECK_EVERY_S
            elif not spool.has_output(handle.job_id):  # not queued, claimed nor done
                raise WorkerError(
                    f"job {handle.job_id} is no longer in the spool (cancelled)", transient=True
                )
            if now >= deadline:
                self.cancel(handle)
                raise WorkerError(f"job {handle.job_id} passed its {timeout_s:.0f}s deadline", transient=True)
            time.sleep(POLL_S)
        if "error" in raw:
            raise WorkerError(f"worker reported: {raw['error']}", transient=False)
        output = JobOutput.model_validate(raw)
        try:
            archive = base64.b64decode(output.results[0].tarball_b64 or "", validate=True)
        except (binascii.Error, IndexError) as error:
            message = f"job {handle.job_id} returned no usable archive: {error}"
            raise WorkerError(message, transient=False) from None
        done_at = time.monotonic()
        claimed_at = handle.state.get("claimed_at", done_at - output.elapsed_seconds)
        return WorkerRun(
            job_id=handle.job_id,
            output=output,
            queue_wait_s=max(claimed_at - handle.submitted_at, 0.0),
            execution_s=output.elapsed_seconds,
            archive=archive,
        )

    def cancel(self, handle: JobHandle) -> None:
        spool: Spool = handle.state["spool"]
        if spool.withdraw(handle.job_id):
            return  # still queued: it never ran
        owner = spool.revoke(handle.job_id)
        if owner is not None:
            self._stop_worker(spool, owner, unless_done=handle.job_id)
        spool.take_output(handle.job_id)  # an output that raced the cancel is discarded

    def stop_workers(self) -> None:
        """Stop this spool's live workers: SIGTERM (each drains its job in hand), SIGKILL after the grace."""
        spool = self.spool
        if spool.workers.is_dir():
            for record in spool.live_workers(self.fingerprint):
                self._stop_worker(spool, record.pid)

    def _ensure_workers(self, spool: Spool, fingerprint: str) -> str | None:
        """Start workers until min(max_workers, queued + running) are alive; an error message, or None."""

        def missing() -> int:
            wanted = min(self.max_workers, len(spool.queued_ids()) + spool.claim_count())
            return wanted - len(spool.live_workers(fingerprint))

        if missing() <= 0:
            return None
        with spool.start_lock():
            try:
                for _ in range(missing()):
                    self._start_worker(spool, fingerprint)
            except WorkerStartError as error:
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
            self._python, "-m", "gpu_image.worker.local", "--serve", "--spool", str(spool.root),
            "--fingerprint", fingerprint, "--idle-timeout-s", str(self.idle_timeout_s),
            "--max-jobs", str(self.max_jobs_per_worker), "--max-rss-mb", str(self.max_worker_rss_mb),
        ]  # fmt: skip
        try:
            with starting.open("wb") as log:  # the worker keeps its own descriptor
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    cwd=PACKAGE_ROOT.parent,  # run the very code the fingerprint hashed
                    start_new_session=True,  # outlives this run; cancel kills MinerU's render children too
                )
        except OSError as error:
            starting.unlink(missing_ok=True)
            raise WorkerStartError(f"cannot run {self._python}: {error}") from None
        _STARTED[process.pid] = process
        starting.rename(spool.log_path(process.pid))
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while not spool.is_registered(process.pid):
            if process.poll() is not None:
                raise WorkerStartError(
                    f"the parse worker exited with {process.returncode} while starting: "
                    f"{spool.log_tail(process.pid)}"
                )
            if time.monotonic() > deadline:
                _signal_group(process.pid, signal.SIGKILL)
                raise WorkerStartError(f"the parse worker did not start within {WORKER_START_TIMEOUT_S:.0f}s")
            time.sleep(0.01)

    def _check_queued(self, handle: JobHandle) -> None:
        """A queued job needs a live worker: start one if none is (a worker may have just recycled)."""
        spool: Spool = handle.state["spool"]
        error = handle.state.pop("start_error", None) or self._ensure_workers(
            spool, handle.state["fingerprint"]
        )
        if error and not spool.live_workers(handle.state["fingerprint"]) and spool.withdraw(handle.job_id):
            raise WorkerError(f"no parse worker could be started: {error}", transient=False)

    def _check_owner(self, handle: JobHandle, owner: int) -> None:
        """The worker running the job must still be alive; if it died, the job is lost (retry it)."""
        spool: Spool = handle.state["spool"]
        _reap_started()
        if spool.is_live(owner, handle.state["fingerprint"]) or spool.has_output(handle.job_id):
            return
        spool.revoke(handle.job_id)
        _signal_group(owner, signal.SIGKILL)  # render children of the dead worker, if any are left
        tail = spool.job_log(owner, handle.job_id)
        spool.unregister(owner)
        raise WorkerError(f"parse worker {owner} died running job {handle.job_id}: {tail}", transient=True)

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


def _default_spool_base() -> Path:
    return Path(tempfile.gettempdir()) / f"parse-workers-{os.getuid()}"


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

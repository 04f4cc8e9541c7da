"""Parse workers: hand a typed job to the worker code in `gpu_image/` and get a typed result back.

`LocalWorker` (the embedded default) runs that code with MinerU's CPU `flash` tier in warm local
worker processes fed through a spool directory, which leave each result as a folder for the batch store
to adopt by rename (`local_dir`); a RunPod worker implements the same submit / wait / cancel over HTTP.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import sys
import time
from abc import abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

# The one import of the worker's code (an `.importlinter` ignore): the serve workers and their spool.
from gpu_image.worker.pool import PoolError, Spool, WorkerPool
from platform_assets.domain.parse.ports import WorkerError
from resources.settings import LocalTransport, PlatformSettings
from worker_contract.contract import JobInput, JobOutput, Transport


@dataclass
class JobHandle:
    job_id: str
    submitted_at: float
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerRun:
    """A finished job: the worker's output, its result (archive or folder), what the orchestrator measured."""

    job_id: str
    output: JobOutput
    queue_wait_s: float
    execution_s: float
    archive: bytes = field(default=b"", repr=False)
    """The result archive (`results[0].archive_format`), whatever transport carried it; empty with
    `result_dir`."""
    result_dir: Path | None = None
    """The result folder a local worker left on this machine (`local_dir`), for the store to adopt."""


class ParseWorker(dg.ConfigurableResource):
    """Runs parse jobs (the worker contract of docs/design.md §5)."""

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


class LocalWorker(ParseWorker):
    """MinerU on this machine's CPU, in warm worker processes shared through a spool directory.

    `submit` queues the job and makes sure enough workers are alive; each worker serves jobs one at a
    time and outlives the run that started it (its own session), until idle, `max_jobs_per_worker` or
    its RSS limit. The first job of a worker pays the cold start (`debug.cold_start`). With the
    `local_dir` transport a job's result is a folder the worker leaves in `handoff_dir`.
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
    result_transport: LocalTransport = Field(
        default=PlatformSettings.local_transport,
        description="`local_dir`: the worker leaves its result as a folder in `handoff_dir`, adopted by "
        "rename; `tarball_b64`: an archive through the spool, for workers on another machine that "
        "share only the spool (`PLATFORM_LOCAL_TRANSPORT`)",
    )
    handoff_dir: str = Field(
        default="",
        description="where workers leave result folders (default: `handoff` beside the spools); on the "
        "data folder's filesystem adopting one is a rename, elsewhere a copy",
    )

    @property
    def transport(self) -> Transport:
        return self.result_transport

    @property
    def engine_identity(self) -> tuple[str, str]:
        from importlib.metadata import version

        return version("mineru"), self.tier

    def capacity(self) -> int | None:
        return self.max_workers

    @property
    def fingerprint(self) -> str:
        """Which workers may serve this resource's jobs: a change of code or settings means new workers."""
        return self._pool().fingerprint

    @property
    def spool(self) -> Spool:
        """The spool of this resource's fingerprint (`submit` creates it)."""
        return self._pool().spool

    def _pool(self) -> WorkerPool:
        engine_version, tier = self.engine_identity
        return WorkerPool(
            engine_version=engine_version,
            tier=tier,
            python=os.path.abspath(self.python or sys.executable),
            spool_base=Path(self.spool_dir) if self.spool_dir else None,
            max_workers=self.max_workers,
            idle_timeout_s=self.idle_timeout_s,
            max_jobs_per_worker=self.max_jobs_per_worker,
            max_worker_rss_mb=self.max_worker_rss_mb,
            kill_grace_s=self.kill_grace_s,
            handoff_base=Path(self.handoff_dir) if self.handoff_dir else None,
        )

    def submit(self, job: JobInput) -> JobHandle:
        """Queue the job, or take the same job read ahead (`read_ahead`); a `local_dir` job gets a fresh
        result folder path in the hand-off folder."""
        handle = _READ_AHEAD.pop(self._parse_key(job), None)
        if handle is not None:  # its queue time counts from now: the wait this run had, not the read-ahead's
            return replace(handle, submitted_at=time.monotonic())
        return self._submit(job)

    def read_ahead(self, job: JobInput) -> str:
        """Queue `job` before the run that parses it starts, so that the worker goes from one batch to the
        next without waiting for Dagster in between: that run's `submit` of the same job (the same pages,
        tier and transport) takes this one, queued, running or done. For runs of this process only
        (`ingest --wait`); `withdraw_read_ahead` cancels what no run took. Returns the job's id (the one
        queued before, if the same job was)."""
        key = self._parse_key(job)
        if key not in _READ_AHEAD:
            _READ_AHEAD[key] = self._submit(job)
        return _READ_AHEAD[key].job_id

    def withdraw_read_ahead(self, job: JobInput | None = None) -> int:
        """Cancel `job` if it was read ahead and no run took it (None: every such job of this worker's
        spool); how many were cancelled."""
        prefix = f"{self.spool.root}\0"
        keys = [self._parse_key(job)] if job is not None else [k for k in _READ_AHEAD if k.startswith(prefix)]
        handles = [handle for key in keys if (handle := _READ_AHEAD.pop(key, None)) is not None]
        for handle in handles:
            self.cancel(handle)
        return len(handles)

    def _parse_key(self, job: JobInput) -> str:
        """What makes two jobs of this worker's spool the same parse: all but the result folder and the
        trace context."""
        return f"{self.spool.root}\0{job.model_dump_json(exclude={'result_dir', 'trace_context'})}"

    def _submit(self, job: JobInput) -> JobHandle:
        pool = self._pool()
        state: dict[str, Any] = {}
        if job.transport == "local_dir":
            state["result_dir"] = pool.new_result_dir()
            job = job.model_copy(update={"result_dir": str(state["result_dir"])})
        queued = pool.submit({"input": job.model_dump(exclude_none=True)})
        return JobHandle(
            job_id=queued.job_id, submitted_at=queued.submitted_at, state={"queued": queued, **state}
        )

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        try:
            return self._finished(handle, timeout_s)
        except WorkerError:
            _discard(handle)  # whatever a failed job left in the hand-off folder
            raise

    def _finished(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        queued = handle.state["queued"]
        result_dir: Path | None = handle.state.get("result_dir")
        try:
            raw = self._pool().wait(queued, timeout_s)
        except PoolError as error:
            raise WorkerError(str(error), transient=error.transient) from None
        if "error" in raw:
            raise WorkerError(f"worker reported: {raw['error']}", transient=False)
        output = JobOutput.model_validate(raw)
        archive = b""
        if result_dir is not None:
            if [r.result_dir for r in output.results] != [str(result_dir)]:
                message = f"job {handle.job_id} did not leave its result in the folder it was given"
                raise WorkerError(message, transient=False)
        else:
            try:
                archive = base64.b64decode(output.results[0].tarball_b64 or "", validate=True)
            except (binascii.Error, IndexError) as error:
                message = f"job {handle.job_id} returned no usable archive: {error}"
                raise WorkerError(message, transient=False) from None
        done_at = time.monotonic()
        claimed_at = queued.claimed_at if queued.claimed_at is not None else done_at - output.elapsed_seconds
        return WorkerRun(
            job_id=handle.job_id,
            output=output,
            queue_wait_s=max(claimed_at - handle.submitted_at, 0.0),
            execution_s=output.elapsed_seconds,
            archive=archive,
            result_dir=result_dir,
        )

    def cancel(self, handle: JobHandle) -> None:
        self._pool().cancel(handle.state["queued"])
        _discard(handle)

    def start_workers(self) -> None:
        """Start a worker now, if none is alive, to warm up before the first job comes (a start failure
        is left for that job to report)."""
        self._pool().start_workers()

    def stop_workers(self) -> None:
        """Stop this spool's live workers: SIGTERM (each drains its job in hand), SIGKILL after the grace."""
        self._pool().stop_workers()


_READ_AHEAD: dict[str, JobHandle] = {}
"""Jobs `LocalWorker.read_ahead` queued in this process for a later run of it to take, by `_parse_key`."""


def _discard(handle: JobHandle) -> None:
    """Remove the job's result folder, if it has one and it is still there."""
    if (result_dir := handle.state.get("result_dir")) is not None:
        shutil.rmtree(result_dir, ignore_errors=True)

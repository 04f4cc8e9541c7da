"""Parse workers: hand a typed job to the worker code in `gpu_image/` and get a typed result back.

`LocalWorker` (the embedded default) runs that code with MinerU's CPU `flash` tier in a child
process per job; a RunPod worker implements the same submit / wait / cancel over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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

from gpu_image.worker.contract import JobInput, JobOutput


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
    """A finished job: the worker's output plus what the orchestrator measured around it."""

    job_id: str
    output: JobOutput
    queue_wait_s: float
    execution_s: float


class ParseWorker(dg.ConfigurableResource):
    """Runs parse jobs (the worker contract of DESIGN.md section 5)."""

    @property
    @abstractmethod
    def engine_identity(self) -> tuple[str, str]:
        """(engine version, tier) this worker will parse with: part of a batch's fingerprint."""

    @abstractmethod
    def submit(self, job: JobInput) -> JobHandle: ...

    @abstractmethod
    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        """Block until the job finishes; raise WorkerError on failure or timeout."""

    @abstractmethod
    def cancel(self, handle: JobHandle) -> None:
        """Stop the job (run terminated, deadline passed); safe to call twice."""


class LocalWorker(ParseWorker):
    """MinerU on this machine's CPU, one child process (and process group) per job."""

    tier: str = Field(default="flash", description="MinerU 4 tier; only `flash` needs no model weights")
    python: str = Field(default="", description="interpreter for the child process (default: this one)")
    kill_grace_s: float = Field(default=10.0, description="SIGTERM to SIGKILL grace on cancel")

    @property
    def engine_identity(self) -> tuple[str, str]:
        from importlib.metadata import version

        return version("mineru"), self.tier

    def submit(self, job: JobInput) -> JobHandle:
        workdir = Path(tempfile.mkdtemp(prefix="parse-job-"))
        output = workdir / "output.json"
        with (workdir / "worker.log").open("wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [self.python or sys.executable, "-m", "gpu_image.worker.local", "--output", str(output)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # MinerU spawns render processes: cancel kills the whole group
                env={**os.environ, "WORKER_ID": f"local-{os.uname().nodename}"},
            )
        assert process.stdin is not None
        process.stdin.write(json.dumps({"input": job.model_dump(exclude_none=True)}).encode())
        process.stdin.close()
        return JobHandle(
            job_id=f"local-{uuid.uuid4().hex[:12]}",
            submitted_at=time.monotonic(),
            state={"process": process, "output": output, "workdir": workdir},
        )

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        process: subprocess.Popen[bytes] = handle.state["process"]
        try:
            process.wait(timeout=max(timeout_s, 0.0))
        except subprocess.TimeoutExpired:
            self.cancel(handle)
            raise WorkerError(
                f"job {handle.job_id} passed its {timeout_s:.0f}s deadline", transient=True
            ) from None
        wall = time.monotonic() - handle.submitted_at
        workdir: Path = handle.state["workdir"]
        try:
            output_path: Path = handle.state["output"]
            if process.returncode != 0 or not output_path.is_file():
                tail = (workdir / "worker.log").read_bytes()[-2000:].decode("utf-8", "replace")
                raise WorkerError(
                    f"worker process exited with {process.returncode} and no output: {tail.strip()[-500:]}",
                    transient=True,
                )
            raw = json.loads(output_path.read_bytes())
        finally:
            _remove_tree(workdir)
        if "error" in raw:
            raise WorkerError(f"worker reported: {raw['error']}", transient=False)
        output = JobOutput.model_validate(raw)
        return WorkerRun(
            job_id=handle.job_id,
            output=output,
            queue_wait_s=max(wall - output.elapsed_seconds, 0.0),
            execution_s=output.elapsed_seconds,
        )

    def cancel(self, handle: JobHandle) -> None:
        process: subprocess.Popen[bytes] = handle.state["process"]
        if process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=self.kill_grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

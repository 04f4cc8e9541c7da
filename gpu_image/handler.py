"""RunPod entry point: boot (logging, fitness, warmup) and job serving composed under ONE asyncio loop.

Invariant: the warmup and every job are awaited on the loop that runs the SDK's JobScaler (docs/design.md
§5), and a job that was taken is finished and posted before the process exits (SIGTERM drains).
Run: `python -u -m gpu_image.handler`. The parse logic lives in `gpu_image.worker`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, get_args

from runpod.http_client import AsyncClientSession
from runpod.serverless.modules.rp_fitness import run_fitness_checks
from runpod.serverless.modules.rp_logger import RunPodLogger
from runpod.serverless.modules.rp_ping import Heartbeat
from runpod.serverless.modules.rp_scale import JobScaler
from runpod.version import __version__ as RUNPOD_VERSION

from gpu_image.worker.fitness import fitness_problems
from gpu_image.worker.job import run_job
from gpu_image.worker.job_telemetry import start_worker_telemetry
from gpu_image.worker.local import OFFLINE_ENV, JsonLogFormatter
from gpu_image.worker.spool import group_rss_mb
from gpu_image.worker.warmup import WarmupError, run_warmup
from telemetry import shutdown
from worker_contract.contract import DEFAULT_TIER, Tier
from worker_contract.redaction import redact

log = logging.getLogger("gpu_image.worker")

EXIT_OK, EXIT_UNFIT = 0, 1
_loop_serials: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = weakref.WeakKeyDictionary()
_next_serial = itertools.count(1)


def loop_serial(loop: asyncio.AbstractEventLoop) -> int:
    """A number per loop object, never reused in this process (unlike `id()`): logged to prove one loop."""
    if loop not in _loop_serials:
        _loop_serials[loop] = next(_next_serial)
    return _loop_serials[loop]


class SettingsError(ValueError):
    """A WORKER_* / MINERU_* environment setting is malformed."""


@dataclass(frozen=True)
class WorkerSettings:
    """What this worker serves and when it retires. Read from the environment by `from_env`."""

    tier: Tier = DEFAULT_TIER
    """WORKER_TIER: the tier fitness checks and the warmup prepare (jobs may still name another)."""
    concurrency: int = 1
    """WORKER_CONCURRENCY: jobs run at once (1: one vLLM KV cache; throughput comes from workersMax)."""
    max_jobs: int = 0
    """WORKER_MAX_JOBS: retire after this many jobs (0: never)."""
    max_rss_mb: float = 0.0
    """WORKER_MAX_RSS_MB: retire after a job that leaves the process group above this RSS (0: never)."""
    skip_warmup: bool = False
    """MINERU_SKIP_WARMUP=1: take jobs without the boot warmup parse."""
    heartbeat_s: float = 60.0
    """WORKER_HEARTBEAT_S: interval of the `heartbeat` log line."""
    worker_id: str = ""
    """RUNPOD_POD_ID (reported in debug.worker_id), else `runpod-<pid>`."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WorkerSettings:
        """Parse the environment; raise `SettingsError` naming the variable at fault."""
        env = dict(os.environ) if env is None else env
        tier = env.get("WORKER_TIER", DEFAULT_TIER)
        if tier not in get_args(Tier):
            raise SettingsError(f"WORKER_TIER must be one of {', '.join(get_args(Tier))}, not {tier!r}")

        def number(name: str, default: float, minimum: float, kind: type = int) -> Any:
            raw = env.get(name, "")
            try:
                value = kind(raw) if raw else kind(default)
            except ValueError:
                raise SettingsError(f"{name} must be a {kind.__name__}, not {raw!r}") from None
            if value < minimum:
                raise SettingsError(f"{name} must be at least {minimum}, not {raw!r}")
            return value

        return cls(
            tier=tier,  # type: ignore[arg-type]
            concurrency=number("WORKER_CONCURRENCY", 1, 1),
            max_jobs=number("WORKER_MAX_JOBS", 0, 0),
            max_rss_mb=number("WORKER_MAX_RSS_MB", 0.0, 0.0, float),
            skip_warmup=env.get("MINERU_SKIP_WARMUP", "") in ("1", "true", "yes"),
            heartbeat_s=number("WORKER_HEARTBEAT_S", 60.0, 0.1, float),
            worker_id=env.get("RUNPOD_POD_ID") or f"runpod-{os.getpid()}",
        )


def on_runpod() -> bool:
    """True when RunPod started this process (the SDK's own test: a job-take URL is configured)."""
    return bool(os.environ.get("RUNPOD_WEBHOOK_GET_JOB"))


def init_logging() -> None:
    """JSON lines on stderr for our events; the SDK's own lines (stdout) at INFO unless told otherwise."""
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonLogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[stream], force=True)
    RunPodLogger().set_level(os.environ.get("RUNPOD_LOG_LEVEL", "INFO"))


def init_telemetry(settings: WorkerSettings) -> None:
    """OpenTelemetry when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (docs/design.md §6): providers, log bridge.

    It runs before fitness and warmup so that the `mineru.warmup` boot span and `mineru.job` spans export.
    """
    if start_worker_telemetry(settings.worker_id, {"mineru.tier": settings.tier}).enabled:
        log.info("telemetry on", extra={"data": {"worker_id": settings.worker_id}})


class WorkerRuntime:
    """The handler and its bookkeeping: jobs done, jobs in flight, and why (if) the worker is stopping."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.jobs_done = 0
        self.in_flight = 0
        self.stranded = 0
        """Job threads whose task was cancelled: a thread cannot be interrupted, so the process exits."""
        self.stop_reason: str | None = None
        self._stopping = asyncio.Event()

    def concurrency_modifier(self, current: int) -> int:
        """The SDK asks before each job-take how many jobs may run at once."""
        return self.settings.concurrency

    def request_stop(self, reason: str) -> None:
        """Take no more jobs; jobs already taken finish and are posted (first reason wins)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info(
                "draining",
                extra={"data": {"reason": reason, "in_flight": self.in_flight, "worker_id": self.worker_id}},
            )
            self._stopping.set()

    def on_signal(self, signum: int) -> None:
        """SIGTERM / SIGINT: drain. RunPod sends SIGTERM before it reclaims a worker."""
        log.info("signal received", extra={"data": {"signal": signal.Signals(signum).name}})
        self.request_stop(signal.Signals(signum).name.lower())

    @property
    def worker_id(self) -> str:
        return self.settings.worker_id

    async def handler(self, job: dict[str, Any]) -> dict[str, Any]:
        """RunPod handler: `run_job(job["input"])` in a thread, so the loop keeps serving and heartbeating.

        `{"error": ...}` outputs pass through unchanged (RunPod marks the job FAILED). When a recycle
        threshold is reached, the output carries `refresh_worker: true` (the SDK turns it into
        `stopPod`) and the worker stops taking jobs.
        """
        loop = asyncio.get_running_loop()
        log.info(
            "job received",
            extra={
                "data": {
                    "job_id": job.get("id"),
                    "loop": loop_serial(loop),
                    "thread": threading.get_ident(),
                    "worker_id": self.worker_id,
                }
            },
        )
        self.in_flight += 1
        try:
            output = await asyncio.to_thread(run_job, job.get("input"), self.worker_id, job.get("id"))
        except asyncio.CancelledError:
            # RunPod stopped the job (cancel / timeout). Its thread runs on: retire this worker.
            self.stranded += 1
            log.warning("job cancelled", extra={"data": {"job_id": job.get("id")}})
            self.request_stop("cancelled")
            raise
        finally:
            self.in_flight -= 1
        self.jobs_done += 1
        if reason := self.recycle_reason():
            output["refresh_worker"] = True
            self.request_stop(reason)
        return output

    def recycle_reason(self) -> str | None:
        """`max_jobs` or `rss` when a threshold is reached after a job, else None."""
        if self.settings.max_jobs and self.jobs_done >= self.settings.max_jobs:
            return "max_jobs"
        if self.settings.max_rss_mb and group_rss_mb(os.getpgrp()) > self.settings.max_rss_mb:
            return "rss"
        return None

    async def heartbeat(self) -> None:
        """A `heartbeat` log line every `heartbeat_s`: the loop is alive while jobs run in threads."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            log.info(
                "heartbeat",
                extra={
                    "data": {
                        "loop": loop_serial(loop),
                        "in_flight": self.in_flight,
                        "jobs_done": self.jobs_done,
                        "rss_mb": round(group_rss_mb(os.getpgrp())),
                        "worker_id": self.worker_id,
                    }
                },
            )

    async def serve_jobs(self, scaler: JobScaler) -> bool:
        """Run the SDK's job-take, job-run and job-stop loops until a stop is requested; drain; True if clean.

        This is `JobScaler.run()` with a drain that does not wait out a pending job-take long poll: on stop
        the take and stop-signal polls are cancelled (a job not yet handed over stays queued at RunPod),
        and `run_jobs` finishes every job already taken and posts its result.
        """
        async with AsyncClientSession() as session:
            take = asyncio.create_task(scaler.get_jobs(session), name="job-take")
            run = asyncio.create_task(scaler.run_jobs(session), name="job-run")
            stop_poll = asyncio.create_task(scaler.monitor_stop_signals(session), name="job-stop")
            stopping = asyncio.create_task(self._stopping.wait(), name="stop-requested")
            await asyncio.wait({take, run, stopping}, return_when=asyncio.FIRST_COMPLETED)
            failed = [task.get_name() for task in (take, run) if task.done() and not task.cancelled()]
            if failed:
                self.request_stop("loop_failed")
            scaler.kill_worker()
            for task in (take, stop_poll, stopping):
                task.cancel()
            await asyncio.gather(take, stop_poll, stopping, return_exceptions=True)
            await asyncio.gather(run, return_exceptions=True)
        for task in (take, run):
            if not task.cancelled() and (error := task.exception()) is not None:
                log.error(
                    "worker loop failed",
                    extra={"data": {"task": task.get_name(), "error": redact(repr(error))}},
                )
        return not failed


async def serve(settings: WorkerSettings) -> int:
    """Boot and serve under the running loop: fitness, heartbeat, warmup, then jobs until stop; exit code."""
    loop = asyncio.get_running_loop()
    runtime = WorkerRuntime(settings)
    init_telemetry(settings)
    log.info(
        "worker starting",
        extra={
            "data": {
                "tier": settings.tier,
                "concurrency": settings.concurrency,
                "max_jobs": settings.max_jobs,
                "max_rss_mb": settings.max_rss_mb,
                "runpod_version": RUNPOD_VERSION,
                "on_runpod": on_runpod(),
                "loop": loop_serial(loop),
                "worker_id": settings.worker_id,
            }
        },
    )

    if on_runpod():
        # The SDK's ping process is forked first: before any thread, engine or CUDA context exists, and
        # before the loop's signal handlers (a fork would share their wakeup fd and ignore SIGTERM).
        # It only pings with RUNPOD_AI_API_KEY and RUNPOD_POD_ID set.
        Heartbeat().start_ping()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runtime.on_signal, signum)

    problems = await asyncio.to_thread(fitness_problems, settings.tier)
    for problem in problems:
        log.error("fitness check failed", extra={"data": {"problem": problem}})
    if problems:
        return EXIT_UNFIT
    if on_runpod():
        await run_fitness_checks()  # the SDK's own checks (memory, disk, CUDA); sys.exit(1) on failure

    if settings.skip_warmup:
        log.info("warmup skipped", extra={"data": {"env": "MINERU_SKIP_WARMUP", "loop": loop_serial(loop)}})
    else:
        started = time.perf_counter()
        try:
            debug = await asyncio.to_thread(run_warmup, settings.tier, f"{settings.worker_id}-warmup")
        except WarmupError as error:
            log.error("warmup failed", extra={"data": {"error": str(error), "worker_id": settings.worker_id}})
            return EXIT_UNFIT
        log.info(
            "warmup done",
            extra={
                "data": {
                    "elapsed_s": round(time.perf_counter() - started, 3),
                    "phase_ms": debug.get("phase_ms"),
                    "gpu": debug.get("gpu"),
                    "loop": loop_serial(asyncio.get_running_loop()),
                    "thread": threading.get_ident(),
                }
            },
        )

    clean = True
    if runtime.stop_reason is None:
        log.info("worker ready", extra={"data": {"loop": loop_serial(loop), "worker_id": settings.worker_id}})
        heartbeat = asyncio.create_task(runtime.heartbeat(), name="heartbeat")
        scaler = JobScaler({"handler": runtime.handler, "concurrency_modifier": runtime.concurrency_modifier})
        clean = await runtime.serve_jobs(scaler)
        heartbeat.cancel()
    log.info(
        "worker exiting",
        extra={
            "data": {
                "reason": runtime.stop_reason,
                "jobs": runtime.jobs_done,
                "stranded": runtime.stranded,
                "worker_id": settings.worker_id,
            }
        },
    )
    if runtime.stranded:
        # asyncio.run would wait for the cancelled job's thread (default executor shutdown): leave now.
        shutdown()
        logging.shutdown()
        os._exit(EXIT_OK)
    return EXIT_OK if clean else EXIT_UNFIT


def main() -> int:
    """Process entry: offline defaults, logging, settings, then `serve` under one `asyncio.run`."""
    # A launcher may hand the worker SIGTERM ignored. The SDK's ping process, forked from it, would ignore
    # the SIGTERM that multiprocessing ends it with at exit, and the worker would wait for it forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    init_logging()
    try:
        settings = WorkerSettings.from_env()
    except SettingsError as error:
        log.error("bad settings", extra={"data": {"error": str(error)}})
        return EXIT_UNFIT
    try:
        return asyncio.run(serve(settings))
    finally:
        shutdown()  # export what is buffered before the process exits


if __name__ == "__main__":
    sys.exit(main())

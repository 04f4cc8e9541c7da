"""Process entry for the orchestrator's LocalWorker: a warm `--serve` worker, or one job with `--output`.

A served job is claimed by atomic rename and run serially in the main thread; its output appears in
done/ atomically and complete, or not at all. Recycling (idle, max jobs, RSS) keeps memory bounded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, get_args

from gpu_image.worker.spool import Claim, Spool, WorkerRecord, group_rss_mb, write_atomically
from telemetry import shutdown

if TYPE_CHECKING:
    from worker_contract.contract import Tier

OFFLINE_ENV = {
    "MINERU_MODEL_SOURCE": "local",
    "MINERU_LOG_LEVEL": "warning",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}
"""Keep MinerU and its model hubs offline and quiet unless the parent process says otherwise."""

log = logging.getLogger("gpu_image.worker")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, the stable event name and the record's `data` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        line.update(getattr(record, "data", {}))
        return json.dumps(line, default=str)


@dataclass(frozen=True)
class ServeLimits:
    """When a serve worker exits on its own (it always finishes the job in hand first)."""

    idle_timeout_s: float
    max_jobs: int
    max_rss_mb: float
    poll_s: float


class _ServeState:
    """What the SIGTERM handler needs: the claim in hand, and whether to stop after it."""

    def __init__(self, spool: Spool, worker_id: str) -> None:
        self.spool, self.worker_id = spool, worker_id
        self.claim: Claim | None = None
        self.draining = False

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        """Drain: finish the job in hand, then exit. A revoked claim (cancel) means: exit now.

        The exit happens here rather than by raising, which code on the stack could swallow (ctypes
        callbacks, `__del__`) or wrap; MinerU may be mid-parse with threads and render children.
        """
        if self.claim is not None and not self.claim.path.exists():
            self.spool.unregister(os.getpid())
            log.warning(
                "job cancelled", extra={"data": {"job_id": self.claim.job_id, "worker_id": self.worker_id}}
            )
            logging.shutdown()
            os._exit(143)
        self.draining = True


def _run_claimed(claim: Claim, worker_id: str) -> dict[str, Any]:
    from gpu_image.worker.job import run_job
    from worker_contract.redaction import redact

    try:
        payload = claim.payload()
    except (ValueError, KeyError) as error:
        return {"error": redact(f"JobInputError: the job file is not a job: {error}")}
    return run_job(payload, worker_id=worker_id, job_id=claim.job_id, local=True)


def serve(
    spool: Spool, limits: ServeLimits, worker_id: str, fingerprint: str, warmup_tier: Tier | None = None
) -> int:
    """Serve jobs from `spool` one at a time until idle, max jobs, the RSS limit or SIGTERM (drain); with
    `warmup_tier`, the boot warmup first (registered already: a job queued meanwhile waits for it)."""
    pid = os.getpid()
    state = _ServeState(spool, worker_id)
    signal.signal(signal.SIGTERM, state.on_sigterm)
    spool.register(WorkerRecord.of_this_process(fingerprint))
    log.info("worker started", extra={"data": {"worker_id": worker_id, "fingerprint": fingerprint}})
    if warmup_tier is not None:
        _warm_up(warmup_tier, worker_id)
    jobs, reason, idle_since = 0, "", time.monotonic()
    while not reason:
        if state.draining:
            reason = "sigterm"
        elif not spool.is_registered(pid):
            reason = "unregistered"  # someone judged this worker dead: stop claiming
        elif (claim := spool.claim_next(pid)) is None:
            if time.monotonic() - idle_since >= limits.idle_timeout_s:
                reason = "idle"
            else:
                time.sleep(limits.poll_s)
        else:
            state.claim = claim
            log.info("claimed job", extra={"data": {"job_id": claim.job_id, "worker_id": worker_id}})
            spool.publish(claim.job_id, _run_claimed(claim, worker_id))
            state.claim = None
            claim.path.unlink(missing_ok=True)
            jobs, idle_since = jobs + 1, time.monotonic()
            rss_mb = group_rss_mb(pid)
            if jobs >= limits.max_jobs:
                reason = "max_jobs"
            elif rss_mb > limits.max_rss_mb:
                reason = "rss"
    spool.unregister(pid)
    log.info("worker exiting", extra={"data": {"reason": reason, "jobs": jobs, "worker_id": worker_id}})
    return 0


def _warm_up(tier: Tier, worker_id: str) -> None:
    """The boot warmup (`warmup.run_warmup`): MinerU loaded before the first job, which then reports
    `cold_start: false` and the warmup's `warmup_ms`. A failure is logged; the first job shows its cause."""
    from gpu_image.worker.warmup import WarmupError, run_warmup

    try:
        debug = run_warmup(tier, worker_id)
    except WarmupError as error:
        log.warning("warmup failed", extra={"data": {"error": str(error), "worker_id": worker_id}})
        return
    log.info("warmup done", extra={"data": {"phase_ms": debug.get("phase_ms"), "worker_id": worker_id}})


def _run_one(output_path: Path, worker_id: str) -> int:
    from gpu_image.worker.job import run_job
    from worker_contract.redaction import redact

    try:
        payload = json.load(sys.stdin)
    except ValueError as error:
        output: dict[str, Any] = {"error": redact(f"JobInputError: stdin is not JSON: {error}")}
    else:
        output = run_job(payload, worker_id=worker_id, local=True)
    write_atomically(output_path, json.dumps(output, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve jobs from a spool (`--serve`) or run one payload from stdin (`--output`); 0 if a job failed."""
    parser = argparse.ArgumentParser(prog="python -m gpu_image.worker.local", description=main.__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--output", type=Path, help="one job: read its payload from stdin, write its output here"
    )
    mode.add_argument("--serve", action="store_true", help="serve jobs from --spool until a limit is hit")
    parser.add_argument("--spool", type=Path, help="spool directory (serve mode; LocalWorker creates it)")
    parser.add_argument("--fingerprint", default="", help="identity recorded in workers/<pid>.json")
    parser.add_argument("--idle-timeout-s", type=float, default=300.0, help="exit after this long idle")
    parser.add_argument("--max-jobs", type=int, default=200, help="exit after this many jobs")
    parser.add_argument("--max-rss-mb", type=float, default=4096.0, help="exit after a job past this RSS")
    parser.add_argument("--poll-s", type=float, default=0.02, help="queue poll interval when idle")
    parser.add_argument("--warmup-tier", help="serve mode: the boot warmup in this MinerU tier first")
    parser.add_argument(
        "--worker-id",
        default=os.environ.get("WORKER_ID") or f"local-{os.getpid()}",
        help="reported in debug.worker_id (default: env WORKER_ID, else local-<pid>)",
    )
    args = parser.parse_args(argv)
    if args.output is not None and not args.output.parent.is_dir():
        parser.error("the --output directory does not exist")
    if args.serve and (args.spool is None or not (args.spool / "queue").is_dir()):
        parser.error("--serve needs an existing --spool (with queue/)")

    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    from gpu_image.worker.job_telemetry import start_worker_telemetry  # pydantic: after argument checks
    from worker_contract.contract import Tier

    if args.warmup_tier is not None and args.warmup_tier not in get_args(Tier):
        parser.error(f"--warmup-tier must be one of {', '.join(get_args(Tier))}")

    start_worker_telemetry(args.worker_id)
    try:
        if args.serve:
            limits = ServeLimits(args.idle_timeout_s, args.max_jobs, args.max_rss_mb, args.poll_s)
            return serve(Spool(args.spool), limits, args.worker_id, args.fingerprint, args.warmup_tier)
        return _run_one(args.output, args.worker_id)
    finally:
        shutdown()  # export what is buffered before the process exits


if __name__ == "__main__":
    sys.exit(main())

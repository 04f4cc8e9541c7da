"""One parse job end to end: validate, fetch, parse, package, each phase timed.

`run_job` never raises: a failure is `{"error": "<Type>: <compact redacted message>"}` and no results.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gpu_image.worker.contract import JobDebug, JobError, JobOutput, JobResult, PhaseMs, parse_job_input
from gpu_image.worker.fetch import fetch_input, redact_url

log = logging.getLogger("gpu_image.worker")

MAX_ERROR_CHARS = 500
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_DIRS = re.compile(r"(?<![\w:/.~-])(?:~|\.{1,2})?/(?:[^\s/'\"]+/)+")
_jobs_started = 0


def redact(message: str) -> str:
    """One line, URLs cut to scheme://host/path, directory prefixes of absolute paths dropped, capped."""
    message = _URL.sub(lambda match: redact_url(match.group(0)), " ".join(message.split()))
    message = _DIRS.sub("", message)
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 3] + "..."


def _gpu_name() -> str | None:
    """The CUDA device name when torch is already loaded and sees one (never imports torch itself)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return str(torch.cuda.get_device_name(0))
    return None


@contextmanager
def _timed(phase_ms: dict[str, int], phase: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        phase_ms[phase] = round((time.perf_counter() - started) * 1000)


def run_job(payload: dict[str, Any], worker_id: str | None = None) -> dict[str, Any]:
    """Run one job payload (`{"input": {...}}` or bare) and return the `JobOutput` or `JobError` dict."""
    global _jobs_started
    cold_start = _jobs_started == 0
    _jobs_started += 1
    started = time.perf_counter()
    phase_ms: dict[str, int] = {}
    try:
        # Imported here so that a broken engine install becomes a job error, not a crash.
        from gpu_image.worker.package import check_transport, package_result
        from gpu_image.worker.parse import parse_pdf

        job = parse_job_input(payload)
        log.info(
            "starting job",
            extra={
                "data": {
                    "source": job.source,
                    "tier": job.effective_tier,
                    "transport": job.transport,
                    "pages": [job.start_page, job.end_page],
                    "worker_id": worker_id,
                }
            },
        )
        check_transport(job)
        with tempfile.TemporaryDirectory(prefix="mineru-job-") as tmp:
            workdir = Path(tmp)
            with _timed(phase_ms, "fetch_input"):
                pdf = fetch_input(job, workdir)
            with _timed(phase_ms, "mineru_parse"):
                parsed = parse_pdf(pdf, job.effective_tier, job.start_page, job.end_page)
            with _timed(phase_ms, "package"):
                fields = package_result(parsed.result, job, workdir)
        end_page = parsed.page_count - 1 if job.end_page == -1 else job.end_page
        result = JobResult(
            basename=job.basename,
            source=job.source,
            pages_requested=[job.start_page, end_page],
            page_count_parsed=len(parsed.result.pages),
            archive_format=job.archive_format,
            **fields,
        )
        output = JobOutput(
            elapsed_seconds=round(time.perf_counter() - started, 3),
            mineru_version=parsed.mineru_version,
            results=[result],
            debug=JobDebug(
                phase_ms=PhaseMs(**phase_ms),
                gpu=_gpu_name(),
                backend=job.backend,
                tier=job.effective_tier,
                worker_id=worker_id,
                cold_start=cold_start,
            ),
        )
    except Exception as error:
        message = redact(f"{type(error).__name__}: {error}")
        log.warning(
            "job failed", extra={"data": {"error": message, "phase_ms": phase_ms, "worker_id": worker_id}}
        )
        return JobError(error=message).model_dump()
    log.info(
        "done",
        extra={
            "data": {
                "elapsed_seconds": output.elapsed_seconds,
                "phase_ms": phase_ms,
                "pages_parsed": result.page_count_parsed,
                "degraded": result.degraded,
                "worker_id": worker_id,
            }
        },
    )
    return output.model_dump(exclude_none=True)

"""One parse job end to end: validate, fetch, parse, package, each phase timed and traced.

`run_job` never raises: a failure is `{"error": "<Type>: <compact redacted message>"}` and no results.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpu_image.worker.fetch import fetch_input
from gpu_image.worker.job_telemetry import JobObservation, loaded_cuda, output_bytes
from worker_contract.contract import (
    JobDebug,
    JobError,
    JobInput,
    JobOutput,
    JobResult,
    PhaseMs,
    parse_job_input,
)
from worker_contract.redaction import redact

log = logging.getLogger("gpu_image.worker")

_jobs_started = 0
_warmup_ms: int | None = None
"""The boot warmup's wall time, reported once, by the first job after it (`debug.warmup_ms`)."""


def _gpu_name() -> str | None:
    """The CUDA device name when torch is already loaded and sees one (never imports torch itself)."""
    cuda = loaded_cuda()
    return None if cuda is None else str(cuda.get_device_name(0))


def run_job(
    payload: dict[str, Any],
    worker_id: str | None = None,
    job_id: str | None = None,
    *,
    warmup: bool = False,
    local: bool = False,
) -> dict[str, Any]:
    """Run one job payload (`{"input": {...}}` or bare) and return the `JobOutput` or `JobError` dict.

    `job_id` (the queue's id) is recorded on the `mineru.job` span; `warmup=True` marks the boot warmup;
    `local=True` (a worker on the caller's machine) serves the `local_dir` transport.
    """
    global _jobs_started, _warmup_ms
    cold_start = _jobs_started == 0
    _jobs_started += 1
    ids = {"worker_id": worker_id, "job_id": job_id}
    observed = JobObservation(
        payload, worker_id=worker_id, job_id=job_id, warmup=warmup, cold_start=cold_start
    )
    with observed:
        try:
            job = parse_job_input(payload)
            observed.job_input(job)
            pages = [job.start_page, job.end_page]
            start = {
                "source": job.source,
                "tier": job.effective_tier,
                "transport": job.transport,
                "pages": pages,
            }
            log.info("starting job", extra={"data": {**start, **ids}})
            done = _parse_and_package(job, observed, local=local)
            debug = JobDebug(
                phase_ms=PhaseMs(**observed.phase_ms),
                gpu=_gpu_name(),
                backend=job.backend,
                tier=job.effective_tier,
                worker_id=worker_id,
                cold_start=cold_start,
                warmup_ms=None if warmup else _warmup_ms,
            )
            output = JobOutput(
                elapsed_seconds=round(observed.elapsed_s(), 3),
                mineru_version=done.mineru_version,
                results=[done.result],
                debug=debug,
            )
        except Exception as error:
            message = redact(f"{type(error).__name__}: {error}")
            observed.failed(type(error).__name__, message)
            log.warning(
                "job failed", extra={"data": {"error": message, "phase_ms": observed.phase_ms, **ids}}
            )
            return JobError(error=message).model_dump()
        _report_success(observed, done, output, ids)
    _warmup_ms = round(output.elapsed_seconds * 1000) if warmup else None
    return output.model_dump(exclude_none=True)


@dataclass(frozen=True)
class _Done:
    """What a job's phases produced: the result entry and what its telemetry reports."""

    result: JobResult
    mineru_version: str
    input_bytes: int
    result_bytes: int


def _parse_and_package(job: JobInput, observed: JobObservation, *, local: bool) -> _Done:
    """The job's three timed phases in a scratch folder: fetch the input, parse it, package the result."""
    # Imported here so that a broken engine install becomes a job error, not a crash.
    from gpu_image.worker.package import check_transport, package_result
    from gpu_image.worker.parse import parse_pdf

    check_transport(job, local=local)
    with tempfile.TemporaryDirectory(prefix="mineru-job-") as tmp:
        workdir = Path(tmp)
        with observed.phase("fetch_input"):
            pdf = fetch_input(job, workdir)
        input_bytes = pdf.stat().st_size
        with observed.phase("mineru_parse"):
            parsed = parse_pdf(pdf, job.effective_tier, job.start_page, job.end_page)
        with observed.phase("package"):
            fields = package_result(parsed.result, job, workdir)
    result = JobResult(
        basename=job.basename,
        source=job.source,
        pages_requested=[job.start_page, parsed.last_page],
        page_count_parsed=len(parsed.result.pages),
        archive_format=job.archive_format,
        flattened_pages=list(parsed.flattened_pages) or None,
        **fields,
    )
    if "result_dir" in fields:  # local_dir: the size of the folder left behind
        result_bytes = sum(p.stat().st_size for p in Path(fields["result_dir"]).rglob("*") if p.is_file())
    else:
        result_bytes = output_bytes(fields)
    return _Done(result, parsed.mineru_version, input_bytes, result_bytes)


def _report_success(
    observed: JobObservation, done: _Done, output: JobOutput, ids: dict[str, str | None]
) -> None:
    result = done.result
    observed.succeeded(
        pages=result.page_count_parsed,
        input_bytes=done.input_bytes,
        result_bytes=done.result_bytes,
        degraded=len(result.degraded or []),
        flattened=len(result.flattened_pages or []),
        version=done.mineru_version,
        gpu=output.debug.gpu,
    )
    data = {
        "elapsed_seconds": output.elapsed_seconds,
        "phase_ms": observed.phase_ms,
        "pages_parsed": result.page_count_parsed,
        "degraded": result.degraded,
        "flattened_pages": result.flattened_pages,
        **ids,
    }
    log.info("done", extra={"data": data})

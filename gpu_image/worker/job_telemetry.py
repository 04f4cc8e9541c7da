"""The worker's spans and metrics for one job (docs/design.md §6).

Spans: `mineru.job` (or the boot's `mineru.warmup`) > `mineru.fetch_input`, `mineru.parse`,
`mineru.package`; a job that carries W3C trace context (`JobInput.trace_context`) joins the caller's
trace. Metrics (`mineru.*`): jobs, pages, bytes, errors, degraded results, cold starts, job and phase
durations, pages/s, GPU memory peak, warmup duration. Attributes are ids, counts and enums, never URLs
or paths.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace

from telemetry import (
    AttributeValue,
    Telemetry,
    active,
    attach_log_handler,
    configure,
    extract_context,
    safe_text,
)
from worker_contract.contract import JobInput

PHASE_SPANS = {
    "fetch_input": "mineru.fetch_input",
    "mineru_parse": "mineru.parse",
    "package": "mineru.package",
}
"""`debug.phase_ms` field -> span name."""


@dataclass(frozen=True)
class WorkerInstruments:
    jobs: metrics.Counter
    pages: metrics.Counter
    bytes: metrics.Counter
    errors: metrics.Counter
    degraded: metrics.Counter
    cold_starts: metrics.Counter
    job_duration: metrics.Histogram
    phase_duration: metrics.Histogram
    pages_per_second: metrics.Histogram
    warmup_duration: metrics.Histogram
    gpu_memory_peak: metrics.Histogram

    @classmethod
    def create(cls, meter: metrics.Meter) -> WorkerInstruments:
        return cls(
            jobs=meter.create_counter("mineru.jobs", "{job}", "jobs finished, by outcome"),
            pages=meter.create_counter("mineru.pages", "{page}", "pages parsed"),
            bytes=meter.create_counter("mineru.bytes", "By", "input PDF and result bytes, by direction"),
            errors=meter.create_counter("mineru.errors", "{job}", "failed jobs, by error type"),
            degraded=meter.create_counter("mineru.degraded", "{job}", "jobs whose result lost artifacts"),
            cold_starts=meter.create_counter("mineru.cold_starts", "{start}", "first parse of a process"),
            job_duration=meter.create_histogram("mineru.job.duration", "s", "job wall time"),
            phase_duration=meter.create_histogram("mineru.phase.duration", "s", "job phase wall time"),
            pages_per_second=meter.create_histogram("mineru.pages_per_second", "{page}/s", "parse speed"),
            warmup_duration=meter.create_histogram("mineru.warmup.duration", "s", "boot warmup wall time"),
            gpu_memory_peak=meter.create_histogram("mineru.gpu.memory.peak", "By", "peak CUDA memory"),
        )


def start_worker_telemetry(
    worker_id: str, attributes: Mapping[str, AttributeValue] | None = None
) -> Telemetry:
    """This worker process's Telemetry (exporting only when enabled), its `gpu_image.worker` log events
    included; the RunPod handler and LocalWorker's processes start it the same way."""
    resource = {"service.instance.id": worker_id, "worker.id": worker_id, **(attributes or {})}
    telemetry = configure("mineru-worker", resource)
    attach_log_handler(logging.getLogger("gpu_image.worker"))
    return telemetry


def loaded_cuda() -> Any | None:
    """`torch.cuda` when torch is already imported and sees a device (never imports torch itself)."""
    torch = sys.modules.get("torch")
    return torch.cuda if torch is not None and torch.cuda.is_available() else None


def gpu_memory_peak_bytes() -> int | None:
    """Peak CUDA memory allocated since the last call (resets the peak); None without a loaded torch+GPU."""
    if (cuda := loaded_cuda()) is None:
        return None
    peak = int(cuda.max_memory_allocated())
    cuda.reset_peak_memory_stats()
    return peak


def output_bytes(fields: dict[str, Any]) -> int:
    """Size of the result a job hands back: the uploaded archive, the base64 archive, or the markdown."""
    if fields.get("bucket_bytes") is not None:
        return int(fields["bucket_bytes"])
    if fields.get("tarball_b64"):
        encoded: str = fields["tarball_b64"]
        return len(encoded) * 3 // 4 - encoded[-2:].count("=")
    return len((fields.get("markdown") or "").encode())


class JobObservation:
    """One job's span, phase timings and metrics. Use as a context manager around the whole job."""

    def __init__(
        self,
        payload: Any,
        *,
        worker_id: str | None,
        job_id: str | None,
        warmup: bool,
        cold_start: bool,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.telemetry = telemetry or active()
        self.warmup, self.cold_start = warmup, cold_start
        self.phase_ms: dict[str, int] = {}
        self.outcome, self.error_type, self.tier = "error", "", ""
        self.pages = self.input_bytes = self.result_bytes = 0
        self._started = time.perf_counter()
        inner = payload.get("input", payload) if isinstance(payload, dict) else None
        parent = extract_context(inner.get("trace_context")) if isinstance(inner, dict) else None
        attributes: dict[str, Any] = {"mineru.cold_start": cold_start}
        if worker_id:
            attributes["worker.id"] = worker_id
        if job_id:
            attributes["mineru.job_id"] = job_id
        self.span = self.telemetry.tracer.start_span(
            "mineru.warmup" if warmup else "mineru.job",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        )
        self._token: object | None = None

    def __enter__(self) -> JobObservation:
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        return self

    def __exit__(self, *exc: object) -> None:
        otel_context.detach(self._token)  # type: ignore[arg-type]
        self.span.end()
        self._record_metrics(self.elapsed_s())

    def elapsed_s(self) -> float:
        """Seconds since the job began (its `elapsed_seconds`, and the `mineru.job.duration` point)."""
        return time.perf_counter() - self._started

    def job_input(self, job: JobInput) -> None:
        self.tier = job.effective_tier
        self.span.set_attributes(
            {
                "mineru.tier": job.effective_tier,
                "mineru.source": job.source,
                "mineru.transport": job.transport,
                "mineru.start_page": job.start_page,
                "mineru.end_page": job.end_page,
            }
        )

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time `name` (a `debug.phase_ms` field) into `phase_ms` and a child span."""
        started = time.perf_counter()
        with self.telemetry.tracer.start_as_current_span(
            PHASE_SPANS[name], record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield
            except BaseException as error:
                span.set_status(trace.StatusCode.ERROR, type(error).__name__)
                raise
            finally:
                self.phase_ms[name] = round((time.perf_counter() - started) * 1000)

    def succeeded(
        self,
        *,
        pages: int,
        input_bytes: int,
        result_bytes: int,
        degraded: int,
        flattened: int,
        version: str,
        gpu: str | None,
    ) -> None:
        self.outcome = "degraded" if degraded else "ok"
        self.pages, self.input_bytes, self.result_bytes = pages, input_bytes, result_bytes
        attributes: dict[str, Any] = {
            "mineru.pages_parsed": pages,
            "mineru.input_bytes": input_bytes,
            "mineru.result_bytes": result_bytes,
            "mineru.degraded": degraded,
            "mineru.flattened_pages": flattened,
            "mineru.version": version,
        }
        if gpu:
            attributes["gpu.name"] = gpu
        self.span.set_attributes(attributes)

    def failed(self, error_type: str, message: str) -> None:
        self.outcome, self.error_type = "error", error_type
        self.span.set_attribute("error.type", error_type)
        self.span.set_status(trace.StatusCode.ERROR, safe_text(message))

    def _record_metrics(self, seconds: float) -> None:
        if not self.telemetry.enabled:
            return
        m = self.telemetry.instruments(WorkerInstruments.create)
        tier = {"mineru.tier": self.tier} if self.tier else {}
        if self.cold_start:
            m.cold_starts.add(1, tier)
        if self.warmup:
            m.warmup_duration.record(seconds, tier)
            return
        m.jobs.add(1, {**tier, "outcome": self.outcome})
        m.job_duration.record(seconds, {**tier, "outcome": self.outcome})
        for name, ms in self.phase_ms.items():
            m.phase_duration.record(ms / 1000, {**tier, "phase": PHASE_SPANS[name]})
        if self.outcome == "error":
            m.errors.add(1, {**tier, "error.type": self.error_type or "unknown"})
            return
        if self.outcome == "degraded":
            m.degraded.add(1, tier)
        m.pages.add(self.pages, tier)
        m.bytes.add(self.input_bytes, {"direction": "in"})
        m.bytes.add(self.result_bytes, {"direction": "out"})
        parse_s = self.phase_ms.get("mineru_parse", 0) / 1000
        if parse_s > 0:
            m.pages_per_second.record(self.pages / parse_s, tier)
        if (peak := gpu_memory_peak_bytes()) is not None:
            m.gpu_memory_peak.record(peak, tier)

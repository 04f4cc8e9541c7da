"""The orchestrator's spans, metrics and log events (docs/design.md §6), off unless telemetry is configured.

One trace per batch run: the root span `platform.batch` of every attempt of a batch in one run gets a
trace id derived from (run id, batch key), and the worker's `mineru.job` joins it through the job's
`trace_context`. The phases of `timing_records` become child spans (`platform.submit`, `platform.queue`,
`platform.download`, `platform.extract`, `platform.normalize`), placed from what the attempt measured.
Document phases (plan, tree, verify) are root spans `platform.<phase>`. Metrics are `platform.*`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace

from platform_assets.domain.observe.timing_records import TimingRecord
from telemetry import (
    Telemetry,
    attach_log_handler,
    configure,
    inject_context,
    root_span_ids,
    safe_text,
    traceparent_for,
)

SERVICE_NAME = "document-platform"
log = logging.getLogger("platform_assets.telemetry")


def platform_telemetry() -> Telemetry:
    """This process's Telemetry (built on first use when `OTEL_EXPORTER_OTLP_ENDPOINT` is set)."""
    telemetry = configure(SERVICE_NAME)
    attach_log_handler(log)
    log.setLevel(logging.INFO)
    return telemetry


@dataclass(frozen=True)
class PlatformInstruments:
    attempts: metrics.Counter
    retries: metrics.Counter
    cancellations: metrics.Counter
    cold_starts: metrics.Counter
    pages: metrics.Counter
    duration: metrics.Histogram
    queue_wait: metrics.Histogram
    phase_duration: metrics.Histogram

    @classmethod
    def create(cls, meter: metrics.Meter) -> PlatformInstruments:
        return cls(
            attempts=meter.create_counter(
                "platform.batch.attempts", "{attempt}", "batch attempts, by status"
            ),
            retries=meter.create_counter("platform.batch.retries", "{attempt}", "attempts after the first"),
            cancellations=meter.create_counter("platform.batch.cancellations", "{attempt}", "cancelled jobs"),
            cold_starts=meter.create_counter(
                "platform.batch.cold_starts", "{start}", "jobs on a cold worker"
            ),
            pages=meter.create_counter("platform.batch.pages", "{page}", "pages parsed"),
            duration=meter.create_histogram("platform.batch.duration", "s", "attempt wall time, by status"),
            queue_wait=meter.create_histogram("platform.batch.queue_wait", "s", "time queued at the worker"),
            phase_duration=meter.create_histogram("platform.phase.duration", "s", "phase wall time"),
        )


def batch_trace_context(run_id: str, batch_key: str, attempt: int = 0) -> dict[str, Any]:
    """`JobInput` fields for a job queued before its run (`read_ahead`): the W3C `trace_context` of the
    root span that attempt `attempt` of run `run_id` will start for the batch, only while telemetry is on
    (the job's spans then join that run's trace, as `BatchObservation.job_fields` gives them)."""
    if not platform_telemetry().enabled:
        return {}
    return {"trace_context": traceparent_for(*_root_keys(run_id, batch_key, attempt))}


def _root_keys(run_id: str, batch_key: str, attempt: int) -> tuple[str, str]:
    """The keys of a batch attempt's root span ids: its trace (one per batch and run), its span."""
    return f"{run_id}/{batch_key}", f"{run_id}/{batch_key}/{attempt}"


class BatchObservation:
    """One batch attempt: its root span (current while the context is entered), phase spans placed from
    `marks`, metrics and log events; flushed on exit (step processes are short-lived)."""

    def __init__(
        self,
        *,
        run_id: str,
        batch_key: str,
        doc_id: str,
        attempt: int,
        first_page: int,
        last_page: int,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.telemetry = telemetry or platform_telemetry()
        self.batch_key = batch_key
        self.marks: dict[str, int] = {}
        """Wall-clock ns of `submit`, `submitted`, `wait`, `waited`, `store`, read off the monotonic clock
        (so `seconds` between two marks is a monotonic duration)."""
        self._wall_ns, self._perf_ns = time.time_ns(), time.perf_counter_ns()
        with root_span_ids(*_root_keys(run_id, batch_key, attempt)):
            self.span = self.telemetry.tracer.start_span(
                "platform.batch",
                attributes={
                    "dagster.run_id": run_id,
                    "batch.key": batch_key,
                    "doc.id": doc_id,
                    "batch.attempt": attempt,
                    "batch.first_page": first_page,
                    "batch.last_page": last_page,
                    "batch.pages": last_page - first_page + 1,
                },
                record_exception=False,
                set_status_on_exception=False,
            )
        self._token: object | None = None
        self._finished = False

    def __enter__(self) -> BatchObservation:
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None and not self._finished:
            self.span.set_status(trace.StatusCode.ERROR, exc_type.__name__)
        otel_context.detach(self._token)  # type: ignore[arg-type]
        self.span.end()
        self.telemetry.flush()

    def mark(self, name: str) -> None:
        self.marks[name] = self._wall_ns + time.perf_counter_ns() - self._perf_ns

    def seconds(self, start: str, end: str) -> float:
        """Seconds from mark `start` to mark `end`."""
        return (self.marks[end] - self.marks[start]) / 1e9

    def job_fields(self) -> dict[str, Any]:
        """`JobInput` fields for the job: the root span's W3C `trace_context`, only while telemetry is on
        (a worker image older than the field refuses it)."""
        carrier = inject_context() if self.telemetry.enabled else {}
        return {"trace_context": carrier} if carrier else {}

    def submitted(self, job_id: str) -> None:
        self.span.set_attribute("mineru.job_id", job_id)
        log.info("batch submitted", extra={"data": {"batch": self.batch_key, "job_id": job_id}})

    def finished(self, record: TimingRecord) -> None:
        """The attempt's outcome from its timing record: attributes, phase spans, metrics, a log event."""
        self._finished = True
        attributes: dict[str, Any] = {"batch.status": record.status, "batch.wall_s": round(record.wall_s, 3)}
        optional = {
            "mineru.job_id": record.job_id,
            "worker.id": record.worker_id,
            "gpu.name": record.gpu,
            "mineru.cold_start": record.cold_start,
            "batch.execution_s": record.execution_s,
            "batch.pages_per_s": record.pages_per_s,
        }
        attributes.update({k: v for k, v in optional.items() if v not in (None, "")})
        self.span.set_attributes(attributes)
        if record.status in ("failed", "cancelled"):
            self.span.set_status(trace.StatusCode.ERROR, safe_text(record.error or record.status))
        self._phase_spans(record)
        self._record_metrics(record)
        data = {"batch": self.batch_key, "status": record.status, "job_id": record.job_id, **attributes}
        if record.error:
            data["error"] = safe_text(record.error)
        level = logging.WARNING if record.status in ("failed", "cancelled") else logging.INFO
        log.log(level, "batch finished", extra={"data": data})

    def _phase_spans(self, record: TimingRecord) -> None:
        placed: dict[str, tuple[int, int]] = {}
        m, ns = self.marks, 1_000_000_000
        if "submit" in m and "submitted" in m:
            placed["submit"] = (m["submit"], m["submitted"])
        if "wait" in m and (queue := record.phase("queue")) is not None:
            placed["queue"] = (m["wait"], m["wait"] + int(queue * ns))
        if "waited" in m and (download := record.phase("download")) is not None:
            placed["download"] = (m["waited"] - int(download * ns), m["waited"])
        if "store" in m and (extract := record.phase("extract")) is not None:
            placed["extract"] = (m["store"], m["store"] + int(extract * ns))
            if (normalize := record.phase("normalize")) is not None:
                start = placed["extract"][1]
                placed["normalize"] = (start, start + int(normalize * ns))
        for phase, (start, end) in placed.items():
            span = self.telemetry.tracer.start_span(
                f"platform.{phase}", start_time=start, attributes={"phase.source": "orchestrator"}
            )
            span.end(end_time=end)

    def _record_metrics(self, record: TimingRecord) -> None:
        if not self.telemetry.enabled:
            return
        i = self.telemetry.instruments(PlatformInstruments.create)
        tier = {"mineru.tier": record.tier} if record.tier else {}
        i.attempts.add(1, {**tier, "status": record.status})
        i.duration.record(record.wall_s, {**tier, "status": record.status})
        if record.attempt > 0:
            i.retries.add(1, tier)
        if record.status == "cancelled":
            i.cancellations.add(1, tier)
        if record.cold_start:
            i.cold_starts.add(1, tier)
        if record.status == "succeeded":
            i.pages.add(record.pages, tier)
        if (queue := record.phase("queue")) is not None:
            i.queue_wait.record(queue, tier)
        for phase, seconds in record.phases.items():
            source = record.phase_sources.get(phase, "orchestrator")
            i.phase_duration.record(seconds, {"phase": phase, "phase.source": source})


class DocumentPhase:
    """A document phase (plan, tree, verify) on one clock: what its `PhaseRecord` says (`started_at`,
    `finished_at`, `seconds`, `status`), a root span `platform.<phase>` and a `platform.phase.duration`
    point; flushed on exit."""

    def __init__(self, phase: str, *, doc_id: str, run_id: str, telemetry: Telemetry | None = None) -> None:
        self.telemetry = telemetry or platform_telemetry()
        self.phase, self.doc_id, self.run_id = phase, doc_id, run_id
        self.started_at = self.finished_at = datetime.now(UTC)
        self.seconds, self.status = 0.0, "failed"

    def __enter__(self) -> DocumentPhase:
        self.started_at, self._started = datetime.now(UTC), time.perf_counter()
        self.span = self.telemetry.tracer.start_span(
            f"platform.{self.phase}",
            attributes={"doc.id": self.doc_id, "dagster.run_id": self.run_id},
            record_exception=False,
            set_status_on_exception=False,
        )
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.seconds, self.finished_at = time.perf_counter() - self._started, datetime.now(UTC)
        self.status = "failed" if exc_type is not None else "succeeded"
        if exc_type is not None:
            self.span.set_status(trace.StatusCode.ERROR, exc_type.__name__)
        otel_context.detach(self._token)
        self.span.end()
        if self.telemetry.enabled:
            instruments = self.telemetry.instruments(PlatformInstruments.create)
            attributes = {"phase": self.phase, "phase.source": "orchestrator", "status": self.status}
            instruments.phase_duration.record(self.seconds, attributes)
            self.telemetry.flush()

"""OpenTelemetry for the worker and the orchestrator (docs/design.md §6): traces, metrics, logs (OTLP/HTTP).

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and `OTEL_SDK_DISABLED` is not true): then `active()` is
a no-op `Telemetry` and instrumented code costs next to nothing. The exporters read the standard OTEL_*
variables themselves (per-signal headers such as Axiom's `x-axiom-dataset` / `x-axiom-metrics-dataset`,
timeout, compression); metrics default to delta temporality unless
`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` says otherwise. Exported text goes through
`redact(..., url_paths=False)`; export failures are logged by the SDK and never raised.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from opentelemetry import _logs as otel_logs
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from worker_contract.redaction import redact

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
FLUSH_TIMEOUT_S = 3.0
"""Longest wait for the exports when a process flushes (a dead collector costs a job at most this)."""
MAX_TEXT_CHARS = 500
CARRIER_KEYS = ("traceparent", "tracestate")
_SEVERITY = {
    logging.DEBUG: otel_logs.SeverityNumber.DEBUG,
    logging.INFO: otel_logs.SeverityNumber.INFO,
    logging.WARNING: otel_logs.SeverityNumber.WARN,
    logging.ERROR: otel_logs.SeverityNumber.ERROR,
    logging.CRITICAL: otel_logs.SeverityNumber.FATAL,
}
_forced_trace_id: ContextVar[int | None] = ContextVar("forced_trace_id", default=None)
_forced_span_id: ContextVar[int | None] = ContextVar("forced_span_id", default=None)
_propagator = TraceContextTextMapPropagator()
_I = TypeVar("_I")

AttributeValue = str | bool | int | float | list[str] | list[bool] | list[int] | list[float]


def telemetry_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when an OTLP endpoint is configured and the SDK is not disabled."""
    env = os.environ if env is None else env
    return bool(env.get(ENDPOINT_ENV, "").strip()) and env.get("OTEL_SDK_DISABLED", "").lower() != "true"


class Telemetry:
    """A tracer, a meter and a log emitter; no-ops unless built by `configure` with telemetry enabled."""

    def __init__(
        self,
        tracer: trace.Tracer,
        meter: metrics.Meter,
        logger: otel_logs.Logger,
        providers: tuple[Any, ...] = (),
    ) -> None:
        self.tracer, self.meter, self.logger = tracer, meter, logger
        self._providers = providers
        self._instruments: dict[Callable[..., Any], Any] = {}

    @property
    def enabled(self) -> bool:
        return bool(self._providers)

    def instruments(self, factory: Callable[[metrics.Meter], _I]) -> _I:
        """`factory(meter)`, built once per Telemetry (instruments are created once, then reused)."""
        if factory not in self._instruments:
            self._instruments[factory] = factory(self.meter)
        return self._instruments[factory]

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
        """Export what is buffered, waiting at most `timeout_s` in all; True if every export finished.
        Never raises."""
        return _bounded([provider.force_flush for provider in self._providers], timeout_s)

    def shutdown(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Flush and stop the exporters within about `timeout_s` (no second wait for a collector that
        did not answer the flush); never raises."""
        flushed = self.flush(timeout_s)
        _bounded([provider.shutdown for provider in self._providers], timeout_s if flushed else 0.0)


def _bounded(calls: list[Callable[[], Any]], timeout_s: float) -> bool:
    """Run `calls` side by side in daemon threads and wait for them until the deadline, not longer;
    True if all finished.

    The SDK's flush blocks for the exporter's whole retry budget (`OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s by
    default, per signal) when the collector is down; an unfinished export is left to its daemon thread.
    """

    def call_quietly(call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception:  # an export failure must never fail the caller
            logging.getLogger(__name__).warning("telemetry export failed")

    threads = [threading.Thread(target=call_quietly, args=(call,), daemon=True) for call in calls]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    return not any(thread.is_alive() for thread in threads)


DISABLED = Telemetry(trace.NoOpTracer(), metrics.NoOpMeter("disabled"), otel_logs.NoOpLogger("disabled"))
_active = DISABLED


def active() -> Telemetry:
    """The process's Telemetry: the one `configure` built, else the no-op `DISABLED`."""
    return _active


def configure(service_name: str, attributes: Mapping[str, AttributeValue] | None = None) -> Telemetry:
    """Start exporting once per process when enabled (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
    over `service_name` and `attributes`); later calls return the same Telemetry."""
    global _active
    if _active.enabled or not telemetry_enabled():
        return _active
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider, ObservableCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") != "http/protobuf":
        logging.getLogger(__name__).warning("only OTLP http/protobuf is supported; using it")
    from_env = OTELResourceDetector().detect().attributes
    resource = Resource.create({SERVICE_NAME: service_name, **(attributes or {}), **from_env})
    delta = {kind: AggregationTemporality.DELTA for kind in (Counter, Histogram, ObservableCounter)}
    temporality = None if os.environ.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE") else delta

    tracer_provider = TracerProvider(resource=resource, id_generator=_TraceIds(), shutdown_on_exit=False)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(preferred_temporality=temporality))
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    scope = "document-platform"
    _active = Telemetry(
        tracer_provider.get_tracer(scope),
        meter_provider.get_meter(scope),
        logger_provider.get_logger(scope),
        (tracer_provider, meter_provider, logger_provider),
    )
    return _active


def shutdown() -> None:
    """Flush and stop the active Telemetry; `active()` is the no-op one again (process exit, tests)."""
    global _active
    telemetry, _active = _active, DISABLED
    telemetry.shutdown()


class _TraceIds:
    """Random ids, except a root span's ids while `root_span_ids` is in effect."""

    def __init__(self) -> None:
        from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

        self._random = RandomIdGenerator()

    def generate_span_id(self) -> int:
        return _forced_span_id.get() or self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        return _forced_trace_id.get() or self._random.generate_trace_id()

    def is_trace_id_random(self) -> bool:
        return False


@contextmanager
def root_span_ids(trace_key: str, span_key: str | None = None) -> Iterator[None]:
    """The root span started inside gets a trace id derived from `trace_key` (every attempt of one batch
    in one run lands in the same trace) and, with `span_key`, a span id derived from it (a job queued
    before its run names the run's span as its parent: `traceparent_for`). Start one span inside."""
    trace_token = _forced_trace_id.set(_key_id(trace_key, 32))
    span_token = _forced_span_id.set(_key_id(span_key, 16) if span_key is not None else None)
    try:
        yield
    finally:
        _forced_span_id.reset(span_token)
        _forced_trace_id.reset(trace_token)


def traceparent_for(trace_key: str, span_key: str) -> dict[str, str]:
    """The W3C trace context of the root span `root_span_ids(trace_key, span_key)` starts (sampled)."""
    return {"traceparent": f"00-{_key_id(trace_key, 32):032x}-{_key_id(span_key, 16):016x}-01"}


def _key_id(key: str, digits: int) -> int:
    """A non-zero id of `digits` hex digits derived from `key`."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:digits], 16) or 1


def inject_context() -> dict[str, str]:
    """The current span as W3C trace-context headers (empty when no span is recording)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def extract_context(carrier: Any) -> otel_context.Context | None:
    """The parent context a job carries (`traceparent`, `tracestate`), or None if absent or malformed."""
    if not isinstance(carrier, dict):
        return None
    headers = {k: v for k, v in carrier.items() if k in CARRIER_KEYS and isinstance(v, str) and len(v) < 512}
    if "traceparent" not in headers:
        return None
    context = _propagator.extract(headers)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def safe_text(value: str) -> str:
    """Text fit for export: one line, no URL paths or queries, no directories, capped."""
    return redact(value, url_paths=False, max_chars=MAX_TEXT_CHARS)


def safe_attributes(data: Mapping[str, Any], prefix: str = "") -> dict[str, AttributeValue]:
    """Attributes from structured log data: scalars kept, text made safe, one level of dicts flattened
    (`phase_ms.parse`), homogeneous scalar lists kept, None and anything else dropped."""
    attributes: dict[str, AttributeValue] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            attributes[name] = safe_text(value)
        elif isinstance(value, bool | int | float):
            attributes[name] = value
        elif isinstance(value, Mapping) and not prefix:
            attributes.update(safe_attributes(value, prefix=f"{name}."))
        elif isinstance(value, list | tuple) and value and len({type(item) for item in value}) == 1:
            first = value[0]
            if isinstance(first, str):
                attributes[name] = [safe_text(item) for item in value]
            elif isinstance(first, bool | int | float):
                attributes[name] = list(value)
    return attributes


class TelemetryLogHandler(logging.Handler):
    """Exports structured log lines (the message is the event name, `extra={"data": ...}` the fields) as
    OTel log records in the current trace context. No code paths, file names or raw values leave."""

    def emit(self, record: logging.LogRecord) -> None:
        telemetry = active()
        if not telemetry.enabled:
            return
        try:
            event = safe_text(record.getMessage())
            attributes = safe_attributes(getattr(record, "data", None) or {})
            attributes["logger"] = record.name
            telemetry.logger.emit(
                timestamp=int(record.created * 1e9),
                severity_number=_SEVERITY.get(record.levelno, otel_logs.SeverityNumber.INFO),
                severity_text=logging.getLevelName(record.levelno),
                body=event,
                attributes=attributes,
                event_name=event,
            )
        except Exception:  # telemetry never breaks logging
            return


def attach_log_handler(logger: logging.Logger) -> None:
    """Export `logger`'s records too (once); the handler is inert while telemetry is off."""
    if not any(isinstance(handler, TelemetryLogHandler) for handler in logger.handlers):
        logger.addHandler(TelemetryLogHandler())

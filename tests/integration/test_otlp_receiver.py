"""The loopback OTLP/HTTP receiver, driven by the real OpenTelemetry SDK and OTLP/HTTP exporters (1.45.2).

The exporters are configured only through `OTEL_*` env vars, as the worker and the Dagster side are; these
tests also pin the exporter behaviour we rely on: per-signal headers replace the shared ones, retry rules,
and failure logs that name the endpoint but never the headers.
"""

from __future__ import annotations

import http.client
import logging
import os
import time
from collections.abc import Iterator

import pytest
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tests.otlp_receiver import OtlpReceiver, closed_endpoint

TOKEN = "xaat-test"
RESOURCE = Resource.create({"service.name": "mineru-worker", "deployment.environment": "test"})


class Sdk:
    """SDK providers wired to the OTLP/HTTP exporters from env vars alone, shut down after the test."""

    def __init__(self) -> None:
        self._providers: list[TracerProvider | MeterProvider | LoggerProvider] = []

    def tracer_provider(self) -> TracerProvider:
        provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._providers.append(provider)
        return provider

    def meter_provider(self) -> MeterProvider:
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        provider = MeterProvider(metric_readers=[reader], resource=RESOURCE, shutdown_on_exit=False)
        self._providers.append(provider)
        return provider

    def logger_provider(self) -> LoggerProvider:
        provider = LoggerProvider(resource=RESOURCE, shutdown_on_exit=False)
        provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        self._providers.append(provider)
        return provider

    def shutdown(self) -> None:
        for provider in self._providers:
            provider.shutdown()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A running receiver and the exporters' whole configuration pointing at it (no other `OTEL_*`)."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # requests would route loopback through an env proxy
    with OtlpReceiver() as running:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.endpoint)
        monkeypatch.setenv(
            "OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer {TOKEN},x-axiom-dataset=events"
        )
        monkeypatch.setenv(
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            f"authorization=Bearer {TOKEN},x-axiom-metrics-dataset=metrics",
        )
        yield running


@pytest.fixture
def sdk(receiver: OtlpReceiver) -> Iterator[Sdk]:
    built = Sdk()
    yield built
    built.shutdown()


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


def test_spans_arrive_with_their_hierarchy_attributes_and_the_events_dataset_header(receiver, sdk):
    provider = sdk.tracer_provider()
    tracer = provider.get_tracer("platform.parse")
    with tracer.start_as_current_span("fetch") as upstream:
        pass
    attributes = {"doc.id": "std-1", "ok": True, "pages": 42, "ratio": 0.5, "tags": ["a", "b"], "ns": [1, 2]}
    with tracer.start_as_current_span("parse", kind=SpanKind.SERVER, attributes=attributes) as parent:
        link = Link(upstream.get_span_context(), {"link.reason": "retry"})
        with tracer.start_as_current_span("batch", links=[link]) as child:
            child.add_event("page done", {"page": 3, "empty": False})
            child.set_status(Status(StatusCode.ERROR, "engine crashed"))
    assert provider.force_flush()

    spans = {span.name: span for span in receiver.spans()}
    assert set(spans) == {"fetch", "parse", "batch"}
    parse, batch = spans["parse"], spans["batch"]
    assert parse.trace_id == _hex(parent.get_span_context().trace_id, 32)
    assert parse.span_id == _hex(parent.get_span_context().span_id, 16)
    assert parse.parent_span_id == ""
    assert (batch.trace_id, batch.parent_span_id) == (parse.trace_id, parse.span_id)
    assert batch.span_id == _hex(child.get_span_context().span_id, 16)
    assert parse.kind == "server" and batch.kind == "internal"
    assert parse.attributes == attributes
    assert (batch.status_code, batch.status_message) == ("error", "engine crashed")
    assert (parse.status_code, parse.status_message) == ("unset", "")
    assert [(event.name, event.attributes) for event in batch.events] == [
        ("page done", {"page": 3, "empty": False})
    ]
    [batch_link] = batch.links
    assert batch_link.trace_id == spans["fetch"].trace_id != batch.trace_id
    assert (batch_link.span_id, batch_link.attributes) == (spans["fetch"].span_id, {"link.reason": "retry"})
    assert 0 < batch.start_ns <= batch.end_ns
    assert parse.resource["service.name"] == "mineru-worker"
    assert parse.scope == "platform.parse"
    assert parse.headers["authorization"] == f"Bearer {TOKEN}"
    assert parse.headers["x-axiom-dataset"] == "events"
    assert "x-axiom-metrics-dataset" not in parse.headers
    assert parse.headers["content-type"] == "application/x-protobuf"
    assert parse.headers["user-agent"].startswith("OTel-OTLP-Exporter-Python/")


def test_metric_points_arrive_with_only_the_metrics_dataset_header(receiver, sdk):
    provider = sdk.meter_provider()
    meter = provider.get_meter("platform.orchestration")
    meter.create_counter("pages.parsed", unit="{page}", description="pages through MinerU").add(
        7, {"engine": "vlm"}
    )
    meter.create_up_down_counter("jobs.in_flight").add(-2)
    meter.create_histogram("job.duration", unit="s").record(12.5)
    meter.create_gauge("gpu.memory.used", unit="By").set(1.5e9)
    assert provider.force_flush()

    points = {point.name: point for point in receiver.metrics()}
    pages = points["pages.parsed"]
    assert (pages.kind, pages.is_monotonic, pages.temporality) == ("sum", True, "cumulative")
    assert (pages.value, pages.attributes) == (7, {"engine": "vlm"})
    assert (pages.unit, pages.description) == ("{page}", "pages through MinerU")
    in_flight = points["jobs.in_flight"]
    assert (in_flight.kind, in_flight.is_monotonic, in_flight.value) == ("sum", False, -2)
    duration = points["job.duration"]
    assert (duration.kind, duration.temporality) == ("histogram", "cumulative")
    assert duration.value["count"] == 1
    assert duration.value["sum"] == duration.value["min"] == duration.value["max"] == 12.5
    assert len(duration.value["bucket_counts"]) == len(duration.value["explicit_bounds"]) + 1
    assert sum(duration.value["bucket_counts"]) == 1
    gauge = points["gpu.memory.used"]
    assert (gauge.kind, gauge.temporality, gauge.is_monotonic, gauge.value) == ("gauge", None, None, 1.5e9)
    assert pages.resource["service.name"] == "mineru-worker"
    assert pages.scope == "platform.orchestration"
    # The per-signal variable replaces OTEL_EXPORTER_OTLP_HEADERS wholesale; it does not merge with it.
    assert pages.headers["authorization"] == f"Bearer {TOKEN}"
    assert pages.headers["x-axiom-metrics-dataset"] == "metrics"
    assert "x-axiom-dataset" not in pages.headers


def test_delta_exponential_histograms_decode(receiver, sdk, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "base2_exponential_bucket_histogram"
    )
    provider = sdk.meter_provider()
    histogram = provider.get_meter("platform.orchestration").create_histogram("page.seconds")
    for seconds in (0.5, 2.0, 2.0, 8.0):
        histogram.record(seconds)
    assert provider.force_flush()

    [point] = receiver.metrics()
    assert (point.kind, point.temporality) == ("exponential_histogram", "delta")
    assert (point.value["count"], point.value["sum"]) == (4, 12.5)
    assert (point.value["min"], point.value["max"], point.value["zero_count"]) == (0.5, 8.0, 0)
    assert sum(point.value["positive"]["bucket_counts"]) == 4
    assert sum(point.value["negative"]["bucket_counts"]) == 0


def test_a_log_emitted_inside_a_span_carries_its_trace_and_span_ids(receiver, sdk):
    tracer = sdk.tracer_provider().get_tracer("platform.parse")
    logger_provider = sdk.logger_provider()
    logger = logger_provider.get_logger("platform.worker")
    with tracer.start_as_current_span("parse") as span:
        logger.emit(
            body={"event": "done", "pages": [1, 2]},
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            attributes={"job.id": "j-1", "archive": {"bytes": 2048, "transport": "s3"}},
            event_name="worker.done",
        )
    logger.emit(body=b"raw", severity_number=SeverityNumber.WARN)
    assert logger_provider.force_flush()

    inside, outside = receiver.logs()
    assert inside.trace_id == _hex(span.get_span_context().trace_id, 32)
    assert inside.span_id == _hex(span.get_span_context().span_id, 16)
    assert inside.body == {"event": "done", "pages": [1, 2]}
    assert (inside.severity_text, inside.severity_number) == ("INFO", SeverityNumber.INFO.value)
    assert inside.attributes == {"job.id": "j-1", "archive": {"bytes": 2048, "transport": "s3"}}
    assert inside.event_name == "worker.done"
    assert (inside.scope, inside.resource["service.name"]) == ("platform.worker", "mineru-worker")
    assert inside.headers["x-axiom-dataset"] == "events"
    assert "x-axiom-metrics-dataset" not in inside.headers
    assert (outside.body, outside.trace_id, outside.span_id, outside.event_name) == (b"raw", "", "", "")


def test_gzip_compressed_exports_are_decoded(receiver, sdk, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    provider = sdk.tracer_provider()
    with provider.get_tracer("platform.parse").start_as_current_span("compressed"):
        pass
    assert provider.force_flush()

    [span] = receiver.spans()
    assert span.name == "compressed"
    assert span.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("status", "retry_after_s", "attempts"),
    [
        (503, 0, 6),  # retryable, Retry-After honoured: all 6 attempts the exporter makes
        (503, None, 1),  # retryable, but the ~1 s backoff does not fit the 0.5 s timeout
        (500, None, 1),  # not in the spec's retryable set (429/502/503/504)
        (404, None, 1),
    ],
)
def test_a_failing_collector_never_makes_flush_raise(
    receiver, sdk, monkeypatch, caplog, status, retry_after_s, attempts
):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.5")
    receiver.fail_with, receiver.retry_after_s = status, retry_after_s
    provider = sdk.tracer_provider()
    with provider.get_tracer("platform.parse").start_as_current_span("lost"):
        pass

    with caplog.at_level(logging.WARNING):
        flushed = provider.force_flush()

    assert flushed  # the batch processor reports True even though the export failed
    assert [request.status for request in receiver.requests] == [status] * attempts
    assert receiver.spans() == []
    assert "lost" in receiver.all_strings()  # it did arrive; the collector refused it
    assert any("Failed to export spans batch" in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text


def test_a_slow_collector_is_abandoned_at_the_export_timeout(receiver, sdk, monkeypatch, caplog):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.3")
    receiver.delay_s = 10.0
    provider = sdk.tracer_provider()
    with provider.get_tracer("platform.parse").start_as_current_span("slow"):
        pass

    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert provider.force_flush()
    assert time.monotonic() - started < receiver.delay_s

    # No retry fits after a read timeout (it uses up the whole budget): one generic error, no details.
    assert [record.getMessage() for record in caplog.records] == [
        "Failed to export spans batch due to timeout, max retries or shutdown."
    ]
    assert [request.status for request in receiver.requests] == [200]


def test_an_unreachable_collector_is_logged_with_its_address_but_never_its_headers(
    receiver, sdk, monkeypatch, caplog
):
    endpoint = closed_endpoint()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    # Room for one retry (backoff ~1 s): the address is only in the "Transient error" warning before it.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2")
    provider = sdk.tracer_provider()
    with provider.get_tracer("platform.parse").start_as_current_span("unsent"):
        pass

    with caplog.at_level(logging.WARNING):
        assert provider.force_flush()

    port = endpoint.rsplit(":", 1)[1]
    transient, failed = caplog.records
    assert transient.levelno == logging.WARNING
    assert (
        f"host='127.0.0.1', port={port}" in transient.getMessage() and "/v1/traces" in transient.getMessage()
    )
    assert failed.getMessage() == "Failed to export spans batch due to timeout, max retries or shutdown."
    assert TOKEN not in caplog.text
    assert receiver.requests == []


def _post(receiver: OtlpReceiver, path: str, body: bytes, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(receiver.endpoint.removeprefix("http://"), timeout=5)
    connection.request("POST", path, body, {"Content-Type": "application/x-protobuf", **headers})
    return connection.getresponse()


def test_the_receiver_answers_as_the_otlp_http_spec_says(receiver):
    accepted = _post(receiver, "/v1/traces", ExportTraceServiceRequest().SerializeToString())
    assert accepted.status == 200
    assert accepted.getheader("Content-Type") == "application/x-protobuf"
    assert ExportTraceServiceResponse.FromString(accepted.read()) == ExportTraceServiceResponse()

    refusals = [
        (_post(receiver, "/v1/spans", b""), 404),
        (_post(receiver, "/v1/traces", b"{}", **{"Content-Type": "application/json"}), 415),
        (_post(receiver, "/v1/traces", b"", **{"Content-Encoding": "br"}), 415),
        (_post(receiver, "/v1/traces", b"not protobuf"), 400),
        (_post(receiver, "/v1/logs", b"not gzip", **{"Content-Encoding": "gzip"}), 400),
    ]
    for response, status in refusals:
        assert response.status == status
        assert RpcStatus.FromString(response.read()).message
    assert [request.status for request in receiver.requests] == [200, 404, 415, 415, 400, 400]
    assert [request.message is None for request in receiver.requests] == [False] + [True] * 5

    receiver.fail_with, receiver.retry_after_s = 429, 3
    throttled = _post(receiver, "/v1/metrics", b"")
    assert (throttled.status, throttled.getheader("Retry-After")) == (429, "3")
    misrouted = _post(receiver, "/v1/spans", b"")
    assert (misrouted.status, misrouted.getheader("Retry-After")) == (404, None)


def test_all_strings_covers_every_payload_field_but_not_the_headers(receiver, sdk):
    tracer_provider, logger_provider = sdk.tracer_provider(), sdk.logger_provider()
    with tracer_provider.get_tracer("platform.parse").start_as_current_span("parse") as span:
        span.set_attribute("paths", ["/in/a.pdf", "/in/b.pdf"])
        span.add_event("fetched", {"source.url": "s3://bucket/a.pdf"})
        span.set_status(Status(StatusCode.ERROR, "bad page 7"))
    logger_provider.get_logger("platform.worker").emit(body={"note": {"detail": "nested text"}})
    assert tracer_provider.force_flush() and logger_provider.force_flush()

    strings = receiver.all_strings()
    expected = {"parse", "paths", "/in/a.pdf", "/in/b.pdf", "fetched", "source.url", "s3://bucket/a.pdf"}
    expected |= {"bad page 7", "note", "detail", "nested text", "platform.worker", "mineru-worker"}
    assert expected <= strings
    assert not any(TOKEN in text for text in strings)


def test_wait_for_returns_on_a_background_export_and_reports_what_arrived_on_timeout(
    receiver, sdk, monkeypatch
):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "20")
    provider = sdk.tracer_provider()
    with provider.get_tracer("platform.parse").start_as_current_span("background"):
        pass

    receiver.wait_for(lambda got: [span.name for span in got.spans()] == ["background"], timeout_s=10)

    with pytest.raises(TimeoutError, match=r"1 requests .*spans \['background'\]"):
        receiver.wait_for(lambda got: bool(got.logs()), timeout_s=0.05)

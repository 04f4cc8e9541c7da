"""A real OTLP/HTTP receiver on loopback for tests: decodes what the OpenTelemetry exporters send.

What it mirrors (the OTLP specification, OTLP/HTTP with binary protobuf encoding):
- `POST /v1/traces`, `/v1/metrics`, `/v1/logs` with `Content-Type: application/x-protobuf` and the body
  optionally `Content-Encoding: gzip` (or `deflate`): decoded into the signal's `Export*ServiceRequest`
  with `opentelemetry-proto`, answered 200 with an empty serialized `Export*ServiceResponse`.
- Another path -> 404; another content type (OTLP/JSON included) or encoding -> 415; a body that does not
  decompress or decode -> 400. Every 4xx/5xx body is a serialized `google.rpc.Status`, as the spec asks.
Faults: `fail_with` answers every well-formed export with that status (plus `Retry-After: retry_after_s`
when that is set); `delay_s` holds every answer that long (a slow collector; `stop()` cuts it short).

Every request is kept in `requests`. The flattened views (`spans()`, `metrics()`, `logs()`) show what was
accepted (answered 200), as a collector would have stored it; `all_strings()` covers every decoded
payload, accepted or not. Metric summaries (which the Python SDK never emits) are not flattened.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.proto.trace.v1.trace_pb2 import Status as SpanStatus

PROTOBUF = "application/x-protobuf"


class _Signal(NamedTuple):
    request: type[Message]
    response: type[Message]


_SIGNALS = {
    "/v1/traces": _Signal(
        trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse
    ),
    "/v1/metrics": _Signal(
        metrics_service_pb2.ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse
    ),
    "/v1/logs": _Signal(
        logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse
    ),
}
_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": bytes,
    "identity": bytes,
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
}
_POINT_KINDS = ("sum", "gauge", "histogram", "exponential_histogram")


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived: header names lower-cased, `message` None when the body was not decoded."""

    path: str
    headers: dict[str, str]
    message: Message | None
    status: int
    """What the receiver answered."""


@dataclass(frozen=True)
class SpanEvent:
    name: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class SpanLink:
    trace_id: str
    span_id: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class ReceivedSpan:
    """A span with hex ids ("" for no parent), its kind ("server", "internal" ...) and status code
    ("unset", "ok", "error") in lower case, with its resource, scope and request headers."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    status_code: str
    status_message: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    events: list[SpanEvent]
    links: list[SpanLink]
    resource: dict[str, Any]
    scope: str
    headers: dict[str, str]


@dataclass(frozen=True)
class ReceivedPoint:
    """One metric data point. `value` is the number for sums and gauges, a dict for histograms
    (count, sum, min, max, bucket_counts, explicit_bounds; exponential: scale, zero_count, positive,
    negative); `temporality` ("delta", "cumulative") is None for gauges, `is_monotonic` set for sums only."""

    name: str
    unit: str
    description: str
    kind: str
    is_monotonic: bool | None
    temporality: str | None
    value: int | float | dict[str, Any] | None
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    headers: dict[str, str]


@dataclass(frozen=True)
class ReceivedLog:
    """A log record with its body decoded and hex trace/span ids ("" when emitted outside a span)."""

    body: Any
    severity_text: str
    severity_number: int
    trace_id: str
    span_id: str
    attributes: dict[str, Any]
    event_name: str
    resource: dict[str, Any]
    scope: str
    headers: dict[str, str]


def closed_endpoint() -> str:
    """A loopback base URL where nothing listens (a port just bound and released, never listened on)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class OtlpReceiver:
    """An OTLP/HTTP collector on 127.0.0.1 that keeps everything it is sent."""

    def __init__(self) -> None:
        self.fail_with: int | None = None
        self.retry_after_s: int | None = None
        self.delay_s: float = 0.0
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> OtlpReceiver:
        handler = type("OtlpHandler", (_Handler,), {"receiver": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="otlp-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporters append `/v1/<signal>`)."""
        if self._server is None:
            raise RuntimeError("the OTLP receiver is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """Decode one request, keep it, and say what to answer (status, serialized body, extra headers)."""
        message, status, reply, extra = None, 200, b"", {}
        signal = _SIGNALS.get(path)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        decompress = _DECOMPRESS.get(headers.get("content-encoding", "").strip().lower())
        if signal is None:
            status, reply = 404, _status(f"no OTLP signal at {path}")
        elif content_type != PROTOBUF or decompress is None:
            status, reply = 415, _status(f"only {PROTOBUF} bodies, plain, gzip or deflate, are accepted")
        else:
            try:
                message = signal.request.FromString(decompress(body))
            except (DecodeError, OSError, EOFError, zlib.error) as error:
                status, reply = 400, _status(f"undecodable {path} body: {error}")
            else:
                if self.fail_with is not None:
                    status, reply = self.fail_with, _status("failure injected by the test")
                    if self.retry_after_s is not None:
                        extra["Retry-After"] = str(self.retry_after_s)
                else:
                    reply = signal.response().SerializeToString()
        with self._changed:
            self._requests.append(ReceivedRequest(path, headers, message, status))
            self._changed.notify_all()
        return status, reply, extra

    def _hold(self) -> None:
        """Wait `delay_s` before answering, unless the receiver is stopping."""
        if self.delay_s > 0:
            self._stopping.wait(self.delay_s)

    def spans(self) -> list[ReceivedSpan]:
        spans = []
        for request in self._accepted("/v1/traces"):
            for resource_spans in request.message.resource_spans:
                resource = _attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    spans += [
                        _span(span, resource, scope_spans.scope.name, request.headers)
                        for span in scope_spans.spans
                    ]
        return spans

    def metrics(self) -> list[ReceivedPoint]:
        points = []
        for request in self._accepted("/v1/metrics"):
            for resource_metrics in request.message.resource_metrics:
                resource = _attributes(resource_metrics.resource.attributes)
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        points += _points(metric, resource, scope_metrics.scope.name, request.headers)
        return points

    def logs(self) -> list[ReceivedLog]:
        logs = []
        for request in self._accepted("/v1/logs"):
            for resource_logs in request.message.resource_logs:
                resource = _attributes(resource_logs.resource.attributes)
                for scope_logs in resource_logs.scope_logs:
                    logs += [
                        ReceivedLog(
                            body=_value(record.body),
                            severity_text=record.severity_text,
                            severity_number=record.severity_number,
                            trace_id=record.trace_id.hex(),
                            span_id=record.span_id.hex(),
                            attributes=_attributes(record.attributes),
                            event_name=record.event_name,
                            resource=resource,
                            scope=scope_logs.scope.name,
                            headers=request.headers,
                        )
                        for record in scope_logs.log_records
                    ]
        return logs

    def all_strings(self) -> set[str]:
        """Every string in every decoded payload (names, keys, values, bodies, resources, status messages,
        units ...), for "nothing sensitive was sent" assertions. Request headers are not payload: see
        `requests`."""
        return {text for request in self.requests if request.message for text in _strings(request.message)}

    def wait_for(self, predicate: Callable[[OtlpReceiver], bool], timeout_s: float = 5.0) -> None:
        """Block until `predicate(self)` holds, re-checking on every request that arrives."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout_s):
                raise TimeoutError(f"OTLP receiver: condition not met within {timeout_s}s; {self.summary()}")

    def summary(self) -> str:
        """What arrived, on one line (for failure messages)."""
        statuses = [request.status for request in self.requests]
        return (
            f"{len(statuses)} requests (statuses {sorted(set(statuses))}); "
            f"spans {[span.name for span in self.spans()]}; "
            f"metrics {sorted({point.name for point in self.metrics()})}; "
            f"log bodies {[log.body for log in self.logs()]}"
        )

    def _accepted(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path and request.status == 200]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    receiver: OtlpReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): ", ".join(self.headers.get_all(name, [])) for name in self.headers}
        status, reply, extra = self.receiver._answer(self.path, headers, body)
        self.receiver._hold()
        with contextlib.suppress(ConnectionError):
            self.send_response(status)
            for name, value in {"Content-Type": PROTOBUF, "Content-Length": str(len(reply)), **extra}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test asserts on `requests`, not on an access log."""


def _status(message: str) -> bytes:
    return RpcStatus(message=message).SerializeToString()


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return None if kind is None else getattr(value, kind)


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _span(span: Span, resource: dict[str, Any], scope: str, headers: dict[str, str]) -> ReceivedSpan:
    return ReceivedSpan(
        name=span.name,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        kind=_short(Span.SpanKind.Name(span.kind), "SPAN_KIND_"),
        status_code=_short(SpanStatus.StatusCode.Name(span.status.code), "STATUS_CODE_"),
        status_message=span.status.message,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        attributes=_attributes(span.attributes),
        events=[SpanEvent(event.name, _attributes(event.attributes)) for event in span.events],
        links=[
            SpanLink(link.trace_id.hex(), link.span_id.hex(), _attributes(link.attributes))
            for link in span.links
        ],
        resource=resource,
        scope=scope,
        headers=headers,
    )


def _points(
    metric: Metric, resource: dict[str, Any], scope: str, headers: dict[str, str]
) -> list[ReceivedPoint]:
    kind = metric.WhichOneof("data")
    if kind not in _POINT_KINDS:
        return []
    data = getattr(metric, kind)
    return [
        ReceivedPoint(
            name=metric.name,
            unit=metric.unit,
            description=metric.description,
            kind=kind,
            is_monotonic=data.is_monotonic if kind == "sum" else None,
            temporality=None
            if kind == "gauge"
            else _short(
                AggregationTemporality.Name(data.aggregation_temporality), "AGGREGATION_TEMPORALITY_"
            ),
            value=_point_value(kind, point),
            attributes=_attributes(point.attributes),
            resource=resource,
            scope=scope,
            headers=headers,
        )
        for point in data.data_points
    ]


def _short(enum_name: str, prefix: str) -> str:
    return enum_name.removeprefix(prefix).lower()


def _point_value(kind: str, point: Message) -> int | float | dict[str, Any] | None:
    if kind in ("sum", "gauge"):
        number = point.WhichOneof("value")
        return None if number is None else getattr(point, number)
    shape = {
        "count": point.count,
        **{name: getattr(point, name) if point.HasField(name) else None for name in ("sum", "min", "max")},
    }
    if kind == "histogram":
        return {
            **shape,
            "bucket_counts": list(point.bucket_counts),
            "explicit_bounds": list(point.explicit_bounds),
        }
    return {
        **shape,
        "scale": point.scale,
        "zero_count": point.zero_count,
        "positive": {"offset": point.positive.offset, "bucket_counts": list(point.positive.bucket_counts)},
        "negative": {"offset": point.negative.offset, "bucket_counts": list(point.negative.bucket_counts)},
    }


def _strings(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        for item in value if field.is_repeated else [value]:
            if field.type == field.TYPE_MESSAGE:
                yield from _strings(item)
            elif field.type == field.TYPE_STRING:
                yield item
            elif field.name == "bytes_value":
                yield item.decode("utf-8", "replace")

"""The shared telemetry layer against a loopback collector: shared traces, safe log records, and a dead
collector that costs a bounded flush."""

from __future__ import annotations

import logging

import pytest

import telemetry
from telemetry import DISABLED, TelemetryLogHandler, configure, root_span_ids, traceparent_for
from tests.otlp_receiver import OtlpReceiver, closed_endpoint


def test_root_spans_under_one_key_share_a_trace(otlp: OtlpReceiver) -> None:
    active = configure("document-platform")
    with root_span_ids("run-1/doc~b001"):
        first = active.tracer.start_span("platform.batch")
    with root_span_ids("run-1/doc~b001", "run-1/doc~b001/1"):
        second = active.tracer.start_span("platform.batch")
    with root_span_ids("run-1/doc~b002"):
        other = active.tracer.start_span("platform.batch")
    for span in (first, second, other):
        span.end()
    active.flush()
    trace_ids = [span.trace_id for span in otlp.spans()]
    assert trace_ids[0] == trace_ids[1] != trace_ids[2]
    # a job queued before its run can name the run's root span as its parent
    (traceparent,) = traceparent_for("run-1/doc~b001", "run-1/doc~b001/1").values()
    assert traceparent == f"00-{trace_ids[1]}-{otlp.spans()[1].span_id}-01"


def test_log_records_carry_the_span_and_only_safe_structured_fields(otlp: OtlpReceiver) -> None:
    active = configure("mineru-worker")
    logger = logging.getLogger("tests.telemetry")
    logger.addHandler(handler := TelemetryLogHandler())
    try:
        with active.tracer.start_as_current_span("mineru.job") as span:
            logger.warning(
                "job failed", extra={"data": {"error": "bad /home/u/secret/x.pdf", "job_id": "j1"}}
            )
        active.flush()
    finally:
        logger.removeHandler(handler)
    (record,) = otlp.logs()
    assert (record.body, record.event_name, record.severity_text) == ("job failed", "job failed", "WARNING")
    assert record.span_id == f"{span.get_span_context().span_id:016x}"
    assert record.attributes == {"error": "bad x.pdf", "job_id": "j1", "logger": "tests.telemetry"}


def test_a_dead_collector_costs_a_bounded_flush_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", closed_endpoint())
    active = configure("mineru-worker")
    try:
        with active.tracer.start_as_current_span("mineru.job"):
            pass
        # the exporter retries for its whole 10 s budget; the flush gives up at its own deadline
        assert active.flush(timeout_s=0.3) is False
    finally:
        telemetry.shutdown()
    assert telemetry.active() is DISABLED

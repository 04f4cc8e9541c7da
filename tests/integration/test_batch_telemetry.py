"""The orchestrator's batch and document-phase telemetry, exported to a loopback collector."""

from __future__ import annotations

import pytest

import telemetry
from platform_assets.domain.observe.timing_records import TimingRecord
from platform_assets.edges.batch_telemetry import BatchObservation, DocumentPhase
from tests.otlp_receiver import OtlpReceiver

S = 1_000_000_000


def observation(attempt: int = 0) -> BatchObservation:
    return BatchObservation(
        run_id="run-1", batch_key="doc~b002", doc_id="doc", attempt=attempt, first_page=10, last_page=19
    )


def record(status: str, attempt: int = 0, **fields: object) -> TimingRecord:
    base: dict[str, object] = dict(
        record_id=f"doc~b002/run-1-{attempt}",
        run_id="run-1",
        attempt=attempt,
        doc_id="doc",
        batch_key="doc~b002",
        first_page=10,
        last_page=19,
        pages=10,
        status=status,
        tier="flash",
        started_at="2026-11-23T10:00:00+00:00",
        finished_at="2026-11-23T10:00:30+00:00",
        wall_s=30.0,
    )
    return TimingRecord(**{**base, **fields})


def test_phase_spans_are_placed_where_the_attempt_measured_them(otlp: OtlpReceiver) -> None:
    phases = {"submit": 0.5, "queue": 2.0, "download": 1.0, "extract": 0.25, "normalize": 0.5, "parse": 4.0}
    sources = {name: "worker" if name == "parse" else "orchestrator" for name in phases}
    with observation() as observed:
        observed.marks = {
            "submit": 100 * S,
            "submitted": 100 * S + S // 2,
            "wait": 101 * S,
            "waited": 109 * S,
        }
        observed.marks["store"] = 110 * S
        observed.finished(record("succeeded", phases=phases, phase_sources=sources, job_id="j-1"))
    spans = {span.name: span for span in otlp.spans()}
    root = spans["platform.batch"]
    placed = {name: (s.start_ns, s.end_ns) for name, s in spans.items() if s.parent_span_id == root.span_id}
    assert placed == {
        "platform.submit": (100 * S, 100 * S + S // 2),
        "platform.queue": (101 * S, 103 * S),
        "platform.download": (108 * S, 109 * S),
        "platform.extract": (110 * S, 110 * S + S // 4),
        "platform.normalize": (110 * S + S // 4, 110 * S + 3 * S // 4),
    }
    assert root.attributes["mineru.job_id"] == "j-1" and root.attributes["batch.pages"] == 10
    phase_points = {p.attributes["phase"]: p.attributes["phase.source"] for p in otlp.metrics()
                    if p.name == "platform.phase.duration"}  # fmt: skip
    assert phase_points["parse"] == "worker" and phase_points["queue"] == "orchestrator"


def test_a_failed_retry_is_an_error_with_a_safe_message_and_counts_as_a_retry(otlp: OtlpReceiver) -> None:
    error = "RunPod job abc: GET https://api.runpod.ai/v2/ep/status/abc?token=s3cr3t failed at /srv/a/b.pdf"
    with observation(attempt=1) as observed:
        observed.finished(record("failed", attempt=1, error=error))
    (root,) = otlp.spans()
    assert root.status_code == "error"
    assert root.status_message == "RunPod job abc: GET https://api.runpod.ai failed at b.pdf"
    counts = {(p.name, p.attributes.get("status")): p.value for p in otlp.metrics() if p.kind == "sum"}
    assert counts == {("platform.batch.attempts", "failed"): 1, ("platform.batch.retries", None): 1}
    (log,) = otlp.logs()
    assert log.severity_text == "WARNING" and "s3cr3t" not in str(log.attributes)


def test_a_cancelled_attempt_counts_as_a_cancellation(otlp: OtlpReceiver) -> None:
    with observation() as observed:
        observed.finished(record("cancelled", error="run terminated", job_id="j-2"))
    names = {p.name for p in otlp.metrics()}
    assert "platform.batch.cancellations" in names and "platform.batch.retries" not in names


def test_an_exception_marks_the_span_failed_and_still_exports(otlp: OtlpReceiver) -> None:
    with pytest.raises(RuntimeError), observation():
        raise RuntimeError("boom at /srv/x")
    (root,) = otlp.spans()
    assert (root.status_code, root.status_message) == ("error", "RuntimeError")


def test_the_job_carries_the_root_span_only_while_telemetry_is_on(
    otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with observation() as observed:
        fields = observed.job_fields()
    (root,) = otlp.spans()
    assert fields == {"trace_context": {"traceparent": f"00-{root.trace_id}-{root.span_id}-01"}}
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    telemetry.shutdown()
    with observation() as observed:
        assert observed.job_fields() == {}


def test_document_phases_are_root_spans_with_a_duration_point(otlp: OtlpReceiver) -> None:
    with pytest.raises(ValueError), DocumentPhase("tree", doc_id="doc", run_id="run-9"):
        raise ValueError("bad outline")
    (span,) = otlp.spans()
    assert (span.name, span.parent_span_id, span.status_code) == ("platform.tree", "", "error")
    (point,) = [p for p in otlp.metrics() if p.name == "platform.phase.duration"]
    assert point.attributes == {"phase": "tree", "phase.source": "orchestrator", "status": "failed"}

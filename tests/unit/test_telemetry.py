"""The shared telemetry layer: off by default, env-configured, safe text, W3C context, bounded flushes."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from gpu_image.worker.job_telemetry import gpu_memory_peak_bytes, output_bytes
from telemetry import (
    DISABLED,
    configure,
    extract_context,
    inject_context,
    safe_attributes,
    telemetry_enabled,
)
from worker_contract.contract import JobInputError, parse_job_input

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://eu-central-1.aws.edge.axiom.co"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_telemetry_is_off_unless_an_endpoint_is_set(env: dict[str, str], enabled: bool) -> None:
    assert telemetry_enabled(env) is enabled


def test_without_an_endpoint_configure_keeps_the_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert configure("mineru-worker") is DISABLED
    with DISABLED.tracer.start_as_current_span("mineru.job"):
        assert inject_context() == {}  # nothing is recording, so nothing is propagated
    assert DISABLED.flush() is True


def test_exported_text_has_no_url_paths_queries_or_directories() -> None:
    data = {
        "error": "HTTP 403 from https://bucket.r2.dev/keys/a.pdf?X-Amz-Signature=abc for /srv/data/in/a.pdf",
        "pages": [0, 9],
        "phase_ms": {"parse": 12, "note": "see /tmp/x/y.log"},
        "worker_id": None,
        "cold_start": True,
        "mixed": [1, "a"],
    }
    attributes = safe_attributes(data)
    assert attributes == {
        "error": "HTTP 403 from https://bucket.r2.dev for a.pdf",
        "pages": [0, 9],
        "phase_ms.parse": 12,
        "phase_ms.note": "see y.log",
        "cold_start": True,
    }


@pytest.mark.parametrize(
    "carrier",
    [None, "traceparent", {}, {"traceparent": "garbage"}, {"traceparent": TRACEPARENT + "x" * 600}],
)
def test_a_missing_or_malformed_trace_context_starts_a_new_trace(carrier: object) -> None:
    assert extract_context(carrier) is None


def test_a_valid_trace_context_is_the_parent() -> None:
    context = extract_context({"traceparent": TRACEPARENT, "ignored": "x"})
    assert context is not None
    parent = trace.get_current_span(context).get_span_context()
    assert f"{parent.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"


def test_the_job_contract_takes_a_trace_context_of_at_most_two_headers() -> None:
    job = parse_job_input({"file_b64": "JVBERg==", "trace_context": {"traceparent": TRACEPARENT}})
    assert job.trace_context == {"traceparent": TRACEPARENT}
    with pytest.raises(JobInputError, match="trace_context"):
        parse_job_input({"file_b64": "JVBERg==", "trace_context": {"a": "1", "b": "2", "c": "3"}})


def test_result_sizes_and_gpu_memory_are_read_without_importing_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert output_bytes({"bucket_bytes": 1234, "tarball_url": "https://x"}) == 1234
    assert output_bytes({"tarball_b64": "YWJjZA=="}) == 4  # b"abcd"
    assert output_bytes({"markdown": "é"}) == 2
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    assert gpu_memory_peak_bytes() is None


def test_gpu_memory_peak_is_read_and_reset_when_cuda_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeCuda:  # the one edge this machine cannot reach: a CUDA device
        peak = 7 << 30

        def is_available(self) -> bool:
            return True

        def max_memory_allocated(self) -> int:
            return self.peak

        def reset_peak_memory_stats(self) -> None:
            self.peak = 0

    fake = type("FakeTorch", (), {"cuda": FakeCuda()})()
    monkeypatch.setitem(__import__("sys").modules, "torch", fake)
    assert gpu_memory_peak_bytes() == 7 << 30
    assert gpu_memory_peak_bytes() == 0

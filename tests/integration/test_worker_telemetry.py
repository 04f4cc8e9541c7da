"""The worker's telemetry on real MinerU (flash) jobs in this process: spans joined to the caller's trace,
failures and the boot warmup, exported to a loopback collector."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path

import pytest

from gpu_image.worker import job as job_module
from gpu_image.worker.job import run_job
from gpu_image.worker.warmup import WARMUP_PDF, run_warmup
from telemetry import active, configure
from tests.otlp_receiver import OtlpReceiver
from tests.polling import until

pytestmark = pytest.mark.slow
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@pytest.fixture
def fresh_worker(monkeypatch: pytest.MonkeyPatch, otlp: OtlpReceiver) -> OtlpReceiver:
    """A worker process that has parsed nothing yet, exporting to the collector."""
    monkeypatch.setattr(job_module, "_jobs_started", 0)
    monkeypatch.setattr(job_module, "_warmup_ms", None)
    configure("mineru-worker", {"worker.id": "w-test"})
    return otlp


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def exported(receiver: OtlpReceiver, spans: dict[str, int], metric: str) -> None:
    """Wait until the collector holds at least `spans` (name: count) and `metric`: `flush` waits at most
    3 s, and on a loaded machine an export may finish after it, in its own thread."""

    def arrived() -> bool:
        names = Counter(span.name for span in receiver.spans())
        return all(names[name] >= count for name, count in spans.items()) and any(
            point.name == metric for point in receiver.metrics()
        )

    until(arrived, f"{spans} and {metric} at the collector", 60)


def test_a_job_joins_the_callers_trace_with_its_three_phases(fresh_worker: OtlpReceiver) -> None:
    payload = {
        "input": {
            "file_b64": b64(WARMUP_PDF),
            "tier": "flash",
            "trace_context": {"traceparent": f"00-{TRACE_ID}-{PARENT}-01"},
        }
    }
    output = run_job(payload, worker_id="w-test", job_id="job-42")
    assert output["debug"]["cold_start"] is True
    active().flush()
    exported(fresh_worker, {"mineru.job": 1}, "mineru.phase.duration")
    spans = {span.name: span for span in fresh_worker.spans()}
    job = spans["mineru.job"]
    assert (job.trace_id, job.parent_span_id, job.kind) == (TRACE_ID, PARENT, "consumer")
    assert job.attributes["mineru.job_id"] == "job-42"
    assert job.attributes["mineru.pages_parsed"] == 1 and job.attributes["mineru.source"] == "file_b64"
    assert job.resource["service.name"] == "mineru-worker" and job.resource["worker.id"] == "w-test"
    for phase in ("mineru.fetch_input", "mineru.parse", "mineru.package"):
        assert spans[phase].parent_span_id == job.span_id
    names = Counter(point.name for point in fresh_worker.metrics())
    assert {
        "mineru.jobs",
        "mineru.pages",
        "mineru.bytes",
        "mineru.job.duration",
        "mineru.cold_starts",
    } <= set(names)
    assert names["mineru.phase.duration"] == 3


def test_a_failed_job_is_an_error_span_with_a_safe_message(
    fresh_worker: OtlpReceiver, tmp_path: Path
) -> None:
    secret_dir = tmp_path / "customer-acme"
    secret_dir.mkdir()
    (secret_dir / "notes.pdf").write_text("not a pdf")
    output = run_job({"volume_path": str(secret_dir / "notes.pdf"), "tier": "flash"}, job_id="job-7")
    assert "error" in output
    active().flush()
    exported(fresh_worker, {"mineru.job": 1}, "mineru.errors")
    (job,) = [span for span in fresh_worker.spans() if span.name == "mineru.job"]
    assert job.status_code == "error" and job.attributes["error.type"]
    assert "customer-acme" not in job.status_message and str(tmp_path) not in str(fresh_worker.all_strings())
    errors = [p for p in fresh_worker.metrics() if p.name == "mineru.errors"]
    assert [p.value for p in errors] == [1] and errors[0].attributes["error.type"] == job.attributes[
        "error.type"
    ]


def test_the_boot_warmup_is_its_own_span_and_the_next_job_reports_it(fresh_worker: OtlpReceiver) -> None:
    run_warmup("flash", worker_id="w-test-warmup")
    first = run_job({"file_b64": b64(WARMUP_PDF), "tier": "flash"})
    second = run_job({"file_b64": b64(WARMUP_PDF), "tier": "flash"})
    assert first["debug"]["warmup_ms"] > 0 and first["debug"]["cold_start"] is False
    assert "warmup_ms" not in second["debug"]
    active().flush()
    exported(fresh_worker, {"mineru.warmup": 1, "mineru.job": 2}, "mineru.warmup.duration")
    roots = Counter(span.name for span in fresh_worker.spans() if span.parent_span_id == "")
    assert roots == {"mineru.warmup": 1, "mineru.job": 2}
    assert [p.value["count"] for p in fresh_worker.metrics() if p.name == "mineru.warmup.duration"] == [1]
    jobs = sum(p.value for p in fresh_worker.metrics() if p.name == "mineru.jobs")
    assert jobs == 2  # the warmup is not a job

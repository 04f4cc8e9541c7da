"""OpenTelemetry end to end: the sample through Dagster and the warm MinerU workers, exporting OTLP/HTTP
to a real collector on loopback configured the way Axiom is (env vars only). The protobuf bodies are
decoded: names, hierarchy, attributes, headers, and nothing sensitive.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.local_run import materialize_document
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings
from tests.conftest import AXIOM_TOKEN
from tests.otlp_receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.slow
WORKER_PHASES = {"mineru.fetch_input", "mineru.parse", "mineru.package"}
ORCHESTRATOR_PHASES = {"platform.submit", "platform.queue", "platform.download", "platform.extract"}


@pytest.fixture(scope="module")
def traced(tmp_path_factory, sample_pdf):
    """The sample parsed once with telemetry on (the collector sees both sides), then re-run (reuse)."""
    paths = PlatformPaths(tmp_path_factory.mktemp("traced"))
    resources = {
        **default_resources(PlatformSettings(paths)),
        "planner": PlannerSettings(target_pages=20, max_pages=40),
    }
    intake = register_pdf(sample_pdf, Registry(paths.registry), paths.landing, "test")
    doc_id = intake.record.doc_id
    with pytest.MonkeyPatch.context() as patch, OtlpReceiver() as receiver:
        import telemetry
        from tests.conftest import axiom_env

        for name, value in axiom_env(receiver.endpoint).items():
            patch.setenv(name, value)
        try:
            with dg.instance_for_test() as instance:
                report = materialize_document(
                    doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
                )
                first_pass = len(receiver.requests)
                materialize_document(doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None)
            batches = report.batches

            def complete(r: OtlpReceiver) -> bool:  # the workers export on their own schedule
                names = Counter(span.name for span in r.spans())
                return names["mineru.job"] >= batches and names["platform.batch"] >= 2 * batches

            receiver.wait_for(complete, timeout_s=30)
        finally:
            telemetry.shutdown()
        yield receiver, paths, report, first_pass


def by_name(spans: list[ReceivedSpan], name: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.name == name]


def test_each_batch_run_is_one_trace_joining_the_worker_job_and_its_phases(traced):
    receiver, _, report, _ = traced
    spans = receiver.spans()
    parsed = [s for s in by_name(spans, "platform.batch") if s.attributes["batch.status"] == "succeeded"]
    assert len(parsed) == report.batches
    assert len({s.trace_id for s in parsed}) == report.batches  # one trace per batch run
    for root in parsed:
        assert root.parent_span_id == "" and root.resource["service.name"] == "document-platform"
        trace = [s for s in spans if s.trace_id == root.trace_id]
        (job,) = by_name(trace, "mineru.job")
        assert job.parent_span_id == root.span_id and job.resource["service.name"] == "mineru-worker"
        assert job.attributes["mineru.job_id"] == root.attributes["mineru.job_id"]
        assert job.attributes["mineru.pages_parsed"] == root.attributes["batch.pages"]
        assert {s.name for s in trace if s.parent_span_id == job.span_id} == WORKER_PHASES
        children = {s.name for s in trace if s.parent_span_id == root.span_id}
        assert children >= ORCHESTRATOR_PHASES | {"mineru.job"}
        for child in trace:  # the orchestrator's phases lie inside the batch's span, the worker's in its job
            outer = job if child.parent_span_id == job.span_id else root
            assert outer.start_ns <= child.start_ns <= child.end_ns <= outer.end_ns or child in (job, root)
        assert job.end_ns <= root.end_ns


def test_the_worker_starts_each_next_batch_before_its_run_starts(traced):
    """`ingest --wait` reads ahead: the next batch's job is queued while the last batch's run finishes, and
    its run takes it; the job's spans still join that run's trace."""
    receiver, _, report, _ = traced
    spans = receiver.spans()
    roots = sorted(
        (s for s in by_name(spans, "platform.batch") if s.attributes["batch.status"] == "succeeded"),
        key=lambda s: s.attributes["batch.key"],
    )
    jobs = {s.trace_id: s for s in by_name(spans, "mineru.job")}
    assert len(roots) == report.batches >= 2
    for root in roots[1:]:
        assert jobs[root.trace_id].start_ns < root.start_ns


def test_reused_batches_and_document_phases_are_traced_too(traced):
    receiver, _, report, _ = traced
    spans = receiver.spans()
    statuses = Counter(s.attributes["batch.status"] for s in by_name(spans, "platform.batch"))
    assert statuses == {"succeeded": report.batches, "reused": report.batches}
    for phase in ("platform.plan", "platform.tree", "platform.verify"):
        (first, *_) = by_name(spans, phase)
        assert first.attributes["doc.id"] == report.doc_id and first.parent_span_id == ""


def test_metrics_count_batches_pages_jobs_and_queue_waits(traced):
    receiver, _, report, _ = traced
    points = receiver.metrics()

    def total(name: str, **attributes: object) -> float:
        return sum(
            p.value if not isinstance(p.value, dict) else p.value["count"]
            for p in points
            if p.name == name and all(p.attributes.get(k) == v for k, v in attributes.items())
        )

    assert total("platform.batch.attempts", status="succeeded") == report.batches
    assert total("platform.batch.attempts", status="reused") == report.batches
    assert total("platform.batch.pages") == report.pages
    assert total("platform.batch.queue_wait") == report.batches  # histogram: one point per parse
    assert total("mineru.jobs", outcome="ok") == report.batches
    assert total("mineru.pages") == report.pages
    assert total("mineru.cold_starts") >= 1
    assert all(p.temporality in ("delta", None) for p in points)


def test_logs_are_structured_and_carry_their_span(traced):
    receiver, _, report, _ = traced
    spans = receiver.spans()
    roots = {s.span_id: s for s in by_name(spans, "platform.batch")}
    finished = [log for log in receiver.logs() if log.event_name == "batch finished"]
    assert len(finished) == 2 * report.batches
    for log in finished:
        root = roots[log.span_id]
        assert log.trace_id == root.trace_id and log.attributes["batch"] == root.attributes["batch.key"]
    jobs = {s.span_id: s for s in by_name(spans, "mineru.job")}
    done = [log for log in receiver.logs() if log.event_name == "done" and "job_id" in log.attributes]
    assert len(done) == report.batches and all(log.span_id in jobs for log in done)  # the boot warmup aside
    assert all("phase_ms.mineru_parse" in log.attributes for log in done)


def test_axiom_headers_go_per_signal(traced):
    receiver, _, _, _ = traced
    paths = Counter(r.path for r in receiver.requests)
    assert paths["/v1/traces"] and paths["/v1/metrics"] and paths["/v1/logs"]
    for request in receiver.requests:
        assert request.headers["authorization"] == f"Bearer {AXIOM_TOKEN}"
        assert request.headers["content-type"] == "application/x-protobuf"
        if request.path == "/v1/metrics":
            assert request.headers["x-axiom-metrics-dataset"] == "platform-metrics"
            assert "x-axiom-dataset" not in request.headers
        else:
            assert request.headers["x-axiom-dataset"] == "platform-events"


def test_nothing_sensitive_is_exported(traced):
    receiver, paths, _, _ = traced
    strings = receiver.all_strings()
    leaks = {
        s for s in strings if AXIOM_TOKEN in s or str(paths.root) in s or "/tmp" in s or str(Path.home()) in s
    }
    assert not leaks
    assert not [s for s in strings if "://" in s or ("?" in s and "=" in s)]
    assert not [s for s in strings if "code.file" in s or s.endswith(".py")]

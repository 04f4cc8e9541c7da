"""The batch service on in-memory ports: every way an attempt ends, each in one timing record.

No Dagster, no MinerU, no files: a scripted worker, a store of dicts and a clock that moves when told.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.intake.registry import DocumentRecord
from platform_assets.domain.observe.timing_records import TimingRecord
from platform_assets.domain.parse.batch_claim import ClaimHolder
from platform_assets.domain.parse.batch_run import BatchJob, BatchOutcome, RunAttempt, batch_job, run_batch
from platform_assets.domain.parse.batch_store import BatchFingerprint, BatchManifest, BatchStoreError
from platform_assets.domain.parse.ports import WorkerError
from platform_assets.domain.plan.batch_plan import Batch, BatchPlan, BatchReason, PlanConfig, PlanMethod
from worker_contract.contract import JobDebug, JobInput, JobOutput, JobResult, PhaseMs, Transport

KEY, DOC, SHA = "d~b001", "d", "a" * 64
BATCH = BatchJob(key=KEY, doc_id=DOC, pdf_sha256=SHA, first_page=0, last_page=9)
FINGERPRINT = BatchFingerprint(
    pdf_sha256=SHA, first_page=0, last_page=9, engine_version="4.0.12", tier="flash"
)
SECRET_URL = "https://bucket.example.com/out.tar.gz?X-Amz-Signature=SECRET"


class Interrupted(BaseException):
    """What a terminated run raises inside the attempt (Dagster's interrupt, here)."""


class Clock:
    def __init__(self) -> None:
        self.start, self.elapsed = datetime(2026, 1, 1, tzinfo=UTC), 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def perf_counter(self) -> float:
        return self.elapsed


@dataclass
class Handle:
    job_id: str


@dataclass(frozen=True)
class Finished:
    job_id: str
    output: JobOutput
    queue_wait_s: float
    execution_s: float
    archive: bytes
    result_dir: Path | None = None


@dataclass
class Worker:
    """Finishes each job in 3 s of the clock (1 s queued, 1.5 s executing), or fails as `fault` says."""

    clock: Clock
    fault: str = ""
    """"" | "submit" | "wait" (a WorkerError) | "crash" (another error) | "interrupt" | "degraded"."""
    flattened: list[int] | None = None
    """The pages its result says it flattened (`flattened_pages`)."""
    jobs: list[JobInput] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def engine_identity(self) -> tuple[str, str]:
        return "4.0.12", "flash"

    @property
    def transport(self) -> Transport:
        return "tarball_b64"

    def submit(self, job: JobInput) -> Handle:
        if self.fault == "submit":
            raise WorkerError("RunPod /run answered HTTP 503", transient=True)
        self.jobs.append(job)
        return Handle(f"job-{len(self.jobs)}")

    def wait(self, handle: Handle, timeout_s: float) -> Finished:
        self.clock.elapsed += 3.0
        if self.fault == "wait":
            raise WorkerError(f"RunPod job {handle.job_id} FAILED: fetch {SECRET_URL}", transient=False)
        if self.fault == "crash":
            raise RuntimeError(f"connection reset by {SECRET_URL}")
        if self.fault == "interrupt":
            raise Interrupted()
        job = self.jobs[-1]
        result = JobResult(
            basename=job.basename,
            source="volume_path",
            pages_requested=[job.start_page, job.end_page],
            page_count_parsed=job.end_page - job.start_page + 1,
            archive_format="tar.gz",
            degraded=["content_list.json: disk full"] if self.fault == "degraded" else None,
            flattened_pages=self.flattened,
        )
        debug = JobDebug(phase_ms=PhaseMs(mineru_parse=1000), tier="flash", worker_id="w-1", cold_start=False)
        output = JobOutput(elapsed_seconds=1.5, mineru_version="4.0.12", results=[result], debug=debug)
        return Finished(handle.job_id, output, queue_wait_s=1.0, execution_s=1.5, archive=b"tar")

    def cancel(self, handle: Handle) -> None:
        self.cancelled.append(handle.job_id)


@dataclass
class Claim:
    taken_over: ClaimHolder | None = None
    lost: bool = False

    @contextmanager
    def renewing(self) -> Iterator[Claim]:
        yield self


def manifest(
    job_id: str,
    produced: range = range(10),
    fingerprint: BatchFingerprint = FINGERPRINT,
    flattened: Sequence[int] = (),
) -> BatchManifest:
    return BatchManifest(
        key=KEY,
        doc_id=DOC,
        fingerprint=fingerprint,
        produced_pages=list(produced),
        block_count=len(produced),
        blocks_by_kind={"text": len(produced)},
        archive_members=2,
        worker_id="w-1",
        job_id=job_id,
        flattened_pages=list(flattened),
    )


@dataclass
class Store:
    """Registry, batches, claims, deadline markers and records in dicts."""

    clock: Clock
    plans: dict[str, BatchPlan] = field(default_factory=dict)
    batches: dict[str, BatchManifest] = field(default_factory=dict)
    claim_result: Callable[[], Claim | BatchManifest] = Claim
    """What claiming finds: a claim of this run's own, or a batch another holder stored."""
    store_error: BatchStoreError | None = None
    produced: range = range(10)
    markers: dict[tuple[str, str], float] = field(default_factory=dict)
    records: list[TimingRecord] = field(default_factory=list)
    waited_for: list[str] = field(default_factory=list)

    def document(self, doc_id: str) -> DocumentRecord:
        return DocumentRecord(
            doc_id=doc_id, sha256=SHA, filename="d.pdf", size_bytes=1, source="cli", registered_at="2026"
        )

    def plan(self, doc_id: str) -> BatchPlan | None:
        return self.plans.get(doc_id)

    def pdf_source(self, pdf_sha256: str) -> dict[str, str]:
        return {"volume_path": f"/objects/{pdf_sha256}.pdf"}

    def finished_batch(
        self, key: str, fingerprint: BatchFingerprint, *, other_than: BatchManifest | None = None
    ) -> BatchManifest | None:
        stored = self.batches.get(key)
        return stored if stored and stored.fingerprint == fingerprint and stored != other_than else None

    def stored_batch(self, key: str) -> BatchManifest | None:
        return self.batches.get(key)

    def claim(
        self,
        key: str,
        run_id: str,
        *,
        finished: Callable[[], BatchManifest | None],
        timeout_s: float,
        on_wait: Callable[[ClaimHolder], None],
    ) -> Claim | BatchManifest:
        claimed = self.claim_result()
        if isinstance(claimed, BatchManifest):
            on_wait(ClaimHolder("t", 42, "", "host", "", "other-run", 0.0, 60.0))
            self.batches[key] = claimed
            self.waited_for.append(key)
            return finished() or claimed
        return claimed

    def store_batch(
        self,
        key: str,
        fingerprint: BatchFingerprint,
        *,
        archive: bytes,
        archive_format: str,
        result_dir: Path | None,
        worker_id: str,
        job_id: str,
        flattened_pages: Sequence[int],
    ) -> tuple[BatchManifest, dict[str, float]]:
        if self.store_error is not None:
            raise self.store_error
        self.batches[key] = manifest(job_id, self.produced, fingerprint, flattened_pages)
        return self.batches[key], {"download_extract": 0.25, "normalize": 0.5}

    def content_version(self, key: str, manifest: BatchManifest) -> str:
        return hashlib.sha256(str(manifest.produced_pages).encode()).hexdigest()[:16]

    def first_attempt_at(self, key: str, run_id: str) -> float:
        return self.markers.setdefault((key, run_id), self.clock.now().timestamp())

    def end_run(self, key: str, run_id: str) -> None:
        self.markers.pop((key, run_id), None)

    def sweep_deadlines(self, deadline_s: float) -> None:
        pass

    def write_record(self, record: TimingRecord) -> None:
        self.records.append(record)


class Observer:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.marks: dict[str, float] = {}
        self.finished_records: list[TimingRecord] = []

    def mark(self, name: str) -> None:
        self.marks[name] = self.clock.elapsed

    def seconds(self, start: str, end: str) -> float:
        return self.marks[end] - self.marks[start]

    def job_fields(self) -> dict[str, Any]:
        return {"trace_context": {"traceparent": "00-1-2-01"}}

    def submitted(self, job_id: str) -> None:
        pass

    def finished(self, record: TimingRecord) -> None:
        self.finished_records.append(record)


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, message: str) -> None:
        self.lines.append(("info", message))

    def warning(self, message: str) -> None:
        self.lines.append(("warning", message))


@dataclass
class Ports:
    clock: Clock = field(default_factory=Clock)
    fault: str = ""
    store: Store = field(init=False)
    worker: Worker = field(init=False)
    observer: Observer = field(init=False)
    log: Log = field(default_factory=Log)
    terminating: bool = False

    def __post_init__(self) -> None:
        self.store, self.worker = Store(self.clock), Worker(self.clock, self.fault)
        self.observer = Observer(self.clock)

    def run(self, *, number: int = 0, retries_left: bool = True, force: bool = False) -> BatchOutcome:
        attempt = RunAttempt(
            run_id="run",
            number=number,
            retries_left=retries_left,
            force=force,
            deadline_s=60.0,
            terminating=lambda: self.terminating,
            interrupt=Interrupted,
        )
        return run_batch(
            BATCH,
            self.worker,
            self.store,
            self.clock,
            warehouse=self.store,
            attempt=attempt,
            observer=self.observer,
            log=self.log,
        )

    def statuses(self) -> list[tuple[str, str | None]]:
        return [(record.status, record.error) for record in self.store.records]


def test_a_new_batch_is_submitted_waited_for_stored_and_timed() -> None:
    ports = Ports()
    outcome = ports.run()
    [job] = ports.worker.jobs
    assert (job.volume_path, job.start_page, job.end_page, job.tier, job.basename) == (
        f"/objects/{SHA}.pdf",
        0,
        9,
        "flash",
        "d_b001",
    )
    assert job.trace_context == {"traceparent": "00-1-2-01"}
    assert outcome.failure is None and not outcome.reused and not outcome.forced
    assert outcome.manifest == ports.store.batches[KEY] and outcome.manifest.job_id == "job-1"
    assert outcome.data_version == ports.store.content_version(KEY, outcome.manifest)
    record = outcome.record
    assert ports.store.records == ports.observer.finished_records == [record]
    assert (record.record_id, record.status, record.job_id, record.worker_id) == (
        "d~b001/run-0",
        "succeeded",
        "job-1",
        "w-1",
    )
    assert record.phases == {
        "submit": 0.0,
        "queue": 1.0,
        "download": 0.5,  # waited 3 s: 1 s queued, 1.5 s executing, the rest delivering the result
        "fetch_input": 0.0,
        "parse": 1.0,
        "package": 0.0,
        "extract": 0.25,  # store_batch's `download_extract`
        "normalize": 0.5,
    }
    assert record.phase_sources["parse"] == "worker" and record.phase_sources["queue"] == "orchestrator"
    assert (record.execution_s, record.wall_s, record.pages_per_s) == (1.5, 3.0, 10.0)
    assert ports.log.lines == [("info", "submitted batch d~b001 (pages 1-10, 1-based) as job-1")]
    assert ports.store.markers == {}  # the run's deadline marker went with its last attempt


def test_a_batch_stored_from_the_same_inputs_is_reused_without_a_job() -> None:
    ports = Ports()
    ports.store.batches[KEY] = manifest("earlier-job")
    outcome = ports.run()
    assert ports.worker.jobs == [] and outcome.reused and outcome.run is None
    assert (
        outcome.reuse_reason == "its stored fingerprint matches" and outcome.manifest.job_id == "earlier-job"
    )
    assert [(r.status, r.job_id, r.worker_id) for r in ports.store.records] == [
        ("reused", "earlier-job", "w-1")
    ]
    assert ports.log.lines == [
        ("info", "batch d~b001 (pages 1-10, 1-based) reused: its stored fingerprint matches")
    ]


def test_a_batch_stored_from_other_inputs_is_parsed_again() -> None:
    ports = Ports()
    ports.store.batches[KEY] = manifest("old", fingerprint=FINGERPRINT.model_copy(update={"tier": "basic"}))
    assert not ports.run().reused and len(ports.worker.jobs) == 1


def test_a_forced_reparse_parses_a_stored_batch_again_and_says_so() -> None:
    ports = Ports()
    ports.store.batches[KEY] = manifest("earlier-job")
    outcome = ports.run(force=True)
    assert outcome.forced and not outcome.reused and outcome.manifest.job_id == "job-1"
    assert ports.log.lines[0] == (
        "info",
        "batch d~b001 (pages 1-10, 1-based): forced re-parse, the stored output is replaced once the new "
        "one is stored",
    )
    assert ports.statuses() == [("succeeded", None)]


def test_a_batch_another_process_stores_meanwhile_is_waited_for_and_reused() -> None:
    ports = Ports()
    ports.store.claim_result = lambda: manifest("other-job")
    outcome = ports.run(force=True)
    assert outcome.reused and outcome.forced and outcome.manifest.job_id == "other-job"
    assert ports.worker.jobs == [] and ports.statuses() == [("reused", None)]
    assert [line for _, line in ports.log.lines] == [
        "d~b001 is being parsed by run other-run (pid 42 on host): waiting for its result",
        "batch d~b001 (pages 1-10, 1-based) reused: another process parsed it meanwhile",
    ]


def test_claims_taken_over_and_lost_are_warned_about() -> None:
    ports = Ports()
    stale = ClaimHolder("t", 7, "", "host", "", "dead-run", 0.0, 0.0)
    ports.store.claim_result = lambda: Claim(taken_over=stale, lost=True)
    ports.run()
    warnings = [line for level, line in ports.log.lines if level == "warning"]
    assert warnings == [
        "d~b001: took over the claim of run dead-run (pid 7 on host) (its lease expired or its process is "
        "gone)",
        "d~b001: its claim was taken over while this run parsed (a renewal came after the lease); the other "
        "holder may have parsed the batch too",
    ]


def test_pages_without_output_are_warned_about_after_the_batch_is_stored() -> None:
    ports = Ports()
    ports.store.produced = range(8)
    outcome = ports.run()
    assert outcome.failure is None and outcome.manifest.missing_pages == [8, 9]
    assert ports.log.lines[-1] == ("warning", "d~b001: no output for pages 9-10")


def test_pages_the_worker_flattened_reach_the_stored_manifest_and_the_log() -> None:
    ports = Ports()
    ports.worker.flattened = [3, 4]
    outcome = ports.run()
    assert outcome.failure is None and outcome.manifest.flattened_pages == [3, 4]
    assert ports.log.lines[-1] == (
        "info",
        "batch d~b001 (pages 1-10, 1-based): page(s) 4-5 held more vector paths (or clip segments) than"
        " MinerU can analyse; their figures were parsed as images",
    )


def test_a_workers_error_is_one_failed_attempt_with_a_redacted_error() -> None:
    ports = Ports(fault="wait")
    outcome = ports.run(retries_left=True)
    failure = outcome.failure
    assert failure is not None and not failure.retryable and isinstance(failure.__cause__, WorkerError)
    assert str(failure) == f"d~b001: RunPod job job-1 FAILED: fetch {SECRET_URL}"
    [record] = ports.store.records
    assert outcome.record == record and record.status == "failed" and record.job_id == "job-1"
    assert record.error == "RunPod job job-1 FAILED: fetch https://bucket.example.com/out.tar.gz"
    assert ports.store.markers == {}  # not retryable: the run's deadline marker goes


def test_a_transient_submit_error_keeps_the_deadline_for_the_retry() -> None:
    ports = Ports(fault="submit")
    outcome = ports.run(retries_left=True)
    assert outcome.failure is not None and outcome.failure.retryable
    assert ports.statuses() == [("failed", "RunPod /run answered HTTP 503")]
    assert list(ports.store.markers) == [(KEY, "run")]  # the retry counts from this attempt's start


def test_output_that_cannot_be_stored_is_a_failed_attempt_with_its_measured_phases() -> None:
    ports = Ports()
    ports.store.store_error = BatchStoreError(
        "in the MinerU adapter", KeyError("page_idx"), transient=False, phases={"download_extract": 0.25}
    )
    outcome = ports.run()
    assert outcome.failure is not None and not outcome.failure.retryable
    assert str(outcome.failure) == "d~b001: KeyError 'page_idx' in the MinerU adapter"
    assert ports.statuses() == [("failed", "KeyError 'page_idx' in the MinerU adapter")]
    assert outcome.record.phases["extract"] == 0.25


def test_a_batch_whose_worker_lost_artifacts_fails_to_be_parsed_again() -> None:
    ports = Ports(fault="degraded")
    outcome = ports.run()
    assert outcome.failure is not None and outcome.failure.retryable
    assert str(outcome.failure) == (
        "d~b001: the worker lost artifacts ['content_list.json: disk full']; the batch is re-parsed"
    )
    assert ports.statuses() == [("failed", "degraded: ['content_list.json: disk full']")]
    assert KEY not in ports.store.batches


def test_an_unexpected_error_is_recorded_in_one_line_then_propagates() -> None:
    ports = Ports(fault="crash")
    with pytest.raises(RuntimeError):
        ports.run(retries_left=False)
    assert ports.statuses() == [
        ("failed", "RuntimeError: connection reset by https://bucket.example.com/out.tar.gz")
    ]
    assert ports.store.markers == {}


def test_terminating_the_run_cancels_the_job_and_fails_without_retries() -> None:
    ports = Ports(fault="interrupt", terminating=True)
    outcome = ports.run(retries_left=True)
    assert ports.worker.cancelled == ["job-1"]
    assert outcome.failure is not None and not outcome.failure.retryable
    assert str(outcome.failure) == "d~b001: run terminated; job job-1 cancelled"
    assert ports.statuses() == [("cancelled", "run terminated")] and ports.store.markers == {}


def test_an_interrupt_of_a_run_that_goes_on_cancels_the_job_and_propagates() -> None:
    ports = Ports(fault="interrupt")
    with pytest.raises(Interrupted):
        ports.run(retries_left=True)
    assert ports.worker.cancelled == ["job-1"]
    assert ports.statuses() == [("cancelled", "run terminated")]
    assert list(ports.store.markers) == [(KEY, "run")]  # Dagster retries the interrupted attempt


def test_a_passed_deadline_fails_the_batch_without_submitting_it() -> None:
    ports = Ports()
    ports.store.markers[(KEY, "run")] = ports.clock.now().timestamp() - 61.0  # the run's first attempt
    outcome = ports.run(number=1, retries_left=True)
    assert ports.worker.jobs == [] and outcome.failure is not None and not outcome.failure.retryable
    assert str(outcome.failure) == "d~b001: the 60s deadline for this batch has passed"
    assert ports.statuses() == [("failed", "the 60s deadline for this batch has passed")]
    assert outcome.record.record_id == "d~b001/run-1" and ports.store.markers == {}


def test_a_batch_of_a_registered_plan_names_its_pdf_and_pages() -> None:
    store = Store(Clock())
    assert batch_job(store, KEY) is None  # no plan registered
    batch = Batch(index=1, key=KEY, first_page=0, last_page=9, reason=BatchReason.DOCUMENT_START)
    store.plans[DOC] = BatchPlan(
        doc_id=DOC, page_count=10, method=PlanMethod.FIXED, config=PlanConfig(), batches=[batch]
    )
    assert batch_job(store, KEY) == BATCH

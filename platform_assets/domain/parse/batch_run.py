"""One attempt at one batch: reuse what is stored for the same inputs, else claim the batch, submit its
job to the parse worker, wait for it and store the output, all behind the ports of `ports`.

Every attempt ends in exactly one timing record (succeeded, reused, failed or cancelled), whatever ended
it, a failure's error in one redacted line; the batch's deadline spans its run's attempts, and the run's
deadline marker goes once no retry follows. Anticipated failures come back in the outcome; anything else
propagates once recorded.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, Generic

from platform_assets.domain.observe.timing_records import (
    DEGRADED_PREFIX,
    LEGACY_PHASES,
    TimingRecord,
    WorkerReport,
)
from platform_assets.domain.parse.batch_store import BatchFingerprint, BatchManifest, BatchStoreError
from platform_assets.domain.parse.failures import batch_label, describe_error
from platform_assets.domain.parse.ports import (
    AttemptObserver,
    Clock,
    FinishedJob,
    H,
    Log,
    ParseWorker,
    PlatformStore,
    Warehouse,
    WorkerError,
)
from platform_assets.domain.plan.batch_plan import doc_id_of_batch_key
from platform_assets.domain.plan.tiling import page_numbers
from worker_contract.contract import JobInput, Transport
from worker_contract.redaction import redact


@dataclass(frozen=True)
class BatchJob:
    """A batch of a registered plan: its key, its document, the PDF's hash, its 0-based inclusive pages."""

    key: str
    doc_id: str
    pdf_sha256: str
    first_page: int
    last_page: int

    @property
    def label(self) -> str:
        return batch_label(self.key, self.first_page, self.last_page)


def batch_job(store: PlatformStore, key: str) -> BatchJob | None:
    """Batch `key` of its document's registered plan; None when the document has no plan."""
    doc_id = doc_id_of_batch_key(key)
    document = store.document(doc_id)
    plan = store.plan(doc_id)
    if plan is None:
        return None
    batch = plan.batch(key)
    return BatchJob(key, doc_id, document.sha256, batch.first_page, batch.last_page)


@dataclass(frozen=True)
class RunAttempt:
    """This attempt's place in its run, and what the run asks of it."""

    run_id: str
    number: int
    """0 for the run's first attempt at the batch, then one more per retry."""
    retries_left: bool
    """Whether a retryable failure of this attempt is retried."""
    force: bool
    """Parse again even when the stored batch matches its inputs."""
    deadline_s: float
    """The batch's total deadline across this run's attempts."""
    terminating: Callable[[], bool]
    """Whether a user asked to terminate the run (an interrupt then ends it without retries)."""
    interrupt: type[BaseException] = KeyboardInterrupt
    """What a terminated run raises inside the attempt: it cancels the submitted job."""


class BatchFailure(Exception):
    """Why the attempt failed, in one line that starts with the batch key; `retryable`: whether a retry
    can help. Its cause, if any, is chained."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class BatchOutcome:
    """How the attempt ended: the batch parsed (`run` is the worker's job), reused (`reuse_reason`
    says why) or failed (`failure`); `record` is its timing record, `manifest` and `data_version` the
    stored batch and its content version."""

    record: TimingRecord
    forced: bool
    manifest: BatchManifest | None = None
    data_version: str | None = None
    reuse_reason: str | None = None
    run: FinishedJob | None = None
    failure: BatchFailure | None = None

    @property
    def reused(self) -> bool:
        return self.reuse_reason is not None


class SystemClock:
    """This machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def perf_counter(self) -> float:
        return perf_counter()


def run_batch(
    batch: BatchJob,
    worker: ParseWorker[H],
    store: PlatformStore,
    clock: Clock,
    *,
    warehouse: Warehouse,
    attempt: RunAttempt,
    observer: AttemptObserver,
    log: Log,
) -> BatchOutcome:
    """Parse `batch` or reuse it; the outcome says which, or why it failed (an interrupt while the
    run is terminating included). Another error, or an interrupt of a run that goes on, propagates."""
    fingerprint = batch_fingerprint(batch, worker.engine_identity)
    timer = AttemptTimer(batch, fingerprint, attempt, clock, warehouse, observer)
    return _BatchAttempt(batch, fingerprint, worker, store, clock, attempt, observer, log, timer).run()


def batch_fingerprint(batch: BatchJob, engine_identity: tuple[str, str]) -> BatchFingerprint:
    """What a stored batch must have been parsed from to be reused: the PDF, the pages, the engine."""
    engine_version, tier = engine_identity
    return BatchFingerprint(
        pdf_sha256=batch.pdf_sha256,
        first_page=batch.first_page,
        last_page=batch.last_page,
        engine_version=engine_version,
        tier=tier,
    )


def batch_job_input(
    key: str, fingerprint: BatchFingerprint, source: dict[str, str], transport: Transport, **fields: Any
) -> JobInput:
    """The worker job that parses batch `key`: its PDF (`source`: the job's PDF fields), pages and tier."""
    return JobInput(
        **source,
        start_page=fingerprint.first_page,
        end_page=fingerprint.last_page,
        tier=fingerprint.tier,
        transport=transport,
        basename=key.replace("~", "_"),
        archive_format="tar.gz",
        **fields,
    )


@dataclass
class _BatchAttempt(Generic[H]):
    batch: BatchJob
    fingerprint: BatchFingerprint
    worker: ParseWorker[H]
    store: PlatformStore
    clock: Clock
    attempt: RunAttempt
    observer: AttemptObserver
    log: Log
    timer: AttemptTimer

    @property
    def key(self) -> str:
        return self.batch.key

    def run(self) -> BatchOutcome:
        """`_reuse_or_parse`, ended in one record whatever ends it; the run's deadline marker goes when
        no retry follows."""
        try:
            outcome = self._reuse_or_parse()
        except BatchFailure as failure:
            if not (failure.retryable and self.attempt.retries_left):
                self._end_run()
            return self._failed(failure)
        except BaseException as error:
            interrupted = isinstance(error, (self.attempt.interrupt, KeyboardInterrupt))
            if self.timer.record is None:
                self.timer.write(
                    "cancelled" if interrupted else "failed",
                    error="run terminated" if interrupted else describe_error(error),
                )
            if interrupted and self.attempt.terminating():
                # A retry policy would turn the interrupt into a retry: a run the user terminates would
                # submit the batch again. It fails without retries instead.
                self._end_run()
                cancelled = f"; job {self.timer.job_id} cancelled" if self.timer.job_id else ""
                return self._failed(BatchFailure(f"{self.key}: run terminated{cancelled}", retryable=False))
            if not self.attempt.retries_left:
                self._end_run()
            raise
        self._end_run()
        if outcome.run is not None and outcome.manifest is not None and outcome.manifest.missing_pages:
            missing = page_numbers(outcome.manifest.missing_pages)
            self.log.warning(f"{self.key}: no output for pages {missing}")
        return outcome

    def _reuse_or_parse(self) -> BatchOutcome:
        key, fingerprint, store = self.key, self.fingerprint, self.store
        stored = None if self.attempt.force else store.finished_batch(key, fingerprint)
        if stored is not None:
            return self._reused(stored, "its stored fingerprint matches")
        replaced = store.stored_batch(key) if self.attempt.force else None  # forced: wait for a new one
        claimed = store.claim(
            key,
            self.attempt.run_id,
            finished=lambda: store.finished_batch(key, fingerprint, other_than=replaced),
            timeout_s=self._remaining(),
            on_wait=lambda holder: self.log.info(
                f"{key} is being parsed by {holder.describe()}: waiting for its result"
            ),
        )
        if isinstance(claimed, BatchManifest):  # stored by the holder waited for
            return self._reused(claimed, "another process parsed it meanwhile")
        if replaced is not None:
            self.log.info(
                f"{self.batch.label}: forced re-parse, the stored output is replaced once the new one is "
                "stored"
            )
        with claimed.renewing() as claim:
            if claim.taken_over is not None:
                self.log.warning(
                    f"{key}: took over the claim of {claim.taken_over.describe()} "
                    "(its lease expired or its process is gone)"
                )
            manifest, run = self._parse()
        if claim.lost:
            self.log.warning(
                f"{key}: its claim was taken over while this run parsed (a renewal came after the lease); "
                "the other holder may have parsed the batch too"
            )
        return self._outcome(manifest, run=run)

    def _reused(self, manifest: BatchManifest, why: str) -> BatchOutcome:
        """A stored batch as this attempt's result: a log line saying why and a `reused` record."""
        fp = manifest.fingerprint
        self.log.info(f"{batch_label(self.key, fp.first_page, fp.last_page)} reused: {why}")
        self.timer.write("reused", worker_id=manifest.worker_id, job_id=manifest.job_id)
        return self._outcome(manifest, reuse_reason=why)

    def _parse(self) -> tuple[BatchManifest, FinishedJob]:
        """Submit the batch's job, wait for it and store its output; the record is written on the way."""
        job = batch_job_input(
            self.key,
            self.fingerprint,
            self.store.pdf_source(self.batch.pdf_sha256),
            self.worker.transport,
            **self.observer.job_fields(),
        )
        run = self._submit_and_wait(job)
        try:
            return self._store(run)
        finally:
            if run.result_dir is not None:  # adopted by rename, or refused: what is left goes
                shutil.rmtree(run.result_dir, ignore_errors=True)

    def _store(self, run: FinishedJob) -> tuple[BatchManifest, FinishedJob]:
        """Store the finished job's result; a lost artifact or a refused result fails the attempt."""
        fp = self.fingerprint
        self.timer.run = run
        result = run.output.results[0]
        if result.degraded:
            self.timer.write("failed", error=f"{DEGRADED_PREFIX} {result.degraded}")
            raise BatchFailure(
                f"{self.key}: the worker lost artifacts {result.degraded}; the batch is re-parsed",
                retryable=True,
            )
        self.observer.mark("store")
        try:
            manifest, phases = self.store.store_batch(
                self.key,
                fp,
                archive=run.archive,
                archive_format=result.archive_format,
                result_dir=run.result_dir,
                worker_id=run.output.debug.worker_id or "",
                job_id=run.job_id,
                flattened_pages=result.flattened_pages or (),
            )
        except BatchStoreError as err:
            self.timer.write("failed", orchestrator_phases=err.phases, error=describe_error(err))
            raise BatchFailure(f"{self.key}: {describe_error(err)}", retryable=err.transient) from err
        self.timer.write("succeeded", orchestrator_phases=phases)
        if manifest.flattened_pages:
            self.log.info(
                f"{self.batch.label}: page(s) {page_numbers(manifest.flattened_pages)} held more vector paths"
                " (or clip segments) than MinerU can analyse; their figures were parsed as images"
            )
        return manifest, run

    def _submit_and_wait(self, job: JobInput) -> FinishedJob:
        """The finished job; from its submission on, an interrupt cancels it (even mid-log line)."""
        observer, timer = self.observer, self.timer
        remaining = self._remaining()
        observer.mark("submit")
        try:
            handle = self.worker.submit(job)
        except WorkerError as err:
            raise self._worker_failure(err) from err
        try:
            observer.mark("submitted")
            timer.phases["submit"] = observer.seconds("submit", "submitted")
            timer.job_id = handle.job_id
            observer.submitted(handle.job_id)
            self.log.info(f"submitted {self.batch.label} as {handle.job_id}")
            observer.mark("wait")
            run = self.worker.wait(handle, remaining)
            observer.mark("waited")
            timer.waited_s = observer.seconds("wait", "waited")
        except self.attempt.interrupt:
            self.worker.cancel(handle)
            raise
        except WorkerError as err:
            raise self._worker_failure(err) from err
        return run

    def _worker_failure(self, err: WorkerError) -> BatchFailure:
        """The worker's error as this attempt's `failed` record and the failure that ends it."""
        self.timer.write("failed", error=redact(str(err)))
        return BatchFailure(f"{self.key}: {err}", retryable=err.transient)

    def _remaining(self) -> float:
        """Seconds left of the batch's deadline, counted from this run's first attempt; a passed deadline
        fails the batch without retries. The first attempt sweeps markers of runs long over."""
        deadline_s = self.attempt.deadline_s
        if self.attempt.number == 0:
            self.store.sweep_deadlines(deadline_s)
        first = self.store.first_attempt_at(self.key, self.attempt.run_id)
        left = deadline_s - (self.clock.now().timestamp() - first)
        if left <= 0:
            reason = f"the {deadline_s:.0f}s deadline for this batch has passed"
            self.timer.write("failed", error=reason)
            raise BatchFailure(f"{self.key}: {reason}", retryable=False)
        return left

    def _end_run(self) -> None:
        self.store.end_run(self.key, self.attempt.run_id)

    def _outcome(
        self, manifest: BatchManifest, *, run: FinishedJob | None = None, reuse_reason: str | None = None
    ) -> BatchOutcome:
        assert self.timer.record is not None, "the attempt's record is written before its outcome"
        return BatchOutcome(
            record=self.timer.record,
            forced=self.attempt.force,
            manifest=manifest,
            data_version=self.store.content_version(self.key, manifest),
            reuse_reason=reuse_reason,
            run=run,
        )

    def _failed(self, failure: BatchFailure) -> BatchOutcome:
        assert self.timer.record is not None, "a failed attempt is recorded before it ends"
        return BatchOutcome(record=self.timer.record, forced=self.attempt.force, failure=failure)


class AttemptTimer:
    """Builds and writes the attempt's one timing record from what it measured on the way."""

    def __init__(
        self,
        batch: BatchJob,
        fingerprint: BatchFingerprint,
        attempt: RunAttempt,
        clock: Clock,
        warehouse: Warehouse,
        observer: AttemptObserver,
    ):
        self.batch, self.fingerprint, self.attempt = batch, fingerprint, attempt
        self.clock, self.warehouse, self.observer = clock, warehouse, observer
        self.started_at = clock.now()
        self.started = clock.perf_counter()
        self.phases: dict[str, float] = {}
        """Orchestrator phases measured so far (`submit`)."""
        self.job_id = ""
        """The submitted job, once there is one."""
        self.waited_s: float | None = None
        """Wall time of `worker.wait`: queue, execution and result delivery."""
        self.run: FinishedJob | None = None
        """The finished job, once `worker.wait` returned it."""
        self.record: TimingRecord | None = None
        """This attempt's record, once written (one per attempt)."""

    def write(
        self,
        status: str,
        *,
        orchestrator_phases: dict[str, float] | None = None,
        worker_id: str = "",
        job_id: str = "",
        error: str | None = None,
    ) -> TimingRecord:
        run, fp, attempt = self.run, self.fingerprint, self.attempt
        worker = WorkerReport.of(run.output.debug) if run is not None else None
        phases, sources = self._phases(run, worker, orchestrator_phases or {})
        record = TimingRecord(
            record_id=f"{self.batch.key}/{attempt.run_id}-{attempt.number}",
            run_id=attempt.run_id,
            attempt=attempt.number,
            doc_id=self.batch.doc_id,
            batch_key=self.batch.key,
            first_page=fp.first_page,
            last_page=fp.last_page,
            pages=fp.last_page - fp.first_page + 1,
            status=status,
            engine_version=fp.engine_version,
            tier=fp.tier,
            worker_id=worker.worker_id if worker else worker_id,
            job_id=run.job_id if run else job_id or self.job_id,
            gpu=worker.gpu if worker else None,
            cold_start=worker.cold_start if worker else None,
            execution_s=run.execution_s if run else None,
            warmup_s=worker.warmup_s if worker else None,
            started_at=self.started_at.isoformat(),
            finished_at=self.clock.now().isoformat(),
            wall_s=self.clock.perf_counter() - self.started,
            phases=phases,
            phase_sources=sources,
            error=error,
        )
        self.warehouse.write_record(record)
        self.record = record
        self.observer.finished(record)
        return record

    def _phases(
        self, run: FinishedJob | None, worker: WorkerReport | None, orchestrator: dict[str, float]
    ) -> tuple[dict[str, float], dict[str, str]]:
        """Seconds per phase and who measured each: orchestrator phases, the worker's, then storage's."""
        phases = dict(self.phases)
        sources = dict.fromkeys(phases, "orchestrator")
        if run is not None:
            phases["queue"], sources["queue"] = run.queue_wait_s, "orchestrator"
            if self.waited_s is not None:  # result delivery: polling lag and the archive's download
                download = max(self.waited_s - run.queue_wait_s - run.execution_s, 0.0)
                phases["download"], sources["download"] = download, "orchestrator"
        for phase, seconds in (worker.phases if worker else {}).items():
            phases[phase], sources[phase] = seconds, "worker"
        for name, seconds in orchestrator.items():
            name = LEGACY_PHASES.get(name, name)  # store_batch's `download_extract` times extraction only
            phases[name], sources[name] = seconds, "orchestrator"
        return phases, sources

"""`parsed_batch[doc~bNNN]`: one batch parsed by the parse worker, stored with its blocks and timings.

Re-running never redoes finished work: a batch whose stored fingerprint matches its inputs is reused
(unless the run forces a re-parse), and a batch another process is parsing (it holds the batch's claim)
is waited for, then reused. Every attempt ends in exactly one timing record (succeeded, reused, failed
or cancelled), whatever ended it, a failure's error in one redacted line; output that cannot be stored
for good is not retried. The data version is the stored output's content version, so a reused batch, or
one re-parsed to the same output, rebuilds nothing downstream.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from pydantic import Field

from gpu_image.worker.contract import JobInput
from gpu_image.worker.redaction import redact
from platform_assets.domain import attempt_deadline
from platform_assets.domain.batch_claim import claim_batch, claim_path
from platform_assets.domain.batch_plan import doc_id_of_batch_key
from platform_assets.domain.batch_store import (
    BatchFingerprint,
    BatchManifest,
    BatchStoreError,
    batch_dir,
    content_version,
    finished_batch,
    read_manifest,
    store_batch,
)
from platform_assets.domain.batch_telemetry import BatchObservation
from platform_assets.domain.failures import batch_label, describe_error
from platform_assets.domain.tiling import page_numbers
from platform_assets.domain.timing_records import (
    DEGRADED_PREFIX,
    LEGACY_PHASES,
    TimingRecord,
    WorkerReport,
    write_record,
)
from platform_assets.partitions import PartitionScheme
from resources.object_store import ObjectStore, pdf_object_key
from resources.parse_worker import ParseWorker, WorkerError, WorkerRun
from resources.platform_data import ParseSettings, PlatformData

RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
FORCE_TAG = "platform/force_reparse"
"""Run tag: `true` forces a re-parse, like `ParseBatchConfig.force` (a backfill's tags reach its runs)."""


class ParseBatchConfig(dg.Config):
    """Run config of `parsed_batch` (the launchpad, or the Config section of a backfill)."""

    force: bool = Field(
        default=False,
        description="Parse the batch again even when its stored fingerprint matches its inputs (the run "
        f"tag `{FORCE_TAG}=true` does the same). Another process parsing it is still waited for.",
    )


def eager_on_changed_batches(parsed_batch: dg.AssetsDefinition) -> dg.AutomationCondition:
    """`eager()` where a parsed batch counts as updated only when its data version changed: a reused batch,
    or one re-parsed to the same output, starts nothing downstream."""
    batches = dg.AssetSelection.assets(parsed_batch)
    updated = dg.AutomationCondition.any_deps_updated()
    changed = updated.replace("newly_updated", dg.AutomationCondition.data_version_changed())
    return (
        dg.AutomationCondition.eager()
        .replace(
            "any_deps_updated",
            updated.ignore(batches).with_label("any_other_deps_updated")
            | changed.allow(batches).with_label("any_batches_changed"),
        )
        .with_label("eager_on_changed_batches")
    )


def build_parsed_batch(scheme: PartitionScheme, batch_plan: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        partitions_def=scheme.batches,
        deps=[dg.AssetDep(batch_plan, partition_mapping=scheme.document_to_batches)],
        group_name="parsing",
        kinds={"mineru"},
        pool="runpod_gpu",
        retry_policy=RETRY_POLICY,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        automation_condition=dg.AutomationCondition.eager(),
        description="One batch of pages parsed by MinerU on the parse worker, normalized to blocks.",
    )
    def parsed_batch(
        context: dg.AssetExecutionContext,
        config: ParseBatchConfig,
        data: PlatformData,
        object_store: ObjectStore,
        worker: ParseWorker,
        parse_settings: ParseSettings,
    ) -> dg.MaterializeResult:
        key = context.partition_key
        doc_id = doc_id_of_batch_key(key)
        record = data.registry.document(doc_id)
        plan = data.registry.plan(doc_id)
        if plan is None:
            raise dg.Failure(f"{doc_id} has no registered plan", allow_retries=False)
        batch = plan.batch(key)
        engine_version, tier = worker.engine_identity
        fingerprint = BatchFingerprint(
            pdf_sha256=record.sha256,
            first_page=batch.first_page,
            last_page=batch.last_page,
            engine_version=engine_version,
            tier=tier,
        )
        folder = batch_dir(data.paths.batches, doc_id, key)
        force = config.force or context.run.tags.get(FORCE_TAG, "").lower() == "true"
        observation = BatchObservation(
            run_id=context.run_id,
            batch_key=key,
            doc_id=doc_id,
            attempt=context.retry_number,
            first_page=batch.first_page,
            last_page=batch.last_page,
        )
        with observation:
            timer = AttemptTimer(
                context, data, key, doc_id, fingerprint, observation, parse_settings.batch_deadline_s
            )
            with timer.attempt():  # whatever ends this attempt, it ends in one timing record
                stored = None if force else finished_batch(folder, fingerprint)
                if stored is not None:
                    return reused(timer, folder, stored, "its stored fingerprint matches", forced=False)
                replaced = read_manifest(folder) if force else None  # a forced parse waits for a new one
                outcome = claim_batch(
                    claim_path(data.paths.batches, doc_id, key),
                    context.run_id,
                    finished=lambda: finished_batch(folder, fingerprint, other_than=replaced),
                    timeout_s=timer.remaining(),
                    on_wait=lambda holder: context.log.info(
                        f"{key} is being parsed by {holder.describe()}: waiting for its result"
                    ),
                )
                if isinstance(outcome, BatchManifest):  # stored by the holder waited for
                    return reused(timer, folder, outcome, "another process parsed it meanwhile", force)
                if replaced is not None:
                    context.log.info(
                        f"{batch_label(key, batch.first_page, batch.last_page)}: forced re-parse, the "
                        "stored output is replaced once the new one is stored"
                    )
                with outcome.renewing() as claim:
                    if claim.taken_over is not None:
                        context.log.warning(
                            f"{key}: took over the claim of {claim.taken_over.describe()} "
                            "(its lease expired or its process is gone)"
                        )
                    manifest, run = parse_batch(
                        context, object_store, worker, record.sha256, key, fingerprint, folder, timer
                    )
                if claim.lost:
                    context.log.warning(
                        f"{key}: its claim was taken over while this run parsed (a renewal came after the "
                        "lease); the other holder may have parsed the batch too"
                    )
            if manifest.missing_pages:
                context.log.warning(f"{key}: no output for pages {page_numbers(manifest.missing_pages)}")
            assert timer.record is not None, "parse_batch writes the attempt's record"
            return dg.MaterializeResult(
                metadata={
                    **batch_metadata(manifest),
                    "reused": dg.MetadataValue.bool(False),
                    "forced": dg.MetadataValue.bool(force),
                    "pages_per_s": dg.MetadataValue.float(timer.record.pages_per_s or 0.0),
                    "queue_wait_s": dg.MetadataValue.float(round(run.queue_wait_s, 3)),
                    "execution_s": dg.MetadataValue.float(round(run.execution_s, 3)),
                    "phases_s": dg.MetadataValue.json(
                        {k: round(v, 3) for k, v in timer.record.phases.items()}
                    ),
                },
                data_version=dg.DataVersion(content_version(folder, manifest)),
            )

    return parsed_batch


def reused(
    timer: "AttemptTimer", folder: Path, manifest: BatchManifest, why: str, forced: bool
) -> dg.MaterializeResult:
    """A stored batch as this attempt's result: a log line saying why, a `reused` record, the stored
    output's data version."""
    fp = manifest.fingerprint
    timer.context.log.info(f"{batch_label(timer.key, fp.first_page, fp.last_page)} reused: {why}")
    timer.write("reused", worker_id=manifest.worker_id, job_id=manifest.job_id)
    return dg.MaterializeResult(
        metadata={
            **batch_metadata(manifest),
            "reused": dg.MetadataValue.bool(True),
            "forced": dg.MetadataValue.bool(forced),
        },
        data_version=dg.DataVersion(content_version(folder, manifest)),
    )


def parse_batch(
    context: dg.AssetExecutionContext,
    object_store: ObjectStore,
    worker: ParseWorker,
    pdf_sha256: str,
    key: str,
    fingerprint: BatchFingerprint,
    folder: Path,
    timer: "AttemptTimer",
) -> tuple[BatchManifest, WorkerRun]:
    """Submit the batch's job, wait for it and store its output; write the attempt's record on the way.

    An interrupt (run terminated) cancels the job.
    """
    observation = timer.observation
    job = JobInput(
        **object_store.worker_source(pdf_object_key(pdf_sha256)),
        start_page=fingerprint.first_page,
        end_page=fingerprint.last_page,
        tier=fingerprint.tier,
        transport=worker.transport,
        basename=key.replace("~", "_"),
        archive_format="tar.gz",
        **observation.job_fields(),
    )
    remaining = timer.remaining()
    observation.mark("submit")
    try:
        handle = worker.submit(job)
    except WorkerError as err:
        raise worker_failure(timer, err) from err
    try:  # from here on a terminated run cancels the remote job (even mid-log line)
        observation.mark("submitted")
        timer.phases["submit"] = observation.seconds("submit", "submitted")
        timer.job_id = handle.job_id
        observation.submitted(handle.job_id)
        context.log.info(
            f"submitted {batch_label(key, fingerprint.first_page, fingerprint.last_page)} as {handle.job_id}"
        )
        observation.mark("wait")
        run = worker.wait(handle, remaining)
        observation.mark("waited")
        timer.waited_s = observation.seconds("wait", "waited")
    except DagsterExecutionInterruptedError:
        worker.cancel(handle)
        raise
    except WorkerError as err:
        raise worker_failure(timer, err) from err
    timer.run = run

    result = run.output.results[0]
    if result.degraded:
        timer.write("failed", error=f"{DEGRADED_PREFIX} {result.degraded}")
        raise dg.Failure(f"{key}: the worker lost artifacts {result.degraded}; the batch is re-parsed")
    observation.mark("store")
    try:
        manifest, phases = store_batch(
            folder,
            key=key,
            doc_id=timer.doc_id,
            fingerprint=fingerprint,
            archive=run.archive,
            archive_format=result.archive_format,
            worker_id=run.output.debug.worker_id or "",
            job_id=run.job_id,
        )
    except BatchStoreError as err:
        timer.write("failed", orchestrator_phases=err.phases, error=describe_error(err))
        raise dg.Failure(f"{key}: {describe_error(err)}", allow_retries=err.transient) from err
    timer.write("succeeded", orchestrator_phases=phases)
    return manifest, run


def worker_failure(timer: "AttemptTimer", err: WorkerError) -> dg.Failure:
    """The worker's error as this attempt's `failed` record and the Failure that ends it."""
    timer.write("failed", error=redact(str(err)))
    return dg.Failure(f"{timer.key}: {err}", allow_retries=err.transient)


def terminating(context: dg.AssetExecutionContext) -> bool:
    """Whether a user asked to terminate this run (the run launcher marks it CANCELING first)."""
    run = context.instance.get_run_by_id(context.run_id)
    return run is not None and run.status in (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


def batch_metadata(manifest: BatchManifest) -> dict[str, dg.MetadataValue]:
    fp = manifest.fingerprint
    return {
        "pages": dg.MetadataValue.int(fp.last_page - fp.first_page + 1),
        "page_span": dg.MetadataValue.text(f"{fp.first_page + 1}-{fp.last_page + 1}"),
        "blocks": dg.MetadataValue.int(manifest.block_count),
        "blocks_by_kind": dg.MetadataValue.json(manifest.blocks_by_kind),
        "missing_pages": dg.MetadataValue.text(page_numbers(manifest.missing_pages) or "none"),
        "engine": dg.MetadataValue.text(f"mineru {fp.engine_version} ({fp.tier})"),
        "worker_id": dg.MetadataValue.text(manifest.worker_id),
        "job_id": dg.MetadataValue.text(manifest.job_id),
    }


class AttemptTimer:
    """Writes this attempt's timing record; knows when the batch's first attempt in this run began."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        data: PlatformData,
        key: str,
        doc_id: str,
        fingerprint: BatchFingerprint,
        observation: BatchObservation,
        deadline_s: float,
    ):
        self.context, self.data, self.key, self.doc_id = context, data, key, doc_id
        self.fingerprint, self.observation = fingerprint, observation
        self.deadline_s = deadline_s
        """The batch's total deadline across this run's attempts."""
        self.started_at = datetime.now(UTC)
        self.started = time.perf_counter()
        self.attempt_number = context.retry_number
        self.phases: dict[str, float] = {}
        """Orchestrator phases measured so far (`submit`)."""
        self.job_id = ""
        """The submitted job, once there is one."""
        self.waited_s: float | None = None
        """Wall time of `worker.wait`: queue, execution and result delivery."""
        self.run: WorkerRun | None = None
        """The finished job, once `worker.wait` returned it."""
        self.record: TimingRecord | None = None
        """This attempt's record, once written (one per attempt)."""

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """An exception inside that no record accounts for yet writes one: `cancelled` for an interrupt,
        else `failed` with the error in one redacted line; it propagates (a user's termination as a
        Failure without retries). The run's deadline marker goes once no retry follows."""
        try:
            yield
        except BaseException as error:
            interrupted = isinstance(error, DagsterExecutionInterruptedError | KeyboardInterrupt)
            if self.record is None:
                self.write(
                    "cancelled" if interrupted else "failed",
                    error="run terminated" if interrupted else self.describe(error),
                )
            if interrupted and terminating(self.context):
                # Dagster turns an interrupt into a RetryRequested under a retry policy: a run the user
                # terminates would re-submit the batch. Fail without retries instead (run ends CANCELED).
                self.end_run()
                cancelled = f"; job {self.job_id} cancelled" if self.job_id else ""
                raise dg.Failure(f"{self.key}: run terminated{cancelled}", allow_retries=False) from None
            if not self.retried(error):
                self.end_run()
            raise
        self.end_run()

    def end_run(self) -> None:
        attempt_deadline.end_run(self.data.paths.timings, self.key, self.context.run_id)

    def describe(self, error: BaseException) -> str:
        if isinstance(error, dg.Failure):
            return redact((error.description or "Failure").removeprefix(f"{self.key}: "))
        return describe_error(error)

    def retried(self, error: BaseException) -> bool:
        """Whether Dagster runs another attempt after `error` (the Failure's say, then the retry policy)."""
        if isinstance(error, dg.Failure) and not error.allow_retries:
            return False
        policy = self.context.op_def.retry_policy
        return policy is not None and self.attempt_number < policy.max_retries

    def remaining(self) -> float:
        """Seconds left of the batch's deadline, counted from this run's first attempt; a passed deadline
        fails the batch without retries. The first attempt sweeps markers of runs long over."""
        root = self.data.paths.timings
        if self.attempt_number == 0:
            attempt_deadline.sweep(root, self.deadline_s)
        first = attempt_deadline.first_attempt_at(root, self.key, self.context.run_id)
        left = self.deadline_s - (time.time() - first)
        if left <= 0:
            raise dg.Failure(
                f"{self.key}: the {self.deadline_s:.0f}s deadline for this batch has passed",
                allow_retries=False,
            )
        return left

    def write(
        self,
        status: str,
        *,
        orchestrator_phases: dict[str, float] | None = None,
        worker_id: str = "",
        job_id: str = "",
        error: str | None = None,
    ) -> TimingRecord:
        run = self.run
        phases = dict(self.phases)
        sources = dict.fromkeys(phases, "orchestrator")
        worker = WorkerReport.of(run.output.debug) if run is not None else None
        if run is not None:
            phases["queue"], sources["queue"] = run.queue_wait_s, "orchestrator"
            if self.waited_s is not None:  # result delivery: polling lag and the archive's download
                download = max(self.waited_s - run.queue_wait_s - run.execution_s, 0.0)
                phases["download"], sources["download"] = download, "orchestrator"
        for phase, seconds in (worker.phases if worker else {}).items():
            phases[phase], sources[phase] = seconds, "worker"
        for name, seconds in (orchestrator_phases or {}).items():
            name = LEGACY_PHASES.get(name, name)  # store_batch's `download_extract` times extraction only
            phases[name], sources[name] = seconds, "orchestrator"
        fp = self.fingerprint
        record = TimingRecord(
            record_id=f"{self.key}/{self.context.run_id}-{self.attempt_number}",
            run_id=self.context.run_id,
            attempt=self.attempt_number,
            doc_id=self.doc_id,
            batch_key=self.key,
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
            finished_at=datetime.now(UTC).isoformat(),
            wall_s=time.perf_counter() - self.started,
            phases=phases,
            phase_sources=sources,
            error=error,
        )
        write_record(self.data.paths.timings, record)
        self.record = record
        self.observation.finished(record)
        return record

"""`parsed_batch[doc~bNNN]`: one batch parsed by the parse worker, stored with its blocks and timings.

Re-running never redoes finished work: a batch whose stored fingerprint matches its inputs is reused.
Every attempt that submitted a job ends in exactly one timing record (succeeded, failed or cancelled),
a failure's error in one redacted line; output that cannot be stored for good is not retried.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from gpu_image.worker.contract import JobInput
from gpu_image.worker.redaction import redact
from platform_assets.domain.batch_plan import doc_id_of_batch_key
from platform_assets.domain.batch_store import (
    BatchFingerprint,
    BatchManifest,
    BatchStoreError,
    batch_dir,
    finished_batch,
    store_batch,
)
from platform_assets.domain.batch_telemetry import BatchObservation
from platform_assets.domain.failures import describe_error
from platform_assets.domain.tiling import compact_ranges
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
        observation = BatchObservation(
            run_id=context.run_id,
            batch_key=key,
            doc_id=doc_id,
            attempt=context.retry_number,
            first_page=batch.first_page,
            last_page=batch.last_page,
        )
        with observation:
            timer = AttemptTimer(context, data, key, doc_id, fingerprint, observation)

            reused = finished_batch(folder, fingerprint)
            if reused is not None:
                timer.write("reused", worker_id=reused.worker_id, job_id=reused.job_id)
                return dg.MaterializeResult(
                    metadata={**batch_metadata(reused), "reused": dg.MetadataValue.bool(True)}
                )

            remaining = parse_settings.batch_deadline_s - timer.elapsed_since_first_attempt()
            if remaining <= 0:
                raise dg.Failure(
                    f"{key}: the {parse_settings.batch_deadline_s:.0f}s deadline for this batch has passed",
                    allow_retries=False,
                )
            job = JobInput(
                **object_store.worker_source(pdf_object_key(record.sha256)),
                start_page=batch.first_page,
                end_page=batch.last_page,
                tier=tier,
                transport=worker.transport,
                basename=key.replace("~", "_"),
                archive_format="tar.gz",
                **observation.job_fields(),
            )
            observation.mark("submit")
            handle = worker.submit(job)
            observation.mark("submitted")
            timer.phases["submit"] = observation.seconds("submit", "submitted")
            observation.submitted(handle.job_id)
            with timer.recording_failures(job_id=handle.job_id):  # every submitted job ends in one record
                try:  # from here on a terminated run cancels the remote job (even mid-log line)
                    context.log.info(
                        f"submitted {key} (pages {batch.first_page}-{batch.last_page}, 0-based) "
                        f"as {handle.job_id}"
                    )
                    observation.mark("wait")
                    run = worker.wait(handle, remaining)
                    observation.mark("waited")
                    timer.waited_s = observation.seconds("wait", "waited")
                except DagsterExecutionInterruptedError:
                    worker.cancel(handle)
                    timer.write("cancelled", job_id=handle.job_id, error="run terminated")
                    if terminating(context):
                        # Dagster turns an interrupt into a RetryRequested under a retry policy: a run the
                        # user terminates would re-submit the batch. Fail without retries instead (run
                        # ends CANCELED).
                        raise dg.Failure(
                            f"{key}: run terminated; job {handle.job_id} cancelled", allow_retries=False
                        ) from None
                    raise
                except WorkerError as err:
                    timer.write("failed", job_id=handle.job_id, error=redact(str(err)))
                    raise dg.Failure(f"{key}: {err}", allow_retries=err.transient) from err
                timer.run = run

                result = run.output.results[0]
                if result.degraded:
                    timer.write("failed", run=run, error=f"{DEGRADED_PREFIX} {result.degraded}")
                    raise dg.Failure(
                        f"{key}: the worker lost artifacts {result.degraded}; the batch is re-parsed"
                    )
                observation.mark("store")
                try:
                    manifest, phases = store_batch(
                        folder,
                        key=key,
                        doc_id=doc_id,
                        fingerprint=fingerprint,
                        archive=run.archive,
                        archive_format=result.archive_format,
                        worker_id=run.output.debug.worker_id or "",
                        job_id=run.job_id,
                    )
                except BatchStoreError as err:
                    timer.write("failed", run=run, orchestrator_phases=err.phases, error=describe_error(err))
                    raise dg.Failure(f"{key}: {describe_error(err)}", allow_retries=err.transient) from err
                record_ = timer.write("succeeded", run=run, orchestrator_phases=phases)
            if manifest.missing_pages:
                context.log.warning(
                    f"{key}: no output for pages {compact_ranges(manifest.missing_pages)} (0-based)"
                )
            return dg.MaterializeResult(
                metadata={
                    **batch_metadata(manifest),
                    "reused": dg.MetadataValue.bool(False),
                    "pages_per_s": dg.MetadataValue.float(record_.pages_per_s or 0.0),
                    "queue_wait_s": dg.MetadataValue.float(round(run.queue_wait_s, 3)),
                    "execution_s": dg.MetadataValue.float(round(run.execution_s, 3)),
                    "phases_s": dg.MetadataValue.json({k: round(v, 3) for k, v in record_.phases.items()}),
                }
            )

    return parsed_batch


def terminating(context: dg.AssetExecutionContext) -> bool:
    """Whether a user asked to terminate this run (the run launcher marks it CANCELING first)."""
    run = context.instance.get_run_by_id(context.run_id)
    return run is not None and run.status in (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


def batch_metadata(manifest: BatchManifest) -> dict[str, dg.MetadataValue]:
    fp = manifest.fingerprint
    return {
        "pages": dg.MetadataValue.int(fp.last_page - fp.first_page + 1),
        "page_span": dg.MetadataValue.text(f"{fp.first_page}-{fp.last_page}"),
        "blocks": dg.MetadataValue.int(manifest.block_count),
        "blocks_by_kind": dg.MetadataValue.json(manifest.blocks_by_kind),
        "missing_pages": dg.MetadataValue.text(compact_ranges(manifest.missing_pages) or "none"),
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
    ):
        self.context, self.data, self.key, self.doc_id, self.fingerprint = (
            context,
            data,
            key,
            doc_id,
            fingerprint,
        )
        self.observation = observation
        self.started_at = datetime.now(UTC)
        self.started = time.perf_counter()
        self.attempt = context.retry_number
        self.phases: dict[str, float] = {}
        """Orchestrator phases measured so far (`submit`)."""
        self.waited_s: float | None = None
        """Wall time of `worker.wait`: queue, execution and result delivery."""
        self.run: WorkerRun | None = None
        """The finished job, once `worker.wait` returned it."""
        self.record: TimingRecord | None = None
        """This attempt's record, once written (one per attempt)."""

    @contextmanager
    def recording_failures(self, *, job_id: str) -> Iterator[None]:
        """An exception inside that no record accounts for yet writes one: `cancelled` for an interrupt,
        else `failed` with the error described in one redacted line; the exception propagates."""
        try:
            yield
        except BaseException as error:
            if self.record is None:
                interrupted = isinstance(error, DagsterExecutionInterruptedError | KeyboardInterrupt)
                self.write(
                    "cancelled" if interrupted else "failed",
                    run=self.run,
                    job_id=job_id,
                    error="run terminated" if interrupted else describe_error(error),
                )
            raise

    def elapsed_since_first_attempt(self) -> float:
        marker = self.data.paths.timings / self.key / f".{self.context.run_id}.first-attempt"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(time.time()))
        return time.time() - float(marker.read_text())

    def write(
        self,
        status: str,
        *,
        run: WorkerRun | None = None,
        orchestrator_phases: dict[str, float] | None = None,
        worker_id: str = "",
        job_id: str = "",
        error: str | None = None,
    ) -> TimingRecord:
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
            record_id=f"{self.key}/{self.context.run_id}-{self.attempt}",
            run_id=self.context.run_id,
            attempt=self.attempt,
            doc_id=self.doc_id,
            batch_key=self.key,
            first_page=fp.first_page,
            last_page=fp.last_page,
            pages=fp.last_page - fp.first_page + 1,
            status=status,
            engine_version=fp.engine_version,
            tier=fp.tier,
            worker_id=worker.worker_id if worker else worker_id,
            job_id=(run.job_id if run else job_id),
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

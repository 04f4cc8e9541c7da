"""`parsed_batch[doc~bNNN]`: one batch parsed by the parse worker, stored with its blocks and timings.

Re-running never redoes finished work: a batch whose stored fingerprint matches its inputs is reused
(unless the run forces a re-parse), and a batch another process is parsing (it holds the batch's claim)
is waited for, then reused. Every attempt ends in exactly one timing record (succeeded, reused, failed
or cancelled), whatever ended it, a failure's error in one redacted line; output that cannot be stored
for good is not retried. The data version is the stored output's content version, so a reused batch, or
one re-parsed to the same output, rebuilds nothing downstream. The service is `domain.batch_run`; this
module hands it the resources as its ports and turns its outcome into Dagster's results.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field

from platform_assets.domain.intake.registry import DocumentRecord
from platform_assets.domain.observe.timing_records import TimingRecord, write_record
from platform_assets.domain.parse import attempt_deadline
from platform_assets.domain.parse.batch_claim import ClaimHolder, claim_batch, claim_path
from platform_assets.domain.parse.batch_run import BatchOutcome, RunAttempt, SystemClock, batch_job, run_batch
from platform_assets.domain.parse.batch_store import (
    BatchFingerprint,
    BatchManifest,
    batch_dir,
    content_version,
    finished_batch,
    read_manifest,
    store_batch,
)
from platform_assets.domain.parse.ports import HeldClaim
from platform_assets.domain.plan.batch_plan import BatchPlan, doc_id_of_batch_key
from platform_assets.domain.plan.tiling import page_numbers
from platform_assets.edges.batch_telemetry import BatchObservation
from platform_assets.partitions import PartitionScheme
from resources.object_store import ObjectStore, pdf_object_key
from resources.parse_worker import ParseWorker
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
        store = DataFolderStore(data, object_store)
        key = context.partition_key
        batch = batch_job(store, key)
        if batch is None:
            raise dg.Failure(f"{doc_id_of_batch_key(key)} has no registered plan", allow_retries=False)
        folders = (f"batches/{batch.doc_id}/{key}/", f"timings/{key}/")
        for folder in folders:  # an earlier result to reuse, the attempts' deadline records
            data.pull(folder)
        attempt = run_attempt(context, config.force, parse_settings.batch_deadline_s)
        try:
            with BatchObservation(
                run_id=context.run_id,
                batch_key=batch.key,
                doc_id=batch.doc_id,
                attempt=attempt.number,
                first_page=batch.first_page,
                last_page=batch.last_page,
            ) as observation:
                outcome = run_batch(
                    batch,
                    worker,
                    store,
                    SystemClock(),
                    warehouse=store,
                    attempt=attempt,
                    observer=observation,
                    log=context.log,
                )
        finally:  # the result and every attempt's record, also of a failed or interrupted attempt
            for folder in folders:
                data.push(folder)
        if outcome.failure is not None:
            failure = outcome.failure
            raise dg.Failure(str(failure), allow_retries=failure.retryable) from failure.__cause__
        return materialization(outcome)

    return parsed_batch


def run_attempt(context: dg.AssetExecutionContext, force: bool, deadline_s: float) -> RunAttempt:
    """This attempt as the service sees it: forced by config or by the run's tag, retried by the policy."""
    policy = context.op_def.retry_policy
    return RunAttempt(
        run_id=context.run_id,
        number=context.retry_number,
        retries_left=policy is not None and context.retry_number < policy.max_retries,
        force=force or context.run.tags.get(FORCE_TAG, "").lower() == "true",
        deadline_s=deadline_s,
        terminating=lambda: terminating(context),
        interrupt=dg.DagsterExecutionInterruptedError,
    )


def terminating(context: dg.AssetExecutionContext) -> bool:
    """Whether a user asked to terminate this run (the run launcher marks it CANCELING first)."""
    run = context.instance.get_run_by_id(context.run_id)
    return run is not None and run.status in (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


def materialization(outcome: BatchOutcome) -> dg.MaterializeResult:
    """The stored batch's metadata and content version; a parse adds its speed and timings."""
    assert outcome.manifest is not None and outcome.data_version is not None, "a failure has no result"
    metadata = {
        **batch_metadata(outcome.manifest),
        "reused": dg.MetadataValue.bool(outcome.reused),
        "forced": dg.MetadataValue.bool(outcome.forced),
    }
    if (run := outcome.run) is not None:
        record = outcome.record
        metadata |= {
            "pages_per_s": dg.MetadataValue.float(record.pages_per_s or 0.0),
            "queue_wait_s": dg.MetadataValue.float(round(run.queue_wait_s, 3)),
            "execution_s": dg.MetadataValue.float(round(run.execution_s, 3)),
            "phases_s": dg.MetadataValue.json({k: round(v, 3) for k, v in record.phases.items()}),
        }
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(outcome.data_version))


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
        "flattened_pages": dg.MetadataValue.text(page_numbers(manifest.flattened_pages) or "none"),
    }


@dataclass(frozen=True)
class DataFolderStore:
    """The service's `PlatformStore` and `Warehouse`: the data folder, and the object store for the PDFs."""

    data: PlatformData
    objects: ObjectStore

    def document(self, doc_id: str) -> DocumentRecord:
        return self.data.registry.document(doc_id)

    def plan(self, doc_id: str) -> BatchPlan | None:
        return self.data.registry.plan(doc_id)

    def pdf_source(self, pdf_sha256: str) -> dict[str, str]:
        return self.objects.worker_source(pdf_object_key(pdf_sha256))

    def finished_batch(
        self, key: str, fingerprint: BatchFingerprint, *, other_than: BatchManifest | None = None
    ) -> BatchManifest | None:
        return finished_batch(self._folder(key), fingerprint, other_than=other_than)

    def stored_batch(self, key: str) -> BatchManifest | None:
        return read_manifest(self._folder(key))

    def claim(
        self,
        key: str,
        run_id: str,
        *,
        finished: Callable[[], BatchManifest | None],
        timeout_s: float,
        on_wait: Callable[[ClaimHolder], None],
    ) -> HeldClaim | BatchManifest:
        path = claim_path(self.data.paths.batches, doc_id_of_batch_key(key), key)
        return claim_batch(path, run_id, finished=finished, timeout_s=timeout_s, on_wait=on_wait)

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
        return store_batch(
            self._folder(key),
            key=key,
            doc_id=doc_id_of_batch_key(key),
            fingerprint=fingerprint,
            archive=archive,
            archive_format=archive_format,
            result_dir=result_dir,
            worker_id=worker_id,
            job_id=job_id,
            flattened_pages=flattened_pages,
        )

    def content_version(self, key: str, manifest: BatchManifest) -> str:
        return content_version(self._folder(key), manifest)

    def first_attempt_at(self, key: str, run_id: str) -> float:
        return attempt_deadline.first_attempt_at(self.data.paths.timings, key, run_id)

    def end_run(self, key: str, run_id: str) -> None:
        attempt_deadline.end_run(self.data.paths.timings, key, run_id)

    def sweep_deadlines(self, deadline_s: float) -> None:
        attempt_deadline.sweep(self.data.paths.timings, deadline_s)

    def write_record(self, record: TimingRecord) -> None:
        write_record(self.data.paths.timings, record)

    def _folder(self, key: str) -> Path:
        return batch_dir(self.data.paths.batches, doc_id_of_batch_key(key), key)

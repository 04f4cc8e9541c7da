"""Batches queued on the LocalWorker before their runs start, for `ingest --wait` (`local_run`).

One Dagster run per batch leaves the worker idle between two batches: the run stores and materializes its
batch, ends, and the next run starts and submits. Queued ahead, the next batch's job is parsed meanwhile;
its run's `submit` takes the job read ahead (`LocalWorker.read_ahead`) and only waits for it. A batch
already stored with its fingerprint is not queued (its run reuses it), and whatever no run took is
cancelled: after each batch's run, and when the document's runs stop. Before the document is read and
planned, a worker is started, so that it warms up meanwhile (unless every planned batch is stored).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.batch_claim import claim_path
from platform_assets.domain.parse.batch_run import BatchJob, batch_fingerprint, batch_job_input
from platform_assets.domain.parse.batch_store import batch_dir, finished_batch
from platform_assets.domain.plan.batch_plan import Batch
from platform_assets.edges.batch_telemetry import batch_trace_context
from resources.object_store import ObjectStore, pdf_object_key
from resources.parse_worker import LocalWorker
from resources.settings import PlatformSettings
from worker_contract.contract import JobInput


class ReadAhead:
    """The jobs of a document's next batches, queued on its LocalWorker (inactive for any other worker,
    with the data in a bucket, or at depth 0)."""

    def __init__(
        self, settings: PlatformSettings, resources: Mapping[str, Any], registry: Registry, doc_id: str
    ) -> None:
        worker, objects = resources.get("worker"), resources.get("object_store")
        self.depth = settings.read_ahead if settings.data_store == "local" else 0
        self.worker = worker if isinstance(worker, LocalWorker) and self.depth else None
        self.objects = objects if isinstance(objects, ObjectStore) else None
        self.settings, self.registry, self.doc_id = settings, registry, doc_id
        self.queued: dict[str, JobInput] = {}
        """The jobs queued so far, by batch key, until their batch's run is over."""

    def start_worker(self) -> None:
        """Start the worker now (it warms up while the document is read and planned), unless the
        document's plan has no batch left to parse."""
        if self.worker is None or self.objects is None:
            return
        plan = self.registry.plan(self.doc_id)
        if plan is None or any(self._job(batch) is not None for batch in plan.batches):
            self.worker.start_workers()

    def queue(self, upcoming: Sequence[Batch], run_ids: Mapping[str, str]) -> None:
        """Queue the jobs of the batch about to run and the `depth` after it (`upcoming`, in plan order),
        those not stored yet (already queued ones stay); each job joins the trace of its batch's run
        (`run_ids`: the run id each batch's run will have)."""
        if self.worker is None or self.objects is None:
            return
        for batch in upcoming[: 1 + self.depth]:
            if batch.key not in self.queued and (job := self._job(batch)) is not None:
                fields = batch_trace_context(run_ids[batch.key], batch.key)
                self.queued[batch.key] = job.model_copy(update=fields) if fields else job
                self.worker.read_ahead(self.queued[batch.key])

    def drop(self, batch: Batch) -> None:
        """Cancel `batch`'s job if its run did not take it (it reused the batch, or failed before)."""
        if self.worker is not None and (job := self.queued.pop(batch.key, None)) is not None:
            self.worker.withdraw_read_ahead(job)

    def close(self) -> None:
        """Cancel every job read ahead that no run took."""
        if self.worker is not None:
            self.worker.withdraw_read_ahead()

    @cached_property
    def _sha256(self) -> str:
        """The document's hash, read from the registry once (after its registration, before its runs)."""
        return self.registry.document(self.doc_id).sha256

    def _job(self, batch: Batch) -> JobInput | None:
        """The job its run would submit; None when the batch is stored with this fingerprint, or another
        process holds its claim (its run will wait for that one's result)."""
        assert self.worker is not None and self.objects is not None
        sha256 = self._sha256
        job = BatchJob(batch.key, self.doc_id, sha256, batch.first_page, batch.last_page)
        fingerprint = batch_fingerprint(job, self.worker.engine_identity)
        batches = self.settings.paths.batches
        stored = finished_batch(batch_dir(batches, self.doc_id, batch.key), fingerprint)
        if stored is not None or claim_path(batches, self.doc_id, batch.key).exists():
            return None
        source = self.objects.worker_source(pdf_object_key(sha256))
        return batch_job_input(batch.key, fingerprint, source, self.worker.transport)


@contextmanager
def reading_ahead(
    settings: PlatformSettings, resources: Mapping[str, Any], registry: Registry, doc_id: str
) -> Iterator[ReadAhead]:
    """A `ReadAhead` whose leftover jobs are cancelled on the way out, whatever ends the runs."""
    read_ahead = ReadAhead(settings, resources, registry, doc_id)
    try:
        yield read_ahead
    finally:
        read_ahead.close()

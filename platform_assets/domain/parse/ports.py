"""What the batch service (`batch_run`) needs of the world: a parse worker, the platform's store, a
warehouse for attempt records, a clock, an observer and a log, as structural protocols.

The resources satisfy them as they are (nothing here imports Dagster or a resource); tests hand in
in-memory fakes. `WorkerError` is the one failure a worker raises through its port.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from platform_assets.domain.intake.registry import DocumentRecord
from platform_assets.domain.observe.timing_records import TimingRecord
from platform_assets.domain.parse.batch_claim import ClaimHolder
from platform_assets.domain.parse.batch_store import BatchFingerprint, BatchManifest
from platform_assets.domain.plan.batch_plan import BatchPlan
from worker_contract.contract import JobInput, JobOutput, Transport


class WorkerError(RuntimeError):
    """The job did not produce a usable result; `transient` says whether a retry can help."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class SubmittedJob(Protocol):
    """A worker's handle on a job it accepted."""

    @property
    def job_id(self) -> str: ...


class FinishedJob(Protocol):
    """A finished job: the worker's output, its result (an archive, or a folder on this machine) and
    what the orchestrator measured."""

    @property
    def job_id(self) -> str: ...
    @property
    def output(self) -> JobOutput: ...
    @property
    def queue_wait_s(self) -> float: ...
    @property
    def execution_s(self) -> float: ...
    @property
    def archive(self) -> bytes: ...
    @property
    def result_dir(self) -> Path | None:
        """The result folder to adopt (transport `local_dir`); None: the result is `archive`."""
        ...


H = TypeVar("H", bound=SubmittedJob)


class ParseWorker(Protocol[H]):
    """Runs parse jobs (`worker_contract`): submit, wait, cancel; `H` is its job handle."""

    @property
    def engine_identity(self) -> tuple[str, str]:
        """(engine version, tier) this worker parses with: part of a batch's fingerprint."""
        ...

    @property
    def transport(self) -> Transport:
        """How this worker's results travel back."""
        ...

    def submit(self, job: JobInput, /) -> H: ...

    def wait(self, handle: H, timeout_s: float, /) -> FinishedJob:
        """Block until the job finishes; raise `WorkerError` on failure or timeout."""
        ...

    def cancel(self, handle: H, /) -> None:
        """Stop the job; safe to call twice."""
        ...


class HeldClaim(Protocol):
    """A batch claim this process holds (`batch_claim.BatchClaim`)."""

    @property
    def taken_over(self) -> ClaimHolder | None:
        """The stale holder this claim replaced, if any."""
        ...

    @property
    def lost(self) -> bool:
        """Whether another process took the claim over while it was held."""
        ...

    def renewing(self) -> AbstractContextManager[HeldClaim]:
        """Keep the claim while inside; release it on exit."""
        ...


class PlatformStore(Protocol):
    """The platform's data as the batch service reads and writes it: registry, PDFs, stored batches,
    batch claims and the deadline markers of runs (one per batch and run)."""

    def document(self, doc_id: str, /) -> DocumentRecord: ...

    def plan(self, doc_id: str, /) -> BatchPlan | None: ...

    def pdf_source(self, pdf_sha256: str, /) -> dict[str, str]:
        """The job-input fields that let a parse worker read the PDF."""
        ...

    def finished_batch(
        self, key: str, fingerprint: BatchFingerprint, /, *, other_than: BatchManifest | None = None
    ) -> BatchManifest | None:
        """The stored batch if these inputs produced it (and it is not `other_than`), else None."""
        ...

    def stored_batch(self, key: str, /) -> BatchManifest | None:
        """The stored batch, whatever produced it."""
        ...

    def claim(
        self,
        key: str,
        run_id: str,
        /,
        *,
        finished: Callable[[], BatchManifest | None],
        timeout_s: float,
        on_wait: Callable[[ClaimHolder], None],
    ) -> HeldClaim | BatchManifest:
        """Claim the batch, or wait while another holder parses it and return what `finished()` finds."""
        ...

    def store_batch(
        self,
        key: str,
        fingerprint: BatchFingerprint,
        /,
        *,
        archive: bytes,
        archive_format: str,
        result_dir: Path | None,
        worker_id: str,
        job_id: str,
        flattened_pages: Sequence[int],
    ) -> tuple[BatchManifest, dict[str, float]]:
        """Store a worker's result, the archive or the folder (manifest and phase seconds); raises
        `BatchStoreError`."""
        ...

    def content_version(self, key: str, manifest: BatchManifest, /) -> str: ...

    def first_attempt_at(self, key: str, run_id: str, /) -> float:
        """Epoch seconds when this run's first attempt at the batch began (now, for that attempt)."""
        ...

    def end_run(self, key: str, run_id: str, /) -> None:
        """The batch's run is over: its deadline marker goes."""
        ...

    def sweep_deadlines(self, deadline_s: float, /) -> None:
        """Remove the markers of runs long past their deadline."""
        ...


class Warehouse(Protocol):
    """Where attempt records go; one writer loads them into DuckDB later."""

    def write_record(self, record: TimingRecord, /) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall time, UTC."""
        ...

    def perf_counter(self) -> float:
        """Seconds on a monotonic clock, for durations."""
        ...


class AttemptObserver(Protocol):
    """Spans, metrics and log events of one attempt (`batch_telemetry.BatchObservation`)."""

    def mark(self, name: str, /) -> None: ...

    def seconds(self, start: str, end: str, /) -> float:
        """Seconds from mark `start` to mark `end`."""
        ...

    def job_fields(self) -> dict[str, Any]:
        """Extra `JobInput` fields (the trace context)."""
        ...

    def submitted(self, job_id: str, /) -> None: ...

    def finished(self, record: TimingRecord, /) -> None: ...


class Log(Protocol):
    def info(self, message: str, /) -> Any: ...

    def warning(self, message: str, /) -> Any: ...

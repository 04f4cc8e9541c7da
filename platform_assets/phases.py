"""Document-level phases (plan, tree, verify) of the assets, timed and traced as `PhaseRecord` files that
`parse_timings` loads."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from platform_assets.domain.observe.timing_records import PhaseRecord, write_record
from platform_assets.edges.batch_telemetry import DocumentPhase


def timed_phase(phase: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a document-partitioned asset function (`context` first, a `data: PlatformData`
    resource argument): each call writes a `PhaseRecord`, also when the body raises, and is traced as
    `platform.<phase>`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            context = kwargs["context"] if "context" in kwargs else args[0]
            doc_id, run_id = context.partition_key, context.run_id
            observed = DocumentPhase(phase, doc_id=doc_id, run_id=run_id)
            try:
                with observed:
                    return fn(*args, **kwargs)
            finally:
                record = PhaseRecord(
                    record_id=f"{doc_id}/{phase}-{run_id}",
                    doc_id=doc_id,
                    phase=phase,
                    run_id=run_id,
                    status=observed.status,
                    started_at=observed.started_at.isoformat(),
                    finished_at=observed.finished_at.isoformat(),
                    seconds=observed.seconds,
                )
                data = kwargs["data"]
                data.push_file(write_record(data.paths.timings, record))

        return wrapper

    return decorate

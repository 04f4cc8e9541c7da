"""A batch attempt's timing record for tests: one ten-page batch of document `d`, changed by keyword."""

from __future__ import annotations

from typing import Any

from platform_assets.domain.observe.timing_records import TimingRecord


def timing_record(**fields: Any) -> TimingRecord:
    """`d~b001`, pages 0-9, attempt 0 of run `run`, succeeded in 1 s; `fields` override any of it."""
    base: dict[str, Any] = {
        "record_id": "d~b001/run-0",
        "run_id": "run",
        "attempt": 0,
        "doc_id": "d",
        "batch_key": "d~b001",
        "first_page": 0,
        "last_page": 9,
        "pages": 10,
        "status": "succeeded",
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:01+00:00",
        "wall_s": 1.0,
    }
    return TimingRecord(**(base | fields))

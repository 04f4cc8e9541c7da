"""Contiguity of produced spans, timing records into DuckDB, atomic folder swaps."""

from __future__ import annotations

import duckdb
import pytest

from platform_assets.domain.common.atomic import staged_directory
from platform_assets.domain.observe.timing_records import TimingRecord, load_records, write_record
from platform_assets.domain.plan.batch_plan import (
    Batch,
    BatchPlan,
    BatchReason,
    PlanConfig,
    PlanMethod,
    batch_key,
)
from platform_assets.domain.plan.tiling import check_tiling, compact_ranges
from platform_assets.edges.timing_tables import load_into_duckdb


def plan_of(*spans: tuple[int, int], pages: int) -> BatchPlan:
    return BatchPlan(
        doc_id="doc-0123456789ab",
        page_count=pages,
        method=PlanMethod.FIXED,
        config=PlanConfig(),
        batches=[
            Batch(
                index=i,
                key=batch_key("doc-0123456789ab", i),
                first_page=a,
                last_page=b,
                reason=BatchReason.FIXED,
            )
            for i, (a, b) in enumerate(spans, start=1)
        ],
    )


def test_plan_validation_rejects_gaps_overlaps_and_short_coverage():
    plan_of((0, 4), (5, 9), pages=10).validate_tiling()
    with pytest.raises(ValueError, match="gap"):
        plan_of((0, 4), (6, 9), pages=10).validate_tiling()
    with pytest.raises(ValueError, match="overlap"):
        plan_of((0, 4), (4, 9), pages=10).validate_tiling()
    with pytest.raises(ValueError, match=r"covers pages 0\.\.8"):
        plan_of((0, 4), (5, 8), pages=10).validate_tiling()


def test_complete_parse_passes_contiguity():
    plan = plan_of((0, 4), (5, 9), pages=10)
    report = check_tiling(plan, {b.key: list(range(b.first_page, b.last_page + 1)) for b in plan.batches})
    assert report.passed and report.parsed_batches == 2


def test_contiguity_names_missing_overlapping_stray_pages_and_unparsed_batches():
    plan = plan_of((0, 4), (5, 9), (10, 11), pages=12)
    keys = [b.key for b in plan.batches]
    report = check_tiling(plan, {keys[0]: [0, 1, 3, 4, 5], keys[1]: [5, 6, 7, 8, 9], keys[2]: None})
    assert not report.passed
    assert report.missing_pages == [2]
    assert report.overlapping_pages == [5]
    assert report.stray_pages == [5]
    assert report.unparsed_batches == [keys[2]]


def test_compact_ranges():
    assert compact_ranges([7, 1, 2, 3, 9, 10]) == "1-3, 7, 9-10"
    assert compact_ranges([]) == ""


def record(key: str, attempt: int, status: str, parse: float | None = 2.0) -> TimingRecord:
    phases = {"queue_wait": 0.5, "fetch_input": 0.01, "package": 0.2, "normalize": 0.1}
    if parse is not None:
        phases["parse"] = parse
    return TimingRecord(
        record_id=f"{key}/run1-{attempt}",
        run_id="run1",
        attempt=attempt,
        doc_id="doc-0123456789ab",
        batch_key=key,
        first_page=0,
        last_page=9,
        pages=10,
        status=status,
        engine_version="4.0.12",
        tier="flash",
        started_at="2026-11-22T10:00:00+00:00",
        finished_at="2026-11-22T10:00:03+00:00",
        wall_s=3.0,
        phases=phases,
        phase_sources={"fetch_input": "worker", "parse": "worker", "package": "worker"},
    )


def test_timing_records_load_into_duckdb_idempotently(tmp_path):
    root = tmp_path / "timings"
    write_record(root, record("doc-0123456789ab~b001", 0, "failed", parse=None))
    write_record(root, record("doc-0123456789ab~b001", 1, "succeeded"))
    write_record(root, record("doc-0123456789ab~b002", 0, "succeeded", parse=4.0))
    db = tmp_path / "warehouse.duckdb"
    for _ in range(2):  # re-loading rebuilds, never duplicates
        counts = load_into_duckdb(db, load_records(root))
    assert counts == {"parse_runs": 3, "phase_timings": 14, "documents": 1}
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT batch_key, attempt, status, pages_per_s FROM parse_runs ORDER BY batch_key, attempt"
        ).fetchall()
        sources = dict(
            conn.execute("SELECT phase, any_value(source) FROM phase_timings GROUP BY phase").fetchall()
        )
    assert rows == [
        ("doc-0123456789ab~b001", 0, "failed", None),
        ("doc-0123456789ab~b001", 1, "succeeded", 5.0),
        ("doc-0123456789ab~b002", 0, "succeeded", 2.5),
    ]
    # records of schema 1 named `queue` `queue_wait`: loaded under today's name
    assert sources["parse"] == "worker" and sources["queue"] == "orchestrator"


def test_staged_directory_keeps_the_previous_folder_when_the_write_fails(tmp_path):
    dest = tmp_path / "batch"
    with staged_directory(dest) as stage:
        (stage / "blocks.json").write_text("old")
    with pytest.raises(RuntimeError), staged_directory(dest) as stage:
        (stage / "blocks.json").write_text("half")
        raise RuntimeError("interrupted")
    assert (dest / "blocks.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["batch"]
    with staged_directory(dest) as stage:
        (stage / "blocks.json").write_text("new")
    assert (dest / "blocks.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["batch"]

"""Cost model, timing records -> DuckDB tables (exact rows), schema migrations, the phase decorator."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pytest

from platform_assets.domain.observe.cost_model import CostModel
from platform_assets.domain.observe.timing_records import (
    DocumentInfo,
    PhaseRecord,
    TimingRecord,
    WorkerReport,
    load_phase_records,
    load_records,
    write_record,
)
from platform_assets.edges.timing_tables import MIGRATIONS, SCHEMA_VERSION, load_into_duckdb
from platform_assets.phases import timed_phase
from resources.platform_data import CostSettings, PlatformData
from worker_contract.contract import JobDebug

DOC = "doc-0123456789ab"
RTX_4090 = "NVIDIA GeForce RTX 4090"


def test_a_warm_100_page_batch_on_an_rtx_4090_costs_about_a_tenth_of_a_cent_per_page():
    model = CostSettings().model()
    warm = model.batch_cost(RTX_4090, execution_s=330.0, cold_start=False)  # ~3.3 s/page
    assert warm.cold_start_usd == 0.0
    assert warm.execution_usd / 100 == pytest.approx(0.001, rel=0.02)
    cold = model.batch_cost(RTX_4090, execution_s=330.0, cold_start=True)
    assert cold.cold_start_usd == pytest.approx(0.03)
    assert cold.total_usd == pytest.approx(warm.total_usd + 0.03)
    doc = model.document_cost([cold, warm], pages=200)
    assert doc.warm_per_page_usd == pytest.approx(0.001, rel=0.02)
    assert doc.per_page_usd == pytest.approx(0.001 + 0.03 / 200, rel=0.02)


def test_gpu_names_prices_and_cpu_runs():
    model = CostModel()
    assert model.hourly_usd(RTX_4090) == 1.10
    assert model.hourly_usd("NVIDIA L40S") == model.gpu_hourly_usd["L40S"]  # longest key wins over L40/L4
    assert model.hourly_usd("NVIDIA RTX A4000") == model.gpu_hourly_usd["RTX A4000"]  # not A40
    assert model.hourly_usd("Some Future GPU") == model.gpu_hourly_usd["RTX 4090"]  # default_gpu
    for cpu in (None, "", "cpu", "CPU"):
        assert model.batch_cost(cpu, execution_s=1000.0, cold_start=True).total_usd == 0.0
    assert CostModel.document_cost([], pages=0).per_page_usd is None


def test_cold_starts_can_be_billed_as_seconds_at_the_gpu_price():
    model = CostModel(gpu_hourly_usd={"H100": 3.6}, default_gpu="H100", cold_start_s=20.0)
    assert model.batch_cost("NVIDIA H100 80GB HBM3", 100.0, True).cold_start_usd == pytest.approx(0.02)
    with pytest.raises(ValueError, match="default_gpu"):
        CostModel(gpu_hourly_usd={"H100": 3.6}, default_gpu="A100")


def attempt(batch: int, attempt: int, status: str, **fields) -> TimingRecord:
    key = f"{DOC}~b{batch:03d}"
    base = dict(
        record_id=f"{key}/run1-{attempt}",
        run_id="run1",
        attempt=attempt,
        doc_id=DOC,
        batch_key=key,
        first_page=(batch - 1) * 100,
        last_page=batch * 100 - 1,
        pages=100,
        status=status,
        engine_version="4.0.12",
        tier="pipeline",
        started_at=f"2026-11-22T10:0{batch}:00+00:00",
        finished_at=f"2026-11-22T10:0{batch}:30+00:00",
        wall_s=30.0,
    )
    return TimingRecord(**{**base, **fields})


def ran(execution_s: float, cold: bool) -> dict:
    return dict(
        gpu=RTX_4090,
        cold_start=cold,
        execution_s=execution_s,
        phases={"submit": 0.1, "queue": 2.0, "fetch_input": 0.5, "parse": 25.0, "package": 1.0},
        phase_sources={"submit": "orchestrator", "queue": "orchestrator"}
        | dict.fromkeys(("fetch_input", "parse", "package"), "worker"),
    )


def test_records_roundtrip_into_the_three_tables(tmp_path):
    root, db = tmp_path / "timings", tmp_path / "warehouse.duckdb"
    write_record(root, attempt(1, 0, "failed", error="boom", **ran(36.0, True)))
    write_record(root, attempt(1, 1, "succeeded", **ran(360.0, False)))
    write_record(root, attempt(2, 0, "reused"))
    write_record(
        root,
        PhaseRecord(
            record_id=f"{DOC}/plan-run1",
            doc_id=DOC,
            phase="plan",
            run_id="run1",
            status="succeeded",
            started_at="2026-11-22T09:59:00+00:00",
            finished_at="2026-11-22T09:59:01+00:00",
            seconds=1.5,
        ),
    )
    records, phases = load_records(root), load_phase_records(root)
    assert (len(records), len(phases)) == (3, 1)
    info = [DocumentInfo(DOC, "spec.pdf", 200, 2), DocumentInfo("doc-ffffffffffff", "new.pdf", 3, 1)]
    for _ in range(2):
        counts = load_into_duckdb(db, records, phases, info, CostModel())
    assert counts == {"parse_runs": 3, "phase_timings": 11, "documents": 2}
    with duckdb.connect(str(db), read_only=True) as conn:
        runs = conn.execute(
            "SELECT batch_key[-4:], attempt, status, gpu, cold_start, queue_wait_s, execution_s,"
            " pages_per_s, round(execution_cost_usd, 5), round(cold_start_cost_usd, 5), round(cost_usd, 5)"
            " FROM parse_runs ORDER BY batch_key, attempt"
        ).fetchall()
        phase_rows = conn.execute(
            "SELECT coalesce(batch_key[-4:], '-'), phase, source, seconds FROM phase_timings"
            " WHERE phase IN ('plan', 'queue', 'parse') ORDER BY ALL"
        ).fetchall()
        docs = conn.execute(
            "SELECT doc_id, filename, pages, batches, parsed_pages, attempts, cold_starts, execution_s,"
            " queue_wait_s, round(cost_usd, 5), round(cost_per_page_usd, 6),"
            " round(warm_cost_per_page_usd, 6),"
            " pages_per_cold_start, first_parse_at IS NOT NULL FROM documents ORDER BY doc_id"
        ).fetchall()
        version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    assert runs == [
        ("b001", 0, "failed", RTX_4090, True, 2.0, 36.0, 4.0, 0.011, 0.03, 0.041),
        ("b001", 1, "succeeded", RTX_4090, False, 2.0, 360.0, 4.0, 0.11, 0.0, 0.11),
        ("b002", 0, "reused", None, None, None, None, None, None, None, None),
    ]
    assert phase_rows == [
        ("-", "plan", "orchestrator", 1.5),
        ("b001", "parse", "worker", 25.0),
        ("b001", "parse", "worker", 25.0),
        ("b001", "queue", "orchestrator", 2.0),
        ("b001", "queue", "orchestrator", 2.0),
    ]
    assert docs == [
        (DOC, "spec.pdf", 200, 2, 200, 2, 1, 396.0, 4.0, 0.151, 0.000755, 0.000605, 200.0, True),
        ("doc-ffffffffffff", "new.pdf", 3, 1, 0, 0, 0, 0.0, 0.0, 0.0, None, None, None, False),
    ]
    assert version == SCHEMA_VERSION


SCHEMA_1 = """
CREATE OR REPLACE TABLE parse_runs (
    record_id VARCHAR PRIMARY KEY, run_id VARCHAR, attempt INTEGER, doc_id VARCHAR, batch_key VARCHAR,
    first_page INTEGER, last_page INTEGER, pages INTEGER, status VARCHAR, engine VARCHAR,
    engine_version VARCHAR, tier VARCHAR, worker_id VARCHAR, job_id VARCHAR, cold_start BOOLEAN,
    started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, wall_s DOUBLE, queue_wait_s DOUBLE,
    parse_s DOUBLE, pages_per_s DOUBLE, error VARCHAR
);
CREATE OR REPLACE TABLE phase_timings (
    record_id VARCHAR, batch_key VARCHAR, phase VARCHAR, source VARCHAR, seconds DOUBLE
);
"""


def test_a_database_of_schema_1_is_migrated_and_loads(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as conn:  # what the single writer built before schema_version existed
        conn.execute(SCHEMA_1)
        conn.execute(
            "INSERT INTO parse_runs (record_id, status) VALUES ('old/run0-0', 'succeeded');"
            "INSERT INTO phase_timings VALUES ('old/run0-0', 'old', 'queue_wait', 'orchestrator', 1.0)"
        )
    # a record file of schema 1: old phase names, no gpu / execution_s
    old = attempt(1, 0, "succeeded", phases={"queue_wait": 1.0, "download_extract": 0.2, "parse": 10.0})
    counts = load_into_duckdb(db, [old])
    assert counts == {"parse_runs": 1, "phase_timings": 3, "documents": 1}
    with duckdb.connect(str(db), read_only=True) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        run = conn.execute(
            "SELECT record_id, queue_wait_s, gpu, execution_s, cost_usd FROM parse_runs"
        ).fetchall()
        phases = conn.execute("SELECT phase, doc_id FROM phase_timings ORDER BY phase").fetchall()
        columns = {
            c
            for (c,) in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'documents'"
            ).fetchall()
        }
    assert versions == [(v,) for v, _ in MIGRATIONS]
    assert run == [(old.record_id, 1.0, None, None, 0.0)]
    assert phases == [("extract", DOC), ("parse", DOC), ("queue", DOC)]
    assert {"cost_per_page_usd", "pages_per_cold_start"} <= columns
    load_into_duckdb(db, [old])  # migrations run once
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_timed_phase_writes_one_record_per_call_even_on_failure(tmp_path):
    data = PlatformData(root=str(tmp_path))
    context = SimpleNamespace(partition_key=DOC, run_id="run7")

    @timed_phase("tree")
    def asset(context, data):
        return "ok"

    @timed_phase("verify")
    def failing(context, data):
        raise RuntimeError("no")

    assert asset(context, data=data) == "ok"
    with pytest.raises(RuntimeError):
        failing(context=context, data=data)
    records = {(p.record_id, p.phase, p.status) for p in load_phase_records(tmp_path / "timings")}
    assert records == {(f"{DOC}/tree-run7", "tree", "succeeded"), (f"{DOC}/verify-run7", "verify", "failed")}
    assert load_records(tmp_path / "timings") == []


def test_a_job_after_the_boot_warmup_counts_as_a_cold_start_and_reports_the_warmup_phase():
    debug = {"phase_ms": {"fetch_input": 200, "mineru_parse": 9000, "package": 300}, "tier": "standard"}
    after_warmup = WorkerReport.of(JobDebug(**debug, cold_start=False, warmup_ms=41_250, gpu="NVIDIA L4"))
    assert after_warmup.cold_start is True and after_warmup.warmup_s == 41.25
    assert after_warmup.phases == {"fetch_input": 0.2, "parse": 9.0, "package": 0.3, "warmup": 41.25}
    warm = WorkerReport.of(JobDebug(**debug, cold_start=False, worker_id="w1"))
    assert (warm.cold_start, warm.warmup_s, warm.worker_id, "warmup" in warm.phases) == (
        False,
        None,
        "w1",
        False,
    )

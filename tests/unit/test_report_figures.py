"""The parse report's figures from a real DuckDB file, loaded by `load_into_duckdb` from synthetic
timing records: per-document and fleet figures, latest parse per batch, phases, empty databases."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from platform_assets.domain.observe.cost_model import CostModel
from platform_assets.domain.observe.timing_records import DocumentInfo, PhaseRecord, TimingRecord
from platform_assets.edges import warehouse
from platform_assets.edges.report_figures import NO_RUNS, read_report_figures
from platform_assets.edges.timing_tables import load_into_duckdb

RTX_4090 = "NVIDIA GeForce RTX 4090"
PRICE_S = 1.10 / 3600  # RTX 4090, USD per second
COLD = 0.03
ALPHA = "alpha-spec-0123456789ab"  # two batches parsed (one after a failed attempt), one reused
BETA = "beta-00000000000b"  # only reused
GAMMA = "gamma-00000000000c"  # only a failed attempt
DELTA = "delta-00000000000d"  # registered, never parsed
REPARSED_AT = "2026-11-23T08:00:00+00:00"  # a later run parses ALPHA's first batch again


def attempt(
    doc_id: str, batch: int, n: int, status: str, pages: int = 100, run: str = "run1", **fields
) -> TimingRecord:
    key = f"{doc_id}~b{batch:03d}"
    base = dict(
        record_id=f"{key}/{run}-{n}",
        run_id=run,
        attempt=n,
        doc_id=doc_id,
        batch_key=key,
        first_page=(batch - 1) * pages,
        last_page=batch * pages - 1,
        pages=pages,
        status=status,
        started_at=f"2026-11-22T10:{batch:02d}:{n:02d}+00:00",
        finished_at=f"2026-11-22T10:{batch:02d}:{n + 30:02d}+00:00",
        wall_s=30.0,
    )
    return TimingRecord(**(base | fields))


def billed(execution_s: float, cold: bool, parse_s: float | None = None) -> dict:
    phases = {"submit": 0.5, "queue": 4.0, "fetch_input": 1.0, "package": 2.0}
    phases |= {"parse": parse_s} if parse_s is not None else {}
    sources = {"submit": "orchestrator", "queue": "orchestrator"}
    sources |= dict.fromkeys(("fetch_input", "parse", "package"), "worker")
    return dict(gpu=RTX_4090, cold_start=cold, execution_s=execution_s, phases=phases, phase_sources=sources)


def fleet_records() -> tuple[list[TimingRecord], list[PhaseRecord], list[DocumentInfo]]:
    records = [
        attempt(ALPHA, 1, 0, "failed", error="boom", **billed(36.0, True)),
        attempt(ALPHA, 1, 1, "succeeded", **billed(360.0, False, parse_s=50.0)),
        attempt(ALPHA, 1, 0, "succeeded", run="run2", finished_at=REPARSED_AT, **billed(330.0, False, 25.0)),
        attempt(ALPHA, 2, 0, "succeeded", **billed(200.0, True, parse_s=100.0)),
        attempt(ALPHA, 3, 0, "reused"),
        attempt(BETA, 1, 0, "reused", pages=50),
        attempt(GAMMA, 1, 0, "failed", error="boom", **billed(10.0, True)),
    ]
    plan = PhaseRecord(
        record_id=f"{ALPHA}/plan-run1",
        doc_id=ALPHA,
        phase="plan",
        run_id="run1",
        status="succeeded",
        started_at="2026-11-22T09:59:00+00:00",
        finished_at="2026-11-22T09:59:01+00:00",
        seconds=1.5,
    )
    infos = [
        DocumentInfo(ALPHA, "alpha spec.pdf", 300, 3),
        DocumentInfo(BETA, "beta.pdf", 50, 1),
        DocumentInfo(GAMMA, "gamma.pdf", 80, 1),
        DocumentInfo(DELTA, "delta.pdf", 10, 1),
    ]
    return records, [plan], infos


@pytest.fixture
def fleet_db(tmp_path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    load_into_duckdb(db, *fleet_records(), CostModel())
    return db


def test_each_document_shows_its_pages_speed_cold_starts_and_cost(fleet_db):
    figures = read_report_figures(fleet_db)
    docs = {d.doc_id: d for d in figures.documents}
    assert [d.doc_id for d in figures.documents] == [ALPHA, GAMMA, BETA, DELTA]  # most expensive first
    alpha = docs[ALPHA]
    alpha_usd = (36 + 360 + 330 + 200) * PRICE_S + 2 * COLD
    assert (alpha.pages, alpha.batches, alpha.parsed_pages, alpha.attempts, alpha.failed_attempts) == (
        300, 3, 300, 4, 1,
    )  # fmt: skip
    assert alpha.pages_per_s == pytest.approx(300 / 175)  # every successful parse: 100+100+100 pages
    assert (alpha.cold_starts, alpha.pages_per_cold_start) == (2, 150.0)
    assert alpha.cost_usd == pytest.approx(alpha_usd)
    assert alpha.cost_per_page_usd == pytest.approx(alpha_usd / 300)
    assert alpha.warm_cost_per_page_usd == pytest.approx((alpha_usd - 2 * COLD) / 300)

    beta = docs[BETA]  # only reused: pages count, nothing ran, nothing billed
    assert (beta.parsed_pages, beta.attempts, beta.pages_per_s, beta.cost_usd) == (50, 0, None, 0.0)
    assert beta.cost_per_page_usd == 0.0
    gamma = docs[GAMMA]  # only failed: billed, but no page to divide by
    assert (gamma.parsed_pages, gamma.attempts, gamma.failed_attempts, gamma.cold_starts) == (0, 1, 1, 1)
    assert gamma.cost_usd == pytest.approx(10 * PRICE_S + COLD)
    assert (gamma.pages_per_s, gamma.cost_per_page_usd, gamma.warm_cost_per_page_usd) == (None, None, None)
    delta = docs[DELTA]
    assert (delta.parsed_pages, delta.attempts, delta.batches, delta.cost_usd) == (0, 0, 1, 0.0)


def test_fleet_totals_add_up_over_every_attempt(fleet_db):
    fleet = read_report_figures(fleet_db).fleet
    execution = 36 + 360 + 330 + 200 + 10
    assert (fleet.documents, fleet.batches_parsed, fleet.attempts, fleet.failed_attempts) == (3, 4, 5, 2)
    assert (fleet.parsed_pages, fleet.cold_starts) == (350, 3)
    assert fleet.pages_per_s == pytest.approx(300 / 175)
    assert fleet.execution_s == pytest.approx(execution)
    assert fleet.cost_usd == pytest.approx(execution * PRICE_S + 3 * COLD)
    assert fleet.cost_per_page_usd == pytest.approx((execution * PRICE_S + 3 * COLD) / 350)
    assert fleet.warm_cost_per_page_usd == pytest.approx(execution * PRICE_S / 350)
    assert fleet.pages_per_cold_start == pytest.approx(350 / 3)


def test_each_batch_shows_its_latest_successful_parse(fleet_db):
    batches = read_report_figures(fleet_db).batches
    assert [(b.batch_key, b.pages, b.parse_s) for b in batches] == [
        (f"{ALPHA}~b001", 100, 25.0),  # run2's re-parse, not run1's
        (f"{ALPHA}~b002", 100, 100.0),
    ]
    assert [b.pages_per_s for b in batches] == [4.0, 1.0]


def test_phases_are_summed_per_document_with_their_source(fleet_db):
    phases = {(p.doc_id, p.phase, p.source): p.seconds for p in read_report_figures(fleet_db).phases}
    assert phases[(ALPHA, "plan", "orchestrator")] == 1.5
    assert phases[(ALPHA, "queue", "orchestrator")] == 4 * 4.0  # four attempts that ran
    assert phases[(ALPHA, "parse", "worker")] == 50.0 + 25.0 + 100.0
    assert phases[(GAMMA, "fetch_input", "worker")] == 1.0
    assert {doc for doc, _, _ in phases} == {ALPHA, GAMMA}


def test_a_missing_or_unloaded_database_reads_as_no_runs(tmp_path):
    assert read_report_figures(tmp_path / "absent.duckdb") is NO_RUNS
    other = tmp_path / "verification-only.duckdb"
    with duckdb.connect(str(other)) as conn:  # verification_tables wrote first: no timing tables yet
        conn.execute("CREATE TABLE verification_summary (doc_id VARCHAR)")
    assert read_report_figures(other) is NO_RUNS
    registered = tmp_path / "registered-only.duckdb"
    load_into_duckdb(registered, [], [], [DocumentInfo(DELTA, "delta.pdf", 10, 1)])
    figures = read_report_figures(registered)
    assert figures.empty and [d.doc_id for d in figures.documents] == [DELTA]
    assert NO_RUNS.empty


def test_a_fleet_of_only_reused_batches_is_not_empty(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load_into_duckdb(db, [attempt(BETA, 1, 0, "reused", pages=50)])
    figures = read_report_figures(db)
    assert not figures.empty
    assert (figures.fleet.parsed_pages, figures.fleet.attempts, figures.fleet.pages_per_s) == (50, 0, None)
    assert figures.fleet.cost_per_page_usd == 0.0


def test_a_report_read_during_a_load_waits_then_says_the_file_is_locked(fleet_db, monkeypatch):
    monkeypatch.setattr(warehouse, "LOCK_WAIT_S", 0.2)
    with warehouse.writing(fleet_db), pytest.raises(warehouse.WarehouseLocked, match="writer lock"):
        read_report_figures(fleet_db)
    assert read_report_figures(fleet_db).fleet.parsed_pages > 0  # the load over, the figures read

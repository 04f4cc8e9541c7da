"""Races and faults around parsing, on loopback with real processes and a real Dagster instance each.

One parse per batch whatever races it (two processes materializing one document, a holder killed
mid-parse), one `parse_runs` row per attempt whatever ended it, and a DuckDB reader that never fails
an ingest: the tables wait for it, or say they are pending.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.errors import DagsterExecutionInterruptedError

from platform_assets import parsed_batch as batch_asset
from platform_assets.__main__ import main
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import ERROR_MAX_CHARS, load_records
from platform_assets.domain.parse.attempt_deadline import SUFFIX
from platform_assets.domain.parse.batch_claim import claim_path, read_holder
from platform_assets.domain.parse.batch_store import batch_dir, read_manifest
from platform_assets.domain.parse.failures import StepFailed
from platform_assets.edges import warehouse
from platform_assets.local_run import _run
from resources.parse_worker import JobHandle, WorkerError, WorkerRun
from resources.platform_data import ParseSettings
from resources.settings import PlatformSettings
from tests.blank_pages import build_blank_pages_pdf
from tests.integration.test_batch_failures import CannedWorker
from tests.racing import CALLS, materialize_batch, plan_document, resources

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
RACE_ROUNDS = 3


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_asset, "RETRY_POLICY", dg.RetryPolicy(max_retries=2))


def planned(root: Path, pdf: Path) -> tuple[PlatformPaths, str, list[str]]:
    paths = PlatformPaths(root / "data")
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        return paths, doc_id, plan_document(paths, doc_id, instance)


def worker_calls(paths: PlatformPaths) -> list[str]:
    """Page ranges of every job any process submitted, `<first>-<last>`."""
    log = paths.root.parent / CALLS
    return [line.split()[1] for line in log.read_text().splitlines()] if log.exists() else []


def racer(paths: PlatformPaths, doc_id: str, out: Path, *options: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.racing", str(paths.root), doc_id, str(out), *options]
    return subprocess.Popen(command, cwd=REPO, start_new_session=True)


def test_two_processes_materializing_one_document_parse_each_batch_once(tmp_path: Path, sample_pdf) -> None:
    for round_ in range(RACE_ROUNDS):
        paths, doc_id, keys = planned(tmp_path / f"round-{round_}", sample_pdf)
        plan = Registry(paths.registry).plan(doc_id)
        go = paths.root.parent / "go"
        outs = [paths.root.parent / f"out-{n}.json" for n in range(2)]
        crossing = ["--reverse"] if round_ % 2 else []  # both from the first batch, or from either end
        racers = [
            racer(paths, doc_id, outs[0], "--delay-s", "0.3", "--go", str(go)),
            racer(paths, doc_id, outs[1], "--delay-s", "0.3", "--go", str(go), *crossing),
        ]
        deadline = time.monotonic() + 120
        while len(list(go.parent.glob("go.*.ready"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        go.touch()
        assert [r.wait(timeout=300) for r in racers] == [0, 0]

        first, second = (json.loads(out.read_text()) for out in outs)
        assert sorted(worker_calls(paths)) == sorted(f"{b.first_page}-{b.last_page}" for b in plan.batches)
        for key in keys:
            assert first[key][1] == second[key][1]  # the same job's result in both
            assert sorted([first[key][0], second[key][0]]) == [False, True]  # one parsed, one reused
            assert read_manifest(batch_dir(paths.batches, doc_id, key)).job_id == first[key][1]
            assert not claim_path(paths.batches, doc_id, key).exists()
        statuses = Counter((r.batch_key, r.status) for r in load_records(paths.timings))
        assert statuses == Counter({(k, s): 1 for k in keys for s in ("succeeded", "reused")})
        assert not list(paths.timings.glob(f"*/.*{SUFFIX}"))


def test_a_holder_killed_mid_parse_is_taken_over_and_the_batch_completes(tmp_path: Path, sample_pdf) -> None:
    paths, doc_id, keys = planned(tmp_path, sample_pdf)
    key, claim = keys[0], claim_path(paths.batches, doc_id, keys[0])
    holder = racer(paths, doc_id, tmp_path / "out.json", "--delay-s", "600")
    deadline = time.monotonic() + 120
    while not (claim.exists() and worker_calls(paths)) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = read_holder(claim)
    assert killed is not None and killed.pid == holder.pid
    os.killpg(holder.pid, signal.SIGKILL)  # mid-parse: the job submitted, its result awaited
    holder.wait()

    with dg.instance_for_test() as instance:
        started = time.monotonic()
        reused, job_id = materialize_batch(paths, key, instance)
        took_s = time.monotonic() - started
    assert not reused and read_manifest(batch_dir(paths.batches, doc_id, key)).job_id == job_id
    assert took_s < 30  # its holder provably dead: the 60 s lease is not waited out
    assert len(worker_calls(paths)) == 2 and not claim.exists()
    # the killed attempt could write nothing; the attempt that took over is the batch's one parse
    assert [(r.batch_key, r.status, r.job_id) for r in load_records(paths.timings)] == [
        (key, "succeeded", job_id)
    ]


class FaultyWorker(CannedWorker):
    """The canned worker with a fault at submit or wait, or a first wait interrupted (run terminated)."""

    submit_error: str = ""
    wait_error: str = ""
    wait_s: float = 0.0
    interrupt_first: bool = False

    def submit(self, job) -> JobHandle:
        if self.submit_error:
            raise WorkerError(self.submit_error, transient=False)
        return super().submit(job)

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        time.sleep(self.wait_s)
        if self.interrupt_first and not FaultyWorker.interrupted:
            FaultyWorker.interrupted = True
            raise DagsterExecutionInterruptedError()
        if self.wait_error:
            raise WorkerError(self.wait_error, transient=True)
        return super().wait(handle, timeout_s)


FaultyWorker.interrupted = False


@pytest.fixture
def document(tmp_path: Path) -> tuple[PlatformPaths, str, Path]:
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    paths = PlatformPaths(tmp_path / "data")
    return paths, register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id, pdf


def parse_batch_once(paths: PlatformPaths, doc_id: str, **overrides) -> dg.ExecuteInProcessResult | Exception:
    """source_pdf, batch_plan, parsed_batch of b001 (its result, or its `StepFailed`), then the tables."""
    res = {**resources(paths), **overrides}
    with dg.instance_for_test() as instance:
        _run(
            PlatformSettings(paths),
            instance,
            res,
            dg.AssetSelection.assets("source_pdf", "batch_plan"),
            doc_id,
        )
        try:
            return _run(
                PlatformSettings(paths),
                instance,
                res,
                dg.AssetSelection.assets("parsed_batch"),
                f"{doc_id}~b001",
            )
        except StepFailed as failed:
            return failed
        finally:
            _run(PlatformSettings(paths), instance, res, dg.AssetSelection.assets("parse_timings"), None)


def rows(paths: PlatformPaths) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        sql = "SELECT attempt, status, job_id, error FROM parse_runs ORDER BY attempt, status DESC"
        runs = conn.execute(sql).fetchall()
        [(attempts,)] = conn.execute("SELECT attempts FROM documents").fetchall()
    assert attempts == sum(1 for _, status, _, _ in runs if status != "reused")  # the documents row agrees
    return runs


def test_a_job_refused_at_submit_is_a_failed_row_with_its_own_capped_error(document) -> None:
    paths, doc_id, _ = document
    long = "RunPod /run answered HTTP 401: " + "x" * 2000
    failed = parse_batch_once(paths, doc_id, worker=FaultyWorker(submit_error=long))
    assert isinstance(failed, StepFailed) and failed.cause.startswith("RunPod /run answered HTTP 401")
    [(attempt, status, job_id, error)] = rows(paths)  # permanent: not retried
    assert (attempt, status, job_id) == (0, "failed", "")
    assert error.startswith("RunPod /run answered HTTP 401: xxx") and len(error) == ERROR_MAX_CHARS


def test_an_interrupted_attempt_is_a_cancelled_row_and_its_retry_a_succeeded_one(document) -> None:
    paths, doc_id, _ = document
    FaultyWorker.interrupted = False
    result = parse_batch_once(paths, doc_id, worker=FaultyWorker(interrupt_first=True))
    assert isinstance(result, dg.ExecuteInProcessResult) and result.success
    [first, second] = rows(paths)
    assert first[:2] == (0, "cancelled") and first[3] == "run terminated" and first[2].startswith("canned-")
    assert second[:2] == (1, "succeeded") and second[3] is None and second[2] != first[2]


def test_a_deadline_passed_during_retries_is_a_failed_row_and_leaves_no_marker(document) -> None:
    paths, doc_id, _ = document
    worker = FaultyWorker(wait_s=0.3, wait_error="worker lost")
    deadline = ParseSettings(batch_deadline_s=0.2)
    failed = parse_batch_once(paths, doc_id, worker=worker, parse_settings=deadline)
    assert isinstance(failed, StepFailed) and "deadline for this batch has passed" in failed.cause
    [first, second] = rows(paths)
    assert first[:2] == (0, "failed") and first[2].startswith("canned-") and first[3] == "worker lost"
    assert second == (1, "failed", "", "the 0s deadline for this batch has passed")
    assert not list(paths.timings.glob(f"*/.*{SUFFIX}"))  # the run is over: its marker went


READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import duckdb

    db, release = sys.argv[1], Path(sys.argv[2])
    with duckdb.connect(db, read_only=True):
        print("holding", flush=True)
        while not release.exists():
            time.sleep(0.02)
    """
)


def hold_warehouse(paths: PlatformPaths) -> tuple[subprocess.Popen[str], Path]:
    """A reader process holding the DuckDB file read-only (as docs/warehouse.md's queries) till released."""
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(paths.warehouse)).close()
    release = paths.root.parent / "release-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.warehouse), str(release)], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "holding"
    return reader, release


def ingest(paths: PlatformPaths, pdf: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    home = paths.root.parent / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(paths.root))
    monkeypatch.setattr("platform_assets.definitions.parse_worker_for", lambda _settings: CannedWorker())
    return main(["ingest", str(pdf), "--wait"])


def test_a_reader_holding_the_warehouse_through_an_ingest_leaves_its_tables_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    baseline = ingest(PlatformPaths(tmp_path / "baseline" / "data"), pdf, monkeypatch)
    paths = PlatformPaths(tmp_path / "held" / "data")
    monkeypatch.setattr(warehouse, "RETRY_DELAYS_S", (0.1, 0.2))
    reader, release = hold_warehouse(paths)
    try:
        capsys.readouterr()
        assert ingest(paths, pdf, monkeypatch) == baseline
        err = capsys.readouterr().err
    finally:
        release.touch()
        reader.wait(timeout=30)
    assert "Traceback" not in err
    pending = [line for line in err.splitlines() if "DuckDB tables not updated" in line]
    assert len(pending) == 2  # parse_timings and verification_tables
    assert "warehouse.duckdb stayed locked by another process" in pending[0]
    assert "Could not set lock" in pending[0] and "timings/" in pending[0]
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        tables = {name for (name,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "parse_runs" not in tables

    assert ingest(paths, pdf, monkeypatch) == baseline  # the reader let go: the records land
    assert [status for _, status, _, _ in rows(paths)] == ["succeeded", "reused"]
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM verification_summary").fetchone()[0] > 0


def test_a_reader_letting_go_while_the_load_retries_gets_the_tables_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    baseline = ingest(PlatformPaths(tmp_path / "baseline" / "data"), pdf, monkeypatch)
    paths = PlatformPaths(tmp_path / "data")
    monkeypatch.setattr(warehouse, "RETRY_DELAYS_S", (0.5, 1.0, 2.0))
    reader, release = hold_warehouse(paths)
    conflicts: list[str] = []
    seen = warehouse.is_lock_conflict

    def conflict_then_release(error: BaseException) -> bool:
        if seen(error):
            conflicts.append(str(error))
            release.touch()  # the reader closes its connection within ~20 ms
        return seen(error)

    monkeypatch.setattr(warehouse, "is_lock_conflict", conflict_then_release)
    try:
        capsys.readouterr()
        code = ingest(paths, pdf, monkeypatch)
        err = capsys.readouterr().err
    finally:
        release.touch()
        reader.wait(timeout=30)
    assert code == baseline and len(conflicts) == 1 and "Could not set lock" in conflicts[0]
    assert "DuckDB tables not updated" not in err
    assert [status for _, status, _, _ in rows(paths)] == ["succeeded"]

"""The DuckDB file's one writer, against real processes: loads never collide, readers are waited out."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from platform_assets.domain.observe.timing_records import TimingRecord
from platform_assets.edges import warehouse
from platform_assets.edges.timing_tables import load_into_duckdb
from platform_assets.edges.warehouse import WarehouseLocked, reading, writing
from resources.platform_data import PlatformData
from tests.timing_builders import timing_record

REPO = Path(__file__).resolve().parents[2]
WRITERS, LOADS = 3, 15

READER = textwrap.dedent(
    """
    import sys, time
    import duckdb

    with duckdb.connect(sys.argv[1], read_only=True):
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from platform_assets.edges.warehouse import writing

    db, name, loads = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for n in range(loads):
        with writing(db) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS loads (writer VARCHAR, n INTEGER)")
            conn.execute("INSERT INTO loads VALUES (?, ?)", [name, n])
    """
)


def record(n: int) -> TimingRecord:
    return timing_record(record_id=f"d~b001/run-{n}", run_id=f"run-{n}")


def hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process reading the file (`read_only=True`, as docs/warehouse.md's queries) for `seconds`."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "holding"
    return reader


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    load_into_duckdb(path, [record(0)])
    return path


def test_a_load_while_a_reader_holds_the_file_fails_after_bounded_retries_naming_the_lock(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse, "RETRY_DELAYS_S", (0.05, 0.1, 0.2))
    reader = hold(db, 30)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as caught:
            load_into_duckdb(db, [record(0), record(1)])
        assert 0.35 <= time.monotonic() - started < 5
    finally:
        reader.kill()
        reader.wait()
    message = str(caught.value)
    assert message.startswith("warehouse.duckdb stayed locked by another process for 0s (4 tries): IO Error")
    assert "Could not set lock" in message and str(db.parent) not in message  # directories dropped
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM parse_runs").fetchone() == (1,)  # nothing half-written


def test_a_load_waits_out_a_reader_that_lets_go_within_its_retries(db: Path, monkeypatch) -> None:
    monkeypatch.setattr(warehouse, "RETRY_DELAYS_S", (0.25, 0.5, 1.0, 2.0))
    reader = hold(db, 0.5)
    assert load_into_duckdb(db, [record(0), record(1)])["parse_runs"] == 2
    reader.wait()


def test_loads_from_several_processes_at_once_never_meet_on_the_file(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), f"w{n}", str(LOADS)], cwd=REPO, stderr=subprocess.PIPE
        )
        for n in range(WRITERS)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * WRITERS, [w.stderr.read() for w in writers]
    with reading(db) as conn:
        assert conn.execute(
            "SELECT writer, count(*) FROM loads GROUP BY writer ORDER BY writer"
        ).fetchall() == [(f"w{n}", LOADS) for n in range(WRITERS)]


def test_a_read_and_a_load_of_this_platform_wait_for_each_other(db: Path, monkeypatch) -> None:
    monkeypatch.setattr(warehouse, "LOCK_WAIT_S", 0.2)
    with reading(db), pytest.raises(WarehouseLocked, match="another load held the writer lock"), writing(db):
        pass
    with reading(db) as first, reading(db) as second:  # readers share
        assert first.execute("SELECT 1").fetchone() == second.execute("SELECT 1").fetchone()


def test_a_reader_of_the_snapshot_never_holds_up_a_load_which_republishes_it(tmp_path: Path) -> None:
    data = PlatformData(root=str(tmp_path))
    with data.updating_warehouse() as db:
        load_into_duckdb(db, [record(0)])
    snapshot = data.warehouse_snapshot()
    reader = hold(snapshot, 30)  # another process reads the snapshot all along
    try:
        with data.updating_warehouse() as db:
            assert load_into_duckdb(db, [record(0), record(1)])["parse_runs"] == 2  # no lock met
    finally:
        reader.kill()
        reader.wait()
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM parse_runs").fetchone() == (2,)  # republished

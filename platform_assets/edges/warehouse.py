"""The DuckDB file's one writer: loads serialize on a writer lock and wait out other processes' locks.

DuckDB lets one process write a file, and none while another holds it open, even read-only. Every load
(timing and verification tables, from a Dagster run or the CLI) takes an exclusive flock beside the file,
and our own reads a shared one, so they never collide; a lock DuckDB reports from outside (a notebook, a
BI tool) is retried with backoff, then raised as `WarehouseLocked` for the caller to report: the record
files stay on disk and the next load rebuilds the tables from all of them. DuckDB is imported where a file
is opened: step processes that never open it do not pay for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from platform_assets.domain.common.atomic import copy_file_atomic
from platform_assets.domain.parse.failures import DescribedError
from worker_contract.redaction import redact

if TYPE_CHECKING:
    import duckdb

RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits between tries to open the file while another process holds DuckDB's lock (about 16 s)."""
LOCK_WAIT_S = 600.0
"""How long a load waits for this platform's other loads (each holds the writer lock for seconds)."""
LOCK_POLL_S = 0.1


class WarehouseLocked(DescribedError):
    """The DuckDB file stayed locked by another process: the load did not happen (records stay on disk)."""


def is_lock_conflict(error: BaseException) -> bool:
    """DuckDB's `IO Error: Could not set lock on file ...`: another process has the file open."""
    import duckdb

    return isinstance(error, duckdb.IOException) and "Could not set lock" in str(error)


@contextlib.contextmanager
def _platform_lock(db_path: Path, mode: int) -> Iterator[None]:
    """The flock beside `db_path`: exclusive for a load, shared for a read; `WarehouseLocked` after
    `LOCK_WAIT_S`."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_S
    with db_path.with_name(f"{db_path.name}.writer.lock").open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"{db_path.name}: another load held the writer lock for {LOCK_WAIT_S:.0f}s"
                    ) from None
                time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _connect(db_path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying DuckDB's lock conflicts after each of `RETRY_DELAYS_S`."""
    import duckdb

    tries = 0
    while True:
        tries += 1
        try:
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            if tries > len(RETRY_DELAYS_S):
                raise WarehouseLocked(
                    f"{db_path.name} stayed locked by another process for {sum(RETRY_DELAYS_S):.0f}s "
                    f"({tries} tries): {redact(str(error))}"
                ) from None
            time.sleep(RETRY_DELAYS_S[tries - 1])


@contextlib.contextmanager
def writing(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection as the file's one writer (`WarehouseLocked` if it cannot be had)."""
    with _platform_lock(db_path, fcntl.LOCK_EX), _connect(db_path, read_only=False) as conn:
        yield conn


def publish_snapshot(db_path: Path, snapshot: Path) -> None:
    """Copy the file for readers as its writer (complete and checkpointed: no connection is open); a
    reader of the copy never holds the writer's lock, and one that has it open keeps the old copy."""
    if db_path.is_file():
        with _platform_lock(db_path, fcntl.LOCK_EX):
            copy_file_atomic(db_path, snapshot)


@contextlib.contextmanager
def reading(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that never meets this platform's loads (`WarehouseLocked` as above)."""
    with _platform_lock(db_path, fcntl.LOCK_SH), _connect(db_path, read_only=True) as conn:
        yield conn

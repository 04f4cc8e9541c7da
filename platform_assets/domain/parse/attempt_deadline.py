"""When a batch's first attempt in a run began: the batch's deadline spans that run's retries.

A marker `<timings>/<key>/.<run id>.first-attempt` holds that time. It is removed when the batch's run
ends for good (stored, reused, failed without a retry left, cancelled), and markers older than
`SWEEP_AFTER_S` past the deadline (their run long over) are swept, so markers never pile up.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from platform_assets.domain.common.atomic import create_exclusive

SUFFIX = ".first-attempt"
SWEEP_AFTER_S = 24 * 3600.0
"""A marker this long past its deadline belongs to a run that ended without removing it (killed)."""


def marker_path(root: Path, key: str, run_id: str) -> Path:
    return root / key / f".{run_id}{SUFFIX}"


def first_attempt_at(root: Path, key: str, run_id: str) -> float:
    """The epoch time this run's first attempt at `key` began (now, if this is that attempt)."""
    marker = marker_path(root, key, run_id)
    create_exclusive(marker, str(time.time()).encode())
    return float(marker.read_text())


def end_run(root: Path, key: str, run_id: str) -> None:
    """The batch's run is over: its marker goes."""
    marker_path(root, key, run_id).unlink(missing_ok=True)


def sweep(root: Path, deadline_s: float, now: float | None = None) -> int:
    """Remove markers older than `deadline_s + SWEEP_AFTER_S`; returns how many went."""
    cutoff = (time.time() if now is None else now) - deadline_s - SWEEP_AFTER_S
    removed = 0
    for marker in root.glob(f"*/.*{SUFFIX}") if root.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):
            if marker.stat().st_mtime < cutoff:
                marker.unlink()
                removed += 1
    return removed

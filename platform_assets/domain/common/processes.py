"""Which process a pid names: its start time, so a claim outlives neither its holder nor a reused pid.

The orchestrator's own copy of the spool's `process_identity`: the two sides share only `worker_contract`.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def process_identity(pid: int) -> str | None:
    """A token that changes when `pid` is reused (its start time on Linux, else ""); None if not alive.

    A zombie counts as dead.
    """
    if not _PROC.joinpath("self", "stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    try:
        line = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = line[line.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else fields[19]

"""The servers a live test starts end on the SIGTERM that `stop` sends, however pytest was launched."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.live.processes import stop

DAGSTER_LIKE = (
    "from dagster._utils.interrupts import setup_interrupt_handlers\n"
    "setup_interrupt_handlers()  # as `dagster dev`, the daemon and a code server do at start\n"
    "print('ready', flush=True)\n"
    "import time\n"
    "time.sleep(120)\n"
)


def test_a_dagster_process_ends_on_sigterm_not_on_the_sigkill_after_the_grace() -> None:
    """Dagster maps SIGTERM to SIGINT's handler: started from a background job (SIGINT ignored), the
    process would ignore SIGTERM and `stop` would SIGKILL it after 30 s (tests/conftest.py)."""
    process = subprocess.Popen(
        [sys.executable, "-c", DAGSTER_LIKE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    stop(process)
    assert process.returncode != -signal.SIGKILL

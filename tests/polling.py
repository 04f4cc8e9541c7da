"""Condition polling for tests: a liveness bound, never a timing assertion."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(condition: Callable[[], Any], what: str, timeout_s: float = 120, poll_s: float = 0.02) -> Any:
    """Poll `condition` until it is truthy and return its value; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(poll_s)
    return value

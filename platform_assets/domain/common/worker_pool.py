"""A process pool for one document's page-independent work, bounded by the cores this process may use.

Invariant: workers start from a fork server, never forked from the calling process (whose threads may hold
locks); work is split into contiguous chunks whose results are merged in their order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container's cpuset sets it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def contiguous_chunks(items: Sequence[T], count: int, smallest: int) -> list[list[T]]:
    """`items` in order as at most `count` contiguous chunks of near-equal length, none shorter than
    `smallest` (but the only one)."""
    pieces = max(1, min(count, len(items) // max(smallest, 1)))
    size, extra = divmod(len(items), pieces)
    chunks, start = [], 0
    for number in range(pieces):
        stop = start + size + (number < extra)
        chunks.append(list(items[start:stop]))
        start = stop
    return [chunk for chunk in chunks if chunk]


def process_pool(workers: int, preload: Sequence[str]) -> ProcessPoolExecutor:
    """`workers` processes forked from a fork server that imported the modules `preload` names once, so a
    worker starts without paying for those imports itself."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)

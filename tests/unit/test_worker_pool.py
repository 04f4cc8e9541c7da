"""The worker pool's bounds: cores this process may use, chunks in order, serial for small reads."""

from __future__ import annotations

import os

import pytest

from platform_assets.domain.common.worker_pool import contiguous_chunks, usable_cores
from platform_assets.domain.verify import document_reads
from platform_assets.domain.verify.document_reads import (
    MIN_POOLED_SECONDS,
    TABLE_PAGE_SECONDS,
    TEXT_READERS,
    ReadPlan,
)


def test_usable_cores_are_those_of_this_process_affinity() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("items", "count", "smallest", "sizes"),
    [
        (range(10), 2, 4, [5, 5]),
        (range(11), 3, 2, [4, 4, 3]),
        (range(10), 4, 4, [5, 5]),  # four chunks would be shorter than four
        (range(3), 4, 4, [3]),  # one chunk, however short
        (range(0), 4, 4, []),
    ],
)
def test_chunks_keep_the_order_and_the_smallest_size(items, count, smallest, sizes) -> None:
    chunks = contiguous_chunks(list(items), count, smallest)
    assert [len(chunk) for chunk in chunks] == sizes
    assert [item for chunk in chunks for item in chunk] == list(items)


def test_small_reads_stay_serial_and_large_ones_take_the_usable_cores(monkeypatch) -> None:
    monkeypatch.setattr(document_reads, "usable_cores", lambda: 4)
    assert ReadPlan.of(page_count=40, table_pages=3) == ReadPlan(0, 0)
    many = int(MIN_POOLED_SECONDS / TABLE_PAGE_SECONDS) + 1
    assert ReadPlan.of(page_count=40, table_pages=many) == ReadPlan(0, 4)
    assert ReadPlan.of(page_count=5_000, table_pages=0) == ReadPlan(TEXT_READERS, 0)
    assert ReadPlan.of(page_count=5_000, table_pages=many, workers=1) == ReadPlan(0, 0)
    assert ReadPlan.of(page_count=40, table_pages=3, workers=3) == ReadPlan(TEXT_READERS, 3)
    monkeypatch.setattr(document_reads, "usable_cores", lambda: 1)
    assert ReadPlan.of(page_count=5_000, table_pages=many) == ReadPlan(0, 0)

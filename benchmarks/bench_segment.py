"""Segmentation throughput and scaling on synthetic ECMA-shaped streams (tests/segment_streams.py).

Two shapes: bookmarks without a position (headings matched) and bookmarks with one (anchored). Each at
5,000 and 50,000 blocks; prints blocks/s and the 10x-size time ratio (linear: about 10; quadratic: 100).
Goal: >= 40,000 blocks/s (segmenting is a fraction of the clause-tree step's 20,000 blocks/s) and a
ratio under 15.
Usage: `.venv/bin/python benchmarks/bench_segment.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script from any directory

from platform_assets.domain.tree.segment import segment  # noqa: E402
from tests.segment_streams import anchored_stream, numbered_stream  # noqa: E402

GOAL_BLOCKS_PER_S = 40_000
GOAL_RATIO = 15.0


def seconds(shape, clauses: int, repeats: int = 3) -> tuple[int, float]:
    outline, stream = shape(clauses)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        segment(stream, outline)
        times.append(time.perf_counter() - began)
    return len(stream), statistics.median(times)


def main() -> int:
    ok = True
    for name, shape in (("matched", numbered_stream), ("anchored", anchored_stream)):
        small_blocks, small = seconds(shape, 1_000)
        blocks, large = seconds(shape, 10_000)
        rate, ratio = blocks / large, large / small
        met = rate >= GOAL_BLOCKS_PER_S and ratio < GOAL_RATIO
        ok &= met
        print(
            f"{name:9} {small_blocks:>6} blocks {small:6.3f} s | {blocks:>6} blocks {large:6.3f} s "
            f"{rate:>9,.0f} blocks/s | 10x size: {ratio:5.1f}x time | {'ok' if met else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

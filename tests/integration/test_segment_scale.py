"""Block stream -> clause bodies at scale: fifty thousand blocks, matched or anchored, lose nothing."""

from __future__ import annotations

from platform_assets.domain.tree.segment import segment
from tests.segment_lossless import assert_lossless
from tests.segment_streams import anchored_stream, numbered_stream


def test_fifty_thousand_blocks_and_ten_thousand_clauses_lose_nothing() -> None:
    clauses, stream = numbered_stream(10_000)  # speed: benchmarks/bench_segment.py
    result = segment(stream, clauses)
    assert result.unmatched == () and result.mismatched == ()
    assert_lossless(result, stream)
    assert all(len(body) == 4 for body in result.bodies.values())


def test_fifty_thousand_anchored_blocks_lose_nothing() -> None:
    clauses, stream = anchored_stream(10_000)
    result = segment(stream, clauses)
    assert result.unmatched == () and result.mismatched == ()
    assert len(result.anchored) == 10_000 and result.dropped == 0 and result.split == 0
    assert all(result.heading_of[clause.id] == (stream[5 * n],) for n, clause in enumerate(clauses))

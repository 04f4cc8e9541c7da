"""Per-batch claims within one process: a holder that lost its claim, an unreadable claim file."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from platform_assets.domain.parse import batch_claim
from platform_assets.domain.parse.batch_claim import claim_batch, read_holder


def test_a_holder_that_lost_its_claim_never_removes_the_new_holders(tmp_path: Path) -> None:
    path = tmp_path / "b001.json"
    first = claim_batch(path, "run-1", finished=lambda: None, timeout_s=1)
    assert isinstance(first, batch_claim.BatchClaim)
    path.write_text(json.dumps(asdict(replace(first.holder, expires_at=0.0))))  # stalled past its lease
    second = claim_batch(path, "run-2", finished=lambda: None, timeout_s=1)
    assert isinstance(second, batch_claim.BatchClaim) and second.taken_over.token == first.holder.token
    assert first.renew() is False and first.lost
    first.release()
    assert read_holder(path) == second.holder


def test_an_unreadable_claim_file_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "b001.json"
    path.write_text("{not json")
    claim = claim_batch(path, "run-1", finished=lambda: None, timeout_s=1)
    assert isinstance(claim, batch_claim.BatchClaim) and read_holder(path) == claim.holder

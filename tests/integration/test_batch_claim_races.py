"""Per-batch claims between real processes and on real leases: one parse a batch, stale claims taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from platform_assets.domain.parse import batch_claim
from platform_assets.domain.parse.batch_claim import ClaimHolder, ClaimTimeout, claim_batch, read_holder

REPO = Path(__file__).resolve().parents[2]
ROUNDS, CONTENDERS = 20, 4

CONTENDER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from platform_assets.domain.parse import batch_claim
    from platform_assets.domain.common.atomic import write_text_atomic

    batch_claim.POLL_S = 0.01
    root, rounds = Path(sys.argv[1]), int(sys.argv[2])
    while not (root / "go").exists():
        time.sleep(0.001)
    outcomes = []
    for n in range(rounds):
        done = root / f"batch-{n}.done"
        result = batch_claim.claim_batch(
            root / f"batch-{n}.claim.json", f"run-{os.getpid()}",
            finished=lambda: done.read_text() if done.exists() else None, timeout_s=60,
        )
        if isinstance(result, str):
            outcomes.append(["reused", result])
            continue
        with result.renewing():
            with (root / f"batch-{n}.parses").open("a") as log:
                log.write(f"{os.getpid()}\\n")
            time.sleep(0.05)  # the parse
            write_text_atomic(done, f"parsed by {os.getpid()}")
        outcomes.append(["parsed", done.read_text()])
    print(json.dumps(outcomes))
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from platform_assets.domain.parse import batch_claim

    claim = batch_claim.claim_batch(Path(sys.argv[1]), "run-killed", finished=lambda: None, timeout_s=5)
    with claim.renewing():
        print("claimed", flush=True)
        time.sleep(600)  # parsing, until killed
    """
)


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE, text=True
    )


def test_of_four_processes_racing_for_each_of_20_batches_one_parses_and_three_reuse(tmp_path: Path) -> None:
    contenders = [spawn(CONTENDER, str(tmp_path), str(ROUNDS)) for _ in range(CONTENDERS)]
    time.sleep(1.0)  # all of them imported and polling
    (tmp_path / "go").touch()
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in contenders]
    assert all(p.returncode == 0 for p in contenders)
    for n in range(ROUNDS):
        parsers = (tmp_path / f"batch-{n}.parses").read_text().split()
        assert len(parsers) == 1, f"batch {n} parsed by {parsers}"
        outcomes = [output[n] for output in outputs]
        assert sorted(kind for kind, _ in outcomes) == ["parsed", "reused", "reused", "reused"]
        assert {result for _, result in outcomes} == {f"parsed by {parsers[0]}"}  # one result for all
        assert not (tmp_path / f"batch-{n}.claim.json").exists()  # released


def test_a_claim_whose_holder_was_killed_is_taken_over_at_once(tmp_path: Path) -> None:
    path = tmp_path / "b001.json"
    holder = spawn(HOLDER, str(path))
    assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
    killed = read_holder(path)
    assert killed is not None and killed.pid == holder.pid and not killed.provably_dead()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()

    started = time.monotonic()
    claim = claim_batch(path, "run-2", finished=lambda: None, timeout_s=5)
    assert isinstance(claim, batch_claim.BatchClaim)
    assert time.monotonic() - started < 1.0  # provably dead: no need to wait out its 60 s lease
    assert claim.taken_over == killed and read_holder(path) == claim.holder
    claim.release()
    assert not path.exists()


def forged(path: Path, expires_in_s: float, host: str = "elsewhere") -> ClaimHolder:
    """A claim held by a process this host cannot see (another machine), expiring in `expires_in_s`."""
    now = time.time()
    holder = ClaimHolder("forged", 4242, "1", host, "boot", "run-elsewhere", now, now + expires_in_s)
    path.write_text(json.dumps(asdict(holder)))
    return holder


def test_a_holder_on_another_host_is_waited_for_until_its_lease_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_claim, "POLL_S", 0.02)
    path = tmp_path / "b001.json"
    forged(path, expires_in_s=100)
    waited: list[ClaimHolder] = []
    with pytest.raises(
        ClaimTimeout, match=r"still being parsed by run run-elsewhere \(pid 4242 on elsewhere\)"
    ):
        claim_batch(path, "run-2", finished=lambda: None, timeout_s=0.3, on_wait=waited.append)
    assert [h.token for h in waited] == ["forged"]  # told once

    holder = forged(path, expires_in_s=1.0)
    started = time.monotonic()
    claim = claim_batch(path, "run-2", finished=lambda: None, timeout_s=10)
    assert isinstance(claim, batch_claim.BatchClaim) and claim.taken_over == holder
    assert time.monotonic() - started >= 0.9  # not before the lease ran out


def test_a_renewing_holder_keeps_its_claim_far_past_one_lease(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(batch_claim, "POLL_S", 0.02)
    path = tmp_path / "b001.json"
    claim = claim_batch(path, "run-1", finished=lambda: None, timeout_s=1, lease_s=0.2)
    assert isinstance(claim, batch_claim.BatchClaim)
    with claim.renewing():
        with pytest.raises(ClaimTimeout):
            claim_batch(path, "run-2", finished=lambda: None, timeout_s=1.0)
        assert read_holder(path).token == claim.holder.token and not claim.lost
    assert not path.exists()


def test_a_contender_waits_for_the_holder_and_returns_its_result(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(batch_claim, "POLL_S", 0.02)
    path, result = tmp_path / "b001.json", tmp_path / "result"
    claim = claim_batch(path, "run-1", finished=lambda: None, timeout_s=1)
    assert isinstance(claim, batch_claim.BatchClaim)

    def finish() -> None:
        time.sleep(0.3)
        result.write_text("blocks")
        claim.release()

    threading.Thread(target=finish).start()
    outcome = claim_batch(
        path, "run-2", finished=lambda: result.read_text() if result.exists() else None, timeout_s=5
    )
    assert outcome == "blocks" and not path.exists()

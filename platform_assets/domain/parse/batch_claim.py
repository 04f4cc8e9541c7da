"""Per-batch claims: one process at a time parses a batch; the others wait for its result and reuse it.

A claim is a JSON file created exclusively and complete (`create_exclusive`: a hard link fails if it
exists) naming its holder (pid and start time, host, boot id, run) and a lease the holder renews while
it parses. It is taken over only when its lease expired or its holder is provably dead (same host and
boot, process gone or pid reused); removals and renewals happen under a short flock beside it, so two
contenders never both take over one claim.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TypeVar

from platform_assets.domain.common.atomic import create_exclusive, write_text_atomic
from platform_assets.domain.common.processes import process_identity
from platform_assets.domain.parse.failures import DescribedError

T = TypeVar("T")

LEASE_S = 60.0
"""A claim not renewed for this long may be taken over, whether or not its holder can be seen."""
POLL_S = 0.5
"""How often a waiting contender looks at the claim again."""
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class ClaimTimeout(DescribedError):
    """Another process held the batch past this attempt's deadline."""


def claim_path(batches: Path, doc_id: str, key: str) -> Path:
    """`<batches>/<doc>/.claims/<key>.json`, beside the batch folders (never one of them)."""
    return batches / doc_id / ".claims" / f"{key}.json"


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class ClaimHolder:
    """What a claim file says about its holder and its lease."""

    token: str
    pid: int
    identity: str
    """The holder's process start time (`process_identity`): a reused pid has another one."""
    host: str
    boot_id: str
    run_id: str
    acquired_at: float
    expires_at: float

    @classmethod
    def this_process(cls, run_id: str, lease_s: float) -> ClaimHolder:
        pid, now = os.getpid(), time.time()
        identity = process_identity(pid) or ""
        return cls(
            uuid.uuid4().hex, pid, identity, socket.gethostname(), _boot_id(), run_id, now, now + lease_s
        )

    def provably_dead(self) -> bool:
        """On this host since its last boot, and its process is gone or the pid now belongs to another."""
        if self.host != socket.gethostname() or not self.boot_id or self.boot_id != _boot_id():
            return False
        return process_identity(self.pid) != self.identity

    def stale(self, now: float) -> bool:
        return now >= self.expires_at or self.provably_dead()

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.host})"


def read_holder(path: Path) -> ClaimHolder | None:
    """The claim's holder; None when there is no claim (a torn or foreign file reads as an expired one)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return ClaimHolder(**json.loads(raw))
    except (ValueError, TypeError):
        return ClaimHolder("", 0, "", "", "", "", 0.0, 0.0)


@contextlib.contextmanager
def _mutex(path: Path) -> Iterator[None]:
    """Serializes removal and renewal of the claim at `path` (the kernel drops it if its holder dies)."""
    with path.with_suffix(".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BatchClaim:
    """A claim this process holds; `renewing()` keeps its lease alive while the batch is parsed."""

    def __init__(self, path: Path, holder: ClaimHolder, lease_s: float):
        self.path, self.holder, self.lease_s = path, holder, lease_s
        self.lost = False
        """Set when a renewal found the claim taken over (this holder stalled past its lease)."""
        self.taken_over: ClaimHolder | None = None
        """The stale holder this claim replaced, if any."""

    def renew(self) -> bool:
        """Extend the lease; False (and `lost`) when the claim is no longer this holder's."""
        with _mutex(self.path):
            current = read_holder(self.path)
            if current is None or current.token != self.holder.token:
                self.lost = True
                return False
            self.holder = replace(self.holder, expires_at=time.time() + self.lease_s)
            write_text_atomic(self.path, json.dumps(asdict(self.holder)))
        return True

    def release(self) -> None:
        """Remove the claim if it is still this holder's (never another's that took it over)."""
        with _mutex(self.path):
            current = read_holder(self.path)
            if current is not None and current.token == self.holder.token:
                self.path.unlink()

    @contextlib.contextmanager
    def renewing(self) -> Iterator[BatchClaim]:
        """Renew the lease every quarter lease in a background thread; release the claim on exit."""
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self.lease_s / 4):
                with contextlib.suppress(OSError):  # a full disk: try again; the lease covers a miss
                    if not self.renew():
                        return

        thread = threading.Thread(target=heartbeat, name=f"claim {self.path.stem}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.release()


def claim_batch(
    path: Path,
    run_id: str,
    *,
    finished: Callable[[], T | None],
    timeout_s: float,
    lease_s: float = LEASE_S,
    on_wait: Callable[[ClaimHolder], None] = lambda holder: None,
) -> BatchClaim | T:
    """Claim the batch, or wait while a live holder parses it; what `finished()` returns once it is
    not None (the batch is stored).

    A stale claim (lease expired, or holder provably dead) is taken over. `on_wait` is called once per
    holder waited for. Raises `ClaimTimeout` when a live holder still has it after `timeout_s`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    waited_for: set[str] = set()
    replaced: ClaimHolder | None = None
    while True:
        if (done := finished()) is not None:
            return done
        holder = ClaimHolder.this_process(run_id, lease_s)
        if create_exclusive(path, json.dumps(asdict(holder)).encode()):
            if (done := finished()) is not None:  # stored by a holder that released just before
                path.unlink()
                return done
            claim = BatchClaim(path, holder, lease_s)
            claim.taken_over = replaced
            return claim
        current = read_holder(path)
        if current is None:
            continue  # released meanwhile: try again at once
        if current.stale(time.time()):
            with _mutex(path):
                again = read_holder(path)
                if again is not None and again.token == current.token:
                    path.unlink()
                    replaced = current
            continue
        if current.token not in waited_for:
            waited_for.add(current.token)
            on_wait(current)
        if time.monotonic() >= deadline:
            raise ClaimTimeout(
                f"the batch is still being parsed by {current.describe()} after {timeout_s:.0f}s"
            )
        time.sleep(POLL_S)

"""An exclusive lock between processes on one machine, held on a lock file with `flock`.

Crash-safe: the kernel releases the lock when its holder dies; a lock file removed by its last
holder is never trusted by a waiter that opened it before the removal (it locks the new file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(path: Path, *, remove: bool = False) -> Iterator[None]:
    """Hold `path` exclusively for the block; `remove` deletes the lock file on the way out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is not None and current.st_ino == os.fstat(fd).st_ino:
                break  # locked the file that is still in place
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # a previous holder removed it while we waited: lock the new one
    try:
        yield
    finally:
        if remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        os.close(fd)

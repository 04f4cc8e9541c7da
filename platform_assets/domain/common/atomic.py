"""Atomic writes: a reader sees the old file or folder, or the complete new one, never a half.

Every writer in the platform goes through these helpers (temp in the same folder, fsync, rename).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def create_exclusive(path: Path, data: bytes) -> bool:
    """Write `path` only if it does not exist yet (append-only registries); False if it did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if path exists: no overwrite, no race
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def copy_file_atomic(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_directory(dest: Path) -> Iterator[Path]:
    """Yield a temp folder beside `dest`; on success it takes the place of `dest` atomically.

    An existing `dest` is swapped with the stage in one `renameat2(RENAME_EXCHANGE)` (Linux), so a
    reader never finds `dest` missing; where the kernel or filesystem cannot exchange, two renames
    leave it missing for an instant. An exception leaves any previous `dest` untouched and removes the
    temp folder.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".stage", dir=dest.parent))
    try:
        yield stage
        if not dest.exists():
            os.replace(stage, dest)
        elif not exchange_paths(stage, dest):  # the stage now holds the old folder, removed below
            retired = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.replace(dest, retired / dest.name)
            os.replace(stage, dest)
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_RENAMEAT2 = getattr(_LIBC, "renameat2", None)  # glibc 2.28+


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap two existing paths in one step; False where the platform or filesystem cannot (nothing moved).

    Raises OSError for any other failure (a path missing, no permission).
    """
    if _RENAMEAT2 is None:
        return False
    done = _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # no such call, or not on this filesystem
        return False
    raise OSError(error, os.strerror(error), str(first), None, str(second))

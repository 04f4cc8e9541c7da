"""Adoption of the result folder a worker on this machine left behind (the `local_dir` transport).

The folder moves into place by one rename (a checked copy only across filesystems), and is adopted only
if it holds nothing but folders and regular files with safe relative names, like an extracted archive.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from platform_assets.domain.parse.archive import ArchiveLimits, check_member_name

_COPY_CHUNK = 1 << 20


class UnsafeResultError(ValueError):
    """An entry is a link, a device or other special file, or has an unsafe name; or a size cap is passed."""


def adopt_result_folder(source: Path, dest: Path, limits: ArchiveLimits | None = None) -> list[str]:
    """Move the folder `source` to `dest` (which must not exist) and return its regular files' names.

    Raises `UnsafeResultError`; on any error `dest` does not exist (`source` is the caller's to remove).
    """
    limits = limits or ArchiveLimits()
    info = os.lstat(source)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UnsafeResultError("the result folder is not a folder of this user (a link, or someone else's)")
    try:
        os.rename(source, dest)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        return _copy_checked(source, dest, limits)
    try:
        return checked_files(dest, limits)  # checked where the worker can no longer reach it by name
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def checked_files(root: Path, limits: ArchiveLimits) -> list[str]:
    """The regular files under `root` as sorted relative names; `UnsafeResultError` for a link, a special
    file, a hard link, an unsafe name, or more members or bytes than `limits` allow."""
    names: list[str] = []
    seen: set[str] = set()
    members = total = 0
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                is_dir = stat.S_ISDIR(info.st_mode)
                name = check_member_name(prefix + entry.name, seen, is_dir, UnsafeResultError)
                assert name is not None, "a folder never lists itself"
                members += 1
                if members > limits.max_members:
                    raise UnsafeResultError(f"the result folder has more than {limits.max_members} members")
                if is_dir:
                    pending.append((Path(entry.path), f"{name}/"))
                    continue
                if stat.S_ISLNK(info.st_mode):
                    raise UnsafeResultError(f"member {name!r} is a link")
                if not stat.S_ISREG(info.st_mode):
                    raise UnsafeResultError(f"member {name!r} is a device, fifo or other special file")
                if info.st_nlink != 1:
                    raise UnsafeResultError(f"member {name!r} is a hard link")
                total += info.st_size
                if total > limits.max_total_bytes:
                    raise UnsafeResultError(
                        f"the result folder holds more than {limits.max_total_bytes} bytes"
                    )
                names.append(name)
    return sorted(names)


def _copy_checked(source: Path, dest: Path, limits: ArchiveLimits) -> list[str]:
    """Copy the checked regular files of `source` into a new `dest` (another filesystem), never following
    a link that appeared after the check."""
    names = checked_files(source, limits)
    dest.mkdir(mode=0o700)
    try:
        for name in names:
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(source / name, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle, target.open("xb") as copy:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise UnsafeResultError(f"member {name!r} changed into a special file while copied")
                shutil.copyfileobj(handle, copy, _COPY_CHUNK)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return names

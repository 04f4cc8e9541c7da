"""Safe extraction of a worker's result archive (tar.gz or zip) into a directory.

Either every member passes the checks and `dest` appears complete (atomic rename), or `dest` is untouched.
"""

from __future__ import annotations

import io
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

ARCHIVE_FORMATS = ("tar.gz", "zip")
_COPY_CHUNK = 1 << 20


class UnsafeArchiveError(ValueError):
    """A member would escape the destination, is a link or special file, or exceeds a size cap."""


class CorruptArchiveError(ValueError):
    """The bytes are not a readable archive of the announced format."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps against archive bombs."""

    max_members: int = 20_000
    max_total_bytes: int = 4 * 1024**3


def check_member_name(
    name: str, seen: set[str], is_dir: bool, unsafe: type[ValueError] = UnsafeArchiveError
) -> str | None:
    """The member name as a clean relative POSIX path, None for the destination itself (`.`, `./`: a
    directory entry to skip), or the `unsafe` error."""
    if not name or "\\" in name or "\x00" in name:
        raise unsafe(f"member {name!r} has an empty or unsupported name")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise unsafe(f"member {name!r} is an absolute path")
    if ".." in path.parts:
        raise unsafe(f"member {name!r} contains '..'")
    clean = path.as_posix().rstrip("/")
    if clean == ".":
        if is_dir:
            return None
        raise unsafe(f"member {name!r} is a file named like the destination itself")
    if clean in seen:
        raise unsafe(f"member {name!r} appears twice")
    seen.add(clean)
    return clean


def _copy_capped(source: BinaryIO, target: Path, budget: list[int]) -> None:
    """Copy `source` to `target`, counting bytes against the shared remaining `budget[0]`."""
    with target.open("wb") as handle:
        while chunk := source.read(_COPY_CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise UnsafeArchiveError("archive expands past the total size cap")
            handle.write(chunk)


def _extract_tar(source: BinaryIO, tmp: Path, limits: ArchiveLimits) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    total = 0
    with tarfile.open(fileobj=source, mode="r:gz") as archive:
        members = []
        for member in archive:
            if len(members) >= limits.max_members:
                raise UnsafeArchiveError(f"archive has more than {limits.max_members} members")
            name = check_member_name(member.name, seen, member.isdir())
            if name is None:
                continue
            if member.issym() or member.islnk():
                raise UnsafeArchiveError(f"member {member.name!r} is a link")
            if not (member.isreg() or member.isdir()):
                raise UnsafeArchiveError(f"member {member.name!r} is a device, fifo or other special file")
            total += member.size
            if total > limits.max_total_bytes:
                raise UnsafeArchiveError(f"archive expands past {limits.max_total_bytes} bytes")
            members.append(member)
            if member.isreg():
                names.append(name)
        try:
            archive.extractall(tmp, members=members, filter="data")
        except tarfile.FilterError as error:
            raise UnsafeArchiveError(f"tarfile data filter refused a member: {error}") from None
    return names


def _extract_zip(source: BinaryIO, tmp: Path, limits: ArchiveLimits) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise UnsafeArchiveError(f"archive has more than {limits.max_members} members")
        if sum(info.file_size for info in infos) > limits.max_total_bytes:
            raise UnsafeArchiveError(f"archive expands past {limits.max_total_bytes} bytes")
        checked: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            mode = info.external_attr >> 16  # permission bits without a file type: a plain file (writestr)
            name = check_member_name(info.filename, seen, info.is_dir() or stat.S_ISDIR(mode))
            if name is None:
                continue
            checked.append((info, name))
            if stat.S_ISLNK(mode):
                raise UnsafeArchiveError(f"member {info.filename!r} is a link")
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafeArchiveError(f"member {info.filename!r} is a device, fifo or other special file")
        budget = [limits.max_total_bytes]
        for info, name in checked:
            target = tmp / name
            if not target.resolve().is_relative_to(tmp.resolve()):
                raise UnsafeArchiveError(f"member {info.filename!r} escapes the destination")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as member:
                _copy_capped(member, target, budget)
            names.append(name)
    return names


def extract_archive(
    data: bytes | Path, dest: Path, archive_format: str, limits: ArchiveLimits | None = None
) -> list[str]:
    """Extract `data` into `dest` (created, or replaced whole) and return the regular files' names.

    Raises `UnsafeArchiveError` or `CorruptArchiveError`; on any error `dest` is left as it was.
    """
    if archive_format not in ARCHIVE_FORMATS:
        raise ValueError(
            f"archive_format must be one of {', '.join(ARCHIVE_FORMATS)}, not {archive_format!r}"
        )
    limits = limits or ArchiveLimits()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.extract-", dir=dest.parent))
    try:
        with io.BytesIO(data) if isinstance(data, bytes) else data.open("rb") as source:
            extract = _extract_zip if archive_format == "zip" else _extract_tar
            try:
                names = extract(source, tmp, limits)
            except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise CorruptArchiveError(f"not a valid {archive_format} archive: {error}") from None
        _swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(names)


def _swap_into_place(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest`; an existing `dest` is moved aside first and removed afterwards."""
    if not dest.exists():
        tmp.rename(dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
    old.rmdir()
    dest.rename(old)
    try:
        tmp.rename(dest)
    except BaseException:
        old.rename(dest)
        raise
    shutil.rmtree(old, ignore_errors=True)

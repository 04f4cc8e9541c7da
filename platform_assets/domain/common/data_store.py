"""Platform data by key, in a local folder or a bucket (docs/operations.md, "Platform data on S3/R2").

A key is a `/`-separated path relative to the data root: `registry/documents/<doc>.json`,
`batches/<doc>/<batch>/blocks.json`. Steps keep working on a local folder of the same layout: `pull`
copies a prefix into it before the step reads, `push` copies back what the step wrote. With the data
folder itself as the store (`FolderStore`, the embedded default) both are no-ops; with a bucket
(`edges.s3_data_store.S3DataStore`) nothing passes from one step to the next through a local disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from platform_assets.domain.common.atomic import copy_file_atomic, create_exclusive, write_bytes_atomic


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    md5: str | None
    """The content's MD5 where the store knows it (an S3 ETag of a single-part upload); None otherwise."""


class DataStore(Protocol):
    """Where the platform's data lives. `create` is the one race-free primitive the registry builds on."""

    @property
    def folder(self) -> Path | None:
        """The local folder that *is* the store (keys are its paths), or None for a remote store."""
        ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes; None when there is none."""
        ...

    def create(self, key: str, data: bytes) -> bool:
        """Write `key` only if it does not exist (S3: `If-None-Match: *`); False when it already did."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Write `key` whole (a reader sees the old or the new object, never a part)."""
        ...

    def listing(self, prefix: str) -> list[StoredObject]:
        """Every object whose key starts with `prefix`, sorted by key."""
        ...

    def download(self, key: str, path: Path) -> None:
        """Copy the object to `path` atomically; FileNotFoundError when there is none."""
        ...

    def upload(self, path: Path, key: str) -> None:
        """Copy the file at `path` to `key` whole."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key` (no error when it is already gone)."""
        ...


def check_key(key: str) -> str:
    """`key` unchanged, or ValueError for one that is absolute or climbs out (`..`, empty parts)."""
    parts = key.rstrip("/").split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid data key: {key!r}")
    return key


class FolderStore:
    """The data folder as the store: keys are paths under `root` (the embedded default)."""

    def __init__(self, root: Path):
        self.root = root

    @property
    def folder(self) -> Path:
        return self.root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def create(self, key: str, data: bytes) -> bool:
        return create_exclusive(self._path(key), data)

    def put(self, key: str, data: bytes) -> None:
        write_bytes_atomic(self._path(key), data)

    def listing(self, prefix: str) -> list[StoredObject]:
        folder = prefix.rpartition("/")[0]
        base = self._path(folder) if folder else self.root
        if not base.is_dir():
            return []
        found = []
        for path in _files(base):
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                found.append(StoredObject(key, path.stat().st_size, None))
        return sorted(found, key=lambda o: o.key)

    def download(self, key: str, path: Path) -> None:
        source = self._path(key)
        if source != path:
            copy_file_atomic(source, path)

    def upload(self, path: Path, key: str) -> None:
        target = self._path(key)
        if target != path:
            copy_file_atomic(path, target)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


TRANSFERS = 8
"""Objects moved at once by `pull` and `push`: a bucket's per-request latency, not bandwidth, is what
a batch folder of many small files costs."""


def pull(
    store: DataStore,
    root: Path,
    prefix: str,
    into: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> int:
    """Copy every object under `prefix` (for which `keep(key)` holds, if given) into `root`: same layout,
    or with `prefix` replaced by `into`; skips a local file that already holds the object. Returns how
    many were copied. A no-op when `root` is the store's own folder."""
    if _same_folder(store, root) and into is None:
        return 0
    wanted = []
    for stored in store.listing(prefix):
        path = root / check_key((into or prefix) + stored.key[len(prefix) :])
        if (keep is None or keep(stored.key)) and not _holds(path, stored):
            wanted.append((stored.key, path))
    _each(lambda item: store.download(*item), wanted)
    return len(wanted)


def pull_file(store: DataStore, root: Path, key: str) -> Path:
    """`root/key`, fetched from the store unless `root` is the store's folder; FileNotFoundError if absent."""
    path = root / check_key(key)
    if not _same_folder(store, root):
        store.download(key, path)
    elif not path.is_file():
        raise FileNotFoundError(f"no data at {key}")
    return path


def push(store: DataStore, root: Path, prefix: str, to: str | None = None) -> int:
    """Copy every file under `root/prefix` to the store (same keys, or with `prefix` replaced by `to`)
    unless it already holds the same bytes; returns how many were copied. Names starting with `.`
    (temp files, claims, locks) stay local."""
    if _same_folder(store, root) and to is None:
        return 0
    folder = root / check_key(prefix)
    if not folder.exists():
        return 0
    target = to or prefix
    stored = {o.key: o for o in store.listing(target)}
    wanted = []
    for path in [folder] if folder.is_file() else _files(folder):
        key = target + path.relative_to(root).as_posix()[len(prefix) :]
        known = stored.get(key)
        if known is None or not _holds(path, known):
            wanted.append((path, key))
    _each(lambda item: store.upload(*item), wanted)
    return len(wanted)


def read_many(store: DataStore, keys: list[str]) -> list[bytes | None]:
    """`store.read` of every key, `TRANSFERS` at a time, in the order of `keys`."""
    if len(keys) <= 1:
        return [store.read(key) for key in keys]
    with ThreadPoolExecutor(min(TRANSFERS, len(keys))) as pool:
        return list(pool.map(store.read, keys))


def _each(move: Callable[[tuple], None], items: list[tuple]) -> None:
    """`move` every item, `TRANSFERS` at a time (one alone in this thread); the first error is raised."""
    if len(items) <= 1:
        for item in items:
            move(item)
        return
    with ThreadPoolExecutor(min(TRANSFERS, len(items))) as pool:
        for _ in pool.map(move, items):
            pass


def _same_folder(store: DataStore, root: Path) -> bool:
    folder = store.folder
    return folder is not None and os.path.realpath(folder) == os.path.realpath(root)


def _holds(path: Path, stored: StoredObject) -> bool:
    """Whether the local file has the stored object's bytes (size, then MD5 when the store knows it)."""
    try:
        if path.stat().st_size != stored.size:
            return False
    except FileNotFoundError:
        return False
    return stored.md5 is None or _md5(path) == stored.md5


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    """Regular files under `folder`, skipping names that start with `.` (and what lies under them)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name

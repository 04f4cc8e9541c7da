"""Object stores for source PDFs: content-addressed keys, a local folder by default.

An S3/R2 store implements the same four methods; `worker_source` is how a parse worker reaches
the object (a path on a shared volume here, a presigned URL for a remote worker).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import dagster as dg

from platform_assets.domain.atomic import copy_file_atomic


class ObjectStore(dg.ConfigurableResource):
    """Where source PDFs live once ingested."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Store `path` under `key` (idempotent: an existing complete object is kept)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def worker_source(self, key: str) -> dict[str, str]:
        """The job-input fields that let a parse worker read the object."""

    @abstractmethod
    def describe(self, key: str) -> str:
        """Human-readable location for metadata (no credentials, no query strings)."""


class LocalObjectStore(ObjectStore):
    """Objects as files under a local folder (the embedded default)."""

    root: str

    def _path(self, key: str) -> Path:
        path = (Path(self.root) / key).resolve()
        if Path(self.root).resolve() not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        if not (target.is_file() and target.stat().st_size == path.stat().st_size):
            copy_file_atomic(path, target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def worker_source(self, key: str) -> dict[str, str]:
        return {"volume_path": str(self._path(key))}

    def describe(self, key: str) -> str:
        return str(self._path(key))


def pdf_object_key(sha256: str) -> str:
    return f"pdfs/{sha256[:2]}/{sha256}.pdf"

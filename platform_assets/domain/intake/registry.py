"""The document registry: append-only JSON files that define which documents and batches exist.

Invariants: a record file is written once and never rewritten (same bytes = same document); a
document's plan is registered once (plans are immutable), so partition keys never change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from platform_assets.domain.common.atomic import create_exclusive
from platform_assets.domain.common.file_lock import exclusive_lock
from platform_assets.domain.common.file_names import display_name, raw_name
from platform_assets.domain.plan.batch_plan import BatchPlan

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

SLUG_MAX = 32
_DOC_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,31})-[0-9a-f]{12}$")


class DocumentRecord(BaseModel):
    doc_id: str
    sha256: str
    filename: str = Field(description="name the document arrived with, printable (display only)")
    filename_raw: str | None = Field(
        default=None,
        description="the name's exact bytes, percent-escaped (urllib.parse.unquote_to_bytes reverses it)",
    )
    size_bytes: int
    source: str = Field(description="how it arrived: 'inbox', 'cli', ...")
    registered_at: str
    decrypted: bool = Field(default=False, description="stored as a decrypted copy of the original bytes")

    @model_validator(mode="after")
    def _printable_filename(self) -> DocumentRecord:
        """A name holding raw bytes (records of older versions) keeps them in `filename_raw`."""
        if self.filename_raw is None:
            self.filename_raw = raw_name(self.filename)
        self.filename = display_name(self.filename)
        return self

    @classmethod
    def for_file(cls, name: str, **fields: object) -> DocumentRecord:
        """A record for a file called `name` (as `os` gave it): display form plus lossless bytes."""
        return cls(filename=display_name(name), filename_raw=raw_name(name), **fields)


class UnreadableRecord(ValueError):
    """A registry file that cannot be read as its model; skipped by the listings, named in the log."""


def slugify(filename: str) -> str:
    """Short, Dagster-safe slug of a file name (no `| , [ ] ~` or control characters)."""
    stem = Path(filename).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "doc"


def make_doc_id(filename: str, sha256: str) -> str:
    return f"{slugify(filename)}-{sha256[:12]}"


def is_doc_id(value: str) -> bool:
    return bool(_DOC_ID.match(value))


class Registry:
    """A folder of `documents/<doc_id>.json` and `plans/<doc_id>.json`, read whole at load."""

    def __init__(self, root: Path):
        self.root = root
        self.documents_dir = root / "documents"
        self.plans_dir = root / "plans"
        self.locks_dir = root / "locks"
        self.unreadable: dict[Path, str] = {}
        """Files the last listing skipped, with the reason (also logged as a warning)."""

    def documents(self) -> list[DocumentRecord]:
        """All readable documents, in registration order (then id, for ties); see `unreadable`."""
        records = self._readable(self.documents_dir, DocumentRecord)
        return sorted(records.values(), key=lambda r: (r.registered_at, r.doc_id))

    def plans(self) -> dict[str, BatchPlan]:
        """Every readable plan by doc id; see `unreadable`."""
        return self._readable(self.plans_dir, BatchPlan)

    def document(self, doc_id: str) -> DocumentRecord:
        path = self.documents_dir / f"{doc_id}.json"
        if not path.is_file():
            raise KeyError(f"document {doc_id!r} is not registered")
        return _load(path, DocumentRecord)

    def plan(self, doc_id: str) -> BatchPlan | None:
        path = self.plans_dir / f"{doc_id}.json"
        return _load(path, BatchPlan) if path.is_file() else None

    def find_by_sha256(self, sha256: str) -> DocumentRecord | None:
        return next((r for r in self.documents() if r.sha256 == sha256), None)

    @contextlib.contextmanager
    def registering(self, sha256: str) -> Iterator[None]:
        """Hold the registration of `sha256` against every other process (lookup and insert in one)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        with exclusive_lock(self.locks_dir / f"{sha256}.lock", remove=True):
            yield

    def add_document(self, record: DocumentRecord) -> bool:
        """Register once; False when that document id is already there."""
        return create_exclusive(self.documents_dir / f"{record.doc_id}.json", _dump(record))

    def add_plan(self, plan: BatchPlan) -> bool:
        """Register a document's plan once; False when it already has one (plans are immutable)."""
        plan.validate_tiling()
        return create_exclusive(self.plans_dir / f"{plan.doc_id}.json", _dump(plan))

    def fingerprint(self) -> str:
        """Changes whenever a document or plan is added: what the reload sensor watches."""
        names = sorted(
            p.relative_to(self.root).as_posix()
            for d in (self.documents_dir, self.plans_dir)
            for p in self._files(d)
        )
        return f"{len(names)}:{hashlib.sha256(chr(10).join(names).encode()).hexdigest()[:16]}"

    def _readable(self, folder: Path, model: type[M]) -> dict[str, M]:
        """`stem -> model` for every file of `folder` that reads back; the others are skipped and reported."""
        for path in [p for p in self.unreadable if p.parent == folder]:
            del self.unreadable[path]
        loaded: dict[str, M] = {}
        for path in self._files(folder):
            try:
                loaded[path.stem] = _load(path, model)
            except UnreadableRecord as err:
                self.unreadable[path] = str(err)
                log.warning("registry: skipping unreadable record %s: %s", path, err)
        return loaded

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _load(path: Path, model: type[M]) -> M:
    """Read one record; `UnreadableRecord` names the file and the cause (I/O, JSON, schema)."""
    try:
        # json.loads accepts the lone surrogates older versions wrote for undecodable names.
        return model.model_validate(json.loads(path.read_bytes()))
    except (OSError, ValueError, ValidationError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnreadableRecord(f"{path.name}: {type(err).__name__}: {first}") from err


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _dump(model: BaseModel) -> bytes:
    return (json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True) + "\n").encode()

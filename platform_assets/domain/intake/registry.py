"""The document registry: append-only JSON files that define which documents and batches exist.

Invariants: a record is written once and never rewritten (same bytes = same document, whatever the
race: the content index is created with the store's conditional `create`); a document's plan is
registered once (plans are immutable), so partition keys never change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from platform_assets.domain.common.data_store import DataStore, FolderStore, read_many
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
    """`registry/documents/<doc_id>.json` and `registry/plans/<doc_id>.json` in a data store, plus the
    content index `registry/sha256/<sha256>.json` that makes a registration race-free on any backend."""

    def __init__(self, store: DataStore | Path, prefix: str = "registry/"):
        """`store` and the registry's key prefix; a Path is the local registry folder itself (its parent is
        the data folder)."""
        if isinstance(store, Path):
            store, prefix = FolderStore(store.parent), f"{store.name}/"
        self.store = store
        self.prefix = prefix
        self.unreadable: dict[str, str] = {}
        """Keys the last listing skipped, with the reason (also logged as a warning)."""

    def documents(self) -> list[DocumentRecord]:
        """All readable documents, in registration order (then id, for ties); see `unreadable`."""
        records = self._readable("documents", DocumentRecord)
        return sorted(records.values(), key=lambda r: (r.registered_at, r.doc_id))

    def plans(self) -> dict[str, BatchPlan]:
        """Every readable plan by doc id; see `unreadable`."""
        return self._readable("plans", BatchPlan)

    def document(self, doc_id: str) -> DocumentRecord:
        record = self._record(f"documents/{doc_id}.json", DocumentRecord)
        if record is None:
            raise KeyError(f"document {doc_id!r} is not registered")
        return record

    def plan(self, doc_id: str) -> BatchPlan | None:
        return self._record(f"plans/{doc_id}.json", BatchPlan)

    def find_by_sha256(self, sha256: str) -> DocumentRecord | None:
        """The document with these bytes, by the content index. A record found only in the index is
        completed into `documents/` (a registration interrupted between the two writes); documents
        registered before the index existed are indexed first, once."""
        indexed = self._record(f"sha256/{_checked_sha256(sha256)}.json", DocumentRecord)
        if indexed is not None:
            self.store.create(self._key(f"documents/{indexed.doc_id}.json"), _dump(indexed))
            return indexed
        if len(self.store.listing(self._key("sha256/"))) >= len(self.store.listing(self._key("documents/"))):
            return None
        older = self.documents()
        for record in older:
            self.store.create(self._key(f"sha256/{record.sha256}.json"), _dump(record))
        return next((r for r in older if r.sha256 == sha256), None)

    def add_document(self, record: DocumentRecord) -> DocumentRecord:
        """Register `record` unless its bytes are registered already; returns the registered record (the
        other one when another process won the race: the content index is written with `create`)."""
        if self.find_by_sha256(record.sha256) is None:
            self.store.create(self._key(f"sha256/{_checked_sha256(record.sha256)}.json"), _dump(record))
        winner = self.find_by_sha256(record.sha256)
        assert winner is not None  # the index holds a record now, ours or the winner's
        return winner

    def add_plan(self, plan: BatchPlan) -> bool:
        """Register a document's plan once; False when it already has one (plans are immutable)."""
        plan.validate_tiling()
        return self.store.create(self._key(f"plans/{plan.doc_id}.json"), _dump(plan))

    def fingerprint(self) -> str:
        """Changes whenever a document or plan is added: what the reload sensor watches."""
        names = sorted(
            o.key[len(self.prefix) :]
            for kind in ("documents", "plans")
            for o in self.store.listing(self._key(f"{kind}/"))
            if o.key.endswith(".json")
        )
        return f"{len(names)}:{hashlib.sha256(chr(10).join(names).encode()).hexdigest()[:16]}"

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _record(self, name: str, model: type[M]) -> M | None:
        data = self.store.read(self._key(name))
        return None if data is None else _parse(name, data, model)

    def _readable(self, kind: str, model: type[M]) -> dict[str, M]:
        """`stem -> model` for every record of `kind` that reads back; the others are skipped and reported."""
        folder = self._key(f"{kind}/")
        for key in [k for k in self.unreadable if k.startswith(folder)]:
            del self.unreadable[key]
        keys = [
            o.key
            for o in self.store.listing(folder)
            if "/" not in o.key[len(folder) :] and o.key.endswith(".json")
        ]
        loaded: dict[str, M] = {}
        for key, data in zip(keys, read_many(self.store, keys), strict=True):
            name = key[len(folder) :]
            try:
                loaded[name[: -len(".json")]] = _parse(name, data or b"", model)
            except UnreadableRecord as err:
                self.unreadable[key] = str(err)
                log.warning("registry: skipping unreadable record %s: %s", key, err)
        return loaded


def _checked_sha256(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return sha256


def _parse(name: str, data: bytes, model: type[M]) -> M:
    """Read one record; `UnreadableRecord` names the file and the cause (JSON, schema)."""
    try:
        # json.loads accepts the lone surrogates older versions wrote for undecodable names.
        return model.model_validate(json.loads(data))
    except (ValueError, ValidationError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnreadableRecord(f"{Path(name).name}: {type(err).__name__}: {first}") from err


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _dump(model: BaseModel) -> bytes:
    return (json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True) + "\n").encode()

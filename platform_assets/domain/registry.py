"""The document registry: append-only JSON files that define which documents and batches exist.

Invariants: a record file is written once and never rewritten (same bytes = same document); a
document's plan is registered once (plans are immutable), so partition keys never change.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from platform_assets.domain.atomic import create_exclusive
from platform_assets.domain.batch_plan import BatchPlan

SLUG_MAX = 32
_DOC_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,31})-[0-9a-f]{12}$")


class DocumentRecord(BaseModel):
    doc_id: str
    sha256: str
    filename: str = Field(description="name the document arrived with (display only)")
    size_bytes: int
    source: str = Field(description="how it arrived: 'inbox', 'cli', ...")
    registered_at: str
    decrypted: bool = Field(default=False, description="stored as a decrypted copy of the original bytes")


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

    def documents(self) -> list[DocumentRecord]:
        """All registered documents, in registration order (then id, for ties)."""
        records = [
            DocumentRecord.model_validate_json(p.read_bytes()) for p in self._files(self.documents_dir)
        ]
        return sorted(records, key=lambda r: (r.registered_at, r.doc_id))

    def plans(self) -> dict[str, BatchPlan]:
        return {p.stem: BatchPlan.model_validate_json(p.read_bytes()) for p in self._files(self.plans_dir)}

    def document(self, doc_id: str) -> DocumentRecord:
        path = self.documents_dir / f"{doc_id}.json"
        if not path.is_file():
            raise KeyError(f"document {doc_id!r} is not registered")
        return DocumentRecord.model_validate_json(path.read_bytes())

    def plan(self, doc_id: str) -> BatchPlan | None:
        path = self.plans_dir / f"{doc_id}.json"
        return BatchPlan.model_validate_json(path.read_bytes()) if path.is_file() else None

    def find_by_sha256(self, sha256: str) -> DocumentRecord | None:
        return next((r for r in self.documents() if r.sha256 == sha256), None)

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

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.json")) if folder.is_dir() else []


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _dump(model: BaseModel) -> bytes:
    return (json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True) + "\n").encode()

"""Registering an arriving PDF: identify it by content hash, refuse bad bytes, keep a landing copy.

Invariants: the same bytes register once, whatever the race (the registry's content index is created
with a conditional write; a second arrival is a duplicate); a file is registered only after its landing
copy is complete in the data store, so nothing registered can be lost.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pypdfium2.raw as pdfium_c

from platform_assets.domain.common.atomic import copy_file_atomic
from platform_assets.domain.common.file_names import display_name
from platform_assets.domain.intake.registry import DocumentRecord, Registry, make_doc_id, now_iso
from platform_assets.domain.pdf.pdf_facts import PdfError, is_encrypted, open_pdf, sha256_file


class NotAFileError(PdfError):
    """The path is a directory, FIFO, device or socket: refused without opening it."""


@dataclass(frozen=True)
class Intake:
    record: DocumentRecord
    duplicate: bool


def landing_path(landing_dir: Path, sha256: str) -> Path:
    return landing_dir / f"{sha256}.pdf"


def landing_key(sha256: str) -> str:
    """The landing copy's key in the data store (`landing_path` under the data folder)."""
    return f"landing/{sha256}.pdf"


def register_pdf(
    path: Path, registry: Registry, landing_dir: Path, source: str, password: str | None = None
) -> Intake:
    """Register `path` (raises PdfError with a clear message for bad input; nothing is written then)."""
    require_regular_file(path)
    sha256 = sha256_file(path)
    existing = registry.find_by_sha256(sha256)
    if existing is not None:
        return Intake(existing, duplicate=True)
    return _register_new(path, sha256, registry, landing_dir, source, password)


def require_regular_file(path: Path) -> None:
    """Refuse anything but a regular file (symlinks followed) before opening it: a FIFO would block
    the reader forever and `/dev/zero` never ends. `FileNotFoundError` for a missing path."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS if test(mode)), "special file")
        raise NotAFileError(f"{display_name(path)} is a {kind}, not a regular file: give a PDF file's path")


_KINDS = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def _register_new(
    path: Path, sha256: str, registry: Registry, landing_dir: Path, source: str, password: str | None
) -> Intake:
    document = open_pdf(path, password)
    try:
        encrypted = is_encrypted(document)
        target = landing_path(landing_dir, sha256)
        if encrypted:
            # Workers and parsers get a decrypted copy; the identity stays the original bytes' hash.
            staged = target.with_name(f".{target.name}.decrypting")
            target.parent.mkdir(parents=True, exist_ok=True)
            document.save(staged, flags=pdfium_c.FPDF_REMOVE_SECURITY)
            staged.replace(target)
        else:
            copy_file_atomic(path, target)
    finally:
        document.close()
    registry.store.upload(target, landing_key(sha256))

    record = DocumentRecord.for_file(
        path.name,
        doc_id=make_doc_id(path.name, sha256),
        sha256=sha256,
        size_bytes=path.stat().st_size,
        source=source,
        registered_at=now_iso(),
        decrypted=encrypted,
    )
    registered = registry.add_document(record)
    return Intake(registered, duplicate=registered != record)

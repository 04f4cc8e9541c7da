"""Where a document's verification config lives and what it holds: its schema vocabulary and its
reviewed corrections (the TOML format is documented in `corrections.py`).

Invariant: a document without a config is verified without a vocabulary; a broken config is an error
naming the file, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_assets.domain.verify.corrections import DocumentCorrections, load_corrections
from platform_assets.domain.verify.vocabulary import Vocabulary, load_vocabulary


@dataclass(frozen=True)
class VerificationConfig:
    path: Path
    corrections: DocumentCorrections
    vocabulary: Vocabulary | None


def find_config(folder: Path, doc_id: str, filename: str) -> Path | None:
    """`<doc_id>.toml` (this exact content), else `<pdf stem>.toml` (any version of the file)."""
    for name in (f"{doc_id}.toml", f"{Path(filename).stem}.toml"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_verification_config(path: Path) -> VerificationConfig:
    corrections = load_corrections(path)
    vocabulary = load_vocabulary(list(corrections.schemas)) if corrections.schemas else None
    return VerificationConfig(path=path, corrections=corrections, vocabulary=vocabulary)

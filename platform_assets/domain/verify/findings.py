"""Verification findings: what a check found, where (clause, file, pages) and how much it matters.

Invariant: a finding's `key` is stable across runs (no counts, no timings in it), so benign lists and
DuckDB history can refer to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CheckName(StrEnum):
    COVERAGE = "coverage"
    SOURCE_TEXT = "source_text"
    VOCABULARY = "vocabulary"
    TABLES = "tables"
    LINKS = "links"
    DEGRADED = "degraded"
    CORRECTIONS = "corrections"


class Severity(StrEnum):
    """`error`: the output is wrong or incomplete; `warn`: likely wrong, look at it; `info`: context."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"


class Finding(BaseModel):
    """One thing a check found. Pages are absolute 0-based page indices (shown 1-based to people)."""

    model_config = ConfigDict(frozen=True)

    check: CheckName
    kind: str = Field(
        description="what was found, e.g. `garble`, `low_recall`, `lost_line`, `gap`, `broken_link`"
    )
    severity: Severity
    message: str = Field(description="one line for a person, naming what to look at")
    clause_id: str | None = None
    path: str | None = Field(default=None, description="tree-relative file, e.g. `5-markup/5-0-index.md`")
    pages: tuple[int, ...] = ()
    subject: str = Field(default="", description="the token, name, link or batch the finding is about")
    expected: str | None = Field(default=None, description="what the source suggests instead, if known")
    score: float | None = Field(default=None, description="a measure in [0, 1] (recall, agreement)")

    @property
    def key(self) -> str:
        """Stable identity: check, kind, clause, subject and expectation (not the wording or score)."""
        parts = (self.check, self.kind, self.clause_id or "", self.subject, self.expected or "")
        return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:16]

    @property
    def actionable(self) -> bool:
        return self.severity is not Severity.INFO


@dataclass(frozen=True)
class ClauseText:
    """One clause as written in the tree: its id, file, page span and rendered Markdown."""

    clause_id: str
    path: str
    title: str
    first_page: int
    last_page: int
    markdown: str

    @property
    def pages(self) -> range:
        return range(self.first_page, self.last_page + 1)

"""The batch plan: a document cut into page ranges that start only at clause starts.

Invariant: the batches of a plan tile the document exactly (first batch starts at page 0, each
batch starts right after the previous one ends, the last ends at the last page); `validate()` proves it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

PLAN_SCHEMA_VERSION = 3
"""2: clauses carry their outline destination's position and the number printed at it; 3: a clause whose
bookmark repeats an earlier one names it (`repeats`). Older plans load with `repeats` unset."""


class PlanMethod(StrEnum):
    OUTLINE = "outline"
    TEXT_HEADINGS = "text_headings"
    FIXED = "fixed"


class BatchReason(StrEnum):
    """Why a batch starts where it does."""

    DOCUMENT_START = "document_start"
    ANCHOR = "anchor"  # a top-level clause starts here (mandatory boundary)
    CLAUSE = "clause"  # nearest clause start to the target size
    SPLIT_CHILD = "split_child"  # a clause longer than the maximum, cut at a child start
    SPLIT_PAGE = "split_page"  # last resort: no clause start available, cut at a page
    FIXED = "fixed"  # no usable structure at all


class PlanConfig(BaseModel):
    target_pages: int = Field(default=100, ge=1)
    max_pages: int = Field(default=200, ge=1)


class Clause(BaseModel):
    """An outline (or detected heading) entry resolved to a page."""

    id: str = Field(description="clause number such as '17.4.2' or 'A.1', else a positional id")
    title: str
    level: int = Field(ge=0)
    page_index: int = Field(ge=0)
    numbered: bool = True
    top: float | None = Field(
        default=None, ge=0, le=1, description="where the clause starts on its page (top-down fraction)"
    )
    left: float | None = Field(default=None, ge=0, le=1)
    number: str | None = Field(
        default=None, description="the number as printed or titled (`8.7`), also where the id is prefixed"
    )
    repeats: str | None = Field(
        default=None,
        description="id of the earlier clause whose bookmark this one repeats (same title, level and "
        "destination): it opens nowhere, its file links there",
    )


class Batch(BaseModel):
    index: int = Field(ge=1)
    key: str
    first_page: int = Field(ge=0, description="0-based, inclusive")
    last_page: int = Field(ge=0, description="0-based, inclusive")
    clauses: list[str] = Field(default_factory=list, description="ids of clauses starting in this batch")
    reason: BatchReason

    @property
    def pages(self) -> int:
        return self.last_page - self.first_page + 1


class BatchPlan(BaseModel):
    schema_version: int = PLAN_SCHEMA_VERSION
    doc_id: str
    page_count: int = Field(ge=1)
    method: PlanMethod
    config: PlanConfig
    batches: list[Batch]
    clauses: list[Clause] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def validate_tiling(self) -> None:
        """Raise ValueError unless the batches tile pages 0..page_count-1 with no gap or overlap."""
        expected = 0
        for position, batch in enumerate(self.batches, start=1):
            if batch.index != position or batch.key != batch_key(self.doc_id, position):
                raise ValueError(f"batch {batch.key} is out of sequence (expected #{position})")
            if batch.first_page != expected:
                kind = "gap" if batch.first_page > expected else "overlap"
                raise ValueError(
                    f"{kind} before {batch.key}: starts at page {batch.first_page}, expected {expected}"
                )
            if batch.last_page < batch.first_page:
                raise ValueError(f"{batch.key} ends before it starts")
            expected = batch.last_page + 1
        if expected != self.page_count:
            raise ValueError(f"plan covers pages 0..{expected - 1} of {self.page_count}")

    def batch(self, key: str) -> Batch:
        for batch in self.batches:
            if batch.key == key:
                return batch
        raise KeyError(key)


def batch_key(doc_id: str, index: int) -> str:
    """Partition key of a batch: `<doc_id>~b<NNN>` (1-based, zero-padded)."""
    return f"{doc_id}~b{index:03d}"


def doc_id_of_batch_key(key: str) -> str:
    doc_id, sep, _ = key.rpartition("~b")
    if not sep:
        raise ValueError(f"not a batch key: {key!r}")
    return doc_id

"""Contiguity of a document's parse: produced page spans against the planned batches.

"The run finished" is not "the run is complete": this proves 0 gaps, 0 overlaps and every page
of every planned batch accounted for, or says exactly which pages are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from platform_assets.domain.plan.batch_plan import Batch, BatchPlan


class TilingReport(BaseModel):
    doc_id: str
    page_count: int
    batches: int
    parsed_batches: int
    unparsed_batches: list[str] = Field(default_factory=list)
    missing_pages: list[int] = Field(default_factory=list, description="planned but not produced")
    overlapping_pages: list[int] = Field(default_factory=list, description="produced by two batches")
    stray_pages: list[int] = Field(default_factory=list, description="produced outside their batch")

    @property
    def passed(self) -> bool:
        return not (self.unparsed_batches or self.missing_pages or self.overlapping_pages or self.stray_pages)


@dataclass(frozen=True)
class BatchAccount:
    """One planned batch's parse output against its page range and the batches before it."""

    batch: Batch
    parsed: bool
    """False: the batch has no output yet (then the page lists are empty)."""
    missing: list[int]
    """Pages of its range it produced nothing for."""
    stray: list[int]
    """Pages it produced outside its range."""
    duplicated: list[tuple[int, str]]
    """(page, the earlier batch that produced it too)."""


def account_pages(
    batches: Sequence[Batch], produced: Mapping[str, Sequence[int] | None]
) -> list[BatchAccount]:
    """Each batch's accounting, in plan order; never raises, whatever the plan (`produced`: batch key ->
    produced absolute pages, None when not parsed yet)."""
    owner: dict[int, str] = {}
    accounts = []
    for batch in batches:
        pages = produced.get(batch.key)
        if pages is None:
            accounts.append(BatchAccount(batch, False, [], [], []))
            continue
        distinct = set(pages)
        got = sorted(distinct)
        accounts.append(
            BatchAccount(
                batch,
                True,
                missing=[p for p in range(batch.first_page, batch.last_page + 1) if p not in distinct],
                stray=[p for p in got if not batch.first_page <= p <= batch.last_page],
                duplicated=[(p, owner[p]) for p in got if p in owner],
            )
        )
        owner.update(dict.fromkeys(got, batch.key))
    return accounts


def check_tiling(plan: BatchPlan, produced: dict[str, list[int] | None]) -> TilingReport:
    """`produced` maps batch key -> produced absolute pages (None when the batch is not parsed yet).
    Raises ValueError when the plan itself does not tile the document."""
    plan.validate_tiling()
    accounts = account_pages(plan.batches, produced)
    return TilingReport(
        doc_id=plan.doc_id,
        page_count=plan.page_count,
        batches=len(plan.batches),
        parsed_batches=sum(a.parsed for a in accounts),
        unparsed_batches=[a.batch.key for a in accounts if not a.parsed],
        missing_pages=[p for a in accounts for p in a.missing],
        overlapping_pages=[p for a in accounts for p, _ in a.duplicated],
        stray_pages=[p for a in accounts for p in a.stray],
    )


def page_numbers(pages: list[int]) -> str:
    """0-based page indices as people number pages: `[0, 1, 2, 6]` -> `"1-3, 7"` (metadata, logs)."""
    return compact_ranges([page + 1 for page in pages])


def compact_ranges(pages: list[int]) -> str:
    """`[1, 2, 3, 7]` -> `"1-3, 7"` for messages and metadata."""
    spans: list[str] = []
    for page in sorted(set(pages)):
        if spans and page == _last(spans) + 1:
            spans[-1] = f"{spans[-1].split('-')[0]}-{page}"
        else:
            spans.append(str(page))
    return ", ".join(spans)


def _last(spans: list[str]) -> int:
    return int(spans[-1].split("-")[-1])

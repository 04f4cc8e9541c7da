"""Contiguity of a document's parse: produced page spans against the planned batches.

"The run finished" is not "the run is complete": this proves 0 gaps, 0 overlaps and every page
of every planned batch accounted for, or says exactly which pages are not.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from platform_assets.domain.batch_plan import BatchPlan


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


def check_tiling(plan: BatchPlan, produced: dict[str, list[int] | None]) -> TilingReport:
    """`produced` maps batch key -> produced absolute pages (None when the batch is not parsed yet)."""
    plan.validate_tiling()
    owner: dict[int, str] = {}
    report = TilingReport(
        doc_id=plan.doc_id, page_count=plan.page_count, batches=len(plan.batches), parsed_batches=0
    )
    for batch in plan.batches:
        pages = produced.get(batch.key)
        if pages is None:
            report.unparsed_batches.append(batch.key)
            continue
        report.parsed_batches += 1
        got = set(pages)
        report.missing_pages += [p for p in range(batch.first_page, batch.last_page + 1) if p not in got]
        for page in sorted(got):
            if not batch.first_page <= page <= batch.last_page:
                report.stray_pages.append(page)
            if page in owner:
                report.overlapping_pages.append(page)
            owner[page] = batch.key
    return report


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

"""Plan a document's parse batches: page ranges cut only at clause starts, near a target size.

Invariant: a plan always tiles the document (checked before it is returned), every batch but the
first starts at a clause start page unless its reason is SPLIT_PAGE or FIXED, and none exceeds
`max_pages`.

Anchor rule: each top-level clause start opens a new batch (ANCHOR) unless the whole top-level
clause still fits in the current batch within `target_pages`, so runs of small top-level clauses
share a batch. A batch longer than `max_pages` (one long top-level clause, or long front matter)
is cut at the clause start of any depth nearest to `target_pages` from the batch start, within
`max_pages` (SPLIT_CHILD); only when no clause starts in that window is it cut after
`target_pages` pages (SPLIT_PAGE, with a warning naming the clause).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable

from platform_assets.domain.pdf.headings import detect_numbered_headings
from platform_assets.domain.pdf.pdf_facts import OutlineEntry, PdfFacts
from platform_assets.domain.plan.batch_plan import (
    Batch,
    BatchPlan,
    BatchReason,
    Clause,
    PlanConfig,
    PlanMethod,
    batch_key,
)
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.plan.tiling import page_numbers

Cut = tuple[int, BatchReason]
"""First page of a batch and why it starts there."""


def _structure(
    facts: PdfFacts,
    load_page_texts: Callable[[], dict[int, str]] | None,
    locate: Callable[[list[OutlineEntry]], list[OutlineEntry]] | None,
) -> tuple[PlanMethod, list[Clause], list[str]]:
    """Clauses from the outline, else from numbered headings in the text layer, else none (FIXED)."""
    clauses, warnings = clauses_from_outline(facts.outline, facts.page_count)
    if clauses:
        return PlanMethod.OUTLINE, clauses, warnings
    missing = "no outline" if not facts.outline else "no outline entry resolves to a page"
    if load_page_texts is not None:
        headings = detect_numbered_headings(load_page_texts())
        if locate is not None:
            headings = locate(headings)
        clauses, heading_warnings = clauses_from_outline(headings, facts.page_count)
        if clauses:
            note = f"{missing}: planned on {len(clauses)} numbered headings found in the text layer"
            return PlanMethod.TEXT_HEADINGS, clauses, [*warnings, *heading_warnings, note]
    note = f"{missing} and no numbered headings in the text layer: fixed-size batches"
    return PlanMethod.FIXED, [], [*warnings, note]


def _top_level_groups(clauses: list[Clause], page_count: int, target: int) -> list[tuple[int, int]]:
    """(first, last) pages of groups of whole top-level clauses, front matter included."""
    starts = sorted({0} | {c.page_index for c in clauses if c.level == 0})
    ends = [*(start - 1 for start in starts[1:]), page_count - 1]
    groups: list[tuple[int, int]] = []
    for start, end in zip(starts, ends, strict=True):
        if groups and end - groups[-1][0] + 1 <= target:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    return groups


def _nearest(starts: list[int], low: int, high: int, ideal: int) -> int:
    """The value of `starts[low:high]` (non-empty, sorted) nearest to `ideal`; ties go to the earlier."""
    index = bisect_left(starts, ideal, low, high)
    options = [starts[i] for i in (index - 1, index) if low <= i < high]
    return min(options, key=lambda page: (abs(page - ideal), page))


def _split_long(first: int, last: int, starts: list[int], config: PlanConfig) -> list[Cut]:
    """Cuts inside one group longer than `max_pages`: nearest clause start to the target, else a page."""
    step = min(config.target_pages, config.max_pages)
    cuts: list[Cut] = []
    current = first
    while last - current + 1 > config.max_pages:
        low = bisect_right(starts, current)
        high = bisect_right(starts, current + config.max_pages)
        if low < high:
            current = _nearest(starts, low, high, current + step)
            cuts.append((current, BatchReason.SPLIT_CHILD))
        else:
            current += step
            cuts.append((current, BatchReason.SPLIT_PAGE))
    return cuts


def _clause_cuts(clauses: list[Clause], page_count: int, config: PlanConfig) -> list[Cut]:
    starts = sorted({c.page_index for c in clauses})
    cuts: list[Cut] = []
    for first, last in _top_level_groups(clauses, page_count, config.target_pages):
        cuts.append((first, BatchReason.DOCUMENT_START if first == 0 else BatchReason.ANCHOR))
        if last - first + 1 > config.max_pages:
            cuts.extend(_split_long(first, last, starts, config))
    return cuts


def _fixed_cuts(page_count: int, config: PlanConfig) -> list[Cut]:
    step = min(config.target_pages, config.max_pages)
    return [
        (page, BatchReason.FIXED if page else BatchReason.DOCUMENT_START)
        for page in range(0, page_count, step)
    ]


def _page_split_warnings(cuts: list[Cut], clauses: list[Clause], config: PlanConfig) -> list[str]:
    """One warning per clause that had to be cut at a page, naming it and the cut pages."""
    pages = [c.page_index for c in clauses]
    split: dict[int, list[int]] = defaultdict(list)
    for page, reason in cuts:
        if reason is BatchReason.SPLIT_PAGE:
            split[bisect_right(pages, page) - 1].append(page)
    return [
        f"clause '{clauses[i].id}' ({clauses[i].title}) has no clause start within {config.max_pages} pages: "
        f"cut at pages {page_numbers(at)}"
        for i, at in sorted(split.items())
    ]


def _batches(doc_id: str, cuts: list[Cut], clauses: list[Clause], page_count: int) -> list[Batch]:
    pages = [c.page_index for c in clauses]
    lasts = [page - 1 for page, _ in cuts[1:]] + [page_count - 1]
    batches = []
    for index, ((first, reason), last) in enumerate(zip(cuts, lasts, strict=True), start=1):
        inside = clauses[bisect_left(pages, first) : bisect_right(pages, last)]
        batches.append(
            Batch(
                index=index,
                key=batch_key(doc_id, index),
                first_page=first,
                last_page=last,
                clauses=[c.id for c in inside],
                reason=reason,
            )
        )
    return batches


def plan_batches(
    doc_id: str,
    facts: PdfFacts,
    config: PlanConfig,
    load_page_texts: Callable[[], dict[int, str]] | None = None,
    locate: Callable[[list[OutlineEntry]], list[OutlineEntry]] | None = None,
) -> BatchPlan:
    """Cut a document into clause-aligned batches (see the module docstring for the rules).

    `load_page_texts` is called only when the outline yields no clause; the numbered headings found
    there get their places on the page from `locate` (`pdf_facts.locate_lines`), so their clauses
    start where they are printed, as outline destinations do. `warnings` says which method was used
    when it is not the outline, what was repaired, and which pages are scanned.
    """
    method, clauses, warnings = _structure(facts, load_page_texts, locate)
    if method is PlanMethod.FIXED:
        cuts = _fixed_cuts(facts.page_count, config)
    else:
        cuts = _clause_cuts(clauses, facts.page_count, config)
        warnings += _page_split_warnings(cuts, clauses, config)
    if facts.scanned_pages:
        warnings.append(
            f"{len(facts.scanned_pages)} scanned pages without a text layer (pages "
            f"{page_numbers(facts.scanned_pages)}): the flash tier cannot OCR them, use a model tier"
        )
    plan = BatchPlan(
        doc_id=doc_id,
        page_count=facts.page_count,
        method=method,
        config=config,
        batches=_batches(doc_id, cuts, clauses, facts.page_count),
        clauses=clauses,
        warnings=warnings,
    )
    plan.validate_tiling()
    return plan

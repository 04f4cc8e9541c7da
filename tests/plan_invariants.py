"""What every batch plan keeps: tiling, boundaries at clause starts, size bounds, the anchor rule."""

from __future__ import annotations

from platform_assets.domain.plan.batch_plan import BatchPlan, BatchReason


def starts(plan: BatchPlan) -> list[int]:
    return [b.first_page for b in plan.batches]


def assert_plan_invariants(plan: BatchPlan) -> None:
    """Tiling, boundaries at clause starts, size bounds and the anchor rule."""
    plan.validate_tiling()
    config = plan.config
    clause_pages = {c.page_index for c in plan.clauses}
    boundaries = set(starts(plan))
    for batch in plan.batches[1:]:
        if batch.reason not in (BatchReason.SPLIT_PAGE, BatchReason.FIXED):
            assert batch.first_page in clause_pages, batch
    for batch in plan.batches:
        assert batch.pages <= config.max_pages or batch.reason is BatchReason.SPLIT_PAGE, batch
    top = sorted({c.page_index for c in plan.clauses if c.level == 0})
    for start, end in zip(top, [*(p - 1 for p in top[1:]), plan.page_count - 1], strict=True):
        if start not in boundaries:  # joined the batch before it: the whole clause fits within target
            holder = next(b for b in plan.batches if b.first_page <= start <= b.last_page)
            assert end - holder.first_page + 1 <= config.target_pages, (start, holder)
    listed = [clause_id for b in plan.batches for clause_id in b.clauses]
    assert listed == [c.id for c in plan.clauses]

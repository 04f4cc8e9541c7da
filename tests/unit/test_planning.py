"""The batch planner: anchor rule, splits, fallbacks and warnings, on synthetic documents."""

from __future__ import annotations

from collections.abc import Sequence

from platform_assets.domain.pdf.pdf_facts import OutlineEntry, PdfFacts
from platform_assets.domain.plan.batch_plan import BatchReason, PlanConfig, PlanMethod
from platform_assets.domain.plan.planning import plan_batches
from tests.plan_invariants import assert_plan_invariants, starts

SMALL = PlanConfig(target_pages=10, max_pages=20)


def facts(
    page_count: int, outline: Sequence[tuple[str, int, int | None]] = (), scanned: Sequence[int] = ()
) -> PdfFacts:
    return PdfFacts(
        sha256="0" * 64,
        size_bytes=1,
        page_count=page_count,
        outline=[OutlineEntry(title=t, level=level, page_index=page) for t, level, page in outline],
        scanned_pages=list(scanned),
    )


def test_batch_boundaries_fall_on_clause_starts() -> None:
    outline = [(f"{n} Clause", 0, 7 * (n - 1)) for n in range(1, 15)]
    plan = plan_batches("doc", facts(100, outline), SMALL)
    assert_plan_invariants(plan)
    assert set(starts(plan)) <= {7 * n for n in range(14)}
    assert plan.method is PlanMethod.OUTLINE


def test_small_top_level_clauses_share_a_batch_up_to_the_target() -> None:
    outline = [("1 A", 0, 0), ("2 B", 0, 3), ("3 C", 0, 6), ("4 D", 0, 9), ("5 E", 0, 12)]
    plan = plan_batches("doc", facts(15, outline), SMALL)
    assert [(b.first_page, b.last_page) for b in plan.batches] == [(0, 8), (9, 14)]
    assert [b.clauses for b in plan.batches] == [["1", "2", "3"], ["4", "5"]]
    assert [b.reason for b in plan.batches] == [BatchReason.DOCUMENT_START, BatchReason.ANCHOR]


def test_top_level_clause_that_does_not_fit_the_target_is_an_anchor() -> None:
    outline = [("1 Small", 0, 0), ("2 Large", 0, 2), ("3 Small", 0, 14)]
    plan = plan_batches("doc", facts(16, outline), SMALL)
    assert starts(plan) == [0, 2, 14]
    assert plan.batches[1].reason is BatchReason.ANCHOR


def test_front_matter_is_in_the_first_batch_from_page_zero() -> None:
    outline = [("Foreword", 0, 1), ("Introduction", 0, 2), ("1 Scope", 0, 4), ("2 Big", 0, 8)]
    plan = plan_batches("doc", facts(30, outline), SMALL)
    assert plan.batches[0].first_page == 0
    assert plan.batches[0].clauses == ["foreword", "introduction", "1"]
    assert starts(plan) == [0, 8, 18]


def test_clause_longer_than_max_is_split_at_child_starts_nearest_the_target() -> None:
    outline = [("1 Long", 0, 0), ("1.1 A", 1, 4), ("1.2 B", 1, 11), ("1.2.1 C", 2, 23), ("1.3 D", 1, 30)]
    plan = plan_batches("doc", facts(45, outline), SMALL)
    assert_plan_invariants(plan)
    assert starts(plan) == [0, 11, 23, 30]
    assert [b.reason for b in plan.batches[1:]] == [BatchReason.SPLIT_CHILD] * 3
    assert not any("cut at page" in w for w in plan.warnings)


def test_leaf_longer_than_max_is_split_at_a_page_with_a_warning_naming_it() -> None:
    outline = [("1 Short", 0, 0), ("2 Endless", 0, 5)]
    plan = plan_batches("doc", facts(60, outline), SMALL)
    assert_plan_invariants(plan)
    assert starts(plan) == [0, 5, 15, 25, 35, 45]
    assert [b.reason for b in plan.batches[2:]] == [BatchReason.SPLIT_PAGE] * 4
    assert plan.batches[-1].pages == 15
    assert any("'2' (2 Endless)" in w and "cut at pages 16, 26, 36, 46" in w for w in plan.warnings)


def test_many_clauses_on_one_page_start_one_batch_at_that_page() -> None:
    outline = [("1 A", 0, 0), *((f"{n} Tiny", 0, 12) for n in range(2, 9)), ("9 End", 0, 13)]
    plan = plan_batches("doc", facts(20, outline), SMALL)
    assert_plan_invariants(plan)
    assert starts(plan) == [0, 12]
    assert plan.batches[1].clauses == [str(n) for n in range(2, 10)]


def test_backwards_bookmark_is_planned_at_the_previous_clause_start() -> None:
    outline = [("1 A", 0, 0), ("2 B", 0, 15), ("3 C", 0, 4), ("4 D", 0, 30)]
    plan = plan_batches("doc", facts(40, outline), SMALL)
    assert_plan_invariants(plan)
    assert starts(plan) == [0, 15, 30]
    assert plan.batches[1].clauses == ["2", "3"]
    assert any("backwards" in w for w in plan.warnings)


def test_no_outline_plans_on_numbered_headings_from_the_text_layer() -> None:
    texts = {0: "1 Scope", 12: "2 Terms", 25: "3 Methods", 26: "3.1 Detail"}
    calls: list[int] = []

    def load() -> dict[int, str]:
        calls.append(1)
        return texts

    plan = plan_batches("doc", facts(30), SMALL, load)
    assert calls == [1]
    assert plan.method is PlanMethod.TEXT_HEADINGS
    assert starts(plan) == [0, 12, 25]
    assert any("numbered headings found in the text layer" in w for w in plan.warnings)


def test_page_texts_are_not_loaded_when_the_outline_is_usable() -> None:
    def load() -> dict[int, str]:
        raise AssertionError("texts loaded although the outline was usable")

    plan = plan_batches("doc", facts(5, [("1 Scope", 0, 0)]), SMALL, load)
    assert plan.method is PlanMethod.OUTLINE


def test_no_outline_and_no_headings_gives_fixed_batches_of_the_target() -> None:
    plan = plan_batches("doc", facts(25), SMALL, lambda: {0: "just prose", 3: "more prose"})
    assert plan.method is PlanMethod.FIXED
    assert [(b.first_page, b.last_page, b.reason) for b in plan.batches] == [
        (0, 9, BatchReason.DOCUMENT_START),
        (10, 19, BatchReason.FIXED),
        (20, 24, BatchReason.FIXED),
    ]
    assert any("fixed-size batches" in w for w in plan.warnings)


def test_outline_of_only_dangling_bookmarks_counts_as_no_outline() -> None:
    plan = plan_batches("doc", facts(12, [("OLE_LINK6", 0, None), ("_Toc123", 0, None)]), SMALL)
    assert plan.method is PlanMethod.FIXED
    assert any("dropped 2 bookmarks" in w for w in plan.warnings)
    assert any("no outline entry resolves to a page" in w for w in plan.warnings)


def test_scanned_pages_are_warned_about_as_compact_ranges() -> None:
    plan = plan_batches("doc", facts(12, [("1 A", 0, 0)], scanned=[1, 2, 3, 7, 9, 10]), SMALL)
    warning = next(w for w in plan.warnings if "scanned" in w)
    assert "pages 2-4, 8, 10-11" in warning  # as people number them
    assert "cannot OCR" in warning


def test_single_page_document_is_one_batch() -> None:
    plan = plan_batches("doc", facts(1, [("1 Only", 0, 0)]), PlanConfig())
    assert [(b.key, b.first_page, b.last_page, b.clauses) for b in plan.batches] == [
        ("doc~b001", 0, 0, ["1"])
    ]


def test_plans_are_deterministic() -> None:
    outline = [(f"{n} C", 0, 3 * n) for n in range(30)] + [("Junk", 0, None)]
    first = plan_batches("doc", facts(100, outline, scanned=[5]), SMALL)
    second = plan_batches("doc", facts(100, outline, scanned=[5]), SMALL)
    assert first.model_dump_json() == second.model_dump_json()


def test_large_outline_is_planned_within_bounds() -> None:
    outline = []
    for part in range(60):
        outline.append((f"Part {part + 1}", 0, part * 22))
        outline += [(f"{n} Section", 1, part * 22 + n * 7 // 10) for n in range(1, 30)]
    plan = plan_batches("doc", facts(1_320, outline), PlanConfig())  # speed: benchmarks/bench_planner.py
    assert len(plan.clauses) == 1_800
    assert_plan_invariants(plan)

"""Coverage, link and degraded-output checks on hand-made plans, manifests and trees."""

from __future__ import annotations

from platform_assets.domain.observe.timing_records import TimingRecord
from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.plan.batch_plan import Batch, BatchReason, Clause
from platform_assets.domain.tree.clause_tree import ClauseEntry, ReferenceEntry, TreeManifest
from platform_assets.domain.verify.coverage_check import (
    check_clauses_present,
    check_plan_tiling,
    check_produced_pages,
)
from platform_assets.domain.verify.degraded_check import check_degraded, pages_with_text
from platform_assets.domain.verify.findings import CheckName, Severity
from platform_assets.domain.verify.link_check import check_links, link_target
from tests.timing_builders import timing_record


def batch(index: int, first: int, last: int) -> Batch:
    return Batch(
        index=index, key=f"d~b{index:03d}", first_page=first, last_page=last, reason=BatchReason.CLAUSE
    )


def entry(path: str, first: int, last: int, references=()) -> ClauseEntry:
    return ClauseEntry(
        title=path,
        path=path,
        parent=None,
        level=0,
        first_page=first,
        last_page=last,
        blocks=1,
        heading_matched=True,
        references=list(references),
    )


def manifest(clauses: dict[str, ClauseEntry], unmatched=()) -> TreeManifest:
    return TreeManifest(
        doc_id="d",
        files=len(clauses) + 1,
        barrels=0,
        images=0,
        outline_entries=len(clauses),
        clauses_matched=len(clauses) - len(unmatched),
        unmatched=list(unmatched),
        blocks_total=1,
        blocks_assigned=1,
        blocks_dropped=0,
        references_found=0,
        references_linked=0,
        clauses=clauses,
    )


def test_a_plan_that_tiles_the_document_has_no_findings():
    batches = [batch(1, 0, 9), batch(2, 10, 19)]
    assert check_plan_tiling(batches, 20) == []
    assert (
        check_produced_pages(batches, {b.key: list(range(b.first_page, b.last_page + 1)) for b in batches})
        == []
    )


def test_gaps_and_overlaps_in_a_plan_are_reported_with_their_pages():
    findings = check_plan_tiling([batch(1, 0, 9), batch(2, 8, 14), batch(3, 17, 19)], 20)
    by_kind = {f.kind: f for f in findings}
    assert set(by_kind) == {"plan_overlap", "plan_gap"}
    assert by_kind["plan_overlap"].pages == (8, 9) and by_kind["plan_overlap"].subject == "d~b001 and d~b002"
    assert by_kind["plan_gap"].pages == (15, 16) and "pages 16-17" in by_kind["plan_gap"].message
    assert all(f.severity is Severity.ERROR and f.check is CheckName.COVERAGE for f in findings)


def test_a_plan_beyond_the_last_page_is_reported_not_raised():
    [finding] = check_plan_tiling([batch(1, 0, 12)], 10)
    assert finding.kind == "batch_out_of_range" and finding.pages == (10,)


def test_unparsed_batches_missing_duplicated_and_stray_pages_are_each_reported():
    batches = [batch(1, 0, 4), batch(2, 5, 9), batch(3, 10, 14)]
    produced = {"d~b001": [0, 1, 3, 4, 5], "d~b002": [5, 6, 7, 8, 9], "d~b003": None}
    kinds = {(f.kind, f.pages) for f in check_produced_pages(batches, produced)}
    assert kinds == {
        ("page_missing", (2,)),
        ("page_stray", (5,)),
        ("page_duplicated", (5,)),
        ("batch_unparsed", (10,)),
    }


def test_every_outline_clause_must_have_a_file_and_a_heading():
    clauses = [
        Clause(id="1", title="1 Scope", level=0, page_index=0),
        Clause(id="2", title="2 X", level=0, page_index=3),
    ]
    tree = manifest({"1": entry("1-scope.md", 0, 2)}, unmatched=["1"])
    findings = {f.kind: f for f in check_clauses_present(clauses, tree)}
    assert findings["clause_missing"].clause_id == "2" and findings["clause_missing"].pages == (3,)
    assert findings["clause_unmatched"].path == "1-scope.md"


def test_link_targets_are_resolved_relative_to_their_file():
    assert link_target("a/b/c.md", "../d.md") == "a/d.md"
    assert link_target("a/c.md", "../../x.md") == "../x.md"
    assert link_target("a/c.md", "https://example.org/x.md") is None
    assert link_target("a/c.md", "#anchor") is None
    assert link_target("a/c.md", "d%20e.md#sec") == "a/d e.md"


def test_broken_and_escaping_links_are_errors_with_clause_and_pages():
    tree = manifest({"1": entry("1-scope.md", 0, 1), "2": entry("2/2-0-index.md", 2, 4)})
    files = {
        "index.md": "- [1 Scope](1-scope.md)\n- [2](2/2-0-index.md)\n",
        "1-scope.md": "See [2](2/2-0-index.md), [gone](2/2-9-gone.md) and [out](../../etc/passwd).\n",
        "2/2-0-index.md": "![fig](../_images/b001-fig.png) [web](https://example.org)\n",
    }
    existing = frozenset([*files, "_images/b001-fig.png", "2"])
    findings = check_links(files, existing, tree)
    assert sorted((f.path, f.subject) for f in findings) == [
        ("1-scope.md", "../../etc/passwd"),
        ("1-scope.md", "2/2-9-gone.md"),
    ]
    assert all(f.clause_id == "1" and f.pages == (0, 1) and f.severity is Severity.ERROR for f in findings)


def test_a_reference_to_a_clause_in_the_tree_that_was_not_linked_is_an_error():
    unlinked = ReferenceEntry(text="see 2", target="2", href=None)
    external = ReferenceEntry(text="ISO 1234 clause 9", target="9", href=None, kind="external")
    tree = manifest({"1": entry("1.md", 0, 0, [unlinked, external]), "2": entry("2.md", 1, 1)})
    [finding] = check_links({}, frozenset(), tree)
    assert finding.kind == "reference_unlinked" and finding.subject == "see 2" and finding.expected == "2.md"


def block(page: int, kind: BlockKind, text: str = "", **fields) -> Block:
    return Block(seq=0, page_index=page, kind=kind, source_type=kind.value, text=text, **fields)


def record(status: str, error: str | None) -> TimingRecord:
    return timing_record(
        record_id="d~b002/run-1",
        attempt=1,
        batch_key="d~b002",
        first_page=5,
        pages=5,
        status=status,
        started_at="2026-11-23T00:00:00Z",
        finished_at="2026-11-23T00:00:01Z",
        error=error,
    )


def test_scanned_pages_without_parsed_text_are_errors_and_degraded_attempts_info():
    blocks = [
        block(0, BlockKind.TEXT, "x"),
        block(2, BlockKind.IMAGE),
        block(3, BlockKind.TABLE, html="<table/>"),
    ]
    text_pages = pages_with_text(blocks)
    assert text_pages == {0, 3}
    attempts = [
        record("failed", "degraded: ['images/a.png']"),
        record("failed", "timeout"),
        record("succeeded", None),
    ]
    findings = check_degraded([2, 3], text_pages, attempts)
    assert [(f.kind, f.severity, f.pages) for f in findings] == [
        ("scanned_unparsed", Severity.ERROR, (2,)),
        ("degraded_attempt", Severity.INFO, (5,)),
    ]
    assert check_degraded([3], text_pages, []) == []

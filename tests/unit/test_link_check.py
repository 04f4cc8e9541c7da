"""The links check on references: unlinked where the tree holds the target, unresolved where it does not,
with clause, page and text; references to other documents are never findings."""

from __future__ import annotations

from platform_assets.domain.tree.clause_tree import ClauseEntry, ReferenceEntry, TreeManifest
from platform_assets.domain.verify.findings import Severity
from platform_assets.domain.verify.link_check import check_links


def _entry(path: str, title: str, references: list[ReferenceEntry] = ()) -> ClauseEntry:
    return ClauseEntry(
        title=title,
        path=path,
        parent=None,
        level=0,
        first_page=3,
        last_page=5,
        blocks=1,
        heading_matched=True,
        references=list(references),
    )


def _manifest(clauses: dict[str, ClauseEntry]) -> TreeManifest:
    return TreeManifest(
        doc_id="d",
        files=len(clauses),
        barrels=0,
        images=0,
        outline_entries=len(clauses),
        clauses_matched=len(clauses),
        unmatched=[],
        blocks_total=0,
        blocks_assigned=0,
        blocks_dropped=0,
        references_found=0,
        references_linked=0,
        clauses=clauses,
    )


def test_references_are_reported_unlinked_or_unresolved_with_their_page_and_external_ones_never() -> None:
    references = [
        ReferenceEntry(text="appendix A.1", target="A.1", href=None, page=4),
        ReferenceEntry(text="section 8.7", target="8.7", href=None, page=5),
        ReferenceEntry(text="section 4.4", target="4.4", href=None, kind="external", page=5),
        ReferenceEntry(text="§1", target="1", href="1.md", page=3),
    ]
    tree = _manifest(
        {
            "1": _entry("1.md", "1 Scope", references),
            "A/A": _entry("A/A.md", "Appendix A.1 Tools"),  # an id that is not the printed one
            "4.4": _entry("4.4.md", "4.4 Ours"),
        }
    )
    findings = check_links({}, frozenset(), tree)
    assert [(f.kind, f.subject, f.pages, f.expected, f.severity) for f in findings] == [
        ("reference_unlinked", "appendix A.1", (4,), "A/A.md", Severity.ERROR),
        ("reference_unresolved", "section 8.7", (5,), None, Severity.WARN),
    ]
    assert findings[0].clause_id == "1"
    assert "page 5" in findings[0].message and "'appendix A.1'" in findings[0].message


def test_a_manifest_written_before_reference_kinds_and_pages_still_reads() -> None:
    old = ReferenceEntry.model_validate({"text": "see 2", "target": "2", "href": None})
    assert (old.kind, old.page) == ("internal", None)
    tree = _manifest({"1": _entry("1.md", "1 Scope", [old]), "2": _entry("2.md", "2 Terms")})
    [finding] = check_links({}, frozenset(), tree)
    assert finding.kind == "reference_unlinked" and finding.pages == (3, 4, 5)
    assert TreeManifest.model_validate_json(tree.model_dump_json()).references_external == 0

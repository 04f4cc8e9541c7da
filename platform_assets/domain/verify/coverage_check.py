"""Coverage: the planned batches tile the document, the parse produced every planned page once, and
every outline clause is in the tree.

Invariant: never raises on a broken plan; every gap, overlap, missing page or clause is a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from platform_assets.domain.plan.batch_plan import Batch, Clause
from platform_assets.domain.plan.tiling import account_pages, page_numbers
from platform_assets.domain.tree.clause_tree import TreeManifest
from platform_assets.domain.verify.findings import CheckName, Finding, Severity


def _finding(
    kind: str,
    message: str,
    pages: Sequence[int],
    subject: str,
    clause_id: str | None = None,
    path: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(
        check=CheckName.COVERAGE,
        kind=kind,
        severity=severity,
        message=message,
        pages=tuple(pages),
        subject=subject,
        clause_id=clause_id,
        path=path,
    )


def _runs(pages: Sequence[int]) -> list[list[int]]:
    """Consecutive runs of sorted pages: one finding per run, not one per page."""
    runs: list[list[int]] = []
    for page in sorted(set(pages)):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return runs


def check_plan_tiling(batches: Sequence[Batch], page_count: int) -> list[Finding]:
    """Planned page ranges: every page of 0..page_count-1 in exactly one batch."""
    owners: dict[int, list[str]] = {page: [] for page in range(page_count)}
    findings = []
    for batch in batches:
        beyond = [p for p in range(batch.first_page, batch.last_page + 1) if p not in owners]
        if beyond:
            findings.append(
                _finding(
                    "batch_out_of_range",
                    f"{batch.key} plans pages {page_numbers(beyond)} of a {page_count}-page document",
                    beyond[:1],
                    batch.key,
                )
            )
        for page in range(batch.first_page, min(batch.last_page, page_count - 1) + 1):
            owners[page].append(batch.key)
    gaps = [page for page, keys in owners.items() if not keys]
    for run in _runs(gaps):
        pages = page_numbers(run)
        findings.append(_finding("plan_gap", f"pages {pages} are in no batch", run, f"pages {pages}"))
    overlaps = [page for page, keys in owners.items() if len(keys) > 1]
    for run in _runs(overlaps):
        keys = " and ".join(owners[run[0]])
        pages = page_numbers(run)
        findings.append(_finding("plan_overlap", f"pages {pages} are in {keys}", run, keys))
    return findings


def check_produced_pages(
    batches: Sequence[Batch], produced: Mapping[str, Sequence[int] | None]
) -> list[Finding]:
    """Parsed page spans against the plan (`tiling.account_pages`, the contiguity check's accounting):
    unparsed batches, missing, stray and duplicated pages."""
    findings = []
    for account in account_pages(batches, produced):
        batch = account.batch
        if not account.parsed:
            findings.append(
                _finding(
                    "batch_unparsed",
                    f"{batch.key} (pages {batch.first_page + 1}-{batch.last_page + 1}) has no parse output",
                    [batch.first_page],
                    batch.key,
                )
            )
            continue
        for run in _runs(account.missing):
            where = page_numbers(run)
            findings.append(
                _finding("page_missing", f"{batch.key} produced nothing for pages {where}", run, batch.key)
            )
        for run in _runs(account.stray):
            where = page_numbers(run)
            findings.append(
                _finding(
                    "page_stray", f"{batch.key} produced pages {where} outside its range", run, batch.key
                )
            )
        for page, earlier in account.duplicated:
            findings.append(
                _finding(
                    "page_duplicated",
                    f"page {page + 1} was produced by {earlier} and {batch.key}",
                    [page],
                    f"{earlier} and {batch.key}",
                )
            )
    return findings


def check_clauses_present(clauses: Sequence[Clause], manifest: TreeManifest) -> list[Finding]:
    """Every outline clause has a file in the tree, opened where its text starts.

    A clause never opened (no destination position, no heading found) is an error: its text sits in
    the clause before. One whose bookmark repeats an earlier one is noted (`info`): its file links there.
    One opened at its destination whose printed heading differs from the bookmark is a `heading_mismatch`
    warning: its text is in place, the print and the outline disagree.
    """
    findings = []
    unmatched = set(manifest.unmatched)
    mismatched = set(manifest.heading_mismatch)
    for clause in clauses:
        entry = manifest.clauses.get(clause.id)
        if entry is None:
            findings.append(
                _finding(
                    "clause_missing",
                    f"outline clause {clause.title!r} has no file in the tree",
                    [clause.page_index],
                    clause.title,
                    clause_id=clause.id,
                )
            )
        elif clause.id in unmatched:
            findings.append(
                _finding(
                    "clause_unmatched",
                    f"no heading for {clause.title!r} was found near page {clause.page_index + 1} and its "
                    f"bookmark has no position; its text stays in the clause before",
                    [clause.page_index],
                    clause.title,
                    clause_id=clause.id,
                    path=entry.path,
                )
            )
        elif entry.repeats is not None:
            findings.append(
                _finding(
                    "bookmark_repeated",
                    f"the outline lists {clause.title!r} twice, with one destination; this clause's file "
                    f"links to clause {entry.repeats}, which holds the text",
                    [clause.page_index],
                    clause.title,
                    clause_id=clause.id,
                    path=entry.path,
                    severity=Severity.INFO,
                )
            )
        elif clause.id in mismatched:
            findings.append(
                _finding(
                    "heading_mismatch",
                    f"{clause.title!r} opens at its bookmark's destination on page {clause.page_index + 1}, "
                    f"but no heading printed there matches the bookmark title",
                    [clause.page_index],
                    clause.title,
                    clause_id=clause.id,
                    path=entry.path,
                    severity=Severity.WARN,
                )
            )
    return findings

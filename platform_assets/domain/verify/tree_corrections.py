"""A rendered clause tree with its document's corrections applied: reviewed name fixes, then clause
patches, each recorded in the manifest.

Invariant: only files the corrections changed differ; what was held back or no longer matches is
recorded, so verification can report it.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace
from pathlib import Path

from platform_assets.domain.tree.clause_tree import ClauseTree, CorrectionLog, TreeManifest
from platform_assets.domain.verify.corrections import DocumentCorrections, PageHas, apply_corrections
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity


def correct_tree(
    tree: ClauseTree,
    corrections: DocumentCorrections,
    page_has: PageHas,
    names: Container[str],
    config: Path,
) -> ClauseTree:
    entries = tree.manifest.clauses
    clauses = [
        ClauseText(cid, e.path, e.title, e.first_page, e.last_page, tree.files[e.path])
        for cid, e in entries.items()
    ]
    result = apply_corrections(clauses, corrections, page_has, names)
    log = CorrectionLog(
        config=config.name,
        applied=list(result.applied),
        unproven=list(result.unproven),
        stale_patches=list(result.stale_patches),
    )
    manifest = tree.manifest.model_copy(update={"corrections": log})
    return replace(tree, files={**tree.files, **result.changed_files}, manifest=manifest)


def correction_findings(manifest: TreeManifest) -> list[Finding]:
    """Held-back corrections and stale patches as findings (WARN: a person must look again)."""
    log = manifest.corrections
    pages = {cid: e.pages for cid, e in manifest.clauses.items()}
    paths = {cid: e.path for cid, e in manifest.clauses.items()}
    findings = [
        Finding(
            check=CheckName.CORRECTIONS,
            kind="correction_unproven",
            severity=Severity.WARN,
            message=f"{log.config}: {u.garble!r} -> {u.correct!r} held back in clause {u.clause_id} "
            f"({u.count} use(s)): {u.reason}",
            clause_id=u.clause_id,
            path=paths.get(u.clause_id),
            pages=pages.get(u.clause_id, ()),
            subject=u.garble,
            expected=u.correct,
        )
        for u in log.unproven
    ]
    findings += [
        Finding(
            check=CheckName.CORRECTIONS,
            kind="stale_patch",
            severity=Severity.WARN,
            message=f"{log.config}: patch {s.find!r} of clause {s.clause_id} was not applied: {s.reason}",
            clause_id=s.clause_id,
            path=paths.get(s.clause_id),
            pages=pages.get(s.clause_id, ()),
            subject=s.find,
        )
        for s in log.stale_patches
    ]
    return findings

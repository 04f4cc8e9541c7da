"""Links: every relative link in the tree resolves to a file inside it, every reference that names a clause
of the document was linked (`reference_unlinked`), and references to no such target are shown
(`reference_unresolved`); references to other documents are not checked.

Invariant: reads the files as written (after corrections and patches), so a patch cannot break a link
unnoticed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from platform_assets.domain.plan.clauses import clause_number
from platform_assets.domain.tree.clause_tree import TreeManifest
from platform_assets.domain.tree.cross_references import INTERNAL
from platform_assets.domain.verify.findings import CheckName, Finding, Severity
from platform_assets.domain.verify.markdown_parts import split_markdown


def link_target(source: str, href: str) -> str | None:
    """Tree-relative path a relative link from `source` points to (`../x` when it escapes the tree);
    None for external and anchor-only links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(parts.path)))


def check_links(files: Mapping[str, str], existing: frozenset[str], manifest: TreeManifest) -> list[Finding]:
    """`files`: tree-relative path -> Markdown of every page to check; `existing`: every file in the tree."""
    clause_of = {entry.path: clause_id for clause_id, entry in manifest.clauses.items()}
    pages_of = {entry.path: entry.pages for entry in manifest.clauses.values()}
    findings = []
    for path in sorted(files):
        seen: set[str] = set()
        for link in split_markdown(files[path]).links:
            if link.href in seen:
                continue
            seen.add(link.href)
            target = link_target(path, link.href)
            if target is not None and target not in existing:
                findings.append(
                    Finding(
                        check=CheckName.LINKS,
                        kind="broken_link",
                        severity=Severity.ERROR,
                        message=f"{path} line {link.line + 1}: [{link.text}]({link.href}) does not resolve "
                        "to a file of the tree",
                        clause_id=clause_of.get(path),
                        path=path,
                        pages=pages_of.get(path, ()),
                        subject=link.href,
                    )
                )
    printed = _printed_ids(manifest)
    for clause_id, entry in manifest.clauses.items():
        for reference in entry.references:
            if reference.href is not None or reference.kind != INTERNAL:
                continue
            pages = entry.pages if reference.page is None else (reference.page,)
            where = f"{entry.path} (page {pages[0] + 1})" if pages else entry.path
            target = printed.get(reference.target)
            findings.append(
                Finding(
                    check=CheckName.LINKS,
                    kind="reference_unlinked" if target else "reference_unresolved",
                    severity=Severity.ERROR if target else Severity.WARN,
                    message=f"{where}: {reference.text!r} names {reference.target}, "
                    + (
                        "which is in the tree, but was not linked"
                        if target
                        else "which the tree does not hold"
                    ),
                    clause_id=clause_id,
                    path=entry.path,
                    pages=pages,
                    subject=reference.text,
                    expected=target,
                )
            )
    return findings


def _printed_ids(manifest: TreeManifest) -> dict[str, str]:
    """Every id a clause answers to -> its file: its id, the number its title prints, its id without the
    prefix of a restarting numbering (`A/2` -> `2`); an id two clauses answer to is left out."""
    by_id: dict[str, set[str]] = {}
    for clause_id, entry in manifest.clauses.items():
        for printed in {clause_id, clause_number(entry.title), clause_id.rsplit("/", 1)[-1]} - {None}:
            by_id.setdefault(printed, set()).add(entry.path)
    return {printed: next(iter(paths)) for printed, paths in by_id.items() if len(paths) == 1}

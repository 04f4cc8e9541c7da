"""Links: every relative link in the tree resolves to a file inside it, and every reference that names
a clause of the document was linked.

Invariant: reads the files as written (after corrections and patches), so a patch cannot break a link
unnoticed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from platform_assets.domain.clause_tree import TreeManifest
from platform_assets.domain.findings import CheckName, Finding, Severity
from platform_assets.domain.markdown_parts import split_markdown


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
    for clause_id, entry in manifest.clauses.items():
        for reference in entry.references:
            if reference.href is None and reference.target in manifest.clauses:
                findings.append(
                    Finding(
                        check=CheckName.LINKS,
                        kind="reference_unlinked",
                        severity=Severity.ERROR,
                        message=f"{entry.path}: {reference.text!r} names clause {reference.target}, "
                        "which is in the tree, but was not linked",
                        clause_id=clause_id,
                        path=entry.path,
                        pages=entry.pages,
                        subject=reference.text,
                        expected=manifest.clauses[reference.target].path,
                    )
                )
    return findings

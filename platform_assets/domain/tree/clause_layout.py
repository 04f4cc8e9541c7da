"""Clause tree -> file layout: a leaf clause is one Markdown file, a clause with children a folder.

Invariant: paths are unique, the same for the same outline, portable (ASCII [a-z0-9-] names, no
leading dot, length-capped, no Windows device name) and never the caller's root `index.md`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence

from platform_assets.domain.plan.clauses import clause_number
from platform_assets.domain.tree.clause_hierarchy import ClauseNode

ROOT_INDEX = "index.md"
"""Reserved for the caller (the document's own index page); never assigned to a clause."""
ID_CHARS = 32
TITLE_CHARS = 32
STEM_CHARS = 64
"""Longest file or folder name before `.md`; with ~10 levels of nesting paths stay well under 1 KB."""
BARREL_SUFFIX = "-0-index.md"
"""`17-4-0-index.md`: sorts before the children `17-4-1-...` of the same folder."""
FALLBACK_STEM = "clause"

_NON_NAME = re.compile(r"[^a-z0-9]+")
_KEYWORDS = ("annex", "appendix", "part", "chapter", "section", "clause")
_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)


def name_slug(text: str) -> str:
    """ASCII lower-case words joined by dashes (`Schéma (normative)` -> `schema-normative`)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_NAME.sub("-", text.lower()).strip("-")


def _cut(slug: str, limit: int) -> str:
    """At most `limit` characters, cut at a dash where one is near, never ending in a dash."""
    if len(slug) <= limit:
        return slug
    head = slug[:limit]
    dash = head.rfind("-")
    return (head[:dash] if dash >= limit // 2 else head).rstrip("-")


def _title_slug(title: str) -> str:
    """The title without its leading clause number (`17.4.37 tbl (Table)` -> `tbl-table`)."""
    slug = name_slug(title)
    number = clause_number(title)
    if number:
        digits = name_slug(number)
        for keyword in ("", *_KEYWORDS):  # the bare number first: the usual case, and no string built
            prefix = f"{keyword}-{digits}" if keyword else digits
            if slug == prefix or slug.startswith(f"{prefix}-"):
                slug = slug[len(prefix) + 1 :]
                break
    return _cut(slug, TITLE_CHARS)


def stem(node: ClauseNode) -> str:
    """`<id>-<title>` as a name: `17-4-37-tbl-table`, `b-informative-examples`, `foreword`."""
    id_slug = _cut(name_slug(node.id), ID_CHARS)
    title_slug = _title_slug(node.title)
    if not title_slug:
        return id_slug or FALLBACK_STEM
    if not id_slug or title_slug == id_slug or title_slug.startswith(f"{id_slug}-"):
        return _cut(title_slug, STEM_CHARS)  # unnumbered entries: the id is already a slug of the title
    if id_slug.endswith(f"-{title_slug}"):  # `crypto/exor-2`: a repeated title told apart by its parent
        return _cut(id_slug, STEM_CHARS)
    return _cut(f"{id_slug}-{title_slug}", STEM_CHARS)


def barrel_name(node: ClauseNode) -> str:
    """The index file of a clause with children, inside its folder: `17-4-0-index.md`."""
    return f"{_cut(name_slug(node.id), ID_CHARS) or FALLBACK_STEM}{BARREL_SUFFIX}"


def _digest(clause_id: str, chars: int) -> str:
    return hashlib.sha1(clause_id.encode("utf-8")).hexdigest()[:chars]


def _sibling_names(siblings: Sequence[ClauseNode], taken: frozenset[str]) -> dict[str, str]:
    """File (`.md`) or folder name per sibling, unique in their folder and clear of `taken`.

    Names that collide (or hit a reserved name) all get `-<sha1 of the clause id>` appended, so a
    name depends on the clause and its colliding siblings only, not on their order.
    """
    stems = {node.id: stem(node) for node in siblings}
    names = {node.id: _name(node, stems[node.id]) for node in siblings}
    counts = Counter(names.values())
    clashing = {
        node.id
        for node in siblings
        if counts[names[node.id]] > 1 or names[node.id] in taken or stems[node.id] in _DEVICE_NAMES
    }
    for chars in range(6, 41, 4):
        final = dict(names)
        for node in siblings:
            if node.id in clashing:
                suffix = f"-{_digest(node.id, chars)}"
                final[node.id] = _name(node, _cut(stems[node.id], STEM_CHARS - len(suffix)) + suffix)
        if len(set(final.values())) == len(final) and not taken.intersection(final.values()):
            return final
    raise ValueError(f"cannot give distinct names to clauses {sorted(clashing)}")


def _name(node: ClauseNode, base: str) -> str:
    return base if node.children else f"{base}.md"


def layout_tree(nodes: Mapping[str, ClauseNode]) -> dict[str, str]:
    """Clause id -> POSIX path of its Markdown file relative to the tree root, in `nodes` order.

    A leaf is `<stem>.md`; a clause with children is a folder `<stem>/` holding its barrel
    `<id>-0-index.md` and its children's files and folders. Raises ValueError when a node cannot
    be reached from a root through `children` (a missing or inconsistent parent).
    """
    paths: dict[str, str] = {}
    pending: list[tuple[ClauseNode | None, list[ClauseNode]]] = [
        (None, [node for node in nodes.values() if node.parent is None])
    ]
    while pending:
        parent, siblings = pending.pop()
        if not siblings:
            continue
        here = posixpath.dirname(paths[parent.id]) if parent else ""
        taken = frozenset({barrel_name(parent) if parent else ROOT_INDEX})
        for node in siblings:
            if node.id in paths or node.parent != (parent.id if parent else None):
                raise ValueError(f"clause {node.id!r} is listed twice or under the wrong parent")
        for clause_id, name in _sibling_names(siblings, taken).items():
            node = nodes[clause_id]
            path = f"{here}/{name}" if here else name
            paths[clause_id] = f"{path}/{barrel_name(node)}" if node.children else path
            if node.children:
                pending.append((node, [_child(nodes, child) for child in node.children]))
    if unplaced := [clause_id for clause_id in nodes if clause_id not in paths]:
        raise ValueError(f"clauses not reachable from a root (missing parent?): {unplaced[:3]}")
    return {clause_id: paths[clause_id] for clause_id in nodes}


def _child(nodes: Mapping[str, ClauseNode], clause_id: str) -> ClauseNode:
    if clause_id not in nodes:
        raise ValueError(f"child clause {clause_id!r} is not in the tree")
    return nodes[clause_id]


def folder_href(folder: str, to_path: str) -> str:
    """Link from any file in `folder` (`""`: the tree root) to the file `to_path`: `relative_href` keyed by
    folder, so that one cached answer serves every file of the folder."""
    return relative_href(f"{folder}/{ROOT_INDEX}" if folder else ROOT_INDEX, to_path)


def relative_href(from_path: str, to_path: str) -> str:
    """Link from the file `from_path` to the file `to_path` (both relative to the tree root).

    Same result as `posixpath.relpath(to_path, dirname(from_path))`, without touching the working
    directory: `relative_href("7/7-1-parsing.md", "a/a-0-index.md") == "../a/a-0-index.md"`.
    """
    source, there = from_path.split("/"), to_path.split("/")
    if not source[0] or not there[0] or ".." in source or ".." in there:
        raise ValueError(f"not a path inside the tree: {from_path!r} -> {to_path!r}")
    here = source[:-1]
    if "" in here or "." in here or "" in there or "." in there:  # not as `layout_tree` writes them
        here = [part for part in posixpath.normpath(posixpath.dirname(from_path)).split("/") if part != "."]
        there = [part for part in posixpath.normpath(to_path).split("/") if part != "."]
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])

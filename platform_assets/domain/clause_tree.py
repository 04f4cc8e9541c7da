"""A document's block stream + outline -> its clause tree: one Markdown file per clause, a manifest.

Invariant: the tree is a pure function of its inputs (byte-identical on re-run), every block is
placed in exactly one file, and every link in it is relative and resolves inside the tree.
"""

from __future__ import annotations

import functools
import posixpath
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from platform_assets.domain.atomic import staged_directory
from platform_assets.domain.batch_plan import Clause
from platform_assets.domain.blocks import Block
from platform_assets.domain.clause_hierarchy import ClauseNode, clause_hierarchy
from platform_assets.domain.clause_layout import ROOT_INDEX, layout_tree, name_slug, relative_href
from platform_assets.domain.corrections import Applied, StalePatch, Unproven
from platform_assets.domain.cross_references import (
    DEFAULT_PATTERNS,
    Reference,
    ReferencePattern,
    link_references,
)
from platform_assets.domain.render_markdown import RenderContext, page_furniture, render_blocks
from platform_assets.domain.segment import Segmentation, segment

MANIFEST = "manifest.json"
IMAGES = "_images"
WRITER_THREADS = 8


@dataclass(frozen=True)
class SourceBatch:
    """One parsed batch as the tree needs it: its blocks and the folder its image paths are relative to."""

    key: str
    blocks: Sequence[Block]
    raw_dir: Path


class ReferenceEntry(BaseModel):
    text: str
    target: str
    href: str | None


class ClauseEntry(BaseModel):
    title: str
    path: str
    parent: str | None
    level: int
    first_page: int = Field(description="0-based; from its blocks, else its outline destination")
    last_page: int
    blocks: int
    heading_matched: bool
    references: list[ReferenceEntry] = Field(default_factory=list)

    @property
    def pages(self) -> tuple[int, ...]:
        """Its 0-based pages, first to last."""
        return tuple(range(self.first_page, self.last_page + 1))


class CorrectionLog(BaseModel):
    """What the document's corrections file did to this tree (empty without one)."""

    config: str | None = Field(default=None, description="file name of the corrections file applied")
    applied: list[Applied] = Field(default_factory=list)
    unproven: list[Unproven] = Field(default_factory=list)
    stale_patches: list[StalePatch] = Field(default_factory=list)


class TreeManifest(BaseModel):
    """Machine-readable index of the tree (`manifest.json`): clause id -> file, pages, references."""

    doc_id: str
    files: int
    barrels: int
    images: int
    outline_entries: int
    clauses_matched: int
    unmatched: list[str]
    blocks_total: int
    blocks_assigned: int
    blocks_dropped: int
    references_found: int
    references_linked: int
    clauses: dict[str, ClauseEntry]
    corrections: CorrectionLog = Field(default_factory=CorrectionLog)

    @property
    def unresolved(self) -> list[tuple[str, ReferenceEntry]]:
        return [(cid, r) for cid, c in self.clauses.items() for r in c.references if r.href is None]


@dataclass
class ClauseTree:
    """The rendered tree, not yet on disk: file texts by relative path, images to copy, the manifest."""

    files: dict[str, str]
    images: dict[str, Path]
    manifest: TreeManifest
    root_index: str = field(init=False)

    def __post_init__(self) -> None:
        self.root_index = self.files[ROOT_INDEX]


def build_clause_tree(
    doc_id: str,
    title: str,
    batches: Sequence[SourceBatch],
    clauses: Sequence[Clause],
    patterns: Sequence[ReferencePattern] = DEFAULT_PATTERNS,
) -> ClauseTree:
    stream = [block for batch in batches for block in batch.blocks]
    images = _image_sources(batches)
    nodes = clause_hierarchy(clauses)
    paths = layout_tree(nodes)
    segmentation = segment(stream, clauses)
    furniture = page_furniture(stream)
    used_images: dict[str, Path] = {}
    href = functools.cache(relative_href)  # ~2 links per block, few distinct (from, to) pairs

    def render(path: str, blocks: Sequence[Block]) -> tuple[str, list[Reference]]:
        def image_href(block: Block) -> str | None:
            located = images.get(id(block))
            if located is None:
                return None
            used_images[located[0]] = located[1]
            return href(path, located[0])

        body = render_blocks(blocks, RenderContext(furniture=furniture, image_href=image_href))
        return link_references(body, lambda cid: href(path, paths[cid]) if cid in paths else None, patterns)

    files: dict[str, str] = {}
    entries: dict[str, ClauseEntry] = {}
    for clause_id, node in nodes.items():
        path = paths[clause_id]
        body, references = render(path, segmentation.bodies[clause_id])
        children = [(nodes[c], href(path, paths[c])) for c in node.children]
        files[path] = _page(node.title.strip() or node.id, body, children)
        entries[clause_id] = _entry(node, path, segmentation, references)

    front, front_refs = render(ROOT_INDEX, segmentation.front)
    top = [(n, href(ROOT_INDEX, paths[n.id])) for n in nodes.values() if n.parent is None]
    files[ROOT_INDEX] = _page(title, front, top)
    found = [r for e in entries.values() for r in e.references] + [_ref(r) for r in front_refs]
    manifest = TreeManifest(
        doc_id=doc_id,
        files=len(files),
        barrels=sum(1 for n in nodes.values() if n.children),
        images=len(used_images),
        outline_entries=len(nodes),
        clauses_matched=len(nodes) - len(segmentation.unmatched),
        unmatched=list(segmentation.unmatched),
        blocks_total=len(stream),
        blocks_assigned=segmentation.assigned,
        blocks_dropped=segmentation.dropped,
        references_found=len(found),
        references_linked=sum(1 for r in found if r.href is not None),
        clauses=entries,
    )
    return ClauseTree(files=files, images=dict(sorted(used_images.items())), manifest=manifest)


def write_clause_tree(tree: ClauseTree, dest: Path) -> None:
    """Write the whole tree beside `dest` and swap it in; an interrupted write leaves the old tree.

    Files are written from a few threads: thousands of small files are bound by the filesystem.
    """
    with staged_directory(dest) as stage:
        for folder in sorted({posixpath.dirname(p) for p in [*tree.files, *tree.images]} - {""}):
            (stage / folder).mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
            texts = pool.map(lambda item: (stage / item[0]).write_text(item[1], "utf-8"), tree.files.items())
            copies = pool.map(lambda item: shutil.copyfile(item[1], stage / item[0]), tree.images.items())
            list(texts), list(copies)  # re-raise the first failure
        (stage / MANIFEST).write_text(tree.manifest.model_dump_json(indent=1) + "\n", encoding="utf-8")


def read_tree_manifest(dest: Path) -> TreeManifest | None:
    path = dest / MANIFEST
    return TreeManifest.model_validate_json(path.read_bytes()) if path.is_file() else None


def _image_sources(batches: Sequence[SourceBatch]) -> dict[int, tuple[str, Path]]:
    """Block identity -> (tree path under `_images/`, source file) for blocks whose image file exists."""
    found: dict[int, tuple[str, Path]] = {}
    for index, batch in enumerate(batches, start=1):
        raw = batch.raw_dir.resolve()
        for block in batch.blocks:
            if not block.image_path:
                continue
            source = (raw / block.image_path).resolve()
            if not source.is_relative_to(raw) or not source.is_file():
                continue  # never copy from outside the batch's own output
            stem, suffix = posixpath.splitext(posixpath.basename(block.image_path))
            name = f"b{index:03d}-{name_slug(stem) or 'image'}{suffix.lower()}"
            found[id(block)] = (f"{IMAGES}/{name}", source)
    return found


def _page(title: str, body: str, children: list[tuple[ClauseNode, str]]) -> str:
    """A clause file, barrel or root index: title, rendered body, then links to the children."""
    parts = [f"# {title}\n"]
    if body:
        parts.append(body)
    if children:
        links = "".join(f"- [{c.title.strip() or c.id}]({href})\n" for c, href in children)
        parts.append(f"## Contents\n\n{links}")
    return "\n".join(parts)


def _ref(reference: Reference) -> ReferenceEntry:
    return ReferenceEntry(text=reference.text, target=reference.target, href=reference.href)


def _entry(node: ClauseNode, path: str, seg: Segmentation, references: list[Reference]) -> ClauseEntry:
    blocks = [*seg.heading_of.get(node.id, ()), *seg.bodies[node.id]]
    pages = [b.page_index for b in blocks]
    return ClauseEntry(
        title=node.title,
        path=path,
        parent=node.parent,
        level=node.level,
        first_page=min(pages, default=node.page_index),
        last_page=max(pages, default=node.page_index),
        blocks=len(blocks),
        heading_matched=node.id in seg.heading_of,
        references=[_ref(r) for r in references],
    )

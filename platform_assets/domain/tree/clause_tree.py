"""A document's block stream + outline -> its clause tree: one Markdown file per clause, a manifest.

Invariant: the tree is a pure function of its inputs (byte-identical on re-run), every block is
placed in exactly one file, and every link in it is relative and resolves inside the tree.
"""

from __future__ import annotations

import functools
import posixpath
import re
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from platform_assets.domain.common.atomic import staged_directory
from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import clause_number, tokens
from platform_assets.domain.tree.block_triage import REASONS, Triage, triage
from platform_assets.domain.tree.clause_hierarchy import ClauseNode, clause_hierarchy
from platform_assets.domain.tree.clause_layout import ROOT_INDEX, folder_href, layout_tree, name_slug
from platform_assets.domain.tree.contents_links import (
    contents_clauses,
    link_text,
    render_contents,
    title_forms,
)
from platform_assets.domain.tree.correction_log import Applied, StalePatch, Unproven
from platform_assets.domain.tree.cross_references import (
    DEFAULT_PATTERNS,
    EXTERNAL,
    INTERNAL,
    ReferencePattern,
    link_references,
)
from platform_assets.domain.tree.destination_cuts import cut_at_destinations
from platform_assets.domain.tree.destination_sides import destination_sided
from platform_assets.domain.tree.gc_paused import gc_paused
from platform_assets.domain.tree.glossary_rows import glossary_rows
from platform_assets.domain.tree.markdown_escape import escape_heading, escape_inline
from platform_assets.domain.tree.page_order import column_ordered
from platform_assets.domain.tree.render_markdown import RenderContext, render_units
from platform_assets.domain.tree.segment import (
    SAME_LINE,
    Segmentation,
    destination_offset,
    in_line_order,
    segment,
    shifted_destinations,
    walked_clauses,
)
from platform_assets.domain.tree.text_layer_fill import PageRegions, fill_from_text_layer
from platform_assets.domain.tree.text_order import WORD_GAP, TextOrder
from platform_assets.domain.tree.title_lines import title_positions

MANIFEST = "manifest.json"
LOCATE_ROUNDS = 3
"""Times bookmarks without a position get their title's line and the tree is segmented again: once for
those no heading opened, again for those that placing the first ones left unopened, and for the pages of
those the walk still passed."""
_UNKNOWN = object()
IMAGES = "_images"
WRITER_THREADS = 8
LABEL_WORDS = 4
"""A printed heading may add this many words to its bookmark title (`Chapter 4`, `Annex B (normative)`)."""


@dataclass(frozen=True)
class SourceBatch:
    """One parsed batch as the tree needs it: its blocks and the folder its image paths are relative to."""

    key: str
    blocks: Sequence[Block]
    raw_dir: Path


class ReferenceEntry(BaseModel):
    text: str
    target: str = Field(description="the id as printed: `8.7`, `A.1`, `Table 12`")
    href: str | None
    kind: str = Field(default=INTERNAL, description="`internal`, or `external`: another document's clause")
    page: int | None = Field(default=None, description="0-based page of the unit it was found in")


class ClauseEntry(BaseModel):
    title: str
    path: str
    parent: str | None
    level: int
    first_page: int = Field(description="0-based; from its blocks, else its outline destination")
    last_page: int
    blocks: int
    heading_matched: bool
    opened_at: str = Field(
        default="heading",
        description="`destination`: at its bookmark's position; `heading`: at its matched heading; "
        "`page`: at the top of its bookmark's page (a bookmark without a position, no heading matched); "
        "`line`: at the line of its page's text layer that prints its title (the same, that line found); "
        "`none`: never opened (its text stayed with the clause before); `repeat`: its bookmark repeats "
        "the clause in `repeats`, whose file holds the text",
    )
    repeats: str | None = Field(default=None, description="the clause whose bookmark this one repeats")
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
    clauses_matched: int = Field(description="clauses opened in the tree (at a destination or a heading)")
    unmatched: list[str] = Field(description="clauses never opened: no position and no heading found")
    repeated: list[str] = Field(
        default_factory=list,
        description="clauses whose bookmark repeats an earlier one (same title, level and destination): "
        "never opened, their files link to it",
    )
    heading_mismatch: list[str] = Field(
        default_factory=list, description="opened at their destination, but no printed heading matched"
    )
    blocks_total: int
    blocks_assigned: int
    blocks_dropped: int = Field(description="blocks left out, each for a reason counted in `drops`")
    drops: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    blocks_lost: int = Field(default=0, description="blocks neither placed nor dropped for a reason")
    from_text_layer: int = Field(default=0, description="empty blocks given their text from the PDF")
    references_found: int = Field(description="references to this document's own clauses, tables, figures")
    references_linked: int
    references_external: int = Field(default=0, description="references to other documents, never linked")
    clauses: dict[str, ClauseEntry]
    corrections: CorrectionLog = Field(default_factory=CorrectionLog)

    @property
    def unresolved(self) -> list[tuple[str, ReferenceEntry]]:
        """Internal references left unlinked, by clause id."""
        return [
            (cid, r)
            for cid, c in self.clauses.items()
            for r in c.references
            if r.href is None and r.kind == INTERNAL
        ]


@dataclass
class ClauseTree:
    """The rendered tree, not yet on disk: file texts by relative path, images to copy, the manifest."""

    files: dict[str, str]
    images: dict[str, Path]
    manifest: TreeManifest
    root_index: str = field(init=False)

    def __post_init__(self) -> None:
        self.root_index = self.files[ROOT_INDEX]


@gc_paused()
def build_clause_tree(
    doc_id: str,
    title: str,
    batches: Sequence[SourceBatch],
    clauses: Sequence[Clause],
    patterns: Sequence[ReferencePattern] = DEFAULT_PATTERNS,
    pdf: Path | None = None,
    password: str | None = None,
    not_ours: frozenset[str] = frozenset(),
) -> ClauseTree:
    """The tree of the batches' blocks under the outline's clauses.

    With the source `pdf`, blocks MinerU returned empty take their text from its text layer first; then
    page furniture, contents and empty blocks are dropped, each for a counted reason (`block_triage`),
    and the rest is segmented, rendered and linked unit by unit (code never). References in the clauses
    of `not_ours` and their subclauses (a quoted licence) are another document's: listed as external,
    never linked.
    """
    stream = [block for batch in batches for block in batch.blocks]
    filled, from_text_layer = fill_from_text_layer(stream, pdf, password) if pdf else (stream, 0)
    triaged = triage(filled, outline_titles(clauses))
    nodes = clause_hierarchy(clauses)
    paths = layout_tree(nodes)
    segmentation = _segmented(triaged.kept, clauses, pdf, password)
    renderer = _Renderer(nodes, paths, clauses, segmentation, _image_sources(batches), patterns, not_ours)
    unmatched = frozenset(segmentation.unmatched)
    contents = contents_clauses(triaged.dropped, clauses, segmentation.bodies, unmatched)
    triaged, segmentation = _with_contents(triaged, segmentation, contents)
    href = renderer.href
    files: dict[str, str] = {}
    entries: dict[str, dict[str, Any]] = {}
    opened_at = (  # `ClauseEntry.opened_at`, "heading" for the rest
        dict.fromkeys(segmentation.anchored, "destination")
        | dict.fromkeys(segmentation.paged, "page")
        | dict.fromkeys(segmentation.located, "line")
        | dict.fromkeys(unmatched, "none")
        | dict.fromkeys(segmentation.repeated, "repeat")
    )
    repeats = {clause.id: clause.repeats for clause in clauses if clause.repeats is not None}
    for clause_id, node in nodes.items():
        path = paths[clause_id]
        folder = posixpath.dirname(path)
        references: list[dict[str, Any]] = []
        if clause_id in contents:
            body = render_contents(contents[clause_id], clauses, lambda to, at=folder: href(at, paths[to]))
        elif original := repeats.get(clause_id):
            to = nodes[original]
            body = f"The outline lists this bookmark twice: its text is under [{link_text(to.title)}]"
            body += f"({href(folder, paths[original])}).\n"
        else:
            body, references = renderer.render(folder, clause_id, segmentation.bodies[clause_id])
        children = [(nodes[c], href(folder, paths[c])) for c in node.children]
        heading = printed_title(node.title, segmentation.heading_of.get(clause_id, ()))
        files[path] = _page(heading or node.id, body, children)
        entries[clause_id] = _entry(
            node, path, segmentation, references, opened_at.get(clause_id, "heading"), repeats.get(clause_id)
        )
    front, _ = renderer.render("", None, segmentation.front)  # its references are counted, not listed
    top = [(n, href("", paths[n.id])) for n in nodes.values() if n.parent is None]
    files[ROOT_INDEX] = _page(title, front, top)
    manifest = _manifest(
        doc_id, len(stream), len(files), nodes, segmentation, triaged, renderer, entries, from_text_layer
    )
    return ClauseTree(files=files, images=dict(sorted(renderer.used_images.items())), manifest=manifest)


def _segmented(
    kept: Sequence[Block], clauses: Sequence[Clause], pdf: Path | None, password: str | None
) -> Segmentation:
    """`segment` over the kept blocks: two-column pages the outline proves misread are read column by
    column first (`page_order`); with the PDF, pages set as rows of a reference, a bookmark per name, are
    read from the text layer (`glossary_rows`) and blocks a destination points inside are cut there;
    pages the outline still contradicts are read again with the pieces (an index block over both columns,
    split into them, is no longer one block that two columns' letters point into). Bookmarks without a
    position that no heading opened get the place of the line that prints their title (`title_lines`), and
    all is done again with those (`LOCATE_ROUNDS`); where the walk passed one all the same (the tier read
    a heading below its line first), the other bookmarks without a position on its page get theirs too,
    so that the page is read in the order of their places."""
    clauses = in_line_order(clauses)
    if pdf is None:
        return _cut_and_segmented(kept, clauses, pdf, password)
    inline = _inside_lines(clauses, pdf, password)
    segmentation = _cut_and_segmented(kept, clauses, pdf, password, inline=inline)
    located: dict[str, tuple[float, float]] = {}
    for _ in range(LOCATE_ROUNDS):
        unplaced = {*segmentation.unmatched, *segmentation.paged}
        stuck = {clause.page_index for clause in clauses if clause.id in unplaced & located.keys()}
        wanted = [
            clause
            for clause in clauses
            if clause.top is None and (clause.id in unplaced | located.keys() or clause.page_index in stuck)
        ]
        if {clause.id for clause in wanted} <= located.keys():
            break
        found = title_positions(pdf, password, wanted)
        if found.keys() <= located.keys():
            break
        located = found
        placed = [
            clause.model_copy(update=dict(zip(("top", "left"), located[clause.id], strict=True)))
            if clause.id in located
            else clause
            for clause in clauses
        ]
        segmentation = _cut_and_segmented(kept, placed, pdf, password, frozenset(located), inline)
    return segmentation


def _inside_lines(clauses: Sequence[Clause], pdf: Path, password: str | None) -> frozenset[str]:
    """The clauses whose destinations mark a word inside a line of running text (`TextOrder.inside_line`);
    only a destination with text just left of it on its line, a space's width away at most (`WORD_GAP`),
    is looked at closer (a heading at the text's edge has the margin there, a column's the gutter)."""
    with PageRegions(pdf, password) as regions:
        layer = TextOrder(regions.document)
        return frozenset(
            clause.id
            for clause in clauses
            if clause.top is not None
            and clause.left is not None
            and regions.inside(
                clause.page_index,
                (max(0.0, clause.left - WORD_GAP), clause.top, clause.left, clause.top + SAME_LINE),
            ).strip()
            and layer.inside_line(clause)
        )


def _cut_and_segmented(
    kept: Sequence[Block],
    clauses: Sequence[Clause],
    pdf: Path | None,
    password: str | None,
    located: frozenset[str] = frozenset(),
    inline: frozenset[str] = frozenset(),
) -> Segmentation:
    walked = walked_clauses(clauses)  # a repeated bookmark has no destination of its own
    offset = destination_offset(kept, walked, located | inline)
    destinations = shifted_destinations(walked, offset, located | inline)
    stream = _read_in_order(kept, destinations)
    if pdf is None:
        return segment(stream, clauses, located)
    with PageRegions(pdf, password) as regions:
        stream, rows = glossary_rows(stream, destinations, TextOrder(regions.document))
        stream, cuts = cut_at_destinations(stream, destinations, regions.inside, walked, whole=rows.rows)
    if not cuts and not rows.replaced:
        return segment(stream, clauses, located, inline=inline)
    stream = _read_in_order(stream, destinations)
    segmentation = segment(stream, clauses, located, offset, inline)
    added = cuts + len(rows.rows) - rows.replaced  # blocks the stream gained: placed, not the tier's
    return replace(segmentation, assigned=segmentation.assigned - added, split=segmentation.split + added)


def _read_in_order(stream: Sequence[Block], destinations: Sequence[Clause]) -> list[Block]:
    """The stream in reading order: two-column pages the outline proves misread column by column, then each
    block on its side of the destinations around it."""
    return destination_sided(column_ordered(stream, destinations)[0], destinations)[0]


def _with_contents(
    triaged: Triage, segmentation: Segmentation, contents: dict[str, list[Block]]
) -> tuple[Triage, Segmentation]:
    """The contents blocks a clause renders as links (`contents_links`) counted as placed, not dropped."""
    if not contents:
        return triaged, segmentation
    placed = {id(block) for blocks in contents.values() for block in blocks}
    dropped = [(block, reason) for block, reason in triaged.dropped if id(block) not in placed]
    drops = {**triaged.drops, "toc": triaged.drops["toc"] - len(placed)}
    bodies = {**segmentation.bodies, **{cid: tuple(blocks) for cid, blocks in contents.items()}}
    return (
        replace(triaged, dropped=dropped, drops=drops),
        replace(segmentation, bodies=bodies, assigned=segmentation.assigned + len(placed)),
    )


class _Renderer:
    """Clause bodies rendered and linked, with what that used: images copied, references counted."""

    def __init__(
        self,
        nodes: dict[str, ClauseNode],
        paths: dict[str, str],
        clauses: Sequence[Clause],
        segmentation: Segmentation,
        images: dict[tuple[int, int, str | None], tuple[str, Path]],
        patterns: Sequence[ReferencePattern],
        not_ours: frozenset[str],
    ) -> None:
        self.nodes, self.paths, self.images, self.patterns = nodes, paths, images, patterns
        self.href = functools.cache(folder_href)  # ~2 links per block, few distinct (folder, to) pairs
        self.resolve_number = _number_resolver(clauses, nodes)
        self.captions = _caption_paths(segmentation, paths)
        self.quoted = {cid for cid in nodes if not_ours and not_ours.intersection(_lineage(cid, nodes))}
        self.target_paths: dict[tuple[str | None, str], str | None] = {}  # (top-level clause, target) -> file
        self.totals = dict.fromkeys((INTERNAL, EXTERNAL, "linked"), 0)  # references by kind, and those linked
        self.used_images: dict[str, Path] = {}

    def render(
        self, folder: str, owner: str | None, blocks: Sequence[Block]
    ) -> tuple[str, list[dict[str, Any]]]:
        """The body of a clause file in `folder` (`""`: the tree root), and its references as manifest
        entries."""
        root = owner and _lineage(owner, self.nodes)[-1]
        href, paths, captions, target_paths = self.href, self.paths, self.captions, self.target_paths
        totals = self.totals

        def image_href(block: Block) -> str | None:
            located = self.images.get(_image_key(block))
            if located is None:
                return None
            self.used_images[located[0]] = located[1]
            return href(folder, located[0])

        def resolve(target: str) -> str | None:
            key = (root, target)
            if (to := target_paths.get(key, _UNKNOWN)) is _UNKNOWN:
                to = captions.get(target) if target[0] in "TF" and " " in target else None
                if to is None:
                    clause_id = target if target in paths else self.resolve_number(target, owner)
                    to = paths[clause_id] if clause_id is not None else None
                target_paths[key] = to
            return href(folder, to) if to is not None else None

        external = owner in self.quoted
        parts: list[str] = []
        # a `ReferenceEntry`'s fields (~70k a book): validating them all with the manifest is ~4x faster than
        # building the models one by one
        entries: list[dict[str, Any]] = []
        for unit in render_units(blocks, RenderContext(image_href=image_href)):
            if unit.code:
                parts.append(unit.markdown)
                continue
            linked, found = link_references(unit.markdown, resolve, self.patterns, external=external)
            parts.append(linked)
            page = unit.page_index
            for reference in found:
                text, target, to, kind = reference.text, reference.target, reference.href, reference.kind
                entries.append({"text": text, "target": target, "href": to, "kind": kind, "page": page})
                totals[kind] += 1
                totals["linked"] += to is not None
        return ("\n\n".join(parts) + "\n" if parts else ""), entries


def _manifest(
    doc_id: str,
    blocks: int,
    files: int,
    nodes: dict[str, ClauseNode],
    segmentation: Segmentation,
    triaged: Triage,
    renderer: _Renderer,
    entries: dict[str, dict[str, Any]],
    from_text_layer: int,
) -> TreeManifest:
    """The tree's manifest: what was placed, dropped and linked, and an entry per clause."""
    dropped = sum(triaged.drops.values())
    totals = renderer.totals
    return TreeManifest(
        doc_id=doc_id,
        files=files,
        barrels=sum(1 for n in nodes.values() if n.children),
        images=len(renderer.used_images),
        outline_entries=len(nodes),
        clauses_matched=len(nodes) - len(segmentation.unmatched) - len(segmentation.repeated),
        unmatched=list(segmentation.unmatched),
        repeated=list(segmentation.repeated),
        heading_mismatch=list(segmentation.mismatched),
        blocks_total=blocks,
        blocks_assigned=segmentation.assigned,
        blocks_dropped=dropped,
        drops=triaged.drops,
        blocks_lost=blocks - segmentation.assigned - dropped,
        from_text_layer=from_text_layer,
        references_found=totals[INTERNAL],
        references_linked=totals["linked"],
        references_external=totals[EXTERNAL],
        clauses=entries,  # type: ignore[arg-type]  # validated here
    )


def outline_titles(clauses: Sequence[Clause]) -> frozenset[tuple[str, ...]]:
    """The outline's titles as a table of contents prints them: with and without their number."""
    return frozenset(form for clause in clauses for form in title_forms(clause))


def printed_title(title: str, heading: Sequence[Block]) -> str:
    """The clause's title as its page prints it, where the print only adds a label or number to the
    bookmark (`Chapter 4` + `Introduction`), else the bookmark title."""
    printed = " ".join(" ".join(block.text for block in heading).split())
    if printed == title.strip():  # the print is the bookmark title (most headings)
        return printed
    words, printed_words = tokens(title), tokens(printed)
    if printed and set(words) <= set(printed_words) and len(printed_words) <= len(words) + LABEL_WORDS:
        return printed
    return title.strip()


def _lineage(clause_id: str, nodes: dict[str, ClauseNode]) -> list[str]:
    """The clause and its ancestors."""
    lineage: list[str] = []
    current: str | None = clause_id
    while current is not None:
        lineage.append(current)
        current = nodes[current].parent
    return lineage


def _number_resolver(
    clauses: Sequence[Clause], nodes: dict[str, ClauseNode]
) -> Callable[[str, str | None], str | None]:
    """A printed id (`8.7`, `A.1`) -> the clause that prints it: the one under the referring clause's own
    top-level clause, else the only one in the document. A clause prints its number, the number its
    title starts with (`Appendix A.1 Tools` answers `A.1` whatever its id) and its id without the prefix
    a restarting numbering adds (`A/2` answers `2`)."""
    by_number: dict[str, list[str]] = {}
    for clause in walked_clauses(clauses):  # a repeated bookmark's number is its original's
        printed = {
            clause.number,
            clause_number(clause.title),
            clause.id.rsplit("/", 1)[-1] if clause.number else None,
        }
        for number in printed - {None}:
            by_number.setdefault(number, []).append(clause.id)
    roots: dict[str, str] = {}
    for clause_id, node in nodes.items():
        parent = node.parent
        roots[clause_id] = roots[parent] if parent is not None else clause_id

    def resolve(number: str, owner: str | None) -> str | None:
        candidates = by_number.get(number, [])
        if owner is not None and len(candidates) > 1:
            same_root = [cid for cid in candidates if roots[cid] == roots[owner]]
            if len(same_root) == 1:
                return same_root[0]
        return candidates[0] if len(candidates) == 1 else None

    return resolve


_CAPTION = re.compile(
    r"^(Table|TABLE|Figure|FIGURE|Fig\.)\s+((?:[A-Z]|[1-9]\d{0,2})(?:[.–-][1-9]\d{0,2})*)"
    r"(?=\s*[:.—–-](?:\s|$)|\s*$)",
    re.MULTILINE,
)
"""A caption line: `Table 3 — Simple types`, `Figure C–1. Access`, `Table 1.2: List of ...`."""
_CAPTION_WORD = {"Table": "Table", "TABLE": "Table", "Figure": "Figure", "FIGURE": "Figure", "Fig.": "Figure"}


def _caption_paths(segmentation: Segmentation, paths: dict[str, str]) -> dict[str, str]:
    """`Table 12` / `Figure C-1` -> the file of the clause whose body holds that caption line: a block's
    caption first, else a line of a block's text (a caption the parse kept inside a table or paragraph)."""
    found: dict[str, str] = {}
    lines: dict[str, str] = {}
    for clause_id, blocks in segmentation.bodies.items():
        path = paths[clause_id]
        for block in blocks:
            for holder, texts in ((found, block.caption), (lines, (block.text,))):
                for text in texts:
                    # a caption word looked for first: `in` is much cheaper than the regex
                    if not ("Tab" in text or "TAB" in text or "Fig" in text or "FIG" in text):
                        continue
                    for match in _CAPTION.finditer(text):
                        target = f"{_CAPTION_WORD[match.group(1)]} {match.group(2).replace('–', '-')}"
                        holder.setdefault(target, path)
    return {**lines, **found}


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


def _image_key(block: Block) -> tuple[int, int, str | None]:
    """A block's identity that survives its copies (retyped, filled): page, batch position, image."""
    return block.page_index, block.seq, block.image_path


def _image_sources(batches: Sequence[SourceBatch]) -> dict[tuple[int, int, str | None], tuple[str, Path]]:
    """Block -> (tree path under `_images/`, source file) for blocks whose image file exists."""
    found: dict[tuple[int, int, str | None], tuple[str, Path]] = {}
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
            found[_image_key(block)] = (f"{IMAGES}/{name}", source)
    return found


_CONTENTS = re.compile(r"\n## Contents\n\n(?:- \[[^\n]*\]\([^\n]*\)\n?)+\Z")


def body_text(page: str) -> str:
    """What a clause file (`_page`) holds below its title, without the links to its children."""
    return _CONTENTS.sub("\n", page).split("\n", 1)[-1].strip()


def _page(title: str, body: str, children: list[tuple[ClauseNode, str]]) -> str:
    """A clause file, barrel or root index: title, rendered body, then links to the children. Titles are
    text: what Markdown would read in them (`\\psContourPlot[options](x1,y1)`, a link) is escaped."""
    parts = [f"# {escape_heading(escape_inline(title))}\n"]
    if body:
        parts.append(body)
    if children:
        links = "".join(f"- [{link_text(c.title.strip() or c.id)}]({href})\n" for c, href in children)
        parts.append(f"## Contents\n\n{links}")
    return "\n".join(parts)


def _entry(
    node: ClauseNode,
    path: str,
    seg: Segmentation,
    references: list[dict[str, Any]],
    opened_at: str,
    repeats: str | None,
) -> dict[str, Any]:
    """A `ClauseEntry`'s fields: the manifest validates all entries at once (~10,000 a book)."""
    heading = seg.heading_of.get(node.id)
    blocks = [*(heading or ()), *seg.bodies[node.id]]
    pages = [b.page_index for b in blocks] or [node.page_index]
    return {
        "title": node.title,
        "path": path,
        "parent": node.parent,
        "level": node.level,
        "first_page": min(pages),
        "last_page": max(pages),
        "blocks": len(blocks),
        "heading_matched": heading is not None,
        "opened_at": opened_at,
        "repeats": repeats,
        "references": references,
    }

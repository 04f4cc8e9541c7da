"""The clause-tree builder: files per clause, barrels, images, manifest, atomic swap, determinism."""

from __future__ import annotations

import json
import shutil

import pytest

from platform_assets.clause_tree import tree_metadata
from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.clause_layout import relative_href
from platform_assets.domain.tree.clause_tree import (
    MANIFEST,
    SourceBatch,
    build_clause_tree,
    read_tree_manifest,
    write_clause_tree,
)
from platform_assets.domain.verify.coverage_check import check_clauses_present
from platform_assets.domain.verify.findings import Severity
from tests.markdown_figures import read_tree

CLAUSES = [
    Clause(id="1", title="1 Scope", level=0, page_index=0),
    Clause(id="2", title="2 Markup", level=0, page_index=1),
    Clause(id="2.1", title="2.1 Widgets", level=1, page_index=1),
    Clause(id="2.2", title="2.2 Panels", level=1, page_index=2),
]


def block(seq: int, page: int, kind: BlockKind, text: str = "", **fields) -> Block:
    return Block(seq=seq, page_index=page, kind=kind, source_type=kind.value, text=text, **fields)


@pytest.fixture
def batches(tmp_path):
    raw = tmp_path / "b1" / "raw"
    (raw / "images").mkdir(parents=True)
    (raw / "images" / "fig 1.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.png").write_bytes(b"outside")
    first = [
        block(0, 0, BlockKind.TEXT, "Cover text of the standard."),
        block(1, 0, BlockKind.HEADING, "1 Scope", level=1),
        block(2, 0, BlockKind.TEXT, "This clause points to 2.2 Panels (see 2.2) and to §9.9."),
        block(3, 1, BlockKind.HEADING, "2 Markup", level=1),
        block(4, 1, BlockKind.TEXT, "Intro of the markup clause."),
        block(5, 1, BlockKind.IMAGE, caption=["Figure 1 - A widget"], image_path="images/fig 1.png"),
        block(6, 1, BlockKind.IMAGE, caption=["Figure 2 - Escaping"], image_path="../../secret.png"),
        block(7, 1, BlockKind.HEADING, "2.1 Widgets", level=1),
    ]
    second = [  # a new batch starts mid-clause: its first block still belongs to 2.1
        block(0, 2, BlockKind.TEXT, "Carried over into 2.1."),
        block(1, 2, BlockKind.HEADING, "2.2", level=1),
        block(2, 2, BlockKind.HEADING, "Panels", level=1),
        block(3, 2, BlockKind.TEXT, "Back to Clause 1."),
    ]
    return [SourceBatch("d~b001", first, raw), SourceBatch("d~b002", second, tmp_path / "b2" / "raw")]


def test_every_clause_gets_a_file_and_parents_get_barrels(batches):
    tree = build_clause_tree("d", "The Standard", batches, CLAUSES)
    assert sorted(tree.files) == [
        "1-scope.md",
        "2-markup/2-0-index.md",
        "2-markup/2-1-widgets.md",
        "2-markup/2-2-panels.md",
        "index.md",
    ]
    barrel = tree.files["2-markup/2-0-index.md"]
    assert barrel.startswith("# 2 Markup\n\nIntro of the markup clause.")
    assert "- [2.1 Widgets](2-1-widgets.md)\n- [2.2 Panels](2-2-panels.md)\n" in barrel
    assert "Carried over into 2.1." in tree.files["2-markup/2-1-widgets.md"]
    assert "Cover text" in tree.root_index and "- [1 Scope](1-scope.md)" in tree.root_index


def test_references_become_relative_links_and_unresolved_ones_are_listed(batches):
    tree = build_clause_tree("d", "The Standard", batches, CLAUSES)
    assert "(see [2.2](2-markup/2-2-panels.md))" in tree.files["1-scope.md"]
    assert "[Clause 1](../1-scope.md)" in tree.files["2-markup/2-2-panels.md"]
    manifest = tree.manifest
    assert [(cid, r.text) for cid, r in manifest.unresolved] == [("1", "§9.9")]
    assert manifest.references_found == manifest.references_linked + 1


def test_images_are_copied_from_their_batch_only(batches):
    tree = build_clause_tree("d", "The Standard", batches, CLAUSES)
    assert list(tree.images) == ["_images/b001-fig-1.png"]
    barrel = tree.files["2-markup/2-0-index.md"]
    assert "](../_images/b001-fig-1.png)" in barrel
    assert "Figure 2 - Escaping" in barrel and "secret" not in barrel  # caption kept, file not


def test_the_manifest_accounts_for_every_block_and_page(batches):
    manifest = build_clause_tree("d", "The Standard", batches, CLAUSES).manifest
    assert manifest.blocks_total == 12 == manifest.blocks_assigned and manifest.blocks_dropped == 0
    assert manifest.unmatched == [] and manifest.clauses_matched == 4
    assert (manifest.clauses["2.1"].first_page, manifest.clauses["2.1"].last_page) == (1, 2)
    assert manifest.clauses["2.2"].parent == "2" and manifest.clauses["2.2"].heading_matched


def test_a_missing_heading_is_reported_and_its_text_stays_in_the_open_clause(batches):
    clauses = [*CLAUSES, Clause(id="3", title="3 Layout", level=0, page_index=2)]
    manifest = build_clause_tree("d", "The Standard", batches, clauses).manifest
    assert manifest.unmatched == ["3"] and manifest.blocks_dropped == 0


def test_the_written_tree_is_byte_identical_on_rewrite(batches, tmp_path):
    dest = tmp_path / "tree"
    write_clause_tree(build_clause_tree("d", "The Standard", batches, CLAUSES), dest)
    first = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    write_clause_tree(build_clause_tree("d", "The Standard", batches, CLAUSES), dest)
    assert {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()} == first
    assert read_tree_manifest(dest).files == 5
    assert json.loads((dest / MANIFEST).read_text())["doc_id"] == "d"


def test_an_interrupted_write_leaves_the_previous_tree_intact(batches, tmp_path, monkeypatch):
    dest = tmp_path / "tree"
    write_clause_tree(build_clause_tree("d", "The Standard", batches, CLAUSES), dest)
    before = sorted(p.relative_to(dest) for p in dest.rglob("*"))

    def broken_copy(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copyfile", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        write_clause_tree(build_clause_tree("d", "The Standard", batches, CLAUSES), dest)
    assert sorted(p.relative_to(dest) for p in dest.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tree")] == []


def test_a_code_block_cut_at_a_buried_heading_is_counted_once_and_split_between_files(tmp_path):
    listing = "<panel>\n</panel>\n2.1 Widgets\nA widget is a box."
    stream = [
        block(0, 1, BlockKind.HEADING, "2 Markup", level=1),
        block(1, 1, BlockKind.CODE, listing, code=listing, language="xml"),
    ]
    tree = build_clause_tree("d", "The Standard", [SourceBatch("d~b001", stream, tmp_path)], CLAUSES[1:3])
    barrel, widgets = tree.files["2-markup/2-0-index.md"], tree.files["2-markup/2-1-widgets.md"]
    assert "```xml\n<panel>\n</panel>\n```" in barrel and "A widget is" not in barrel
    assert "</panel>" not in widgets and "2.1 Widgets\nA widget is a box." in widgets
    manifest = tree.manifest
    assert manifest.blocks_total == 2 == manifest.blocks_assigned and manifest.blocks_dropped == 0
    assert (manifest.clauses["2"].blocks, manifest.clauses["2.1"].blocks) == (2, 1)


def test_a_printed_number_resolves_inside_the_referring_part_when_numbering_restarts(tmp_path):
    clauses = [
        Clause(id="a", title="a first.dtx", level=0, page_index=0, numbered=False),
        Clause(id="a/1", title="1 Intro", level=1, page_index=0, number="1"),
        Clause(id="a/2", title="2 Details", level=1, page_index=1, number="2"),
        Clause(id="b", title="b second.dtx", level=0, page_index=2, numbered=False),
        Clause(id="b/1", title="1 Intro", level=1, page_index=2, number="1"),
        Clause(id="b/2", title="2 Details", level=1, page_index=3, number="2"),
        Clause(id="c", title="c third.dtx", level=0, page_index=4, numbered=False),
        Clause(id="c/7", title="7 Only here", level=1, page_index=4, number="7"),
    ]
    stream = [
        block(0, 0, BlockKind.HEADING, "1 Intro"),
        block(1, 0, BlockKind.TEXT, "As said in section 2, details follow."),
        block(2, 2, BlockKind.HEADING, "1 Intro"),
        block(3, 2, BlockKind.TEXT, "See section 2 and section 7 for more."),
    ]
    tree = build_clause_tree("d", "Parts", [SourceBatch("d~b001", stream, tmp_path)], clauses)
    entries = tree.manifest.clauses
    targets = {cid: [r.href for r in entry.references] for cid, entry in entries.items()}

    def link(source: str, target: str) -> str:
        return relative_href(entries[source].path, entries[target].path)

    assert targets["a/1"] == [link("a/1", "a/2")]  # its own part's 2, not b's
    assert targets["b/1"] == [link("b/1", "b/2"), link("b/1", "c/7")]  # 7 exists once: found anywhere


def test_the_title_line_is_the_heading_as_printed_when_it_only_adds_a_label(tmp_path):
    clauses = [Clause(id="4", title="Introduction", level=0, page_index=0, top=0.1, number="4")]
    stream = [
        Block(
            seq=0,
            page_index=0,
            kind=BlockKind.HEADING,
            source_type="title",
            text="Chapter 4",
            bbox=(0.1, 0.12, 0.4, 0.15),
        ),
        Block(
            seq=1,
            page_index=0,
            kind=BlockKind.HEADING,
            source_type="title",
            text="Introduction",
            bbox=(0.1, 0.2, 0.5, 0.25),
        ),
        Block(
            seq=2,
            page_index=0,
            kind=BlockKind.TEXT,
            source_type="text",
            text="Body.",
            bbox=(0.1, 0.3, 0.9, 0.4),
        ),
    ]
    tree = build_clause_tree("d", "Book", [SourceBatch("d~b001", stream, tmp_path)], clauses)
    page = tree.files[tree.manifest.clauses["4"].path]
    assert page.splitlines()[0] == "# Chapter 4 Introduction" and "Body." in page
    assert tree.manifest.clauses["4"].opened_at == "destination" and tree.manifest.heading_mismatch == []


def test_references_resolve_by_printed_id_captions_and_pages_and_quoted_clauses_are_external(tmp_path):
    clauses = [
        Clause(id="1", title="1 Scope", level=0, page_index=0),
        Clause(id="A", title="Annex A Tools", level=0, page_index=1),
        Clause(id="A/A", title="Appendix A.1 Shell tools", level=1, page_index=2, number="A"),
        Clause(id="G", title="Annex G GNU General Public License", level=0, page_index=3),
        Clause(id="G.1", title="G.1 Terms", level=1, page_index=3),
    ]
    stream = [
        block(0, 0, BlockKind.HEADING, "1 Scope"),
        block(1, 0, BlockKind.TEXT, "Tools are in appendix A.1; see Table 4 and section 4.4 of [RFC 9999]."),
        block(2, 1, BlockKind.TEXT, "On the next page, see Figure 9 and section 8.7."),
        block(3, 1, BlockKind.CODE, code="see appendix A.1", language="text"),
        block(4, 1, BlockKind.HEADING, "Annex A Tools"),
        block(5, 2, BlockKind.HEADING, "Appendix A.1 Shell tools"),
        block(6, 2, BlockKind.TABLE, html="<table><tr><td>ls</td></tr></table>", caption=["Table 4 — Tools"]),
        block(7, 3, BlockKind.HEADING, "Annex G GNU General Public License"),
        block(8, 3, BlockKind.HEADING, "G.1 Terms"),
        block(9, 3, BlockKind.TEXT, "Sections 1 and 2 of this License apply."),
    ]
    tree = build_clause_tree(
        "d", "Manual", [SourceBatch("d~b001", stream, tmp_path)], clauses, not_ours=frozenset({"G"})
    )
    manifest = tree.manifest
    scope = manifest.clauses["1"]
    appendix = manifest.clauses["A/A"].path
    assert [(r.text, r.target, r.href, r.kind, r.page) for r in scope.references] == [
        ("appendix A.1", "A.1", relative_href(scope.path, appendix), "internal", 0),
        ("Table 4", "Table 4", relative_href(scope.path, appendix), "internal", 0),
        ("section 4.4", "4.4", None, "external", 0),
        ("Figure 9", "Figure 9", None, "internal", 1),
        ("section 8.7", "8.7", None, "internal", 1),
    ]
    assert "see appendix A.1\n```" in tree.files[scope.path]  # code is never linked
    assert [(r.target, r.kind) for r in manifest.clauses["G.1"].references] == [
        ("1", "external"),
        ("2", "external"),
    ]
    assert "[Sections" not in tree.files[manifest.clauses["G.1"].path]
    assert (manifest.references_found, manifest.references_linked, manifest.references_external) == (4, 2, 3)


def test_a_repeated_bookmark_gets_a_file_that_links_to_the_clause_holding_its_text(tmp_path):
    clauses = [
        Clause(id="1", title="1 Scope", level=0, page_index=0, number="1"),
        Clause(id="2", title="2 Terms", level=0, page_index=1, number="2"),
        Clause(id="1~2", title="1 Scope", level=0, page_index=1, number="1", repeats="1"),
    ]
    stream = [
        block(0, 0, BlockKind.HEADING, "1 Scope"),
        block(1, 0, BlockKind.TEXT, "What this covers."),
        block(2, 1, BlockKind.HEADING, "2 Terms"),
        block(3, 1, BlockKind.TEXT, "As clause 1 says."),
    ]
    tree = build_clause_tree("d", "Twice", [SourceBatch("d~b001", stream, tmp_path)], clauses)
    manifest, entries = tree.manifest, tree.manifest.clauses
    assert (manifest.clauses_matched, manifest.repeated, manifest.unmatched) == (2, ["1~2"], [])
    assert (entries["1~2"].opened_at, entries["1~2"].repeats, entries["1"].repeats) == ("repeat", "1", None)
    assert (
        f"[1 Scope]({relative_href(entries['1~2'].path, entries['1'].path)})"
        in tree.files[entries["1~2"].path]
    )
    assert "What this covers." in tree.files[entries["1"].path]
    assert [r.href for r in entries["2"].references] == [relative_href(entries["2"].path, entries["1"].path)]
    findings = check_clauses_present(clauses, manifest)
    assert [(f.kind, f.severity, f.clause_id) for f in findings] == [
        ("bookmark_repeated", Severity.INFO, "1~2")
    ]
    metadata = tree_metadata(tree, str(tmp_path))
    assert metadata["clauses_opened"].value == "2 of 3 (1 repeat an earlier bookmark)"
    assert metadata["repeated_bookmarks"].value == "1~2"


def test_titles_are_text_in_a_files_heading_and_in_its_parents_contents(tmp_path):
    """pst-contourplot: the bookmark `1 La commande \\psContourPlot[options](x1,y1)(x2,y2)` read back as a
    link in both places; a tag in a title would be raw HTML."""
    title = "1.1 La commande \\psContourPlot[options](x1,y1)(x2,y2) and <w:p>"
    clauses = [
        Clause(id="1", title="1 Commands", level=0, page_index=0, number="1"),
        Clause(id="1.1", title=title, level=1, page_index=0, number="1.1"),
    ]
    stream = [
        block(0, 0, BlockKind.HEADING, "1 Commands"),
        block(1, 0, BlockKind.TEXT, "The commands."),
        block(2, 0, BlockKind.HEADING, title),
        block(3, 0, BlockKind.TEXT, "Draws contours."),
    ]
    tree = build_clause_tree("d", "Commands", [SourceBatch("d~b001", stream, tmp_path)], clauses)
    found = read_tree(tree.files, frozenset(tree.files))
    assert (found.foreign_links, found.html) == ([], [])
    page = tree.files[tree.manifest.clauses["1.1"].path]
    assert page.splitlines()[0] == "# 1.1 La commande \\psContourPlot[options\\](x1,y1)(x2,y2) and \\<w:p>"

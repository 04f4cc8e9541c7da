"""A clause whose only text is a table of contents renders it as links to the clauses it lists."""

from __future__ import annotations

from pathlib import Path

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.clause_tree import SourceBatch, build_clause_tree
from platform_assets.domain.tree.contents_links import contents_clauses, render_contents

CLAUSES = [
    Clause(id="1", title="Contents", level=0, page_index=1, top=0.1, numbered=False),
    Clause(id="2", title="1 Introduction", level=0, page_index=2, top=0.1, number="1"),
    Clause(id="2.1", title="1.1 Scope of [this] manual", level=1, page_index=2, top=0.5, number="1.1"),
    Clause(id="3", title="2 Installing the package on a system", level=0, page_index=3, top=0.1, number="2"),
]
TOC = [
    "1 Introduction . . . . . . . 3",
    "1.1 Scope of [this] manual ........ 3",
    "2 Installing the package on a",
    "system . . . . . 4",
    "Index 9",
]


def block(
    seq: int, page: int, kind: BlockKind, text: str, bbox: BBox, items: list[str] | None = None
) -> Block:
    fields = {"items": items} if items is not None else {}
    return Block(seq=seq, page_index=page, kind=kind, source_type=kind.value, text=text, bbox=bbox, **fields)


def test_dropped_contents_belong_to_the_clause_whose_span_holds_them_when_it_has_no_body() -> None:
    toc = block(1, 1, BlockKind.INDEX, "\n".join(TOC), (0.1, 0.2, 0.9, 0.8), TOC)
    mini = block(5, 2, BlockKind.INDEX, "1.1 Scope", (0.1, 0.2, 0.9, 0.3))
    front = block(0, 0, BlockKind.INDEX, "1 Introduction 3", (0.1, 0.2, 0.9, 0.3))
    body = block(6, 2, BlockKind.TEXT, "Introduction text.", (0.1, 0.35, 0.9, 0.4))
    dropped = [
        (front, "toc"),
        (toc, "toc"),
        (mini, "toc"),
        (block(2, 1, BlockKind.TEXT, "x", (0, 0.9, 1, 1)), "page_footer"),
    ]
    bodies = {"1": (), "2": (body,), "2.1": (), "3": ()}
    assert contents_clauses(dropped, CLAUSES, bodies, frozenset()) == {"1": [toc]}  # clause 2 has a body
    assert contents_clauses(dropped, CLAUSES, bodies, frozenset({"1"})) == {}  # never opened: not its text


def test_entries_become_nested_links_and_a_line_naming_no_clause_stays_text() -> None:
    toc = block(1, 1, BlockKind.INDEX, "\n".join(TOC), (0.1, 0.2, 0.9, 0.8), TOC)
    markdown = render_contents([toc], CLAUSES, lambda clause_id: f"{clause_id}.md")
    assert markdown == (
        "- [1 Introduction](2.md)\n"
        "  - [1.1 Scope of \\[this\\] manual](2.1.md)\n"
        "- [2 Installing the package on a system](3.md)\n"
        "- Index\n"
    )


def test_a_contents_clause_file_lists_the_clauses_and_its_blocks_count_as_placed(tmp_path: Path) -> None:
    stream = [
        block(0, 1, BlockKind.HEADING, "Contents", (0.1, 0.1, 0.5, 0.15)),
        block(1, 1, BlockKind.INDEX, "\n".join(TOC[:2]), (0.1, 0.2, 0.9, 0.8), TOC[:2]),
        block(2, 2, BlockKind.HEADING, "1 Introduction", (0.1, 0.1, 0.5, 0.15)),
        block(3, 2, BlockKind.TEXT, "What this is.", (0.1, 0.2, 0.9, 0.3)),
        block(4, 2, BlockKind.HEADING, "1.1 Scope of [this] manual", (0.1, 0.5, 0.5, 0.55)),
        block(5, 2, BlockKind.TEXT, "All of it.", (0.1, 0.6, 0.9, 0.7)),
    ]
    tree = build_clause_tree("d", "Manual", [SourceBatch("d~b001", stream, tmp_path)], CLAUSES[:3])
    manifest = tree.manifest
    contents = tree.files[manifest.clauses["1"].path]
    intro = manifest.clauses["2"].path
    assert "- [1 Introduction](" in contents and intro.rsplit("/", 1)[-1] in contents
    assert (manifest.drops["toc"], manifest.blocks_lost, manifest.blocks_assigned) == (0, 0, 6)
    assert manifest.clauses["1"].blocks == 2

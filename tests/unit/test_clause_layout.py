"""Clause tree -> file layout: portable stable names, barrels, disambiguation, relative links."""

from __future__ import annotations

import posixpath
import re
from itertools import product

import pytest

from platform_assets.domain.pdf.pdf_facts import OutlineEntry, read_pdf_facts
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.clause_hierarchy import ClauseNode, clause_hierarchy
from platform_assets.domain.tree.clause_layout import (
    ROOT_INDEX,
    STEM_CHARS,
    folder_href,
    layout_tree,
    relative_href,
)

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(\.md)?$")


def tree(*entries: tuple[str, str, int]) -> dict[str, ClauseNode]:
    """(id, title, level) per clause, in outline order."""
    return clause_hierarchy([Clause(id=i, title=t, level=lvl, page_index=0) for i, t, lvl in entries])


def assert_portable(paths: dict[str, str]) -> None:
    assert len(set(paths.values())) == len(paths)
    assert ROOT_INDEX not in paths.values()
    for path in paths.values():
        parts = path.split("/")
        assert parts[-1].endswith(".md")
        for part in parts:
            assert NAME.match(part), part
            assert len(part.removesuffix(".md")) <= STEM_CHARS, part


def test_leaf_is_one_file_named_by_id_and_title() -> None:
    paths = layout_tree(
        tree(("17", "17 Tables", 0), ("17.4", "17.4 Kinds", 1), ("17.4.37", "17.4.37 tbl (Table)", 2))
    )
    assert paths["17.4.37"] == "17-tables/17-4-kinds/17-4-37-tbl-table.md"


def test_clause_with_children_is_a_folder_whose_barrel_sorts_first() -> None:
    nodes = tree(
        ("17.4", "17.4 Kinds", 0),
        ("17.4.2", "17.4.2 tc (Cell)", 1),
        ("17.4.10", "17.4.10 tr (Row)", 1),
        ("17.4.1", "17.4.1 bidiVisual", 1),
    )
    paths = layout_tree(nodes)
    assert paths["17.4"] == "17-4-kinds/17-4-0-index.md"
    folder = sorted(posixpath.basename(p) for p in paths.values())
    assert folder[0] == "17-4-0-index.md"
    assert paths["17.4.2"] == "17-4-kinds/17-4-2-tc-cell.md"


def test_sample_standard_layout(sample) -> None:
    facts = read_pdf_facts(sample.pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    paths = layout_tree(clause_hierarchy(clauses))
    assert list(paths) == [c.id for c in clauses]
    assert_portable(paths)
    assert paths["foreword"] == "foreword.md"
    assert paths["1"] == "1-scope.md"
    assert paths["3"] == "3-terms-and-definitions/3-0-index.md"
    assert (
        paths["5.1.2.1"] == "5-markup/5-1-the-widget-element/5-1-2-attributes/5-1-2-1-the-align-attribute.md"
    )
    assert paths["A"] == "a-normative-schema/a-0-index.md"
    assert paths["A.2"] == "a-normative-schema/a-2-enumerations.md"
    assert paths["B"] == "b-informative-examples.md"
    assert layout_tree(clause_hierarchy(clauses)) == paths  # stable


def test_annex_part_and_positional_ids_get_names() -> None:
    paths = layout_tree(
        tree(
            ("Part-II", "Part II Markup Compatibility", 0),
            ("A", "Annex A (normative) Schemas", 1),
            ("A.1", "A.1 WordprocessingML", 2),
            ("1", "Overview", 0),
            ("1.2", "Conventions", 1),
        )
    )
    assert paths == {
        "Part-II": "part-ii-markup-compatibility/part-ii-0-index.md",
        "A": "part-ii-markup-compatibility/a-normative-schemas/a-0-index.md",
        "A.1": "part-ii-markup-compatibility/a-normative-schemas/a-1-wordprocessingml.md",
        "1": "1-overview/1-0-index.md",
        "1.2": "1-overview/1-2-conventions.md",
    }


def test_an_id_told_apart_by_its_parent_names_the_file_once() -> None:
    """Titles repeated in another part get ids prefixed by their parent (`crypto/exor-2`): the file is
    `crypto-exor-2.md`, not `crypto-exor-2-exor-2.md`."""
    paths = layout_tree(
        tree(("crypto", "crypto", 0), ("crypto/exor-2", "exor/2", 1), ("crypto/1.2", "1.2 Usage", 1))
    )
    assert paths["crypto/exor-2"] == "crypto/crypto-exor-2.md"
    assert paths["crypto/1.2"] == "crypto/crypto-1-2-usage.md"


def test_names_that_collide_get_a_disambiguator_independent_of_order() -> None:
    # `1.2 Scope` and the repeated-numbering id `1~2` of `1 Scope` both slug to `1-2-scope`
    first = layout_tree(tree(("1.2", "1.2 Scope", 0), ("1~2", "1 Scope", 0), ("3", "3 Terms", 0)))
    second = layout_tree(tree(("3", "3 Terms", 0), ("1~2", "1 Scope", 0), ("1.2", "1.2 Scope", 0)))
    assert first == second
    assert first["1.2"] != first["1~2"]
    assert re.fullmatch(r"1-2-scope-[0-9a-f]{6}\.md", first["1.2"])
    assert first["3"] == "3-terms.md"
    assert_portable(first)


def test_empty_or_punctuation_titles_fall_back_to_the_id() -> None:
    paths = layout_tree(tree(("7.3", "", 0), ("7.4", "— ? !", 0), ("§", "", 0), ("entry-4", "...", 0)))
    assert paths["7.3"] == "7-3.md" and paths["7.4"] == "7-4.md"
    assert paths["§"] == "clause.md" and paths["entry-4"] == "entry-4.md"


def test_root_index_and_device_names_are_never_assigned() -> None:
    paths = layout_tree(tree(("index", "Index", 0), ("con", "CON", 0), ("aux", "Aux", 0), ("x", "X", 0)))
    assert paths["index"].startswith("index-") and paths["con"].startswith("con-")
    assert paths["aux"].startswith("aux-") and paths["x"] == "x.md"
    assert_portable(paths)


def test_names_are_ascii_lowercase_without_dots_and_capped() -> None:
    long_title = "7.1 " + "Überprüfung der Schriftgröße und Zeichensätze " * 5
    paths = layout_tree(tree(("7.1", long_title, 0), (".hidden", ".hidden File.v2", 0)))
    assert paths["7.1"].startswith("7-1-uberprufung-der-schriftgroe")
    assert paths[".hidden"] == "hidden-file-v2.md"
    assert_portable(paths)


def test_a_child_cannot_take_its_parents_barrel_name() -> None:
    paths = layout_tree(tree(("4", "4 Lists", 0), ("4.0", "4.0 Index", 1)))
    assert paths["4"] == "4-lists/4-0-index.md"
    assert paths["4.0"].startswith("4-lists/4-0-index-") and paths["4.0"] != paths["4"]


def test_a_clause_whose_parent_is_missing_is_rejected() -> None:
    child = ClauseNode(id="1.1", title="1.1 A", level=1, page_index=0, parent="1", children=())
    parent = ClauseNode(id="1", title="1 B", level=0, page_index=0, parent=None, children=("1.1",))
    assert layout_tree({"1.1": child, "1": parent}) == {"1.1": "1-b/1-1-a.md", "1": "1-b/1-0-index.md"}
    with pytest.raises(ValueError, match="missing parent"):
        layout_tree({"1.1": child, "1": parent, "2": ClauseNode("2", "2 C", 0, 0, "9", ())})


@pytest.mark.parametrize(
    ("source", "target", "href"),
    [
        ("7-model/7-1-parsing.md", "7-model/7-2-validation.md", "7-2-validation.md"),
        ("7-model/7-0-index.md", "7-model/7-1-x/7-1-0-index.md", "7-1-x/7-1-0-index.md"),
        ("7-model/7-1-x/7-1-2-y.md", "a-schema/a-1-listing.md", "../../a-schema/a-1-listing.md"),
        ("index.md", "7-model/7-0-index.md", "7-model/7-0-index.md"),
        ("7-model/7-1-parsing.md", "index.md", "../index.md"),
        ("1-scope.md", "1-scope.md", "1-scope.md"),
        ("./7-model//7-1-parsing.md", "7-model/./a.md", "a.md"),  # written by hand, not by layout_tree
    ],
)
def test_relative_href_links_one_file_to_another(source: str, target: str, href: str) -> None:
    assert relative_href(source, target) == href


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("7-model/7-1-parsing.md", "7-model/7-2-validation.md"),
        ("7-model/7-1-x/7-1-2-y.md", "a-schema/a-1-listing.md"),
        ("index.md", "7-model/7-0-index.md"),
        ("7-model/7-1-parsing.md", "index.md"),
    ],
)
def test_folder_href_is_relative_href_from_any_file_of_the_folder(source: str, target: str) -> None:
    assert folder_href(posixpath.dirname(source), target) == relative_href(source, target)


def test_relative_href_agrees_with_relpath_across_the_sample_tree(sample) -> None:
    facts = read_pdf_facts(sample.pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    paths = [*layout_tree(clause_hierarchy(clauses)).values(), ROOT_INDEX]
    for source, target in product(paths, repeat=2):
        start = posixpath.dirname(source) or "."
        assert relative_href(source, target) == posixpath.relpath(target, start), (source, target)


def test_relative_href_rejects_paths_outside_the_tree() -> None:
    for bad in ("/etc/passwd", "../x.md", "a/../../x.md"):
        with pytest.raises(ValueError):
            relative_href("a/b.md", bad)


def test_outline_with_repeated_numbering_lays_out_without_clashes() -> None:
    outline = [
        OutlineEntry(title=t, level=lvl, page_index=p)
        for t, lvl, p in [
            ("Part 1 Fundamentals", 0, 0),
            ("1 Scope", 1, 0),
            ("2 Terms", 1, 1),
            ("Part 2 Packaging", 0, 2),
            ("1 Scope", 1, 2),
            ("2 Terms", 1, 3),
        ]
    ]
    clauses, _ = clauses_from_outline(outline, 4)
    paths = layout_tree(clause_hierarchy(clauses))
    assert_portable(paths)
    assert len({posixpath.dirname(p) for p in paths.values()}) == 2

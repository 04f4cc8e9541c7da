"""Outline clauses -> parent/children tree: nearest smaller level wins, outline order is kept."""

from __future__ import annotations

import pytest

from platform_assets.domain.pdf.pdf_facts import read_pdf_facts
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.clause_hierarchy import clause_hierarchy


def clause(id_: str, level: int, page: int = 0) -> Clause:
    return Clause(id=id_, title=f"{id_} Title", level=level, page_index=page)


def test_parent_is_the_nearest_preceding_clause_with_a_smaller_level() -> None:
    nodes = clause_hierarchy(
        [clause("1", 0), clause("1.1", 1), clause("1.1.1", 2), clause("1.2", 1), clause("2", 0)]
    )
    assert {id_: node.parent for id_, node in nodes.items()} == {
        "1": None,
        "1.1": "1",
        "1.1.1": "1.1",
        "1.2": "1",
        "2": None,
    }
    assert nodes["1"].children == ("1.1", "1.2")
    assert nodes["1.1.1"].children == ()


def test_a_level_jump_makes_a_child_of_the_last_shallower_clause() -> None:
    nodes = clause_hierarchy([clause("A", 0), clause("A.1.1", 2), clause("A.1.2", 2), clause("A.2", 1)])
    assert nodes["A.1.1"].parent == nodes["A.1.2"].parent == nodes["A.2"].parent == "A"
    assert nodes["A"].children == ("A.1.1", "A.1.2", "A.2")


def test_nodes_keep_outline_order_and_the_outline_fields() -> None:
    clauses = [clause("foreword", 0, 1), clause("1", 0, 4), clause("1.1", 1, 5)]
    nodes = clause_hierarchy(clauses)
    assert list(nodes) == ["foreword", "1", "1.1"]
    node = nodes["1.1"]
    assert (node.title, node.level, node.page_index) == ("1.1 Title", 1, 5)


def test_repeated_clause_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="repeats"):
        clause_hierarchy([clause("1", 0), clause("1", 0)])


def test_sample_standard_outline_becomes_a_four_level_tree(sample) -> None:
    facts = read_pdf_facts(sample.pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    nodes = clause_hierarchy(clauses)
    roots = [id_ for id_, node in nodes.items() if node.parent is None]
    assert roots == ["foreword", "introduction", "1", "2", "3", "4", "5", "6", "7", "A", "B"]
    assert nodes["5.1.2.1"].parent == "5.1.2" and nodes["5.1.2.1"].level == 3
    assert nodes["5.1"].children == ("5.1.1", "5.1.2", "5.1.3")
    assert nodes["A"].children == ("A.1", "A.2")
    assert all(nodes[child].parent == id_ for id_, node in nodes.items() for child in node.children)

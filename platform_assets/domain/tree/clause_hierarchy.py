"""Outline clauses -> a parent/children tree keyed by clause id, in outline order.

Invariant: every node's parent is the nearest preceding clause with a smaller outline level (None
for a root), and `children` lists exactly the nodes whose parent it is, in outline order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from platform_assets.domain.plan.batch_plan import Clause


@dataclass(frozen=True)
class ClauseNode:
    """One clause placed in the tree; `level` is the outline depth (0 = top), never MinerU's."""

    id: str
    title: str
    level: int
    page_index: int
    parent: str | None
    children: tuple[str, ...]


def clause_hierarchy(clauses: Sequence[Clause]) -> dict[str, ClauseNode]:
    """Nodes by clause id, insertion order = outline order; levels may jump (0 -> 2 is a child).

    Raises ValueError on a repeated clause id (a plan's clause ids are unique by construction).
    """
    parents: dict[str, str | None] = {}
    children: dict[str, list[str]] = {}
    stack: list[Clause] = []
    for clause in clauses:
        if clause.id in parents:
            raise ValueError(f"clause id {clause.id!r} repeats in the outline")
        while stack and stack[-1].level >= clause.level:
            stack.pop()
        parent = stack[-1].id if stack else None
        parents[clause.id] = parent
        children[clause.id] = []
        if parent is not None:
            children[parent].append(clause.id)
        stack.append(clause)
    return {
        clause.id: ClauseNode(
            id=clause.id,
            title=clause.title,
            level=clause.level,
            page_index=clause.page_index,
            parent=parents[clause.id],
            children=tuple(children[clause.id]),
        )
        for clause in clauses
    }

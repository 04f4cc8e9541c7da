"""What a document's reviewed corrections did to its tree, as the tree's manifest records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Applied:
    """An edit made in a clause: what was replaced by what, how often, and by which table of the file."""

    clause_id: str
    find: str
    replace: str
    count: int
    source: Literal["corrections", "patches"]


@dataclass(frozen=True)
class Unproven:
    """A correction held back in a clause: the garble is a real name somewhere, and these pages don't
    show the correct form instead."""

    clause_id: str
    garble: str
    correct: str
    count: int
    reason: str


@dataclass(frozen=True)
class StalePatch:
    clause_id: str
    find: str
    reason: str

"""Synthetic ECMA-shaped block streams at scale, for the segmentation tests and benchmark.

Per clause: its heading, a paragraph with a reference, a `see` line repeating the title, a listing and
a running header; four clauses a page.
"""

from __future__ import annotations

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause

PROSE = "A consumer shall process each element in document order (see 7.1). " * 3


def _block(value: str, page: int, kind: BlockKind, bbox=None, **fields) -> Block:
    return Block(seq=0, page_index=page, kind=kind, source_type=str(kind), text=value, bbox=bbox, **fields)


def _box(top: float, start: float, end: float) -> tuple[float, float, float, float]:
    return (0.1, top + start, 0.8, top + end)


def numbered_stream(count: int) -> tuple[list[Clause], list[Block]]:
    """`count` clauses whose bookmarks have no position: each opens where its heading is matched."""
    clauses, stream = [], []
    for n in range(count):
        number, page = f"{n // 100 + 1}.{n % 100 + 1}", n // 4
        clauses.append(Clause(id=number, title=f"{number} Requirement {n}", level=1, page_index=page))
        stream += [
            _block(f"{number} Requirement {n}", page, BlockKind.HEADING),
            _block(PROSE, page, BlockKind.TEXT),
            _block(f"see {number} Requirement {n}", page, BlockKind.TEXT),
            _block("<a>\n<b/>\n</a>", page, BlockKind.CODE, code="<a>\n<b/>\n</a>"),
            _block("Running header", page, BlockKind.PAGE_HEADER),
        ]
    return clauses, stream


def anchored_stream(count: int) -> tuple[list[Clause], list[Block]]:
    """`count` clauses whose bookmarks point just above their printed headings."""
    clauses, stream = [], []
    for n in range(count):
        number, page = f"{n // 100 + 1}.{n % 100 + 1}", n // 4
        top = 0.2 * (n % 4) + 0.05
        clauses.append(
            Clause(id=number, title=f"{number} Requirement {n}", level=1, page_index=page, top=top)
        )
        stream += [
            _block(f"{number} Requirement {n}", page, BlockKind.HEADING, _box(top, 0.005, 0.02)),
            _block(PROSE, page, BlockKind.TEXT, _box(top, 0.03, 0.08)),
            _block(f"see {number} Requirement {n}", page, BlockKind.TEXT, _box(top, 0.09, 0.1)),
            _block("<a/>", page, BlockKind.CODE, _box(top, 0.11, 0.15)),
            _block("Running header", page, BlockKind.PAGE_HEADER, (0.1, 0.0, 0.8, 0.01)),
        ]
    return clauses, stream

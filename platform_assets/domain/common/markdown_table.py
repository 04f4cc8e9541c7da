"""Markdown (GFM) pipe tables for metadata and reports, from headers and rows of plain values.

Invariant: a cell never breaks its table: whitespace runs (newlines included) become one space and `|`
is escaped; None is an empty cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table_cell(value: object) -> str:
    """`value` as the text of one cell."""
    return "" if value is None else " ".join(str(value).split()).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """The table's lines joined by newlines; `align` has one letter per column, `l` or `r` (default `l`)."""
    rule = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(headers))]
    lines = [[table_cell(h) for h in headers], rule, *([table_cell(v) for v in row] for row in rows)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)

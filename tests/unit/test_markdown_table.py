"""Metadata and report tables: a cell's `|` or newline never breaks its table."""

from __future__ import annotations

from platform_assets.domain.common.markdown_table import markdown_table


def test_cells_are_escaped_and_columns_aligned_as_asked():
    table = markdown_table(["name", "pages"], [["a | b\nc", 3], [None, 10]], align="lr")
    assert table.splitlines() == ["| name | pages |", "| --- | ---: |", "| a \\| b c | 3 |", "|  | 10 |"]

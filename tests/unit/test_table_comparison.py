"""The table comparison on hand-made pdfplumber tables: what real documents do that the sample does not."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.table_check import PdfTable, compare_tables, normalize_cell


def _pipe(rows: Sequence[Sequence[str]]) -> str:
    """A pipe table as the renderer writes one: the first row as header, `|` in cells escaped."""
    lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join([lines[0], "| " + " | ".join("---" for _ in rows[0]) + " |", *lines[1:]])


def _clause_on(page: int, markdown: str, clause_id: str = "9") -> ClauseText:
    return ClauseText(clause_id, f"{clause_id}.md", clause_id, page, page, markdown)


def test_cells_compare_blind_to_case_spacing_dashes_and_markup() -> None:
    assert normalize_cell("Caption shown\non the **Button**") == "caption shown on the button"
    assert normalize_cell("Table C–3 `xs:ID`") == "table c-3 xs:id"
    assert normalize_cell("(cid:21)\u00adA&amp;B") == "a&b"


def test_a_grid_pdfplumber_inflates_and_a_header_it_splits_over_two_rows_compare_clean() -> None:
    pdf = PdfTable(
        0,
        0,
        (
            ("", "ID", "", "Supported on", "", "Pass through"),
            ("", "", "", "Consumption", "", "on editing"),
            ("M1.1", "", "", "Yes (partially, see Table C–3)", "", "Yes"),
            ("M1.2", "", "", "No", "", "Yes"),
        ),
    )
    mineru = _pipe(
        [
            ("ID", "Supported on Consumption", "Pass through on editing"),
            ("M1.1", "Yes (partially, see Table C-3)", "Yes"),
            ("M1.2", "No", "Yes"),
        ]
    )
    comparisons, findings = compare_tables([_clause_on(0, mineru)], [pdf])
    assert findings == []
    (comparison,) = comparisons
    assert (comparison.mineru_columns, comparison.pdf_columns, comparison.recall) == (3, 3, 1.0)


def test_a_lost_column_of_repeated_values_is_still_caught_by_the_narrower_rows() -> None:
    rows = [
        ("Record", "Read", "Write"),
        ("header", "Yes", "Yes"),
        ("footer", "Yes", "Yes"),
        ("body", "No", "No"),
    ]
    pdf = PdfTable(3, 0, tuple(rows))
    mineru = _pipe([row[:2] for row in rows])
    _, findings = compare_tables([_clause_on(3, mineru)], [pdf])
    (finding,) = findings
    assert (finding.kind, finding.severity, finding.pages) == ("table_columns", Severity.ERROR, (3,))


def test_a_heading_drawn_inside_a_ruled_frame_is_not_a_lost_cell() -> None:
    pdf = PdfTable(
        1,
        0,
        (
            ("1.5.2 Pulse discharge power and continuous time", ""),
            ("(BOL)", ""),
            ("Temperature", "Power"),
            ("≥0", "566"),
        ),
    )
    markdown = "## 1.5.2 Pulse discharge power and continuous time (BOL)\n\n" + _pipe(
        [("Temperature", "Power"), ("≥0", "566")]
    )
    comparisons, findings = compare_tables([_clause_on(1, markdown)], [pdf])
    assert findings == []
    assert comparisons[0].recall == 1.0


def test_a_misread_value_in_a_large_table_is_a_warning() -> None:
    rows = [("Item", "Value")] + [(f"item {n}", f"{n}00 W") for n in range(1, 30)]
    pdf = PdfTable(0, 0, tuple(rows))
    misread = [(item, "1700 W" if item == "item 7" else value) for item, value in rows]  # a digit too many
    _, findings = compare_tables([_clause_on(0, _pipe(misread))], [pdf])
    (finding,) = findings
    assert (finding.kind, finding.severity, finding.score) == (
        "table_cells",
        Severity.WARN,
        pytest.approx(59 / 60),
    )
    assert "'700 W'" in finding.message


def test_a_table_rendered_as_prose_is_a_lost_table_whose_text_is_kept() -> None:
    pdf = PdfTable(2, 0, (("Attribute", "Default"), ("orientation", "vertical"), ("spacing", "auto")))
    markdown = "Attribute Default\n\norientation vertical\n\nspacing auto\n\n" + _pipe([("Other", "Table")])
    _, findings = compare_tables([_clause_on(2, markdown)], [pdf])
    lost = [f for f in findings if f.actionable]
    assert [(f.kind, f.severity, f.subject) for f in lost] == [
        ("table_unmatched", Severity.WARN, "Attribute | Default")
    ]
    assert "100% of its text is in 9.md, not as a table" in lost[0].message


def test_a_repeated_table_is_matched_once_per_copy() -> None:
    rows = (("diagram", ""), ("namespace", "http://example.org/ns"), ("annotation", "Holds the value."))
    pdfs = [PdfTable(5, 0, rows), PdfTable(5, 1, rows)]
    markdown = _pipe(rows) + "\n\nBetween the two.\n\n" + _pipe(rows)
    comparisons, findings = compare_tables([_clause_on(5, markdown)], pdfs)
    assert findings == []
    assert [c.matched for c in comparisons] == [((5, 0),), ((5, 1),)]


def test_a_table_on_a_page_no_clause_spans_is_ignored() -> None:
    pdf = PdfTable(9, 0, (("a", "b"), ("c", "d")))
    assert compare_tables([_clause_on(0, _pipe([("a", "b"), ("c", "d")]))], [pdf])[1] == [
        Finding(
            check=CheckName.TABLES,
            kind="table_unmatched",
            severity=Severity.INFO,
            message="9.md table 1 of 1 (a | b): no ruled table on page 1 matches it (pdfplumber reads ruled "
            "tables only: an unruled table goes unchecked)",
            clause_id="9",
            path="9.md",
            pages=(0,),
            subject="a | b",
        )
    ]

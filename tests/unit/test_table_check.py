"""The table check on the sample standard's ruled tables: faithful tables pass, planted defects are caught.

Slow: pdfplumber takes about a second for the eight pages read here (0.09-0.15 s a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from platform_assets.domain.tree.render_markdown import normalize_inline
from platform_assets.domain.tree.render_tables import html_table
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.table_check import PdfTable, check_tables, compare_tables, read_pdf_tables
from samples.standard import TABLES

pytestmark = pytest.mark.slow

TABLE_CLAUSES = {
    "4": ("Table 1 — Conformance classes",),
    "5": ("Table 2 — Elements of WML", "Table 3 — Simple types"),
    "5.1.1": ("Table 4 — Content model of widget",),
    "5.1.2": ("Table 5 — Attributes of widget",),
    "5.2": ("Table 6 — Attributes of panel",),
    "5.4": ("Table 7 — Attributes of button",),
    "A.2": ("Table 8 — Enumerated values",),
}
CONTENTS_PAGE = 2
"""The sample's Contents page: an unruled table (reportlab, no grid) that pdfplumber's lines strategy
cannot see."""
FLASH_TABLES_2_AND_3 = """\
| Element | Parent |  | Content |  | Clause |
| --- | --- | --- | --- | --- | --- |
| wml | (root) |  | widget+ |  | 5 |
| widget | wml |  | panel \\| label \\| button \\| image |  | 5.1 |
| panel | widget |  | label \\| button \\| image |  | 5.2 |
| label | widget, panel |  | text |  | 5.3 |
| button | widget, panel |  | empty |  | 5.4 |
| image | widget, panel |  | empty |  | 5.5 |
| Table 3 - Simple types |  |  |  |  |  |
| Type |  | Base |  | Values |  |
| ST_Align |  | xs:token |  | left, center, right |  |
| ST_Orientation |  | xs:token |  | horizontal, vertical |  |
| ST_ButtonKind |  | xs:token |  | push, toggle, radio |  |
| ST_Length |  | xs:string |  | auto, or a number followed by px, pt or % |  |"""
"""Tables 2 and 3 as rendered before tables were split at caption rows: run together into one, spans
expanded to spacer cells."""
TABLES_2_AND_3_HTML = (
    "<table><tbody>"
    + "".join(
        f'<tr><td>{a}</td><td colspan="2">{b}</td><td colspan="2">{c}</td><td>{d}</td></tr>'
        for a, b, c, d in TABLES["Table 2 — Elements of WML"][0]
    )
    + '<tr><td colspan="6">Table 3 - Simple types</td></tr>'
    + "".join(
        f'<tr><td colspan="2">{a}</td><td colspan="2">{b}</td><td colspan="2">{c}</td></tr>'
        for a, b, c in TABLES["Table 3 — Simple types"][0]
    )
    + "</tbody></table>"
)
"""The same tables as MinerU 4.0.12 flash gives them on the sample: one body, Table 3's caption a row."""

Rows = Sequence[Sequence[str]]


def _pipe(rows: Rows) -> str:
    """A pipe table as the renderer writes one: the first row as header, `|` in cells escaped."""
    lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join([lines[0], "| " + " | ".join("---" for _ in rows[0]) + " |", *lines[1:]])


def _rows(caption: str) -> list[tuple[str, ...]]:
    return list(TABLES[caption][0])


def _markdown(title: str, *tables: tuple[str, Rows | None]) -> str:
    """A clause file: heading, a sentence, then each caption followed by its table (None: the table lost)."""
    blocks = [f"# {title}", "The clause's own words come first."]
    for caption, rows in tables:
        blocks += [caption] + ([_pipe(rows)] if rows is not None else [])
    return "\n\n".join(blocks) + "\n"


@pytest.fixture(scope="module")
def spans(sample) -> dict[str, tuple[str, int, int]]:
    """Clause number -> (title, first page, last page): from its bookmark to the page of the next one."""
    ends = [page for _, _, page in sample.outline[1:]] + [sample.page_count - 1]
    return {
        title.split()[0]: (title, page, end)
        for (_, title, page), end in zip(sample.outline, ends, strict=True)
    }


@pytest.fixture(scope="module")
def clause(spans):
    def make(number: str, markdown: str | None = None) -> ClauseText:
        title, first, last = spans[number]
        if markdown is None:
            markdown = _markdown(title, *((caption, _rows(caption)) for caption in TABLE_CLAUSES[number]))
        return ClauseText(number, f"{number}.md", title, first, last, markdown)

    return make


@pytest.fixture(scope="module")
def faithful(clause) -> list[ClauseText]:
    return [clause(number) for number in TABLE_CLAUSES]


@pytest.fixture(scope="module")
def pdf_tables(sample_pdf: Path, faithful: list[ClauseText]) -> list[PdfTable]:
    """pdfplumber's tables on every page of a clause with a table, and on the Contents page: read once."""
    return read_pdf_tables(sample_pdf, sorted({CONTENTS_PAGE, *(p for c in faithful for p in c.pages)}))


def _replace(clauses: list[ClauseText], changed: ClauseText) -> list[ClauseText]:
    return [changed if c.clause_id == changed.clause_id else c for c in clauses]


def _actionable(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.actionable]


def test_pdfplumber_reads_every_ruled_table_of_the_sample_cell_for_cell(pdf_tables, spans) -> None:
    by_page = {(table.page, table.index): [list(row) for row in table.rows] for table in pdf_tables}
    expected = {
        (spans["4"][1], 0): _rows("Table 1 — Conformance classes"),
        (spans["5"][1], 0): _rows("Table 2 — Elements of WML"),
        (spans["5"][1], 1): _rows("Table 3 — Simple types"),
        (spans["5.1.1"][1], 2): _rows("Table 4 — Content model of widget"),
        (spans["5.1.2"][1], 0): _rows("Table 5 — Attributes of widget"),
        (spans["5.2"][1], 1): _rows("Table 6 — Attributes of panel"),
        (spans["5.4"][1], 0): _rows("Table 7 — Attributes of button"),
        (spans["A.2"][1], 0): _rows("Table 8 — Enumerated values"),
    }
    assert by_page == {key: [list(row) for row in rows] for key, rows in expected.items()}


def test_faithful_tables_match_their_ruled_counterparts_without_a_finding(faithful, pdf_tables) -> None:
    comparisons, findings = compare_tables(faithful, pdf_tables)
    assert findings == []
    assert len(comparisons) == 8
    for comparison in comparisons:
        assert len(comparison.matched) == 1
        assert comparison.recall == comparison.precision == 1.0
        assert (comparison.mineru_rows, comparison.mineru_columns) == (
            comparison.pdf_rows,
            comparison.pdf_columns,
        )
    assert [c.subject for c in comparisons] == [
        caption for captions in TABLE_CLAUSES.values() for caption in captions
    ]


def test_check_tables_reads_only_the_pages_of_clauses_that_hold_a_table(clause, sample_pdf) -> None:
    button, no_table = clause("5.4"), clause("7.1", "# 7.1 Parsing\n\nProse only.\n")
    report = check_tables([no_table, button], sample_pdf)
    assert report.pages == tuple(button.pages)
    assert report.findings == []
    (comparison,) = report.tables
    assert (comparison.clause_id, comparison.matched, comparison.recall) == (
        "5.4",
        ((button.first_page, 0),),
        1.0,
    )
    assert report.seconds > 0
    assert report.seconds_per_page == report.seconds / len(button.pages)


def test_two_tables_run_together_are_a_merge_finding_naming_both(clause, faithful, pdf_tables) -> None:
    title = clause("5").title
    flash = clause("5", f"# {title}\n\nTable 2 — Elements of WML\n\n{FLASH_TABLES_2_AND_3}\n")
    comparisons, findings = compare_tables(_replace(faithful, flash), pdf_tables)
    (markup,) = [c for c in comparisons if c.clause_id == "5"]
    assert markup.matched == ((flash.first_page, 0), (flash.first_page, 1))
    assert (markup.mineru_columns, markup.pdf_columns, markup.recall) == (4, 4, 1.0)
    (merged,) = _actionable(findings)
    assert (merged.kind, merged.severity, merged.clause_id, merged.pages) == (
        "table_merged",
        Severity.WARN,
        "5",
        (flash.first_page,),
    )
    assert merged.expected == "Element | Parent | Content | Clause; Type | Base | Values"


def test_the_same_flash_tables_rendered_apart_match_one_to_one_without_a_finding(
    clause, faithful, pdf_tables
) -> None:
    title = clause("5").title
    apart = html_table(TABLES_2_AND_3_HTML, normalize_inline)
    flash = clause("5", f"# {title}\n\nTable 2 — Elements of WML\n\n{apart}\n")
    comparisons, findings = compare_tables(_replace(faithful, flash), pdf_tables)
    assert _actionable(findings) == []
    assert [c.matched for c in comparisons if c.clause_id == "5"] == [
        ((flash.first_page, 0),),
        ((flash.first_page, 1),),
    ]


def test_a_lost_column_is_an_error_on_its_clause_and_page(clause, faithful, pdf_tables) -> None:
    title = clause("5").title
    without_clause_column = [row[:-1] for row in _rows("Table 2 — Elements of WML")]
    damaged = clause(
        "5",
        _markdown(
            title,
            ("Table 2 — Elements of WML", without_clause_column),
            ("Table 3 — Simple types", _rows("Table 3 — Simple types")),
        ),
    )
    _, findings = compare_tables(_replace(faithful, damaged), pdf_tables)
    (finding,) = _actionable(findings)
    assert (finding.check, finding.kind, finding.severity) == (
        CheckName.TABLES,
        "table_columns",
        Severity.ERROR,
    )
    assert (finding.clause_id, finding.path, finding.pages) == ("5", "5.md", (damaged.first_page,))
    assert (finding.subject, finding.expected) == ("Table 2 — Elements of WML", "Clause")
    assert finding.score == pytest.approx(21 / 28)


def test_columns_run_together_are_an_error_without_a_lost_column(clause, faithful, pdf_tables) -> None:
    rows = [
        (f"{name} {kind}", default, text)
        for name, kind, default, text in _rows("Table 7 — Attributes of button")
    ]
    damaged = clause("5.4", _markdown(clause("5.4").title, ("Table 7 — Attributes of button", rows)))
    _, findings = compare_tables(_replace(faithful, damaged), pdf_tables)
    (finding,) = _actionable(findings)
    assert (finding.kind, finding.severity, finding.clause_id, finding.expected) == (
        "table_columns",
        Severity.ERROR,
        "5.4",
        None,
    )


def test_a_changed_cell_lowers_the_agreement_and_is_reported(clause, faithful, pdf_tables) -> None:
    rows = [
        tuple(cell.replace("on the button", "on the label") for cell in row)
        for row in _rows("Table 7 — Attributes of button")
    ]
    damaged = clause("5.4", _markdown(clause("5.4").title, ("Table 7 — Attributes of button", rows)))
    comparisons, findings = compare_tables(_replace(faithful, damaged), pdf_tables)
    (finding,) = _actionable(findings)
    assert (finding.kind, finding.severity, finding.clause_id, finding.pages) == (
        "table_cells",
        Severity.WARN,
        "5.4",
        (damaged.first_page,),
    )
    assert "Caption shown on the button." in finding.message
    (button,) = [c for c in comparisons if c.clause_id == "5.4"]
    assert button.recall == finding.score == pytest.approx(15 / 16)


def test_a_changed_cell_is_info_under_a_lower_agreement_threshold(clause, faithful, pdf_tables) -> None:
    rows = [
        tuple(cell.replace("xs:boolean", "xs:bool") for cell in row)
        for row in _rows("Table 5 — Attributes of widget")
    ]
    damaged = clause("5.1.2", _markdown(clause("5.1.2").title, ("Table 5 — Attributes of widget", rows)))
    _, findings = compare_tables(_replace(faithful, damaged), pdf_tables, min_agreement=0.9)
    (finding,) = findings
    assert (finding.kind, finding.severity, finding.score) == (
        "table_cells",
        Severity.INFO,
        pytest.approx(19 / 20),
    )


def test_a_lost_table_is_a_warning_under_the_clause_that_kept_its_caption(
    clause, faithful, pdf_tables
) -> None:
    general = clause("5.1.1")
    damaged = clause("5.1.1", _markdown(general.title, ("Table 4 — Content model of widget", None)))
    comparisons, findings = compare_tables(_replace(faithful, damaged), pdf_tables)
    (finding,) = _actionable(findings)
    assert (finding.kind, finding.severity, finding.clause_id) == ("table_unmatched", Severity.WARN, "5.1.1")
    assert (finding.pages, finding.subject) == ((general.first_page,), "Child | Occurs | Notes")
    (lost,) = [c for c in comparisons if c.table is None]
    assert (lost.matched, lost.pdf_rows, lost.pdf_columns) == (((general.first_page, 2),), 3, 3)


def test_a_lost_row_is_a_warning_naming_the_row(clause, faithful, pdf_tables) -> None:
    rows = [row for row in _rows("Table 8 — Enumerated values") if row[1] != "center"]
    damaged = clause("A.2", _markdown(clause("A.2").title, ("Table 8 — Enumerated values", rows)))
    _, findings = compare_tables(_replace(faithful, damaged), pdf_tables)
    (finding,) = _actionable(findings)
    assert (finding.kind, finding.severity, finding.clause_id) == ("table_rows", Severity.WARN, "A.2")
    assert (finding.pages, finding.expected) == (
        (damaged.first_page,),
        "ST_Align | center | content is centred",
    )


def test_an_unruled_table_goes_unchecked_as_info(faithful, pdf_tables) -> None:
    contents = ClauseText(
        "contents",
        "contents.md",
        "Contents",
        CONTENTS_PAGE,
        CONTENTS_PAGE,
        _pipe([("1 Scope", "1"), ("2 Normative references", "1")]),
    )
    comparisons, findings = compare_tables([*faithful, contents], pdf_tables)
    (finding,) = findings
    assert (finding.kind, finding.severity, finding.actionable) == ("table_unmatched", Severity.INFO, False)
    assert (finding.clause_id, finding.pages) == ("contents", (CONTENTS_PAGE,))
    assert [c.matched for c in comparisons if c.clause_id == "contents"] == [()]

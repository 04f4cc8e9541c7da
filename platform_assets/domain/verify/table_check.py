"""A clause tree's tables against pdfplumber's ruled tables on the same pages: lost columns, rows, tables,
and tables run together.

Invariant: only pages of clauses that hold a table are read, each once; a pdfplumber table is compared only
with the tables of the clauses on its page, and an empty cell is never counted (spans and spacers leave them).
"""

from __future__ import annotations

import html
import io
import re
import time
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import zip_longest
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from platform_assets.domain.tree.render_tables import CAPTION
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.markdown_parts import split_markdown

MIN_AGREEMENT = 1.0
"""A matched table with less of pdfplumber's cells found in it is a warning, else missing cells are info.
1.0: after the leniencies below, a cell still missing is a wrong value (`≥662W/Kg` read as `2662W/Kg` in a
real MinerU datasheet table) or a lost one; clean output of the sample standard loses none."""
MIN_MATCH = 0.5
"""A pdfplumber table belongs to the MinerU table holding the most of its cells, if that is at least half."""
STRUCTURE_PRECISION = 0.8
"""Rows narrower than pdfplumber's mean a lost column only where MinerU's cells are pdfplumber's cells;
below this the two read the table differently (a nested table, say) and only the cell text is judged."""
NEAR_RATIO = 0.9
"""A cell this close to one on the other side (a character or two of OCR noise) counts as found."""
SHORT_CELL = 4
"""Normalized cells shorter than this (`5`, `yes`) count only where a cell on the other side is equal."""
MOVED_CELL = 12
"""A pdfplumber cell this long, or alone in its row, found in the text of a clause on its page outside the
table is not lost: MinerU read it as prose (a heading drawn inside a ruled frame)."""
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
"""Ruled tables only: the text strategy finds "tables" in plain prose (tl-fntguide pages 6 and 9) and splits
words across columns, so an unruled MinerU table stays unchecked (an `info` finding) rather than misjudged."""

Grid = tuple[tuple[str, ...], ...]

_MARKS = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
    | dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"')
)
_DROPPED = re.compile(r"\(cid:\d+\)|[`*\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_APART = " \0 "
_SUBJECT_CHARS = 80


@dataclass(frozen=True)
class PdfTable:
    """A ruled table pdfplumber found: its page (0-based), its position among the page's tables, and its
    cells with whitespace collapsed (cells a span covers are empty)."""

    page: int
    index: int
    rows: Grid


@dataclass(frozen=True)
class TableComparison:
    """One MinerU table against the pdfplumber tables matched to it, or (`table` None) a pdfplumber table
    no MinerU table matched, under the clause on its page most likely to have lost it.

    Rows count those with text; columns are the most cells with text in one row, so spacer columns and the
    cells a span covers count on neither side.
    """

    clause_id: str
    path: str
    table: int | None
    """Position among the clause's tables with text (0-based)."""
    subject: str
    matched: tuple[tuple[int, int], ...]
    """(page, index on the page) of each pdfplumber table compared."""
    mineru_rows: int
    mineru_columns: int
    pdf_rows: int
    pdf_columns: int
    recall: float | None
    """Share of pdfplumber's non-empty cells found in the MinerU table (or moved out of it, see
    `MOVED_CELL`); for a pdfplumber table left alone, the share found in the closest MinerU table."""
    precision: float | None
    """Share of the MinerU table's non-empty cells found in the pdfplumber tables."""


@dataclass(frozen=True)
class TableRead:
    """pdfplumber's tables on some pages, in page order, and the seconds spent reading them (summed over
    the processes that read them)."""

    tables: list[PdfTable]
    seconds: float


@dataclass(frozen=True)
class TableReport:
    """Every table compared, the findings, and what reading the PDF cost."""

    tables: list[TableComparison]
    findings: list[Finding]
    pages: tuple[int, ...]
    """Pages read with pdfplumber."""
    seconds: float
    """Spent reading them."""

    @property
    def seconds_per_page(self) -> float:
        return self.seconds / len(self.pages) if self.pages else 0.0


def normalize_cell(text: str) -> str:
    """Case- and markup-blind cell text, words one space apart: `On\\nthe **Button**` -> `on the button`."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).casefold().translate(_MARKS)
    return " ".join(_DROPPED.sub("", text).split())


def _compact(cell: str) -> str:
    """Blind to spacing too (`≥ -30` is `≥-30`): equal and near cells are compared so."""
    return cell.replace(" ", "")


def _inside_words(cell: str, text: str) -> bool:
    """`cell` runs in `text` (words one space apart, padded) from a word's start to a word's end: the
    line of a cell that the other side split over rows, not `700 w` in `1700 w`."""
    return f" {cell} " in text


def _near(cell: str, other: str) -> bool:
    if 2 * min(len(cell), len(other)) < NEAR_RATIO * (len(cell) + len(other)):
        return False  # the lengths alone rule it out (`real_quick_ratio`), before any matcher is built
    matcher = SequenceMatcher(None, cell, other, autojunk=False)
    return matcher.quick_ratio() >= NEAR_RATIO and matcher.ratio() >= NEAR_RATIO


@dataclass(frozen=True)
class _Pool:
    """Normalized cells a cell of the other side may be found in: equal to one or near a long one (spacing
    aside), or whole words inside one or inside a row's or a column's cells run together (where one side
    splits a cell over rows or columns, the other not)."""

    exact: frozenset[str]
    long: tuple[str, ...]
    text: str

    @classmethod
    def of(cls, grids: Sequence[Grid]) -> _Pool:
        cells = sorted({cell for grid in grids for row in grid for cell in row if cell})
        columns = (
            " ".join(filter(None, column)) for grid in grids for column in zip_longest(*grid, fillvalue="")
        )
        rows = (" ".join(filter(None, row)) for grid in grids for row in grid)
        exact = frozenset(map(_compact, cells))
        long = tuple(sorted(cell for cell in exact if len(cell) >= SHORT_CELL))
        return cls(exact, long, f" {_APART.join([*cells, *columns, *rows])} ")

    def holds(self, cell: str) -> bool:
        compact = _compact(cell)
        if compact in self.exact:
            return True
        if len(compact) < SHORT_CELL:
            return False
        return _inside_words(cell, self.text) or any(_near(compact, other) for other in self.long)

    def share(self, cells: Sequence[str]) -> float:
        return sum(self.holds(cell) for cell in cells) / len(cells) if cells else 0.0


@dataclass(frozen=True)
class _Rows:
    """Which rows of a table hold a cell as a `_Pool` would, looked up at once rather than row by row;
    nearness is tried only for a cell no row holds otherwise."""

    exact: dict[str, frozenset[int]]
    text: str
    starts: tuple[int, ...]
    long: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, grid: Grid) -> _Rows:
        exact: dict[str, set[int]] = {}
        pieces, starts, offset = [], [], 0
        for number, row in enumerate(grid):
            cells = [cell for cell in row if cell]
            for cell in cells:
                exact.setdefault(_compact(cell), set()).add(number)
            piece = f" {_APART.join([*cells, ' '.join(cells)])} {_APART}"
            pieces.append(piece)
            starts.append(offset)
            offset += len(piece)
        long = tuple(
            (cell, row) for cell, rows in sorted(exact.items()) if len(cell) >= SHORT_CELL for row in rows
        )
        return cls(
            {cell: frozenset(rows) for cell, rows in exact.items()}, "".join(pieces), tuple(starts), long
        )

    def holding(self, cell: str) -> set[int]:
        compact = _compact(cell)
        rows = set(self.exact.get(compact, ()))
        if len(compact) < SHORT_CELL:
            return rows
        needle = f" {cell} "
        at = self.text.find(needle)
        while at >= 0:
            rows.add(bisect_right(self.starts, at) - 1)
            at = self.text.find(needle, at + 1)
        return rows or {row for other, row in self.long if _near(compact, other)}


def _normal(grid: Grid) -> Grid:
    return tuple(tuple(normalize_cell(cell) for cell in row) for row in grid)


def _filled(grid: Grid) -> list[str]:
    return [cell for row in grid for cell in row if cell]


def _shape(grid: Grid) -> tuple[int, int]:
    """Rows with text, and the most cells with text in one row."""
    counts = [sum(1 for cell in row if cell.strip()) for row in grid]
    return sum(1 for count in counts if count), max(counts, default=0)


def _first_row(grid: Grid) -> str:
    row = next((row for row in grid if any(cell.strip() for cell in row)), ())
    text = " | ".join(cell for cell in row if cell.strip())
    return text if len(text) <= _SUBJECT_CHARS else text[: _SUBJECT_CHARS - 1] + "…"


def _quoted(texts: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(repr(text if len(text) <= 40 else text[:39] + "…") for text in texts[:most])
    return shown + (f" and {len(texts) - most} more" if len(texts) > most else "")


def _pages_text(pages: Sequence[int]) -> str:
    return ", ".join(str(page + 1) for page in pages)


@dataclass(frozen=True)
class _MinerUTable:
    """A table of a clause as the tree renders it, its normalized cells pooled whole and row by row."""

    clause: ClauseText
    position: int
    count: int
    subject: str
    rows: Grid
    normal: Grid
    pool: _Pool
    by_row: _Rows

    @property
    def where(self) -> str:
        return f"{self.clause.path} table {self.position + 1} of {self.count} ({self.subject})"


def _mineru_tables(clauses: Sequence[ClauseText]) -> list[_MinerUTable]:
    """Every clause's tables with text. A table's subject is its caption where the clause's prose has one
    caption line per table, else its first row."""
    tables = []
    for clause in clauses:
        parts = split_markdown(clause.markdown)
        grids = [grid for grid in (tuple(map(tuple, table)) for table in parts.tables) if _shape(grid)[0]]
        captions = [" ".join(line.replace("*", "").split()) for line in parts.prose if CAPTION.match(line)]
        subjects = captions if len(captions) == len(grids) else [_first_row(grid) for grid in grids]
        for position, (grid, subject) in enumerate(zip(grids, subjects, strict=True)):
            normal = _normal(grid)
            pool, by_row = _Pool.of([normal]), _Rows.of(normal)
            tables.append(_MinerUTable(clause, position, len(grids), subject, grid, normal, pool, by_row))
    return tables


def _page_subset(source: pdfium.PdfDocument, pages: Sequence[int]) -> io.BytesIO:
    """Those pages alone as a new PDF: pdfplumber (pdfminer) builds every page object of a file it opens,
    7 s for the 1,221 pages of tl-source2e, where PDFium copies a few pages in milliseconds."""
    subset = pdfium.PdfDocument.new()
    try:
        subset.import_pages(source, pages=list(pages))
        buffer = io.BytesIO()
        subset.save(buffer)
    finally:
        subset.close()
    buffer.seek(0)
    return buffer


def _nested(box: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    """`box` lies within a larger `outer`: a table drawn in another's cell, whose text that cell holds."""
    x0, top, x1, bottom = box
    inside = x0 >= outer[0] - 1 and top >= outer[1] - 1 and x1 <= outer[2] + 1 and bottom <= outer[3] + 1
    return inside and (x1 - x0) * (bottom - top) < (outer[2] - outer[0]) * (outer[3] - outer[1])


def read_pdf_tables(pdf_path: Path, pages: Sequence[int]) -> list[PdfTable]:
    """pdfplumber's ruled tables on `pages` (0-based; pages past the end skipped), each page read once.

    A "table" with fewer than two rows or two columns of text (a framed listing, a boxed note) is left out,
    and so is one nested in another's cell.
    """
    source = pdfium.PdfDocument(pdf_path)
    try:
        wanted = sorted({page for page in pages if 0 <= page < len(source)})
        subset = _page_subset(source, wanted) if wanted else None
    finally:
        source.close()
    if subset is None:
        return []
    tables = []
    with pdfplumber.open(subset) as pdf:
        for page_index, page in zip(wanted, pdf.pages, strict=True):
            found = page.find_tables(TABLE_SETTINGS)
            for index, table in enumerate(found):
                if any(_nested(table.bbox, other.bbox) for other in found):
                    continue
                rows = tuple(tuple(" ".join((cell or "").split()) for cell in row) for row in table.extract())
                if min(_shape(rows)) >= 2:
                    tables.append(PdfTable(page_index, index, rows))
            page.close()
    return tables


@dataclass
class _Against:
    """One pdfplumber table against the MinerU table it was matched to."""

    cells: int = 0
    missing: list[str] = field(default_factory=list)
    aligned: int = 0
    narrow: int = 0
    lost_rows: list[str] = field(default_factory=list)
    lost_columns: list[str] = field(default_factory=list)

    @property
    def mostly_narrow(self) -> bool:
        """MinerU's rows hold fewer cells than pdfplumber's in most rows: a column lost or run together."""
        return 2 * self.narrow > self.aligned


def _against(pdf: PdfTable, mineru: _MinerUTable, elsewhere: str) -> _Against:
    """Cells of `pdf` missing from `mineru` (and from `elsewhere`, the text of the clauses on its page); each
    row of two cells or more against the MinerU row holding the most of them: lost where that is under
    half (two cells at least), else narrow where MinerU's row has fewer cells with text. A column is lost
    where most of its cells in those rows are missing."""
    result = _Against()
    missing_in: Counter[int] = Counter()
    aligned_in: Counter[int] = Counter()
    for row, normal in zip(pdf.rows, _normal(pdf.rows), strict=True):
        texts = [(column, cell) for column, cell in enumerate(normal) if cell]
        alone = len(texts) == 1
        missing = {
            column
            for column, cell in texts
            if not mineru.pool.holds(cell)
            and not ((alone or len(_compact(cell)) >= MOVED_CELL) and _inside_words(cell, elsewhere))
        }
        result.cells += len(texts)
        result.missing.extend(row[column] for column in sorted(missing))
        if len(texts) < 2:
            continue
        held_by = Counter(number for _, cell in texts for number in mineru.by_row.holding(cell))
        best, held = min(held_by.items(), key=lambda item: (-item[1], item[0]), default=(0, 0))
        if 2 * held < len(texts) and len(texts) - held >= 2:
            result.lost_rows.append(" | ".join(cell for cell in row if cell))
            continue
        result.aligned += 1
        result.narrow += sum(1 for cell in mineru.normal[best] if cell) < len(texts)
        aligned_in.update(column for column, _ in texts)
        missing_in.update(missing)
    result.lost_columns = [
        next(row[column] for row in pdf.rows if column < len(row) and row[column])
        for column in sorted(aligned_in)
        if missing_in[column] >= 2 and 2 * missing_in[column] > aligned_in[column]
    ]
    return result


def _finding(
    kind: str,
    severity: Severity,
    message: str,
    comparison: TableComparison,
    pages: Sequence[int],
    expected: str | None = None,
) -> Finding:
    return Finding(
        check=CheckName.TABLES,
        kind=kind,
        severity=severity,
        message=message,
        clause_id=comparison.clause_id,
        path=comparison.path,
        pages=tuple(sorted(set(pages))),
        subject=comparison.subject,
        expected=expected,
        score=comparison.recall,
    )


def _matched(
    mineru: _MinerUTable, pdfs: Sequence[PdfTable], elsewhere: dict[int, str], min_agreement: float
) -> tuple[TableComparison, list[Finding]]:
    """A MinerU table against its pdfplumber tables (one per page it spans, or the tables it ran together):
    a lost column (error), lost rows (warn), else the cells not found (warn below `min_agreement`, else
    info); and two or more tables of one page run together (warn). A lost column needs MinerU's cells to be
    pdfplumber's (`STRUCTURE_PRECISION`)."""
    results = [_against(pdf, mineru, elsewhere[pdf.page]) for pdf in pdfs]
    cells = sum(result.cells for result in results)
    missing = [cell for result in results for cell in result.missing]
    shapes = [_shape(pdf.rows) for pdf in pdfs]
    comparison = TableComparison(
        clause_id=mineru.clause.clause_id,
        path=mineru.clause.path,
        table=mineru.position,
        subject=mineru.subject,
        matched=tuple((pdf.page, pdf.index) for pdf in pdfs),
        mineru_rows=_shape(mineru.rows)[0],
        mineru_columns=_shape(mineru.rows)[1],
        pdf_rows=sum(rows for rows, _ in shapes),
        pdf_columns=max(columns for _, columns in shapes),
        recall=1 - len(missing) / cells if cells else None,
        precision=_Pool.of([_normal(pdf.rows) for pdf in pdfs]).share(_filled(mineru.normal)),
    )
    findings = []
    narrow = [(pdf, result) for pdf, result in zip(pdfs, results, strict=True) if result.mostly_narrow]
    if narrow and (comparison.precision or 0.0) >= STRUCTURE_PRECISION:
        lost = [column for _, result in narrow for column in result.lost_columns]
        what = f"lost column(s) {_quoted(lost)}" if lost else "columns run together"
        message = (
            f"{mineru.where}: {what}; most rows hold fewer cells than pdfplumber's on page "
            f"{_pages_text([pdf.page for pdf, _ in narrow])} ({comparison.mineru_columns} columns, "
            f"pdfplumber {comparison.pdf_columns})"
        )
        pages = [pdf.page for pdf, _ in narrow]
        expected = ", ".join(lost) or None
        findings.append(_finding("table_columns", Severity.ERROR, message, comparison, pages, expected))
    lost_rows = [(pdf, row) for pdf, result in zip(pdfs, results, strict=True) for row in result.lost_rows]
    if lost_rows:
        message = (
            f"{mineru.where}: {len(lost_rows)} of pdfplumber's {comparison.pdf_rows} rows are not in it "
            f"({comparison.mineru_rows} rows): {_quoted([row for _, row in lost_rows])}"
        )
        expected = "; ".join(row for _, row in lost_rows)
        pages = [pdf.page for pdf, _ in lost_rows]
        findings.append(_finding("table_rows", Severity.WARN, message, comparison, pages, expected))
    if not findings and missing:
        low = (comparison.recall or 0.0) < min_agreement
        message = (
            f"{mineru.where}: {len(missing)} of pdfplumber's {cells} cells not found in it: "
            f"{_quoted(missing)} ({comparison.recall:.0%} found, {'below' if low else 'at least'} "
            f"{min_agreement:.0%}; {comparison.precision:.0%} of its cells in pdfplumber's)"
        )
        severity = Severity.WARN if low else Severity.INFO
        findings.append(_finding("table_cells", severity, message, comparison, [pdf.page for pdf in pdfs]))
    per_page = Counter(pdf.page for pdf in pdfs)
    if merged := [pdf for pdf in pdfs if per_page[pdf.page] > 1]:
        message = (
            f"{mineru.where}: holds {len(merged)} of pdfplumber's tables on page "
            f"{_pages_text(sorted({pdf.page for pdf in merged}))} (first rows "
            f"{_quoted([_first_row(pdf.rows) for pdf in merged])}): tables run together into one"
        )
        expected = "; ".join(_first_row(pdf.rows) for pdf in merged)
        pages = [pdf.page for pdf in merged]
        findings.append(_finding("table_merged", Severity.WARN, message, comparison, pages, expected))
    return comparison, findings


def _unmatched_mineru(mineru: _MinerUTable) -> tuple[TableComparison, list[Finding]]:
    clause = mineru.clause
    rows, columns = _shape(mineru.rows)
    comparison = TableComparison(
        clause_id=clause.clause_id,
        path=clause.path,
        table=mineru.position,
        subject=mineru.subject,
        matched=(),
        mineru_rows=rows,
        mineru_columns=columns,
        pdf_rows=0,
        pdf_columns=0,
        recall=None,
        precision=None,
    )
    message = (
        f"{mineru.where}: no ruled table on page {_pages_text(clause.pages)} matches it (pdfplumber reads "
        "ruled tables only: an unruled table goes unchecked)"
    )
    return comparison, [_finding("table_unmatched", Severity.INFO, message, comparison, clause.pages)]


@dataclass(frozen=True)
class _ClauseWords:
    """A clause's whole text normalized like a cell, and whether its prose has a caption with no table."""

    clause: ClauseText
    text: str
    orphan_caption: bool

    @classmethod
    def of(cls, clause: ClauseText) -> _ClauseWords:
        parts = split_markdown(clause.markdown)
        captions = sum(1 for line in parts.prose if CAPTION.match(line))
        tables = sum(1 for table in parts.tables if any(cell.strip() for row in table for cell in row))
        return cls(clause, f" {normalize_cell(parts.text())} ", captions > tables)


def _unmatched_pdf(
    pdf: PdfTable, closest: float, on_page: Sequence[_ClauseWords]
) -> tuple[TableComparison, list[Finding]]:
    """A pdfplumber table no MinerU table holds half of, under the clause on its page whose text holds half
    of its cells, else one with a caption but no table, else the one holding the most (the first on ties)."""
    long_cells = [cell for cell in _filled(_normal(pdf.rows)) if len(_compact(cell)) >= SHORT_CELL]

    def share(words: _ClauseWords) -> float:
        return (
            sum(_inside_words(cell, words.text) for cell in long_cells) / len(long_cells)
            if long_cells
            else 0.0
        )

    owner = max(on_page, key=lambda words: (share(words) >= MIN_MATCH, words.orphan_caption, share(words)))
    held, clause = share(owner), owner.clause
    rows, columns = _shape(pdf.rows)
    comparison = TableComparison(
        clause_id=clause.clause_id,
        path=clause.path,
        table=None,
        subject=_first_row(pdf.rows),
        matched=((pdf.page, pdf.index),),
        mineru_rows=0,
        mineru_columns=0,
        pdf_rows=rows,
        pdf_columns=columns,
        recall=closest,
        precision=None,
    )
    if held >= MIN_MATCH:
        where = f"{held:.0%} of its text is in {clause.path}, not as a table"
    elif owner.orphan_caption:
        where = f"{clause.path} has a table caption with no table"
    else:
        where = f"{held:.0%} of its text is in {clause.path}, the likeliest clause on the page"
    message = (
        f"pdfplumber's table {pdf.index + 1} on page {pdf.page + 1} ({rows} rows, {columns} columns: "
        f"{comparison.subject}) matches no MinerU table: a table may have been lost; {where}"
    )
    return comparison, [_finding("table_unmatched", Severity.WARN, message, comparison, (pdf.page,))]


def _compare(
    clauses: Sequence[ClauseText],
    mineru: Sequence[_MinerUTable],
    pdf_tables: Sequence[PdfTable],
    min_agreement: float,
) -> tuple[list[TableComparison], list[Finding]]:
    """Match each pdfplumber table to the table of a clause on its page holding the most of its cells (on
    a tie, one not matched yet: a repeated table), judge each MinerU table against its matches, and report
    the pdfplumber tables left over."""
    pages = {pdf.page for pdf in pdf_tables}
    words = [_ClauseWords.of(clause) for clause in clauses if pages.intersection(clause.pages)]
    on_page = {page: [w for w in words if page in w.clause.pages] for page in pages}
    elsewhere = {page: _APART.join(w.text for w in on_page[page]) for page in pages}
    matches: list[list[PdfTable]] = [[] for _ in mineru]
    lost = []
    for pdf in pdf_tables:
        if not on_page[pdf.page]:
            continue
        cells = _filled(_normal(pdf.rows))
        candidates = [number for number, table in enumerate(mineru) if pdf.page in table.clause.pages]
        shares = {number: mineru[number].pool.share(cells) for number in candidates}
        best = max(candidates, key=lambda number: (shares[number], not matches[number]), default=None)
        closest = 0.0 if best is None else shares[best]
        if best is not None and closest >= MIN_MATCH:
            matches[best].append(pdf)
        else:
            lost.append((pdf, closest))
    outcomes = [
        _matched(table, pdfs, elsewhere, min_agreement) if pdfs else _unmatched_mineru(table)
        for table, pdfs in zip(mineru, matches, strict=True)
    ]
    outcomes += [_unmatched_pdf(pdf, closest, on_page[pdf.page]) for pdf, closest in lost]
    return [comparison for comparison, _ in outcomes], [f for _, found in outcomes for f in found]


def compare_tables(
    clauses: Sequence[ClauseText], pdf_tables: Sequence[PdfTable], *, min_agreement: float = MIN_AGREEMENT
) -> tuple[list[TableComparison], list[Finding]]:
    """Each MinerU table against the pdfplumber tables on its clause's pages that it holds the most of;
    a pdfplumber table none holds half of may be a lost table. Tables on pages no clause spans are ignored."""
    return _compare(clauses, _mineru_tables(clauses), pdf_tables, min_agreement)


@dataclass(frozen=True)
class ClauseTables:
    """The clauses' tables with text, as `check_tables` compares them: found once, for planning the read of
    their pages and for the check itself."""

    tables: tuple[_MinerUTable, ...]

    @property
    def pages(self) -> list[int]:
        """The pages `check_tables` reads: those of the clauses that hold a table with text."""
        return _pages_of(self.tables)


def clause_tables(clauses: Sequence[ClauseText]) -> ClauseTables:
    return ClauseTables(tuple(_mineru_tables(clauses)))


def _pages_of(mineru: Sequence[_MinerUTable]) -> list[int]:
    return sorted({page for table in mineru for page in table.clause.pages})


def read_table_pages(pdf_path: Path, pages: Sequence[int]) -> TableRead:
    """`read_pdf_tables`, timed."""
    started = time.perf_counter()
    tables = read_pdf_tables(pdf_path, pages)
    return TableRead(tables, time.perf_counter() - started)


def check_tables(
    clauses: Sequence[ClauseText],
    pdf_path: Path,
    *,
    min_agreement: float = MIN_AGREEMENT,
    read: TableRead | None = None,
    tables: ClauseTables | None = None,
) -> TableReport:
    """The tables of `clauses` against pdfplumber's ruled tables on the pages of the clauses that hold one;
    `read`: those pages' tables read already (by a worker pool), else they are read here; `tables`: the
    clauses' own tables found already (`clause_tables`)."""
    mineru = (tables or clause_tables(clauses)).tables
    pages = _pages_of(mineru)
    read = read or read_table_pages(pdf_path, pages)
    comparisons, findings = _compare(clauses, mineru, read.tables, min_agreement)
    return TableReport(comparisons, findings, tuple(pages), read.seconds)

"""Verification's PDF reads serially against a worker pool, on a real manual with ruled tables, same run.

The document (default deb-debian-reference.pdf, 261 pages) gets clause files derived from its outline and
text layer as `bench_source_check.py` derives them, and, in the first clause on each page where pdfplumber
finds a ruled table, that table in Markdown (found once, untimed). Timed, alternating serial and pooled,
best of N: the reads and the two checks that use them, as `verification.py` runs them (the source check on
the pages, then the table check on the tables read). Every pooled result is checked equal to the serial one.

Then the vocabulary of the OOXML schemas (from `../shared/corpus`, when present): loaded cold with its
near-miss index built, against loaded again for the next document (the per-process cache).

Usage: `.venv/bin/python benchmarks/bench_verification.py [PDF] [ROUNDS]`. Timings on a shared machine are
noisy: compare the ratio of the same run, not figures across runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script from any directory

from benchmarks.bench_source_check import derive  # noqa: E402
from platform_assets.domain.common.worker_pool import usable_cores  # noqa: E402
from platform_assets.domain.verify.document_reads import DocumentReads, ReadPlan  # noqa: E402
from platform_assets.domain.verify.findings import ClauseText  # noqa: E402
from platform_assets.domain.verify.source_check import SourceReport, check_source_text  # noqa: E402
from platform_assets.domain.verify.table_check import (  # noqa: E402
    PdfTable,
    TableReport,
    check_tables,
    clause_tables,
)
from platform_assets.domain.verify.vocabulary import load_vocabulary  # noqa: E402
from tests.vocabulary_corpus import OOXML  # noqa: E402

DEFAULT_PDF = REPO / ".cache" / "corpus" / "deb-debian-reference.pdf"
ROUNDS = 3


def _markdown_table(table: PdfTable) -> str:
    rows = [[cell.replace("|", "\\|") for cell in row] for row in table.rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]]) + "\n"


def with_tables(pdf: Path, clauses: list[ClauseText], workers: int) -> list[ClauseText]:
    """Each ruled table pdfplumber finds, in Markdown, in the first clause on its page."""
    pages = sorted({page for clause in clauses for page in clause.pages})
    with DocumentReads(pdf, pages, ReadPlan.of(0, 0, workers)) as reads:
        tables = reads.tables().tables
    added = [clause.markdown for clause in clauses]
    for table in tables:
        first = next(n for n, clause in enumerate(clauses) if table.page in clause.pages)
        added[first] += "\n" + _markdown_table(table)
    return [replace(clause, markdown=markdown) for clause, markdown in zip(clauses, added, strict=True)]


def checks(pdf: Path, clauses: list[ClauseText], plan: ReadPlan) -> tuple[float, SourceReport, TableReport]:
    started = time.perf_counter()
    with DocumentReads(pdf, clause_tables(clauses).pages, plan) as reads:
        source = check_source_text(clauses, reads.pages)
        tables = check_tables(clauses, pdf, read=reads.tables())
    return time.perf_counter() - started, source, tables


def vocabulary_figures() -> None:
    if not all(path.is_dir() for path in OOXML):
        print("vocabulary          OOXML schemas absent (../shared/corpus): skipped")
        return
    started = time.perf_counter()
    cold = load_vocabulary(list(OOXML))
    cold.nearest("CT_Paragraf")
    built = time.perf_counter() - started
    started = time.perf_counter()
    warm = load_vocabulary(list(OOXML))
    warm.nearest("CT_Paragraf")
    again = time.perf_counter() - started
    assert warm is cold
    print(f"vocabulary          {len(cold)} OOXML names: cold {built:.2f} s, next document {again:.3f} s")


def main() -> None:
    pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PDF
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    if not pdf.is_file():
        print(f"{pdf} is absent (make corpus): nothing to measure")
        return
    workers = usable_cores()
    derived, _, page_count, _ = derive(pdf)
    clauses = with_tables(pdf, derived, workers)
    read = len(clause_tables(clauses).pages)
    plan = ReadPlan.of(page_count, read)
    print(f"document            {pdf.name}: {page_count} pages, {len(clauses)} clauses, {read} table pages")
    print(f"pooled plan         {plan} ({workers} usable cores), as verification chooses it")
    plans = {"serial": ReadPlan(0, 0), "pooled": plan}
    times: dict[str, list[float]] = {name: [] for name in plans}
    expected: tuple[SourceReport, TableReport] | None = None
    for _ in range(rounds):
        for name, each in plans.items():
            seconds, source, tables = checks(pdf, clauses, each)
            times[name].append(seconds)
            results = (source, replace(tables, seconds=0.0))
            expected = expected or results
            assert results == expected, "the pooled reads changed a result"
    serial, pooled = min(times["serial"]), min(times["pooled"])
    print("rounds (s)          serial " + " ".join(f"{t:.2f}" for t in times["serial"]), end="")
    print("; pooled " + " ".join(f"{t:.2f}" for t in times["pooled"]))
    print(f"tables              {len(expected[1].tables)} compared, {len(expected[1].findings)} findings")
    print(f"source              {expected[0].note}")
    print(f"serial              best {serial:6.2f} s  median {statistics.median(times['serial']):6.2f} s")
    print(f"pooled              best {pooled:6.2f} s  median {statistics.median(times['pooled']):6.2f} s")
    print(f"serial / pooled     {serial / pooled:.2f}x (best of {rounds}, alternating; results identical)")
    vocabulary_figures()


if __name__ == "__main__":
    main()

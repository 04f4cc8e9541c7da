"""One document's verification: gather what was produced (plan, batch outputs, tree files, attempts),
run every check, mark reviewed benign pairs, and return the report.

Invariant: reads only; the PDF is opened for the pages of clauses being checked, never whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.observe.timing_records import TimingRecord, load_records
from platform_assets.domain.parse.batch_store import batch_dir, read_blocks, read_manifest
from platform_assets.domain.pdf.pdf_facts import PdfFacts
from platform_assets.domain.plan.batch_plan import BatchPlan
from platform_assets.domain.tree.clause_tree import TreeManifest, read_tree_manifest
from platform_assets.domain.verify.corrections import DocumentCorrections, mark_benign
from platform_assets.domain.verify.coverage_check import (
    check_clauses_present,
    check_plan_tiling,
    check_produced_pages,
)
from platform_assets.domain.verify.degraded_check import check_degraded, pages_with_text
from platform_assets.domain.verify.document_reads import DocumentReads, ReadPlan
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding
from platform_assets.domain.verify.link_check import check_links
from platform_assets.domain.verify.source_check import check_source_text
from platform_assets.domain.verify.table_check import ClauseTables, check_tables, clause_tables
from platform_assets.domain.verify.tree_corrections import correction_findings
from platform_assets.domain.verify.verification_config import VerificationConfig
from platform_assets.domain.verify.verification_report import (
    CheckSummary,
    ClauseFigures,
    VerificationReport,
    count_by_clause,
    summarize,
)
from platform_assets.domain.verify.vocabulary import check_vocabulary

T = TypeVar("T")


@dataclass(frozen=True)
class VerificationInputs:
    doc_id: str
    plan: BatchPlan
    produced: dict[str, list[int] | None]
    parsed_text_pages: set[int]
    attempts: list[TimingRecord]
    facts: PdfFacts
    pdf_path: Path
    tree_dir: Path
    manifest: TreeManifest | None
    config: VerificationConfig | None

    @classmethod
    def gather(
        cls,
        paths: PlatformPaths,
        plan: BatchPlan,
        facts: PdfFacts,
        pdf_path: Path,
        config: VerificationConfig | None,
    ) -> VerificationInputs:
        produced: dict[str, list[int] | None] = {}
        text_pages: set[int] = set()
        for batch in plan.batches:
            folder = batch_dir(paths.batches, plan.doc_id, batch.key)
            manifest = read_manifest(folder)
            produced[batch.key] = manifest.produced_pages if manifest else None
            if manifest is not None:
                text_pages |= pages_with_text(read_blocks(folder))
        tree_dir = paths.trees / plan.doc_id
        return cls(
            doc_id=plan.doc_id,
            plan=plan,
            produced=produced,
            parsed_text_pages=text_pages,
            attempts=[r for r in load_records(paths.timings) if r.doc_id == plan.doc_id],
            facts=facts,
            pdf_path=pdf_path,
            tree_dir=tree_dir,
            manifest=read_tree_manifest(tree_dir),
            config=config,
        )


def read_tree_files(tree_dir: Path) -> dict[str, str]:
    """Every Markdown file of the tree, by tree-relative path."""
    return {
        p.relative_to(tree_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(tree_dir.rglob("*.md"))
    }


def clause_texts(manifest: TreeManifest, files: dict[str, str]) -> list[ClauseText]:
    return [
        ClauseText(clause_id, e.path, e.title, e.first_page, e.last_page, files.get(e.path, ""))
        for clause_id, e in manifest.clauses.items()
    ]


def _timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    found = run()
    return found, time.perf_counter() - started


def verify_document(
    inputs: VerificationInputs, verified_at: str, *, workers: int | None = None
) -> VerificationReport:
    """Run every check that has what it needs; a check without its inputs is reported as skipped.

    The PDF is read in `workers` processes (None: the usable cores where a read repays a pool, see
    `ReadPlan`; under two: serially); the report is the same either way, timings aside.
    """
    plan = inputs.plan
    results = _Results(inputs.config.corrections if inputs.config else None)
    coverage, seconds = _timed(
        lambda: (
            check_plan_tiling(plan.batches, plan.page_count)
            + check_produced_pages(plan.batches, inputs.produced)
            + (check_clauses_present(plan.clauses, inputs.manifest) if inputs.manifest else [])
        )
    )
    results.record(
        CheckName.COVERAGE, coverage, seconds, f"{plan.page_count} pages, {len(plan.batches)} batches"
    )
    degraded, seconds = _timed(
        lambda: check_degraded(inputs.facts.scanned_pages, inputs.parsed_text_pages, inputs.attempts)
    )
    results.record(
        CheckName.DEGRADED, degraded, seconds, f"{len(inputs.facts.scanned_pages)} scanned page(s)"
    )
    if inputs.manifest is None:
        tree_checks = (CheckName.SOURCE_TEXT, CheckName.VOCABULARY, CheckName.TABLES, CheckName.LINKS)
        for check in (*tree_checks, CheckName.CORRECTIONS):
            results.skip(check, "no clause tree yet")
        figures: list[ClauseFigures] = []
    else:
        figures = _check_tree(inputs, inputs.manifest, results, workers)
    return VerificationReport(
        doc_id=inputs.doc_id,
        verified_at=verified_at,
        page_count=plan.page_count,
        clauses=len(plan.clauses),
        checks={check: results.summaries[check] for check in CheckName if check in results.summaries},
        findings=results.findings,
        clause_figures=figures,
    )


class _Results:
    """The findings and a summary per check, as the checks run; reviewed benign pairs marked."""

    def __init__(self, corrections: DocumentCorrections | None) -> None:
        self.corrections = corrections
        self.findings: list[Finding] = []
        self.summaries: dict[CheckName, CheckSummary] = {}

    def record(self, check: CheckName, found: Sequence[Finding], seconds: float, note: str = "") -> None:
        found = mark_benign(found, self.corrections) if self.corrections else list(found)
        self.findings.extend(found)
        self.summaries[check] = summarize(check, found, seconds=seconds, note=note)

    def skip(self, check: CheckName, why: str) -> None:
        self.summaries[check] = summarize(check, [], ran=False, note=why)


def _check_tree(
    inputs: VerificationInputs, manifest: TreeManifest, results: _Results, workers: int | None
) -> list[ClauseFigures]:
    """The checks of the clause tree's files (links, corrections, source text, tables, vocabulary), and the
    figures per clause. A pool's workers read the PDF from the start, while the checks before them run.

    The tables' seconds are those spent reading them (in whichever processes) and comparing."""
    files = read_tree_files(inputs.tree_dir)
    texts = clause_texts(manifest, files)
    tables = clause_tables(texts)
    pages_for_tables = tables.pages
    plan = ReadPlan.of(inputs.plan.page_count, len(pages_for_tables), workers)
    with DocumentReads(inputs.pdf_path, pages_for_tables, plan) as reads:
        recall = _check_files(inputs, manifest, files, texts, tables, reads, results)
    per_clause = count_by_clause(results.findings)
    return [
        ClauseFigures(
            clause_id=t.clause_id,
            path=t.path,
            first_page=t.first_page,
            last_page=t.last_page,
            recall=recall.get(t.clause_id),
            actionable=per_clause[t.clause_id],
        )
        for t in texts
    ]


def _check_files(
    inputs: VerificationInputs,
    manifest: TreeManifest,
    files: dict[str, str],
    texts: list[ClauseText],
    tables: ClauseTables,
    reads: DocumentReads,
    results: _Results,
) -> dict[str, float | None]:
    """Record each check of the tree's files; the source check's recall per clause."""
    existing = frozenset(p.relative_to(inputs.tree_dir).as_posix() for p in inputs.tree_dir.rglob("*"))
    links, seconds = _timed(lambda: check_links(files, existing, manifest))
    results.record(CheckName.LINKS, links, seconds, f"{len(files)} files")
    log = manifest.corrections
    results.record(
        CheckName.CORRECTIONS,
        correction_findings(manifest),
        0.0,
        f"{log.config}: {len(log.applied)} edit(s) applied" if log.config else "no corrections file",
    )
    source, seconds = _timed(lambda: check_source_text(texts, reads.pages))
    results.record(CheckName.SOURCE_TEXT, source.findings, seconds, source.note)
    vocabulary = inputs.config.vocabulary if inputs.config else None
    names = _timed(lambda: check_vocabulary(texts, vocabulary)) if vocabulary else None  # while tables read
    read = reads.tables()
    table_report, seconds = _timed(lambda: check_tables(texts, inputs.pdf_path, read=read, tables=tables))
    results.record(
        CheckName.TABLES,
        table_report.findings,
        read.seconds + seconds,
        f"{len(table_report.tables)} table(s) on {len(table_report.pages)} page(s)",
    )
    if vocabulary and names:
        results.record(CheckName.VOCABULARY, *names, f"{len(vocabulary)} names")
    else:
        results.skip(CheckName.VOCABULARY, "no schema given in the document's verification config")
    return {c.clause_id: c.recall for c in source.clauses}

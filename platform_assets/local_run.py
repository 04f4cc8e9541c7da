"""Materialize one document's assets in this process, through a real Dagster instance.

Used by the CLI (`ingest --wait`), the demo and the end-to-end tests: the same asset code the
daemon runs, one run per step (documents, each batch, the contiguity check, the clause tree,
verification, DuckDB tables and the parse report).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from platform_assets.definitions import build_definitions
from platform_assets.domain.batch_store import batch_dir, read_manifest
from platform_assets.domain.clause_tree import read_tree_manifest
from platform_assets.domain.registry import Registry
from platform_assets.domain.timing_records import TimingRecord, load_records
from platform_assets.domain.verification_store import LATEST, read_latest
from platform_assets.settings import PlatformPaths


@dataclass(frozen=True)
class DocumentReport:
    doc_id: str
    pages: int
    batches: int
    blocks: int
    parse_seconds: float
    contiguity_passed: bool
    tree_complete: bool
    tree_files: int
    clauses_matched: int
    outline_entries: int
    references_linked: int
    references_found: int
    tree_dir: str
    batches_dir: str
    warehouse: str
    findings: int
    actionable: dict[str, int]
    checks_skipped: list[str]
    report_path: str
    plots_dir: str

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.parse_seconds if self.parse_seconds else 0.0

    def lines(self) -> list[str]:
        return [
            f"document   {self.doc_id}",
            f"pages      {self.pages}",
            f"batches    {self.batches}",
            f"blocks     {self.blocks}",
            f"pages/s    {self.pages_per_s:.2f} (MinerU parse phase, all batches)",
            f"contiguity {'passed' if self.contiguity_passed else 'FAILED'}",
            f"clauses    {self.clauses_matched} of {self.outline_entries} outline entries matched"
            f"{'' if self.tree_complete else ' (INCOMPLETE: see the tree_complete check)'}",
            f"references {self.references_linked} of {self.references_found} linked",
            f"batches at {self.batches_dir}",
            f"tree at    {self.tree_dir} ({self.tree_files} Markdown files, manifest.json)",
            f"verified   {sum(self.actionable.values())} actionable of {self.findings} finding(s)"
            + "".join(f"; {check} {n}" for check, n in self.actionable.items() if n)
            + (f" (skipped: {', '.join(self.checks_skipped)})" if self.checks_skipped else ""),
            f"report at  {self.report_path}",
            f"DuckDB     {self.warehouse} (parse_runs, phase_timings, documents, verification_summary, "
            "verification_findings, verification_clauses)",
            f"plots at   {self.plots_dir} (platform_report: pages/s, phases, cost per page)",
        ]


def materialize_document(
    doc_id: str,
    paths: PlatformPaths,
    instance: dg.DagsterInstance,
    resources: dict | None = None,
    log: Callable[[str], None] = print,
) -> DocumentReport:
    _run(paths, instance, resources, dg.AssetSelection.assets("source_pdf", "batch_plan"), doc_id)
    plan = Registry(paths.registry).plan(doc_id)
    assert plan is not None, "batch_plan registers the plan"
    log(f"{doc_id}: {plan.page_count} pages planned into {len(plan.batches)} batches ({plan.method.value})")
    for batch in plan.batches:
        _run(paths, instance, resources, dg.AssetSelection.assets("parsed_batch"), batch.key)
        log(f"  parsed {batch.key} (pages {batch.first_page}-{batch.last_page})")
    check = _run(paths, instance, resources, dg.AssetSelection.assets("parsed_document"), doc_id)
    tree_run = _run(paths, instance, resources, dg.AssetSelection.assets("clause_tree"), doc_id)
    _run(paths, instance, resources, dg.AssetSelection.assets("verification"), doc_id)
    tables = dg.AssetSelection.assets("parse_timings", "verification_tables", "platform_report")
    _run(paths, instance, resources, tables, None)

    evaluations = check.get_asset_check_evaluations()
    tree = read_tree_manifest(paths.trees / doc_id)
    assert tree is not None, "clause_tree writes its manifest"
    manifests = [read_manifest(batch_dir(paths.batches, doc_id, b.key)) for b in plan.batches]
    latest: dict[str, TimingRecord] = {}  # the parse that produced each stored batch
    for r in load_records(paths.timings):
        newer = r.batch_key not in latest or r.finished_at > latest[r.batch_key].finished_at
        if r.doc_id == doc_id and r.status == "succeeded" and newer:
            latest[r.batch_key] = r
    records = list(latest.values())
    verified = read_latest(paths.verification, doc_id)
    assert verified is not None, "verification writes its report"
    return DocumentReport(
        doc_id=doc_id,
        pages=plan.page_count,
        batches=len(plan.batches),
        blocks=sum(m.block_count for m in manifests if m),
        parse_seconds=sum(r.phases.get("parse", 0.0) for r in records),
        contiguity_passed=bool(evaluations) and all(e.passed for e in evaluations),
        tree_complete=all(e.passed for e in tree_run.get_asset_check_evaluations()),
        tree_files=tree.files,
        clauses_matched=tree.clauses_matched,
        outline_entries=tree.outline_entries,
        references_linked=tree.references_linked,
        references_found=tree.references_found,
        tree_dir=str(paths.trees / doc_id),
        batches_dir=str(paths.batches / doc_id),
        warehouse=str(paths.warehouse),
        findings=len(verified.findings),
        actionable={c.value: s.errors + s.warnings for c, s in verified.checks.items()},
        checks_skipped=[c.value for c, s in verified.checks.items() if not s.ran],
        report_path=str(paths.verification / doc_id / LATEST),
        plots_dir=str(paths.reports),
    )


def _run(
    paths: PlatformPaths,
    instance: dg.DagsterInstance,
    resources: dict | None,
    selection: dg.AssetSelection,
    partition_key: str | None,
) -> dg.ExecuteInProcessResult:
    """One run over freshly loaded definitions (the registry may have gained partitions)."""
    defs = build_definitions(paths, resources)
    return dg.materialize(
        list(defs.assets or []),
        instance=instance,
        resources=defs.resources,
        partition_key=partition_key,
        selection=selection,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )

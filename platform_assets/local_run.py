"""Materialize one document's assets in this process, through a real Dagster instance.

Used by the CLI (`ingest --wait`), the demo and the end-to-end tests: the same asset code the
daemon runs, one run per step (documents, each batch, the contiguity check, the clause tree,
verification, DuckDB tables and the parse report). A failed run stops the document with `StepFailed`:
one line naming the batch (1-based pages) or the step and document, and the cause; the traceback stays
in the run's event log in the instance, and the terminal shows the assets' own log lines only.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.events import DagsterEvent

from platform_assets.definitions import build_definitions, default_resources
from platform_assets.domain.common.data_store import DataStore, pull
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import TimingRecord, load_records
from platform_assets.domain.parse.batch_store import MANIFEST, batch_dir, read_manifest
from platform_assets.domain.parse.failures import StepFailed, batch_label
from platform_assets.domain.plan.batch_plan import BatchPlan
from platform_assets.domain.tree.clause_tree import read_tree_manifest
from platform_assets.domain.verify.verification_store import LATEST, read_latest
from platform_assets.read_ahead import reading_ahead
from resources.platform_data import WAREHOUSE, WAREHOUSE_SNAPSHOT, data_store_for, pull_tree
from resources.settings import PlatformSettings
from worker_contract.redaction import redact

RUN_JOB = "__ephemeral_asset_job__"
"""The name `dg.materialize` gives its runs (kept, so runs look the same in the instance)."""


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
    clauses_repeated: int = 0
    """Outline entries whose bookmark repeats an earlier one: their files link to it, never opened."""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.parse_seconds if self.parse_seconds else 0.0

    @property
    def clean(self) -> bool:
        """Verified clean: pages tile the plan, every outline clause opened, no actionable finding."""
        return not self.problems()

    def problems(self) -> list[str]:
        """What keeps the output from being clean, in words (empty when it is clean)."""
        return [
            problem
            for problem, present in (
                ("contiguity FAILED", not self.contiguity_passed),
                ("INCOMPLETE tree", not self.tree_complete),
                ("degraded output", bool(self.actionable.get("degraded"))),
                ("actionable findings", bool(sum(self.actionable.values()))),
            )
            if present
        ]

    def verdict(self) -> str:
        """The last line: clean or not, and the counts that say so."""
        actionable = sum(self.actionable.values())
        counts = (
            f"{self.pages} pages, {self.clauses_matched} of {self.outline_entries} clauses opened"
            f"{self._repeats}, {actionable} actionable of {self.findings} finding(s)"
            + "".join(f"; {check} {n}" for check, n in self.actionable.items() if n)
        )
        if self.clean:
            return f"result     clean: {counts}"
        return f"result     NOT CLEAN ({', '.join(self.problems())}): {counts}"

    @property
    def _repeats(self) -> str:
        """`, 4 repeat their bookmarks` where outline entries repeat an earlier bookmark."""
        return f", {self.clauses_repeated} repeat their bookmarks" if self.clauses_repeated else ""

    def lines(self) -> list[str]:
        return [
            f"document   {self.doc_id}",
            f"pages      {self.pages}",
            f"batches    {self.batches}",
            f"blocks     {self.blocks}",
            f"pages/s    {self.pages_per_s:.2f} (MinerU parse phase, all batches)",
            f"contiguity {'passed' if self.contiguity_passed else 'FAILED'}",
            f"clauses    {self.clauses_matched} of {self.outline_entries} outline entries opened"
            f"{self._repeats}"
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
            self.verdict(),
        ]


def materialize_document(
    doc_id: str,
    settings: PlatformSettings,
    instance: dg.DagsterInstance,
    resources: dict | None = None,
    log: Callable[[str], None] = print,
) -> DocumentReport:
    """Every asset of `doc_id`, one run per step; raises `StepFailed` at the first run that fails."""
    paths = settings.paths

    def step_of_document(step: str) -> str:
        return f"step {step} of document {doc_id}"

    def run(selection: dg.AssetSelection, key: str | None, what: Callable[[str], str] = step_of_document):
        return _run(settings, instance, resources, selection, key, what=what)

    resources = resources if resources is not None else default_resources(settings)
    store = data_store_for(settings)
    registry = Registry(store)
    with reading_ahead(settings, resources, registry, doc_id) as read_ahead:
        read_ahead.start_worker()
        run(dg.AssetSelection.assets("source_pdf", "batch_plan"), doc_id)
        plan = registry.plan(doc_id)
        assert plan is not None, "batch_plan registers the plan"
        batches = len(plan.batches)
        log(f"{doc_id}: {plan.page_count} pages planned into {batches} batches ({plan.method.value})")
        run_ids = {batch.key: str(uuid.uuid4()) for batch in plan.batches}
        for index, batch in enumerate(plan.batches):
            label = batch_label(batch.key, batch.first_page, batch.last_page)
            read_ahead.queue(plan.batches[index:], run_ids)  # this batch's job and the next ones'
            try:
                _run(
                    settings,
                    instance,
                    resources,
                    dg.AssetSelection.assets("parsed_batch"),
                    batch.key,
                    what=lambda _, label=label: label,
                    run_id=run_ids[batch.key],
                )
            except StepFailed:
                with contextlib.suppress(StepFailed):  # the failed attempts become rows of parse_runs first
                    run(dg.AssetSelection.assets("parse_timings"), None)
                raise
            finally:
                read_ahead.drop(batch)
            log(f"  parsed {label.removeprefix('batch ')}")
    check = run(dg.AssetSelection.assets("parsed_document"), doc_id)
    tree_run = run(dg.AssetSelection.assets("clause_tree"), doc_id)
    run(dg.AssetSelection.assets("verification"), doc_id)
    tables = dg.AssetSelection.assets("parse_timings", "verification_tables", "platform_report")
    run(tables, None, what=lambda step: f"step {step} (after document {doc_id})")

    evaluations = check.get_asset_check_evaluations()
    fetch_summary_inputs(store, paths, plan)
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
        clauses_repeated=len(tree.repeated),
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


def fetch_summary_inputs(store: DataStore, paths: PlatformPaths, plan: BatchPlan) -> None:
    """With the data in a bucket, copy what the summary reads into the local data folder: batch manifests,
    the current tree, timing records, the latest verification report, the DuckDB file."""
    if store.folder is not None:
        return
    doc_id = plan.doc_id
    for key in [f"batches/{doc_id}/{b.key}/{MANIFEST}" for b in plan.batches]:
        pull(store, paths.root, key)
    pull_tree(store, paths.root, doc_id)
    for prefix in ("timings/", f"verification/{doc_id}/{LATEST}", WAREHOUSE, WAREHOUSE_SNAPSHOT, "reports/"):
        pull(store, paths.root, prefix)


def _run(
    settings: PlatformSettings,
    instance: dg.DagsterInstance,
    resources: dict | None,
    selection: dg.AssetSelection,
    partition_key: str | None,
    what: Callable[[str], str] | None = None,
    run_id: str | None = None,
) -> dg.ExecuteInProcessResult:
    """One run (with `run_id`, if given) over the definitions of the registry as it is now (it may have
    gained partitions); a failed run raises `StepFailed`, described by `what(failed step)` (default
    `step <step> of <partition>`)."""
    result = _job(settings, resources, selection).execute_in_process(
        instance=instance,
        partition_key=partition_key,
        run_id=run_id,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    if not result.success:
        step, cause = failure_cause(result, partition_key)
        label = what(step) if what else f"step {step}" + (f" of {partition_key}" if partition_key else "")
        raise StepFailed(label, cause, result.run_id)
    return result


@dataclass
class _Loaded:
    """Definitions built for one registry state, settings and resources, and the jobs resolved over them."""

    key: tuple[PlatformSettings, dict | None, str]
    defs: dg.Definitions
    jobs: list[tuple[dg.AssetSelection, dg.JobDefinition]] = field(default_factory=list)


_loaded: list[_Loaded] = []
"""The last definitions built (at most one): reading the whole registry and resolving a job per run is
needless while the registry has not changed, the way the daemon's code location reloads only then."""


def _job(
    settings: PlatformSettings, resources: dict | None, selection: dg.AssetSelection
) -> dg.JobDefinition:
    """The job of `selection` (with the terminal logger) over the definitions of the registry's current
    state, built again only when the registry (or the settings, or the resources) changed."""
    key = (settings, resources, Registry(data_store_for(settings)).fingerprint())
    loaded = _loaded[0] if _loaded else None
    if loaded is None or loaded.key != key:
        loaded = _Loaded(key, build_definitions(settings, resources))
        _loaded[:] = [loaded]
    for selected, job in loaded.jobs:  # selections are not hashable
        if selected == selection:
            return job
    job = dg.Definitions(
        jobs=[dg.define_asset_job(RUN_JOB, selection=selection)],
        assets=list(loaded.defs.assets or []),
        resources=loaded.defs.resources,
    ).resolve_job_def(RUN_JOB)
    job = job.with_logger_defs({"console": terminal_logger})
    loaded.jobs.append((selection, job))
    return job


@dg.logger(
    dg.Field(
        {"log_level": dg.Field(str, default_value="INFO", is_required=False)},
        is_required=False,
    ),
    description="The assets' own log lines on stderr; Dagster's events (and their stack traces) stay in the "
    "run's event log, and a failure is reported by the caller in one line.",
)
def terminal_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    level = logging.getLevelName(str(init_context.logger_config.get("log_level", "INFO")).upper())
    logger = logging.Logger("platform_assets.run", level)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_user_messages_only)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    return logger


def _user_messages_only(record: logging.LogRecord) -> bool:
    """Keep `context.log` lines (as `<step>: <message>`), drop Dagster's own events."""
    meta = getattr(record, "dagster_meta", None) or {}
    if meta.get("dagster_event") is not None:
        return False
    step = meta.get("step_key")
    message = meta.get("orig_message", record.getMessage())
    record.msg, record.args = (f"{step}: {message}" if step else str(message)), None
    return True


_WRAPPERS = frozenset({"RetryRequestedFromPolicy"})
"""Error classes Dagster wraps a step's own exception in (besides its `Dagster*Error`s)."""


def failure_cause(result: dg.ExecuteInProcessResult, partition_key: str | None) -> tuple[str, str]:
    """(step, cause in one redacted line) of the first failed step of a failed run; a `dg.Failure`'s
    description loses its leading `<partition key>: ` (the line names the batch already)."""
    failures: list[DagsterEvent] = result.get_step_failure_events()
    if not failures:
        return "run", "the run failed before any step did (see its event log)"
    event = failures[0]
    step = event.step_key or "run"
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:  # dg.Failure
        cause = data.user_failure_data.description
        return step, redact(cause.removeprefix(f"{partition_key}: ") if partition_key else cause)
    error = data.error
    if error is None:
        return step, "failed without an error (see the run's event log)"
    if error.cls_name == "DagsterAssetCheckFailedError":
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        checks = "; ".join(f"{e.check_name}: {e.description or 'failed'}" for e in failed)
        return step, redact(f"blocking check failed ({checks or error.message})")
    while error.cause is not None and (error.cls_name in _WRAPPERS or error.cls_name.startswith("Dagster")):
        error = error.cause
    message = error.message.strip()
    if error.cls_name == "Failure":  # a dg.Failure wrapped by the retry policy: its description
        message = message.split(": ", 1)[-1]
    return step, redact(message or error.cls_name)

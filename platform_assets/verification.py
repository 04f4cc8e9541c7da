"""`verification[doc]`: prove a document's output complete and correct; `verification_tables` loads
every report into DuckDB; a schedule re-verifies all documents nightly.

One asset check per verification check on `verification`, per document, failing with the severity of
its worst finding; a check that did not run (no schema, say) yields no result and shows as skipped.
None is blocking: the gate for downstream output is `parsed_document`'s blocking contiguity check, and
`verification_tables` must record failures, not be skipped by them.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import dagster as dg

from platform_assets.domain.common.data_store import DataStore
from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.verify.findings import CheckName
from platform_assets.domain.verify.verification import VerificationInputs, verify_document
from platform_assets.domain.verify.verification_report import CheckSummary, VerificationReport, findings_table
from platform_assets.domain.verify.verification_store import load_reports, write_report
from platform_assets.edges.verification_tables import load_into_duckdb
from platform_assets.edges.warehouse import WarehouseLocked, reading
from platform_assets.partitions import PartitionScheme
from platform_assets.phases import timed_phase
from platform_assets.warehouse_loads import warehouse_pending
from resources.platform_data import PlatformData, has_tree

CHECK_DESCRIPTIONS = {
    CheckName.COVERAGE: "Batches tile the document, every planned page was parsed once, every outline "
    "clause is in the tree.",
    CheckName.SOURCE_TEXT: "Each clause's words and lines against the PDF text layer of its own pages: "
    "recall, confirmed garbles and lost lines.",
    CheckName.VOCABULARY: "Names in code and table name cells against the schema vocabulary (XSD/RNG).",
    CheckName.TABLES: "Table cells against pdfplumber's extraction of the same pages.",
    CheckName.LINKS: "Every relative link resolves; every reference to a clause of the tree is linked.",
    CheckName.DEGRADED: "Scanned pages left without text and attempts that lost artifacts.",
    CheckName.CORRECTIONS: "Reviewed corrections held back for lack of proof, patches that no longer match.",
}
LATEST_SQL = """
SELECT "check", sum(errors) AS errors, sum(warnings) AS warnings, sum(info) AS info,
       count(DISTINCT doc_id) AS documents
FROM verification_summary
WHERE (doc_id, verified_at) IN (SELECT doc_id, max(verified_at) FROM verification_summary GROUP BY doc_id)
GROUP BY "check" ORDER BY "check"
"""


WITH_ITS_ASSET = dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested()).with_label(
    "with_its_asset"
)
"""A verification check is requested whenever automation requests its document's `verification`: the
asset is subsettable, so without this the daemon would run the asset without its checks."""


def build_verification(scheme: PartitionScheme, clause_tree: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @timed_phase("verify")
    def verify(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        doc_id = context.partition_key
        record = data.registry.document(doc_id)
        plan = data.registered_plan(doc_id)
        config = data.document_config(doc_id, record.filename)
        data.pull_tree(doc_id)
        data.pull_batches(doc_id)
        data.pull_timings(doc_id)
        inputs = VerificationInputs.gather(
            paths=data.paths,
            plan=plan,
            facts=data.facts(doc_id),
            pdf_path=data.landing_pdf(record),
            config=config,
        )
        report = verify_document(inputs, verified_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        stored = write_report(data.paths.verification, report)
        data.push(f"verification/{doc_id}/")
        context.log.info(
            f"{doc_id}: {len(report.actionable)} actionable finding(s) of {len(report.findings)}"
            + (f"; config {config.path.name}" if config else "; no verification config")
        )
        for summary in report.checks.values():
            if not summary.ran:
                context.log.info(f"{summary.check.value} skipped: {summary.note}")
        return dg.MaterializeResult(
            metadata=report_metadata(report, str(stored)),
            check_results=[
                check_result(summary, report)
                for summary in report.checks.values()
                if summary.ran and check_key(summary.check) in context.selected_asset_check_keys
            ],
        )

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                "verification",
                deps=[clause_tree],
                group_name="verification",
                kinds={"json"},
                automation_condition=dg.AutomationCondition.eager(),
                description="Verification results of one document: findings per check, per clause, as data.",
            )
        ],
        partitions_def=scheme.documents,
        check_specs=[
            dg.AssetCheckSpec(
                check.value,
                asset="verification",
                description=description,
                partitions_def=scheme.documents,
                automation_condition=WITH_ITS_ASSET,
            )
            for check, description in CHECK_DESCRIPTIONS.items()
        ],
        can_subset=True,
    )
    def verification(
        context: dg.AssetExecutionContext, data: PlatformData
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        """Subsettable and yielded, so a check that did not run can yield no result (Dagster records it as
        skipped) and its checks can run alone (re-verify, no materialization)."""
        result = verify(context, data=data)
        if context.selected_asset_keys:
            yield result
        else:
            yield from result.check_results

    return verification


def check_key(check: CheckName) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey("verification"), check.value)


def report_metadata(report: VerificationReport, location: str) -> dict[str, dg.MetadataValue]:
    counts = [
        [s.check, "yes" if s.ran else "skipped", s.errors, s.warnings, s.info, f"{s.seconds:.2f}"]
        for s in report.checks.values()
    ]
    worst = [
        [c.clause_id, c.path, f"{c.first_page + 1}-{c.last_page + 1}", c.actionable,
         None if c.recall is None else f"{c.recall:.3f}"]
        for c in report.worst_clauses()
    ]  # fmt: skip
    return {
        "report": dg.MetadataValue.path(location),
        "findings": dg.MetadataValue.int(len(report.findings)),
        "actionable": dg.MetadataValue.int(len(report.actionable)),
        "by_check": dg.MetadataValue.md(
            markdown_table(["check", "ran", "errors", "warnings", "info", "seconds"], counts)
        ),
        "worst_clauses": dg.MetadataValue.md(
            markdown_table(["clause", "file", "pages", "actionable", "recall"], worst)
            if worst
            else "no clause with findings"
        ),
        "findings_table": dg.MetadataValue.md(findings_table(report.actionable or report.findings)),
    }


def check_result(summary: CheckSummary, report: VerificationReport) -> dg.AssetCheckResult:
    worst = summary.worst
    own = [f for f in report.findings if f.check is summary.check and f.actionable]
    if worst is None:
        description = f"passed: {summary.note}" if summary.note else "passed"
    else:
        description = f"{summary.errors} error(s), {summary.warnings} warning(s): {own[0].message}"
    return dg.AssetCheckResult(
        check_name=summary.check.value,
        passed=worst is None,
        severity=dg.AssetCheckSeverity.WARN
        if worst is not None and not summary.errors
        else dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "errors": dg.MetadataValue.int(summary.errors),
            "warnings": dg.MetadataValue.int(summary.warnings),
            "info": dg.MetadataValue.int(summary.info),
            "findings": dg.MetadataValue.md(findings_table(own, limit=20)),
        },
    )


def build_verification_tables(verification: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=[verification],
        group_name="observability",
        kinds={"duckdb"},
        pool="duckdb_writer",
        automation_condition=dg.AutomationCondition.eager()
        .without(~dg.AutomationCondition.any_deps_missing())
        .with_label("eager_allowing_missing_documents"),
        description="DuckDB tables verification_summary, verification_findings, verification_clauses "
        "(all runs) and the view verification_latest.",
    )
    def verification_tables(context: dg.AssetExecutionContext, data: PlatformData) -> dg.MaterializeResult:
        data.pull("verification/")
        try:
            with data.updating_warehouse() as warehouse:
                counts = load_into_duckdb(warehouse, load_reports(data.paths.verification))
                with reading(warehouse) as conn:
                    rows = conn.execute(LATEST_SQL).fetchall()
        except WarehouseLocked as locked:
            return warehouse_pending(context, data, locked, data.paths.verification)
        table = markdown_table(["check", "errors", "warnings", "info", "documents"], rows)
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(data.paths.warehouse)),
                "pending": dg.MetadataValue.bool(False),
                **{table_name: dg.MetadataValue.int(n) for table_name, n in counts.items()},
                "latest_by_check": dg.MetadataValue.md(table),
            }
        )

    return verification_tables


def build_nightly_reverification(
    scheme: PartitionScheme,
    clause_tree: dg.AssetsDefinition,
    verification: dg.AssetsDefinition,
    store: Callable[[], DataStore],
) -> dg.ScheduleDefinition:
    """Rebuild trees (corrections may have changed; no GPU work) and re-verify every document that has one."""
    job = dg.define_asset_job(
        "reverify_documents",
        selection=dg.AssetSelection.assets(clause_tree, verification),
        partitions_def=scheme.documents,
        description="Re-apply corrections and re-run every verification check for one document.",
    )

    @dg.schedule(
        job=job,
        cron_schedule="0 3 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly: vocabularies, corrections and benign lists change; re-verify all documents.",
    )
    def nightly_reverification(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest] | dg.SkipReason:
        day = context.scheduled_execution_time.date().isoformat()
        data = store()
        requests = [
            dg.RunRequest(partition_key=doc_id, run_key=f"{day}:{doc_id}")
            for doc_id in scheme.documents.get_partition_keys()
            if has_tree(data, doc_id)
        ]
        return requests or dg.SkipReason("no document has a clause tree yet")

    return nightly_reverification

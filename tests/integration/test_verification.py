"""Verification on the sample's real output (MinerU flash, real Dagster): clean output is clean,
planted defects are caught with their clause and page, and the corrections loop closes them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import landing_path, register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.batch_store import MANIFEST, batch_dir
from platform_assets.domain.pdf.pdf_text import PageWords
from platform_assets.domain.tree.clause_tree import read_tree_manifest
from platform_assets.domain.verify.findings import CheckName, Finding
from platform_assets.domain.verify.near_miss import edit_distance
from platform_assets.domain.verify.verification import VerificationInputs, verify_document
from platform_assets.domain.verify.verification_config import find_config, load_verification_config
from platform_assets.domain.verify.verification_report import VerificationReport
from platform_assets.domain.verify.verification_store import read_latest
from platform_assets.local_run import _run, materialize_document
from resources.platform_data import PlannerSettings, PlatformData
from resources.settings import PlatformSettings

pytestmark = pytest.mark.slow


def write_config(paths: PlatformPaths, name: str, text: str) -> Path:
    paths.verification_config.mkdir(parents=True, exist_ok=True)
    path = paths.verification_config / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def verified(tmp_path_factory, sample):
    """The sample through every asset with its schema configured; the Dagster run of `verification`."""
    paths = PlatformPaths(tmp_path_factory.mktemp("verified"))
    write_config(paths, sample.pdf.stem, f'schemas = ["{sample.xsd}"]\n')
    resources = {
        **default_resources(PlatformSettings(paths)),
        "planner": PlannerSettings(target_pages=10, max_pages=20),
    }
    doc_id = register_pdf(sample.pdf, Registry(paths.registry), paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        materialize_document(doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None)
        run = _run(
            PlatformSettings(paths), instance, resources, dg.AssetSelection.assets("verification"), doc_id
        )
        yield paths, doc_id, resources, run


def verify_copy(paths: PlatformPaths, doc_id: str, dest: Path) -> tuple[PlatformPaths, VerificationInputs]:
    """A copy of the data folder to plant defects in, and the inputs verification would read from it."""
    shutil.copytree(paths.root, dest)
    copy = PlatformPaths(dest)
    return copy, gather(copy, doc_id)


def gather(paths: PlatformPaths, doc_id: str) -> VerificationInputs:
    data = PlatformData(root=str(paths.root))
    record = data.registry.document(doc_id)
    config = find_config(paths.verification_config, doc_id, record.filename)
    return VerificationInputs.gather(
        paths=paths,
        plan=data.registry.plan(doc_id),
        facts=data.facts(doc_id),
        pdf_path=landing_path(paths.landing, record.sha256),
        config=load_verification_config(config) if config else None,
    )


def found(report: VerificationReport, check: CheckName, kind: str) -> list[Finding]:
    return [f for f in report.findings if f.check is check and f.kind == kind]


def edit_file(tree: Path, path: str, old: str, new: str) -> None:
    file = tree / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_clean_output_has_no_actionable_finding_and_every_check_ran(verified):
    paths, doc_id, _, run = verified
    report = read_latest(paths.verification, doc_id)
    assert report.actionable == []
    assert {c for c, s in report.checks.items() if s.ran} == set(CheckName)
    evaluations = {e.check_name: e for e in run.get_asset_check_evaluations()}
    assert set(evaluations) == {c.value for c in CheckName}
    assert all(e.passed for e in evaluations.values())
    recalls = [c.recall for c in report.clause_figures if c.recall is not None]
    assert len(recalls) == report.clauses and min(recalls) >= 0.85


def test_results_are_stored_as_history_and_loaded_into_duckdb(verified):
    paths, doc_id, _, _ = verified
    assert len(list((paths.verification / doc_id).glob("2*.json"))) == 2  # two runs, two reports
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        checks = conn.execute(
            'SELECT "check", ran FROM verification_summary WHERE doc_id = ? ORDER BY "check"', [doc_id]
        ).fetchall()
        clauses = conn.execute(
            "SELECT count(*) FROM verification_clauses WHERE doc_id = ?", [doc_id]
        ).fetchone()
    assert sorted({c for c, _ in checks}) == sorted(c.value for c in CheckName) and all(
        ran for _, ran in checks
    )
    assert clauses[0] == read_latest(paths.verification, doc_id).clauses


def planted_garble(inputs: VerificationInputs, tree: Path) -> tuple[str, str, str]:
    """Swap a word of some clause for a near-miss that the document uses elsewhere, never on the
    clause's own pages: (clause id, word replaced, word planted)."""
    with PageWords(inputs.pdf_path) as pages:
        everywhere = {k for p in range(pages.page_count) for k in pages.page(p).words.counts}
        for clause_id, entry in inputs.manifest.clauses.items():
            window = range(max(entry.first_page - 1, 0), min(entry.last_page + 2, pages.page_count))
            near = {k for p in window for k in pages.page(p).words.counts}
            text = (tree / entry.path).read_text(encoding="utf-8")
            for word in sorted(set(re.findall(r"\b[a-z]{6,}\b", text.split("\n", 1)[1]))):
                for other in sorted(everywhere - near):
                    if other.isalpha() and edit_distance(word, other) == 1:
                        edit_file(tree, entry.path, f" {word} ", f" {other} ")
                        return clause_id, word, other
    raise AssertionError("the sample has no word with a near-miss used elsewhere")


def test_planted_defects_are_each_caught_with_their_clause_and_page(verified, tmp_path):
    paths, doc_id, _, _ = verified
    copy, inputs = verify_copy(paths, doc_id, tmp_path / "data")
    tree = copy.trees / doc_id
    clauses = inputs.manifest.clauses
    garbled_clause, word, planted = planted_garble(inputs, tree)
    edit_file(tree, clauses["6.2"].path, "orientation.", "orientaton.")  # a dropped character
    edit_file(tree, clauses["5.1.2.1"].path, "6-1-alignment.md", "6-9-nothing.md")  # a broken link
    edit_file(tree, clauses["A.2"].path, "| ST_Align | left |", "| ST_Algn | left |")  # a near-miss name
    table = tree / clauses["5"].path  # its first table lost its last column ("Clause")
    parts = table.read_text(encoding="utf-8").split("\n\n")
    first = next(n for n, part in enumerate(parts) if part.startswith("|"))
    parts[first] = re.sub(r"^(\|.*?)[^|]*\|\s*$", r"\1", parts[first], flags=re.M)
    table.write_text("\n\n".join(parts), encoding="utf-8")
    plan = inputs.plan
    missing, left, right = plan.batches[2], plan.batches[3], plan.batches[4]
    (batch_dir(copy.batches, doc_id, missing.key) / MANIFEST).unlink()  # a missing batch
    manifest_path = batch_dir(copy.batches, doc_id, left.key) / MANIFEST
    stored = json.loads(manifest_path.read_text())
    stored["produced_pages"].append(right.first_page)  # an overlapping batch
    manifest_path.write_text(json.dumps(stored))

    report = verify_document(gather(copy, doc_id), verified_at="2026-11-23T00:00:00Z")

    [garble] = [f for f in found(report, CheckName.SOURCE_TEXT, "garble") if f.clause_id == garbled_clause]
    assert (garble.subject.casefold(), garble.expected.casefold()) == (planted, word)
    assert set(garble.pages) <= set(
        range(clauses[garbled_clause].first_page - 1, clauses[garbled_clause].last_page + 2)
    )
    [dropped] = [f for f in found(report, CheckName.SOURCE_TEXT, "garble") if f.clause_id == "6.2"]
    assert dropped.subject == "orientaton" and dropped.expected == "orientation"
    assert clauses["6.2"].first_page in dropped.pages
    [link] = found(report, CheckName.LINKS, "broken_link")
    assert link.clause_id == "5.1.2.1" and link.subject.endswith("6-9-nothing.md")
    [name] = found(report, CheckName.VOCABULARY, "near_miss_name")
    assert (name.clause_id, name.subject, name.expected) == ("A.2", "ST_Algn", "ST_Align")
    [columns] = found(report, CheckName.TABLES, "table_columns")
    assert columns.clause_id == "5" and set(columns.pages) & set(
        range(clauses["5"].first_page, clauses["5"].last_page + 1)
    )
    [unparsed] = found(report, CheckName.COVERAGE, "batch_unparsed")
    assert unparsed.subject == missing.key and unparsed.pages == (missing.first_page,)
    [duplicated] = found(report, CheckName.COVERAGE, "page_duplicated")
    assert duplicated.pages == (right.first_page,) and left.key in duplicated.subject
    assert [f.pages for f in found(report, CheckName.COVERAGE, "page_stray")] == [(right.first_page,)]
    assert report.checks[CheckName.DEGRADED].findings == 0


def test_reviewed_corrections_close_a_garble_that_the_parse_keeps_producing(verified, tmp_path):
    paths, doc_id, resources, _ = verified
    shutil.copytree(paths.root, tmp_path / "data")
    copy = PlatformPaths(tmp_path / "data")
    resources = {**resources, "data": PlatformData(root=str(copy.root))}
    plan = Registry(copy.registry).plan(doc_id)
    for batch in plan.batches:  # the parse itself misreads a name in a table cell
        blocks = batch_dir(copy.batches, doc_id, batch.key) / "blocks.json"
        blocks.write_text(blocks.read_text(encoding="utf-8").replace("ST_Orientation<", "ST_Orientaton<"))
    selection = dg.AssetSelection.assets("clause_tree", "verification")
    config = next(copy.verification_config.glob("*.toml"))
    schemas = config.read_text(encoding="utf-8")

    def verify() -> VerificationReport:
        with dg.instance_for_test() as instance:
            _run(PlatformSettings(copy), instance, resources, selection, doc_id)
        return read_latest(copy.verification, doc_id)

    flagged = verify()
    names = found(flagged, CheckName.VOCABULARY, "near_miss_name")
    assert {(f.subject, f.expected) for f in names} == {("ST_Orientaton", "ST_Orientation")}
    assert "5" in {f.clause_id for f in names}
    garbles = found(flagged, CheckName.SOURCE_TEXT, "garble")
    assert {(f.subject.casefold(), f.expected) for f in garbles} == {("orientaton", "orientation")}

    config.write_text(
        schemas + '[corrections]\n"ST_Orientaton" = "ST_Orientation"\n'
        '[[patches."6.2"]]\nfind = "text that a re-parse no longer produces"\nreplace = "x"\n',
        encoding="utf-8",
    )
    patched = verify()
    log = read_tree_manifest(copy.trees / doc_id).corrections
    assert {a.find for a in log.applied} == {"ST_Orientaton"} and "5" in {a.clause_id for a in log.applied}
    assert [(f.kind, f.clause_id) for f in patched.actionable] == [("stale_patch", "6.2")]

    config.write_text(schemas + '[corrections]\n"ST_Orientaton" = "ST_Orientation"\n', encoding="utf-8")
    assert verify().actionable == []


def test_reading_the_pdf_in_a_worker_pool_gives_the_serial_report(verified):
    """Findings, figures and check notes are the same; only the seconds differ."""
    paths, doc_id, _, _ = verified
    inputs = gather(paths, doc_id)
    serial, pooled = (verify_document(inputs, "now", workers=workers) for workers in (1, 2))

    def without_seconds(report: VerificationReport) -> dict:
        return report.model_dump(exclude={"checks": {check: {"seconds"} for check in report.checks}})

    assert serial.checks[CheckName.TABLES].ran and serial.checks[CheckName.SOURCE_TEXT].ran
    assert without_seconds(pooled) == without_seconds(serial)

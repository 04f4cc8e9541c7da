"""Live, in a real browser: the operator's cockpit on a real `dagster dev` (webserver + daemon, loopback).

Two real PDFs dropped into the inbox go through to verification without a click and without a failed run;
each document's verification checks show its own result in the Checks tab; a re-parse of one batch forced
from the UI (Materialize, one partition, the tag `platform/force_reparse=true`) parses it again. Headless
Chromium from Debian (`apt-get install chromium`) driven by Playwright; skipped where either is missing.
Screenshots of the lineage graph, a partition, the checks and the report plots go to `UI_SCREENSHOTS`
(default `.cache/ui-screenshots/<test>`, outside git).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from platform_assets.parsed_batch import FORCE_TAG
from tests.live.test_inbox_to_batches import (
    DEADLINE_S,
    all_finished,
    graphql,
    partition_stats,
    runs,
    summary,
    wait_for,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
DOCUMENTS = ("tl-usrguide.pdf", "tl-clsguide.pdf")  # small real manuals with outlines (21 and 33 pages)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)"),
]

CHECK_STATES = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode { assetChecksOrError { ... on AssetChecks {
    checks { name partitionStatuses { ... on AssetCheckDefaultPartitionStatuses {
      succeededPartitions failedPartitions skippedPartitions executionFailedPartitions } } } } } } }
}
"""
UI_STATUS = {"succeededPartitions": "Passed", "failedPartitions": "Failed", "skippedPartitions": "Skipped"}


def check_states(port: int) -> dict[str, dict[str, str]]:
    """{check: {document: the UI's word for its status}} of the verification checks, as GraphQL gives them."""
    node = graphql(port, CHECK_STATES, {"path": ["verification"]})["assetNodeOrError"]
    states: dict[str, dict[str, str]] = {}
    for check in node["assetChecksOrError"]["checks"]:
        statuses = check["partitionStatuses"] or {}
        states[check["name"]] = {
            doc: UI_STATUS.get(field, field) for field, docs in statuses.items() for doc in docs or []
        }
    return states


def materializations(port: int, partition: str) -> list[dict]:
    query = """
    query ($partition: String!) { assetNodeOrError(assetKey: {path: ["parsed_batch"]}) { ... on AssetNode {
      assetMaterializations(partitions: [$partition]) { runId metadataEntries {
        label ... on BoolMetadataEntry { boolValue } } } } } }
    """
    node = graphql(port, query, {"partition": partition})["assetNodeOrError"]
    return [
        {"run": m["runId"], **{e["label"]: e.get("boolValue") for e in m["metadataEntries"]}}
        for m in node["assetMaterializations"]
    ]


@pytest.fixture
def shots(request) -> Path:
    base = Path(os.environ.get("UI_SCREENSHOTS", REPO / ".cache" / "ui-screenshots"))
    folder = base / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium.new_page(viewport={"width": 1600, "height": 1000})
        finally:
            chromium.close()


def open_page(page, port: int, path: str, shot: Path | None = None) -> None:
    page.goto(f"http://127.0.0.1:{port}{path}")
    page.wait_for_load_state("networkidle")
    if shot is not None:
        page.screenshot(path=shot, full_page=True)


def test_two_documents_through_the_cockpit(dagster_dev, real_pdfs, browser, shots):
    port, inbox, _, process, log = dagster_dev
    deadline = time.monotonic() + 2 * DEADLINE_S
    wait_for(
        "the webserver", lambda: partition_stats(port, "verification") is not None, process, log, deadline
    )
    inbox.mkdir(exist_ok=True)
    for name in DOCUMENTS:
        shutil.copyfile(real_pdfs / name, inbox / name)

    def verified():
        stats = partition_stats(port, "verification")
        return stats and stats["numMaterialized"] == len(DOCUMENTS)

    wait_for("verification of both documents", verified, process, log, deadline)
    final = wait_for("every run to finish", lambda: all_finished(port), process, log, deadline)
    assert {r["status"] for r in final} == {"SUCCESS"}, summary(final)  # 0 failed runs, first time round

    # each document's checks are its own: the Checks tab shows, per document, what GraphQL records for it
    def settled():  # a check's status is resolved after its run ends (planned -> skipped): wait for it
        states = check_states(port)
        return states if all(len(by_doc) == len(DOCUMENTS) for by_doc in states.values()) else None

    states = wait_for("every check's status for both documents", settled, process, log, deadline)
    documents = sorted(next(iter(states.values())))
    assert len(documents) == len(DOCUMENTS) and all(sorted(by_doc) == documents for by_doc in states.values())
    assert set(states["vocabulary"].values()) == {"Skipped"}  # no schema configured: skipped, not passed
    page = browser
    open_page(page, port, "/assets/verification?view=checks", shots / "checks.png")
    for check, by_doc in states.items():
        open_page(page, port, f"/assets/verification?view=checks&checkDetail={check}")
        page.locator("button[role=tab]#partitions").click()
        for doc in documents:
            page.get_by_text(doc, exact=True).filter(visible=True).first.click()
            # the detail pane: the document's name, then the status of its own execution of the check
            badge = page.locator(
                f"xpath=(//*[normalize-space(text())='{doc}'])[last()]"
                "/following::*[normalize-space(text())!=''][1]"
            )
            sync_api.expect(badge).to_have_text(by_doc[doc], timeout=15_000)
        page.screenshot(path=shots / f"check-{check}.png", full_page=True)

    # lineage, a partition, the report with its plots (PNG data URIs in its Markdown)
    open_page(page, port, "/asset-groups", shots / "lineage-groups.png")
    open_page(page, port, "/assets/verification?view=lineage")
    page.get_by_role("button", name="All", exact=True).first.click()  # graph depth: the whole lineage
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "lineage.png", full_page=True)
    batch = f"{documents[0]}~b001"
    open_page(page, port, f"/assets/parsed_batch?view=partitions&partition={batch}", shots / "partition.png")
    open_page(page, port, "/assets/platform_report")
    page.get_by_text("[Show Markdown]").first.click()
    plots = page.get_by_role("dialog").locator("img[src^='data:image/png']")
    plots.first.wait_for(timeout=15_000)
    assert plots.count() >= 2
    page.get_by_role("dialog").screenshot(path=shots / "report-plots.png")
    page.keyboard.press("Escape")

    # a re-parse of one batch, forced from the UI with the run tag
    before = {m["run"] for m in materializations(port, batch)}
    open_page(page, port, "/assets/parsed_batch")
    page.get_by_text("Materialize…", exact=True).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_role("menu").locator("span", has_text=batch).first.click()
    page.keyboard.press("Escape")
    dialog.get_by_text("Tags", exact=True).click()
    dialog.get_by_role("button", name="Add tags").click()
    tags = page.get_by_role("dialog").filter(has_text="Add tags to run")
    tags.get_by_placeholder("Tag Key").fill(FORCE_TAG)
    tags.get_by_placeholder("Tag Value").fill("true")
    tags.get_by_role("button", name="Apply").click()
    page.screenshot(path=shots / "force-reparse.png")
    dialog.get_by_role("button", name="Launch 1 run").click()

    def forced_materialization():
        new = [m for m in materializations(port, batch) if m["run"] not in before]
        return new[0] if new else None

    forced = wait_for("the forced re-parse", forced_materialization, process, log, deadline)
    run = next(r for r in runs(port) if r["runId"] == forced["run"])
    assert run["tags"].get(FORCE_TAG) == "true" and run["status"] in {"STARTED", "SUCCESS"}
    assert forced["forced"] is True and forced["reused"] is False  # parsed again, not reused
    final = wait_for("the forced run to finish", lambda: all_finished(port), process, log, deadline)
    assert {r["status"] for r in final} == {"SUCCESS"}, summary(final)

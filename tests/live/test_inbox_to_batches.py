"""Live: a real `dagster dev` (webserver + daemon) takes a PDF dropped in the inbox to parsed batches.

No clicks: inbox sensor -> registry reload -> automation -> source_pdf -> batch_plan -> reload ->
parsed_batch partitions -> parsed_document with its contiguity check -> clause_tree -> verification.
Checked through GraphQL, down to every run the document got being green.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from platform_assets.batch_resume_sensor import RESUMES_TAG
from tests.live.processes import stop

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 480

pytestmark = [pytest.mark.slow, pytest.mark.live]

PARTITION_STATS = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { partitionStats { numMaterialized numPartitions numFailed } }
  }
}
"""
CHECK_STATUS = """
query {
  assetNodeOrError(assetKey: {path: ["parsed_document"]}) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name
      executionForLatestMaterialization { status evaluation { success } } } } } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def partition_stats(port: int, asset: str) -> dict | None:
    node = graphql(port, PARTITION_STATS, {"path": [asset]})["assetNodeOrError"]
    return node.get("partitionStats") if node else None


def wait_for(what: str, probe, process: subprocess.Popen, log: Path, deadline: float):
    """Poll `probe` until it returns a truthy value; fail with the server log if time runs out."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited ({process.returncode}) while waiting for {what}:\n{tail(log)}")
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}:\n{tail(log)}")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-6000:] if log.exists() else ""


RUNS = """
query { runsOrError(limit: 500) { ... on Runs { results { runId status endTime tags { key value } } } } }
"""
AUTOMATION_TICKS = """
query { repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name sensorType
  sensorState { status ticks(limit: 1, statuses: [SUCCESS, SKIPPED, FAILURE]) { timestamp } } } } } } }
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
AUTOMATION_SENSORS = {"AUTO_MATERIALIZE", "AUTOMATION"}


def runs(port: int) -> list[dict]:
    """Every run the instance records: id, status, tags as a dict, oldest first."""
    results = graphql(port, RUNS)["runsOrError"]["results"]
    return [{**r, "tags": {t["key"]: t["value"] for t in r["tags"]}} for r in reversed(results)]


def batch_of(run: dict) -> str | None:
    """The batch a parse run is for: automation's backfill tags a one-batch range, a request the partition."""
    key = run["tags"].get("dagster/partition") or run["tags"].get("dagster/asset_partition_range_start")
    return key if key and "~b" in key else None


def summary(all_runs: list[dict]) -> str:
    return "\n".join(
        f"{r['runId'][:8]} {r['status']:<9} {r['tags'].get('dagster/partition') or batch_of(r) or '-'}"
        f"{' resumed: ' + r['tags'][RESUMES_TAG] if RESUMES_TAG in r['tags'] else ''}"
        for r in all_runs
    )


def all_finished(port: int) -> list[dict] | None:
    """Every run, once all have finished and the automation sensor has evaluated what the last one
    materialized without asking for more (a run that ends can set off another: the warehouse loads)."""
    current = runs(port)
    if not current or any(r["status"] not in FINISHED for r in current):
        return None
    last_end = max(r["endTime"] or 0.0 for r in current)
    if not all(tick_after(last_end, t) for t in automation_ticks(port)):
        return None
    return current if [r["runId"] for r in runs(port)] == [r["runId"] for r in current] else None


def automation_ticks(port: int) -> list[list[dict]]:
    """Per running automation sensor (the daemon's or a code server's), its latest completed tick (none
    yet: an empty list)."""
    nodes = graphql(port, AUTOMATION_TICKS)["repositoriesOrError"]["nodes"]
    sensors = [s for node in nodes for s in node["sensors"] if s["sensorType"] in AUTOMATION_SENSORS]
    assert sensors, "no automation sensor in the repository"
    return [s["sensorState"]["ticks"] for s in sensors if s["sensorState"]["status"] != "STOPPED"]


def tick_after(moment: float, ticks: list[dict]) -> bool:
    """Whether the latest completed tick began after `moment` (it then saw everything stored by then)."""
    return bool(ticks) and ticks[0]["timestamp"] > moment


@pytest.fixture
def dagster_dev(tmp_path):
    home, data, inbox = tmp_path / "home", tmp_path / "data", tmp_path / "inbox"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        (REPO / "dagster.yaml").read_text().replace("base_dir: .dagster", f"base_dir: {home}/.dagster")
    )
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PLATFORM_DATA_DIR": str(data),
        "PLATFORM_INBOX": str(inbox),
        "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{port}",
        "PLATFORM_BATCH_TARGET_PAGES": "25",
        "PLATFORM_BATCH_MAX_PAGES": "40",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "dagster-dev.log"
    dagster = Path(sys.executable).with_name("dagster")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield port, inbox, data, process, log
    finally:
        stop(process)


def test_a_pdf_dropped_in_the_inbox_becomes_parsed_batches_without_a_click(dagster_dev, sample_pdf):
    port, inbox, data, process, log = dagster_dev
    deadline = time.monotonic() + DEADLINE_S
    wait_for(
        "the webserver", lambda: partition_stats(port, "parsed_batch") is not None, process, log, deadline
    )

    inbox.mkdir(exist_ok=True)
    shutil.copyfile(sample_pdf, inbox / "standard.pdf")

    def all_batches_parsed():
        stats = partition_stats(port, "parsed_batch")
        assert not stats or stats["numFailed"] == 0, f"a batch failed:\n{tail(log)}"
        return (
            stats
            if stats and stats["numPartitions"] and stats["numMaterialized"] == stats["numPartitions"]
            else None
        )

    stats = wait_for("every parsed_batch partition", all_batches_parsed, process, log, deadline)
    assert stats["numPartitions"] >= 2
    [doc_dir] = (data / "batches").iterdir()
    assert len(list(doc_dir.glob("*/batch.json"))) == stats["numPartitions"]

    def contiguity_passed():
        checks = graphql(port, CHECK_STATUS)["assetNodeOrError"]["assetChecksOrError"]["checks"]
        execution = checks[0]["executionForLatestMaterialization"] if checks else None
        return execution and execution["status"] == "SUCCEEDED" and execution["evaluation"]["success"]

    assert wait_for("the contiguity check on parsed_document", contiguity_passed, process, log, deadline)

    def tree_written():
        stats = partition_stats(port, "clause_tree")
        return stats and stats["numMaterialized"] == 1

    wait_for("clause_tree of the document", tree_written, process, log, deadline)
    assert (data / "trees" / doc_dir.name / "manifest.json").is_file()

    def verified():
        stats = partition_stats(port, "verification")
        return stats and stats["numMaterialized"] == 1

    wait_for("verification of the document", verified, process, log, deadline)
    assert (data / "verification" / doc_dir.name / "latest.json").is_file()
    # every run the new document got is green: no step started before its inputs existed
    final = wait_for("the remaining runs to finish", lambda: all_finished(port), process, log, deadline)
    print(f"\n{len(final)} runs:\n{summary(final)}")
    assert {r["status"] for r in final} == {"SUCCESS"}, summary(final)
    assert len([r for r in final if batch_of(r)]) == stats["numPartitions"]  # one run per batch

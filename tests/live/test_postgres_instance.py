"""Live: a webserver, a daemon and a separate code server, all on one PostgreSQL instance, take a PDF
dropped in the inbox through to verification without a click.

The instance is deploy/instance/dagster.yaml in a private DAGSTER_HOME, on a throwaway cluster
(tests/live/postgres_server.py). The webserver and the daemon reach the code only over gRPC (`grpc_server`
in their workspace) and each process works in an empty folder of its own; the code server launches the
runs. The outcome is read back from the instance as Dagster opens it, and from Postgres's own tables.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from platform_assets.domain.verify.findings import CheckName
from tests.live.postgres_server import (  # noqa: F401  (the fixtures, by their names)
    PostgresDatabase,
    postgres_database_fixture,
    postgres_server_fixture,
)
from tests.live.processes import stop
from tests.live.test_inbox_to_batches import (
    all_finished,
    batch_of,
    free_port,
    graphql,
    partition_stats,
    summary,
    wait_for,
)

REPO = Path(__file__).resolve().parents[2]
INSTANCE = REPO / "deploy" / "instance" / "dagster.yaml"
LOCATION = "document_platform"
HOST = "127.0.0.1"
DEADLINE_S = 600
SPINE = ("source_pdf", "batch_plan", "parsed_batch", "parsed_document", "clause_tree", "verification")

pytestmark = [pytest.mark.slow, pytest.mark.live]

VERIFICATION_CHECKS = """
query {
  assetNodeOrError(assetKey: {path: ["verification"]}) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name
      executionForLatestMaterialization { status } } } } }
  }
}
"""


@dataclass(frozen=True)
class Processes:
    """The deployment's processes as one for `wait_for`: `poll()` is the return code of the first that
    exited, None while all run."""

    named: dict[str, subprocess.Popen]

    def poll(self) -> int | None:
        return next((p.returncode for p in self.named.values() if p.poll() is not None), None)

    @property
    def returncode(self) -> int | None:
        return self.poll()


@dataclass(frozen=True)
class DagsterOnPostgres:
    port: int
    """The webserver's (GraphQL)."""
    home: Path
    """DAGSTER_HOME: deploy/instance/dagster.yaml and the workspace of the webserver and the daemon."""
    env: dict[str, str]
    """What every process got: the DAGSTER_PG_* connection and the platform's settings."""
    database: PostgresDatabase
    processes: Processes
    log: Path
    """Output of all three processes."""


@pytest.fixture(name="platform_env")
def platform_env_fixture(tmp_path: Path) -> dict[str, str]:
    """The platform's settings for the code server and its runs: a private data folder and inbox, and
    `make demo`'s batch sizes. A module that overrides this fixture runs the same deployment elsewhere."""
    return {
        "PLATFORM_DATA_DIR": str(tmp_path / "data"),
        "PLATFORM_INBOX": str(tmp_path / "inbox"),
        "PLATFORM_BATCH_TARGET_PAGES": "10",
        "PLATFORM_BATCH_MAX_PAGES": "20",
    }


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
        return True
    return False


@pytest.fixture(name="dagster_on_postgres")
def dagster_on_postgres_fixture(
    tmp_path: Path, postgres_database: PostgresDatabase, platform_env: dict[str, str]
) -> Iterator[DagsterOnPostgres]:
    """`dagster code-server start`, `dagster-webserver` and `dagster-daemon run` on loopback, on the
    Postgres instance; all three are stopped (and their run workers killed) even when the test fails."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(INSTANCE, home / "dagster.yaml")
    grpc_port, web_port = free_port(), free_port()
    server = {"host": HOST, "port": grpc_port, "location_name": LOCATION}
    workspace = home / "workspace.yaml"
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": server}]}))
    env = {
        **os.environ,
        **postgres_database.env,
        **platform_env,
        "DAGSTER_HOME": str(home),
        "DAGSTER_WEBSERVER_URL": f"http://{HOST}:{web_port}",
        "PYTHONUNBUFFERED": "1",
    }
    bin_dir = Path(sys.executable).parent
    commands = {
        "code-server": [bin_dir / "dagster", "code-server", "start", "-m", "platform_assets.definitions",
                        "--location-name", LOCATION, "-h", HOST, "-p", str(grpc_port)],
        "webserver": [bin_dir / "dagster-webserver", "-w", workspace, "-h", HOST, "-p", str(web_port)],
        "daemon": [bin_dir / "dagster-daemon", "run", "-w", workspace],
    }  # fmt: skip
    log = tmp_path / "dagster.log"
    processes = Processes({})
    try:
        for name, argv in commands.items():
            workdir = tmp_path / "work" / name
            workdir.mkdir(parents=True)
            with log.open("ab") as out:
                processes.named[name] = subprocess.Popen(
                    list(map(str, argv)),
                    cwd=workdir,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if name == "code-server":  # serves once the definitions loaded; the others connect to it
                loaded_by = time.monotonic() + 180
                wait_for("the code server", lambda: accepts(grpc_port), processes, log, loaded_by)
        yield DagsterOnPostgres(web_port, home, env, postgres_database, processes, log)
    finally:
        for process in reversed(processes.named.values()):
            stop(process)


def verification_checks_ran(port: int) -> list[dict] | None:
    """The verification checks of the latest materialization, once every one has a finished execution."""
    node = graphql(port, VERIFICATION_CHECKS)["assetNodeOrError"]
    checks = node["assetChecksOrError"]["checks"] if node else []
    executions = [c["executionForLatestMaterialization"] for c in checks]
    done = checks and all(e and e["status"] != "IN_PROGRESS" for e in executions)
    return checks if done else None


def test_webserver_daemon_and_code_server_on_postgres_take_a_pdf_through_verification(
    dagster_on_postgres: DagsterOnPostgres, sample_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dagster = dagster_on_postgres
    port, processes, log = dagster.port, dagster.processes, dagster.log
    deadline = time.monotonic() + DEADLINE_S
    wait_for(
        "the webserver to load the code server's location",
        lambda: partition_stats(port, "parsed_batch") is not None,
        processes,
        log,
        deadline,
    )
    inbox = Path(dagster.env["PLATFORM_INBOX"])
    inbox.mkdir(exist_ok=True)
    shutil.copyfile(sample_pdf, inbox / "standard.pdf")
    through_verification(dagster, deadline, monkeypatch)


def through_verification(
    dagster: DagsterOnPostgres, deadline: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wait until the dropped PDF is verified and every run finished, then read the outcome back from
    GraphQL, from the instance as Dagster opens it, and from Postgres's own tables."""
    port, processes, log = dagster.port, dagster.processes, dagster.log

    def verified():
        stats = partition_stats(port, "verification")
        return stats and stats["numMaterialized"] == 1 and verification_checks_ran(port)

    checks = wait_for("verification and its checks", verified, processes, log, deadline)
    assert {c["name"] for c in checks} == set(CheckName)
    final = wait_for("the remaining runs to finish", lambda: all_finished(port), processes, log, deadline)
    statuses = {c["name"]: c["executionForLatestMaterialization"]["status"] for c in checks}
    print(f"\n{len(final)} runs:\n{summary(final)}\nverification checks: {statuses}")
    assert {r["status"] for r in final} == {"SUCCESS"}, summary(final)
    batches = partition_stats(port, "parsed_batch")
    assert batches["numPartitions"] >= 2 and batches["numFailed"] == 0, batches
    assert len([r for r in final if batch_of(r)]) == batches["numPartitions"]

    # the instance as Dagster opens it from this DAGSTER_HOME: the runs and materializations are there
    for name, value in {**dagster.database.env, "DAGSTER_HOME": str(dagster.home)}.items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__module__.startswith("dagster_postgres"), instance.run_storage
        records = instance.get_run_records()
        assert {r.dagster_run.run_id: r.dagster_run.status.value for r in records} == {
            r["runId"]: r["status"] for r in final
        }
        for asset in SPINE:
            assert instance.get_latest_materialization_event(AssetKey(asset)), asset
        # the load the last run set off: the runs are only all finished once automation saw that run end
        assert instance.get_latest_materialization_event(AssetKey("verification_tables"))
        assert len(instance.get_materialized_partitions(AssetKey("parsed_batch"))) == batches["numPartitions"]
        for check in checks:  # a check that did not run stays planned in a finished run: SKIPPED
            key = AssetCheckKey(AssetKey("verification"), check["name"])
            [latest] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
            status = check["executionForLatestMaterialization"]["status"]
            assert latest.status.value == {"SKIPPED": "PLANNED"}.get(status, status), (check, latest)
            assert latest.run_id in {r["runId"] for r in final}

    # and in Postgres's own tables, with nothing stored in SQLite beside the instance file
    connection = dagster.database.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT run_id, status FROM runs")
            in_postgres = dict(cursor.fetchall())
            cursor.execute(
                "SELECT DISTINCT asset_key FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
            )
            materialized = {json.loads(key)[0] for (key,) in cursor.fetchall()}
    finally:
        connection.close()
    assert in_postgres == {r["runId"]: "SUCCESS" for r in final}
    assert set(SPINE) <= materialized
    assert not [p for p in dagster.home.rglob("*") if p.suffix == ".db"], "SQLite files in DAGSTER_HOME"

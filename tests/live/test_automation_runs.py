"""Live: a terminated batch run cancels its job and does not stall its document (green first runs:
test_inbox_to_batches).

A real `dagster dev` (webserver + daemon) whose parse worker is the emulated RunPod endpoint running real
MinerU (`tests/runpod_emulator.py`, served by `benchmarks/runpod_bench_location.py`). The endpoint holds
the first job it receives in its queue (the `queue_delay_s` fault), so the run that submitted it is still
waiting on its parse when it is terminated, whatever the machine's speed. The runs are read from the
instance through GraphQL, with their status and tags.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platform_assets.batch_resume_sensor import RESUMES_TAG
from tests.live.processes import stop
from tests.live.test_inbox_to_batches import (
    REPO,
    all_finished,
    batch_of,
    free_port,
    graphql,
    partition_stats,
    runs,
    summary,
    wait_for,
)
from tests.runpod_emulator import RunPodEmulator

DEADLINE_S = 600
LOCATION = REPO / "benchmarks" / "runpod_bench_location.py"
pytestmark = [pytest.mark.slow, pytest.mark.live]

TERMINATE = """
mutation ($runId: String!) { terminateRun(runId: $runId) {
  __typename ... on TerminateRunFailure { message } ... on PythonError { message } } }
"""


@pytest.fixture
def emulator():
    with RunPodEmulator(workers=1, mode="mineru") as endpoint:
        yield endpoint


@pytest.fixture
def dagster_on_emulator(tmp_path, emulator):
    """`dagster dev` on a private instance, parsing on the emulated endpoint: port, inbox, process, log."""
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        (REPO / "dagster.yaml").read_text().replace("base_dir: .dagster", f"base_dir: {home}/.dagster")
    )
    (home / "workspace.yaml").write_text(
        f"load_from:\n  - python_file:\n      relative_path: {LOCATION}\n"
        f"      working_directory: {REPO}\n      location_name: emulated_runpod\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PLATFORM_DATA_DIR": str(tmp_path / "data"),
        "PLATFORM_INBOX": str(inbox),
        "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{port}",
        "PLATFORM_BATCH_TARGET_PAGES": "25",
        "PLATFORM_BATCH_MAX_PAGES": "40",
        "PLATFORM_WORKER": "runpod",
        "RUNPOD_ENDPOINT_ID": emulator.endpoint_id,
        "RUNPOD_API_KEY": emulator.api_key,
        "BENCH_RUNPOD_URL": emulator.root_url,
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "dagster-dev.log"
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(home / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield port, inbox, process, log
    finally:
        stop(process)


def verified(port: int) -> bool:
    stats = partition_stats(port, "verification")
    return bool(stats and stats["numMaterialized"] == 1)


def test_a_terminated_batch_run_cancels_its_job_and_is_resumed(dagster_on_emulator, emulator, sample_pdf):
    port, inbox, process, log = dagster_on_emulator
    deadline = time.monotonic() + DEADLINE_S
    emulator.next_job(queue_delay_s=DEADLINE_S)  # the first batch submitted waits in the endpoint's queue
    wait_for(
        "the webserver", lambda: partition_stats(port, "parsed_batch") is not None, process, log, deadline
    )
    inbox.mkdir(exist_ok=True)
    shutil.copyfile(sample_pdf, inbox / "standard.pdf")

    held = wait_for(
        "a batch submitted", lambda: next(iter(list(emulator.jobs.values())), None), process, log, deadline
    )

    def the_run_waiting_on_it():
        held_batch = held.input["basename"]  # the batch key, `~` written `_`
        started = (r for r in runs(port) if r["status"] == "STARTED")
        return next((r for r in started if (batch_of(r) or "").replace("~", "_") == held_batch), None)

    victim = wait_for("the run of the held batch", the_run_waiting_on_it, process, log, deadline)
    assert held.status == "IN_QUEUE"
    answer = graphql(port, TERMINATE, {"runId": victim["runId"]})["terminateRun"]
    assert answer["__typename"] == "TerminateRunSuccess", answer
    batch = batch_of(victim)
    wait_for("the held job to be cancelled", lambda: held.status == "CANCELLED", process, log, deadline)

    wait_for("verification after the resumed batch", lambda: verified(port), process, log, deadline)
    final = wait_for("the remaining runs to finish", lambda: all_finished(port), process, log, deadline)
    print(f"\n{len(final)} runs:\n{summary(final)}")
    by_id = {r["runId"]: r for r in final}
    assert by_id[victim["runId"]]["status"] == "CANCELED"
    [resumed] = [r for r in final if r["tags"].get(RESUMES_TAG) == batch]
    assert resumed["status"] == "SUCCESS"
    assert victim["runId"] in resumed["tags"]["platform/resume_reason"]
    assert [r for r in final if r["status"] != "SUCCESS"] == [by_id[victim["runId"]]], summary(final)
    assert emulator.calls("cancel", held.id) >= 1

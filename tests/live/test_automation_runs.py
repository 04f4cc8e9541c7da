"""Live: a terminated batch run does not stall its document (green first runs: test_inbox_to_batches).

A real `dagster dev` (webserver + daemon, the `dagster_dev` fixture); the runs are read
from the instance through GraphQL, with their status and tags.
"""

from __future__ import annotations

import shutil
import time

import pytest

from platform_assets.batch_resume_sensor import RESUMES_TAG
from tests.live.test_inbox_to_batches import (
    all_finished,
    batch_of,
    graphql,
    partition_stats,
    runs,
    summary,
    wait_for,
)

DEADLINE_S = 600
pytestmark = [pytest.mark.slow, pytest.mark.live]

TERMINATE = """
mutation ($runId: String!) { terminateRun(runId: $runId) {
  __typename ... on TerminateRunFailure { message } ... on PythonError { message } } }
"""


def verified(port: int) -> bool:
    stats = partition_stats(port, "verification")
    return bool(stats and stats["numMaterialized"] == 1)


def drop_pdf(dagster_dev, sample_pdf) -> None:
    port, inbox, _data, process, log = dagster_dev
    wait_for(
        "the webserver",
        lambda: partition_stats(port, "parsed_batch") is not None,
        process,
        log,
        time.monotonic() + 120,
    )
    inbox.mkdir(exist_ok=True)
    shutil.copyfile(sample_pdf, inbox / "standard.pdf")


def test_a_terminated_batch_run_is_resumed_and_its_document_completes(dagster_dev, sample_pdf):
    port, _inbox, _data, process, log = dagster_dev
    deadline = time.monotonic() + DEADLINE_S
    drop_pdf(dagster_dev, sample_pdf)

    def a_started_batch_run():
        return next(
            (r for r in runs(port) if r["status"] == "STARTED" and batch_of(r)),
            None,
        )

    victim = wait_for("a parsed_batch run to start", a_started_batch_run, process, log, deadline)
    answer = graphql(port, TERMINATE, {"runId": victim["runId"]})["terminateRun"]
    assert answer["__typename"] == "TerminateRunSuccess", answer
    batch = batch_of(victim)

    wait_for("verification after the resumed batch", lambda: verified(port), process, log, deadline)
    final = wait_for("the remaining runs to finish", lambda: all_finished(port), process, log, deadline)
    print(f"\n{len(final)} runs:\n{summary(final)}")
    by_id = {r["runId"]: r for r in final}
    assert by_id[victim["runId"]]["status"] == "CANCELED"
    [resumed] = [r for r in final if r["tags"].get(RESUMES_TAG) == batch]
    assert resumed["status"] == "SUCCESS"
    assert victim["runId"] in resumed["tags"]["platform/resume_reason"]
    assert [r for r in final if r["status"] != "SUCCESS"] == [by_id[victim["runId"]]], summary(final)

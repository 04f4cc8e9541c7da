"""Racing Dagster materializations of one document's batches from real processes, on loopback.

`python -m tests.racing ROOT DOC_ID OUT [--delay-s S] [--go FILE] [--reverse]` materializes every
batch of the document's plan under data folder ROOT, one run per batch (as `ingest --wait` does), with
a `CountingWorker`; with `--go`, it touches `FILE.<pid>.ready` and starts once FILE exists. It writes
`{batch key: [reused, job id]}` to OUT.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import dagster as dg

from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from platform_assets.local_run import _run
from resources.parse_worker import JobHandle, WorkerRun
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings
from tests.integration.test_batch_failures import CannedWorker
from worker_contract.contract import JobInput

CALLS = "worker-calls.log"
"""Beside the data folder: one line per job submitted to any `CountingWorker`, `<pid> <first>-<last>`."""


class CountingWorker(CannedWorker):
    """The canned worker, taking `delay_s` per job and logging every submitted job to `calls`."""

    delay_s: float = 0.0
    calls: str = ""

    def submit(self, job: JobInput) -> JobHandle:
        with open(self.calls, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {job.start_page}-{job.end_page}\n")
        return super().submit(job)

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        time.sleep(self.delay_s)
        return super().wait(handle, timeout_s)


def resources(paths: PlatformPaths, delay_s: float = 0.0) -> dict:
    calls = str(paths.root.parent / CALLS)
    return {
        **default_resources(PlatformSettings(paths)),
        "worker": CountingWorker(delay_s=delay_s, calls=calls),
        "planner": PlannerSettings(target_pages=10, max_pages=20),
    }


def plan_document(paths: PlatformPaths, doc_id: str, instance: dg.DagsterInstance) -> list[str]:
    """Materialize source_pdf and batch_plan; the plan's batch keys."""
    _run(
        PlatformSettings(paths),
        instance,
        resources(paths),
        dg.AssetSelection.assets("source_pdf", "batch_plan"),
        doc_id,
    )
    plan = Registry(paths.registry).plan(doc_id)
    assert plan is not None
    return [b.key for b in plan.batches]


def materialize_batch(
    paths: PlatformPaths, key: str, instance: dg.DagsterInstance, delay_s: float = 0.0
) -> tuple[bool, str]:
    """One `parsed_batch` run; (reused, job id) from its materialization."""
    result = _run(
        PlatformSettings(paths),
        instance,
        resources(paths, delay_s),
        dg.AssetSelection.assets("parsed_batch"),
        key,
    )
    [materialization] = result.asset_materializations_for_node("parsed_batch")
    metadata = materialization.metadata
    return bool(metadata["reused"].value), str(metadata["job_id"].value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("doc_id")
    parser.add_argument("out", type=Path)
    parser.add_argument("--delay-s", type=float, default=0.0)
    parser.add_argument("--go", type=Path)
    parser.add_argument("--reverse", action="store_true", help="last batch first")
    args = parser.parse_args()
    paths = PlatformPaths(args.root)
    keys = [b.key for b in Registry(paths.registry).plan(args.doc_id).batches]
    keys = keys[::-1] if args.reverse else keys
    with dg.instance_for_test() as instance:  # each process its own instance, as two CLIs or CLI + daemon
        if args.go is not None:
            args.go.with_name(f"{args.go.name}.{os.getpid()}.ready").touch()
            while not args.go.exists():
                time.sleep(0.005)
        outcome = {key: materialize_batch(paths, key, instance, args.delay_s) for key in keys}
    args.out.write_text(json.dumps(outcome))


if __name__ == "__main__":
    main()

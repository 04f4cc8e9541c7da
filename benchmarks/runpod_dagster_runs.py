"""`bench_runpod_makespan.py --through-dagster`: the batches as real Dagster runs launched by a daemon.

A private DAGSTER_HOME (the repository's instance settings, storage in a temporary folder), a document whose
outline has one clause per batch (so the plan cuts exactly there), its `source_pdf` and `batch_plan`
materialized in process; then `dagster-daemon` serves `runpod_bench_location.py` and automation requests
every `parsed_batch` partition, which the queued run coordinator launches within the `runpod_gpu` pool.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GPU_S_PER_PAGE = 0.96
"""One A5000 on ECMA-376 (docs/design.md §3): a 100-page batch takes about 96 s of parse alone."""
DEADLINE_S = int(os.environ.get("BENCH_DEADLINE_S", "900"))


def outlined_pdf(path: Path, plan: list[tuple[int, int]]) -> None:
    """A PDF with one top-level bookmark at the first page of each planned batch."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), invariant=True)
    starts = {first: index for index, (first, _) in enumerate(plan, start=1)}
    for page in range(plan[-1][1] + 1):
        if page in starts:
            key = f"c{starts[page]}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(f"{starts[page]} Clause {starts[page]}", key, level=0)
        canvas.drawString(72, 720, f"Page {page + 1}")
        canvas.showPage()
    canvas.save()


def instance_yaml(home: Path, queue: dict[str, Any], max_runs: int | None = None) -> str:
    """The repository's dagster.yaml with its storage under `home`, the run coordinator's config updated
    with `queue` (and `max_runs` runs at once)."""
    import yaml

    config = yaml.safe_load((REPO / "dagster.yaml").read_text().replace(".dagster/", f"{home}/.dagster/"))
    config["run_coordinator"].setdefault("config", {}).update(queue)
    if max_runs is not None:
        config["concurrency"]["runs"]["max_concurrent_runs"] = max_runs
    return yaml.safe_dump(config)


MULTIPROCESS_LOCATION = """import dagster as dg
from dagster._record import copy
from benchmarks import runpod_bench_location as platform

defs = copy(platform.defs, executor=dg.multiprocess_executor)
"""
"""`--step-processes`: the platform's location with Dagster's default executor, a process per step."""


def through_dagster(
    plan: list[tuple[int, int]],
    workers: int,
    ms_per_page: float,
    queue: dict[str, Any],
    prefetch_setting: str = "0",
    prefetch: int = 0,
    step_processes: bool = False,
    max_runs: int | None = None,
) -> None:
    import dagster as dg

    from platform_assets.domain.intake.intake import register_pdf
    from platform_assets.domain.intake.registry import Registry
    from platform_assets.local_run import _run
    from resources.settings import PlatformSettings
    from tests.runpod_emulator import RunPodEmulator

    with (
        tempfile.TemporaryDirectory(prefix="bench-runpod-dagster-") as tmp,
        RunPodEmulator(workers=workers, mode="fake", fake_ms_per_page=ms_per_page) as emulator,
    ):
        home = Path(tmp)
        (home / "dagster.yaml").write_text(instance_yaml(home, queue, max_runs))
        location = REPO / "benchmarks" / "runpod_bench_location.py"
        if step_processes:
            location = home / "multiprocess_location.py"
            location.write_text(MULTIPROCESS_LOCATION)
        (home / "workspace.yaml").write_text(
            f"load_from:\n  - python_file:\n      relative_path: {location}\n"
            f"      working_directory: {REPO}\n      location_name: bench\n"
        )
        os.environ.update(
            DAGSTER_HOME=str(home),
            PLATFORM_DATA_DIR=str(home / "data"),
            PLATFORM_INBOX=str(home / "inbox"),
            PLATFORM_WORKER="runpod",
            RUNPOD_ENDPOINT_ID=emulator.endpoint_id,
            RUNPOD_API_KEY=emulator.api_key,
            BENCH_RUNPOD_URL=emulator.root_url,
            PLATFORM_BATCH_TARGET_PAGES="10",
            PLATFORM_BATCH_MAX_PAGES="200",
            PLATFORM_GPU_PREFETCH=prefetch_setting,
        )
        pdf = home / "ecma-like.pdf"
        outlined_pdf(pdf, plan)
        settings = PlatformSettings.from_env()
        doc_id = register_pdf(
            pdf, Registry(settings.paths.registry), settings.paths.landing, "bench"
        ).record.doc_id
        with dg.DagsterInstance.get() as instance:
            queue_config = instance.run_coordinator.inst_data.config_dict
            runs_at_once = instance.get_concurrency_config().run_queue_config.max_concurrent_runs
            print(f"run coordinator: {queue_config}, runs at once: {runs_at_once}")
            instance.event_log_storage.set_concurrency_slots("runpod_gpu", workers + prefetch)
            for asset in ("source_pdf", "batch_plan"):
                _run(settings, instance, None, dg.AssetSelection.assets(asset), doc_id)
            starts = {b.key: b.first_page for b in Registry(settings.paths.registry).plan(doc_id).batches}
            print(f"document {doc_id}: {len(starts)} batches planned; daemon starting")
            clock_offset = time.time() - time.monotonic()
            log = (home / "daemon.log").open("w")
            daemon = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster-daemon"),
                    "run",
                    "-w",
                    str(home / "workspace.yaml"),
                ],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_for_line(home / "daemon.log", "Finished auto-materialization tick")
                # The plan updated while automation watches: every batch partition is requested at once.
                _run(settings, instance, None, dg.AssetSelection.assets("batch_plan"), doc_id)
                materialized = _wait_for_batches(instance, len(starts))
                stages = _run_stages(instance, clock_offset, starts)
            except TimeoutError:
                runs = instance.get_run_records()
                print("runs by status:", dict(Counter(r.dagster_run.status.value for r in runs)))
                for record in runs:
                    failures = instance.all_logs(
                        record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
                    )
                    for entry in failures[:1]:
                        print(
                            "a failed step:", entry.dagster_event.step_failure_data.error.to_string()[-1500:]
                        )
                        break
                print(
                    "daemon log (tail):\n" + "\n".join((home / "daemon.log").read_text().splitlines()[-40:])
                )
                raise
            finally:
                daemon.terminate()
                daemon.wait(60)
    _report(emulator, materialized, starts, clock_offset, workers, ms_per_page)
    print(f"prefetch (parse runs beyond workersMax): {prefetch} (PLATFORM_GPU_PREFETCH={prefetch_setting})")
    print(f"executor: {'a process per step (multiprocess)' if step_processes else 'in process'}")
    _report_stages(stages, emulator, starts)


STAGES = ("RUN_ENQUEUED", "RUN_STARTING", "RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "RUN_SUCCESS")


def _run_stages(instance, offset: float, batches: Iterable[str]) -> dict[str, dict[str, float]]:
    """Batch key -> the monotonic time of each stage of its run (first occurrence)."""
    wanted = set(batches)
    found: dict[str, dict[str, float]] = {}
    for record in instance.get_run_records():
        run = record.dagster_run
        # a run of its own, or one partition of a backfill that automation emitted
        key = run.tags.get("dagster/partition") or run.tags.get("dagster/asset_partition_range_start")
        if key not in wanted:
            continue
        times: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            name = event.event_type.name if event is not None else None
            if name in STAGES:
                times.setdefault(name, entry.timestamp - offset)
        found[key] = times
    return found


def _report_stages(stages: dict[str, dict[str, float]], emulator, starts: dict[str, int]) -> None:
    """Mean seconds between the stages of a batch's run, the endpoint's job inside it."""
    jobs = {job.input.get("start_page"): job for job in emulator.jobs.values() if job.status == "COMPLETED"}
    spans: dict[str, list[float]] = {}
    for key, times in stages.items():
        job = jobs.get(starts.get(key))
        marks = [(stage, times.get(stage)) for stage in STAGES[:4]]
        if job is not None:
            marks += [("job submitted", job.submitted_at), ("job done", job.finished_at)]
        marks += [(stage, times.get(stage)) for stage in STAGES[4:]]
        for (a, at), (b, bt) in pairwise(marks):
            if at is not None and bt is not None:
                spans.setdefault(f"{a} -> {b}", []).append(bt - at)
    ends = sorted(times["RUN_SUCCESS"] for times in stages.values() if "RUN_SUCCESS" in times)
    for times in stages.values():  # a run dequeued when an earlier one had ended: the slot hand-over
        freed = [end for end in ends if times.get("RUN_ENQUEUED", end) < end < times.get("RUN_STARTING", 0)]
        if freed:
            spans.setdefault("a run ended -> next RUN_STARTING", []).append(times["RUN_STARTING"] - freed[-1])
    print("a parsed_batch run, stage by stage (mean / max s):")
    for name, values in spans.items():
        print(f"  {name:42s} {statistics.mean(values):6.2f} {max(values):6.2f}")


def _wait_for_line(log: Path, line: str) -> None:
    """Until the daemon's log holds `line` (its automation has evaluated once)."""
    deadline = time.monotonic() + 120
    while line not in log.read_text():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the daemon never logged {line!r}")
        time.sleep(0.5)


def _wait_for_batches(instance, batches: int) -> dict[str, float]:
    """Partition -> epoch time of its first `parsed_batch` materialization, once all exist."""
    import dagster as dg

    deadline = time.monotonic() + DEADLINE_S
    while True:
        records = instance.fetch_materializations(dg.AssetKey("parsed_batch"), limit=10_000).records
        found: dict[str, float] = {}
        for record in sorted(records, key=lambda r: r.timestamp):
            found.setdefault(record.partition_key, record.timestamp)
        if len(found) >= batches:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(found)} of {batches} batches materialized in {DEADLINE_S} s")
        time.sleep(1.0)


def _report(
    emulator,
    materialized: dict[str, float],
    starts: dict[str, int],
    offset: float,
    workers: int,
    ms_per_page: float,
) -> None:
    """Figures from the endpoint's job records (monotonic clock) and the materializations (epoch)."""
    jobs = [job for job in emulator.jobs.values() if job.status == "COMPLETED"]
    by_worker: dict[str, list] = {}
    for job in jobs:
        by_worker.setdefault(job.worker_id, []).append(job)
    gaps, unsubmitted = [], []
    for own in by_worker.values():
        own.sort(key=lambda job: job.started_at)
        gaps += [after.started_at - before.finished_at for before, after in pairwise(own)]
        # the worker freed before its next job existed: it waited for a run to be launched
        unsubmitted += [after.submitted_at - before.finished_at for before, after in pairwise(own)]
    done_at = {job.input.get("start_page"): job.finished_at for job in jobs}
    to_materialized = [materialized[key] - offset - done_at[first] for key, first in starts.items()]
    work = [job.finished_at - job.started_at for job in jobs]
    wall = max(materialized.values()) - offset - min(job.submitted_at for job in jobs)
    ideal = max(sum(work) / workers, max(work))
    print(f"runs {len(materialized)} (jobs done on the endpoint: {len(jobs)}), workersMax {workers}")
    print(f"work per batch at {ms_per_page:g} ms/page: mean {statistics.mean(work):.2f} s")
    print(f"worker idle gap between two batches: mean {statistics.mean(gaps):.2f} s, max {max(gaps):.2f} s")
    late = [lag for lag in unsubmitted if lag > 0]
    print(
        f"  gaps whose next job was not yet submitted when the worker freed: {len(late)} of {len(gaps)}"
        + (f", submitted {statistics.mean(late):.2f} s later on average" if late else "")
    )
    print(
        f"job done -> batch materialized: mean {statistics.mean(to_materialized):.2f} s, "
        f"max {max(to_materialized):.2f} s"
    )
    print(f"makespan {wall:.1f} s vs ideal {ideal:.1f} s: {wall / ideal:.2f}x")
    gpu_batch = 100 * GPU_S_PER_PAGE
    projected = (gpu_batch + statistics.mean(gaps)) / gpu_batch
    print(f"projected makespan ratio for 100-page GPU batches ({gpu_batch:.0f} s each): {projected:.3f}x")
    verdict = "met" if max(gaps) < 2.0 else "NOT met"
    print(f"goal (idle gap of a worker slot under 2 s, mean and max): {verdict}")

"""Telemetry on vs off: the overhead per worker job and per batch run (goal: under 1% per batch run).

On means exporting OTLP/HTTP to a collector on loopback (`tests/otlp_receiver.py`, in this process: its
decoding counts on the on side), configured the way Axiom is (`tests/conftest.py::axiom_env`; its export
intervals are the tests' short ones, so this exports more often than the SDK defaults would). On and off
alternate, each pair in the other order than the last; every on measurement is checked to have reached the
collector. Both comparisons are shown whole and less MinerU's parse phase (as the worker reports it), which
holds most of this machine's noise.
- Worker job: `run_job` in this process on pages of the sample standard (MinerU flash, `volume_path`),
  after a warm-up job each way; on = `configure("mineru-worker")` before the job and `shutdown()` after it
  (the drain is timed apart: a long-lived worker exports in the background). Then the instrumentation
  alone: a `JobObservation` (job span, three phase spans, metrics) and the job's two log events around no
  work, in rounds that export nothing meanwhile; the flush after each round is timed apart (its export).
- Batch run: one `parsed_batch` partition materialized through Dagster in this process, a real parse each
  time (the stored batch is deleted first), on warm LocalWorkers (OTEL_* is part of their fingerprint: on
  and off have one each, both warmed first). Then the orchestrator's cost alone: a `BatchObservation`
  lifecycle with its flush to the collector, and what a fresh step process adds before it (SDK imports,
  providers, and the full garbage collection their allocations set off on Dagster's heap): the daemon
  runs each step in a new process, this benchmark runs them in its own.
Usage: `.venv/bin/python benchmarks/bench_telemetry.py [--reps 5] [--job-pages 10]`.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.otlp_receiver import OtlpReceiver  # noqa: E402

T = TypeVar("T")
GOAL = 0.01
GPU_PAGES_PER_S = 1.04
"""One A5000 on ECMA-376 (docs/design.md §3): a 100-page batch takes about 96 s of parse alone there."""
OBSERVATION_ROUNDS = 20
OBSERVATIONS_PER_ROUND = 100
"""Four spans and two log records each: 400 spans a round, under the 512 that wake an exporter early."""
HELD_EXPORTS = dict.fromkeys(
    ("OTEL_BSP_SCHEDULE_DELAY", "OTEL_BLRP_SCHEDULE_DELAY", "OTEL_METRIC_EXPORT_INTERVAL"), "600000"
)
"""Nothing exports while a round is timed; the flush after it exports the round, timed apart."""
BATCH_OBSERVATIONS = 20
STEP_PROCESSES = 3
STEP_PROCESS = (
    "import gc, time, platform_assets.definitions\n"
    "from platform_assets.edges.batch_telemetry import platform_telemetry\n"
    "{before}\n"
    "started = time.perf_counter()\n"
    "assert platform_telemetry().enabled\n"
    "print(time.perf_counter() - started)\n"
)
"""A step process that has loaded the code location starts telemetry; prints the seconds that took."""


class TelemetrySwitch:
    """Telemetry on (exporting to `receiver`) or off, in this process and in the workers started meanwhile."""

    def __init__(self, receiver: OtlpReceiver) -> None:
        from tests.conftest import axiom_env

        self.receiver = receiver
        self.env = axiom_env(receiver.endpoint)

    def on(self) -> None:
        os.environ.update(self.env)

    def off(self) -> None:
        import telemetry

        telemetry.shutdown()
        for name in self.env:
            if name.startswith("OTEL_"):
                del os.environ[name]

    def exported(self, span_name: str) -> int:
        """Spans of that name the collector has accepted so far."""
        return sum(1 for span in self.receiver.spans() if span.name == span_name)


def alternating(reps: int, off: Callable[[], T], on: Callable[[], T]) -> tuple[list[T], list[T]]:
    """`reps` pairs of measurements, off then on, on then off, and so on (drift hits both alike)."""
    offs: list[T] = []
    ons: list[T] = []
    for rep in range(reps):
        for measure, into in ((off, offs), (on, ons))[:: 1 if rep % 2 == 0 else -1]:
            into.append(measure())
    return offs, ons


def spread(seconds: list[float], unit: str) -> str:
    """Median and interquartile range in `unit` ("ms" or "s")."""
    scale, digits = (1e3, 1) if unit == "ms" else (1, 2)
    low, median, high = (q * scale for q in statistics.quantiles(seconds, n=4, method="inclusive"))
    return f"median {median:8.{digits}f} {unit} (IQR {low:.{digits}f}-{high:.{digits}f})"


def overhead(offs: list[float], ons: list[float], base: float | None = None) -> str:
    """On vs off as a share of `base` (default: the median off): the difference of the medians, and the
    median of the paired differences."""
    off, on = statistics.median(offs), statistics.median(ons)
    base = base or off
    paired = statistics.median(b - a for a, b in zip(offs, ons, strict=True))
    return f"{(on - off) / base:+8.2%} (paired differences: median {paired / base:+.2%})"


def compare(offs: list[tuple[float, float]], ons: list[tuple[float, float]], unit: str) -> float:
    """Prints both ways and the overhead, of the whole and of all but the parse; returns the median on."""
    off_s, on_s = [whole for whole, _ in offs], [whole for whole, _ in ons]
    off_rest, on_rest = [rest for _, rest in offs], [rest for _, rest in ons]
    print(f"  telemetry off     {spread(off_s, unit)}")
    print(f"  telemetry on      {spread(on_s, unit)}")
    print(f"  overhead          {overhead(off_s, on_s)}")
    print("  all but the parse (less MinerU's parse phase, which holds most of the noise)")
    print(f"    telemetry off   {spread(off_rest, unit)}")
    print(f"    telemetry on    {spread(on_rest, unit)}")
    print(f"    overhead        {overhead(off_rest, on_rest, statistics.median(off_s))} of the whole")
    return statistics.median(on_s)


def job_payload(pdf: Path, pages: int) -> dict:
    return {"input": {"volume_path": str(pdf), "start_page": 0, "end_page": pages - 1, "tier": "flash"}}


def bench_jobs(pdf: Path, pages: int, reps: int, switch: TelemetrySwitch) -> float:
    """Prints the worker job comparison; returns the median job seconds with telemetry on."""
    import telemetry
    from gpu_image.worker.job import run_job
    from gpu_image.worker.job_telemetry import WorkerInstruments

    payload = job_payload(pdf, pages)
    drains: list[float] = []
    exported = switch.exported("mineru.job")

    def job() -> tuple[float, float]:
        """Seconds of the job, and of all in it but its MinerU parse (the noisy part)."""
        started = time.perf_counter()
        output = run_job(payload, worker_id="bench", job_id="bench-job")
        seconds = time.perf_counter() - started
        assert output.get("ok"), output
        return seconds, seconds - output["debug"]["phase_ms"]["mineru_parse"] / 1000

    def job_on() -> tuple[float, float]:
        switch.on()
        telemetry.configure("mineru-worker").instruments(WorkerInstruments.create)  # a warm worker has both
        measured = job()
        started = time.perf_counter()
        switch.off()
        drains.append(time.perf_counter() - started)
        return measured

    job(), job_on()  # warm-up: MinerU's first parse, the SDK's imports and first export
    offs, ons = alternating(reps, job, job_on)
    assert switch.exported("mineru.job") == exported + 1 + reps, "an on job's span did not arrive"
    print(f"worker job          {pages} pages of {pdf.name}, MinerU flash, {reps} jobs each way")
    job_s = compare(offs, ons, "ms")
    print(f"  export drained    {spread(drains, 'ms')} after the job (shutdown, off the job's path)")
    return job_s


def bench_job_observation(pdf: Path, pages: int, switch: TelemetrySwitch, job_s: float) -> None:
    """Prints the worker's instrumentation alone per job, off and on, and as a share of a `job_s` job."""
    import telemetry
    from gpu_image.worker.job_telemetry import PHASE_SPANS, JobObservation
    from worker_contract.contract import parse_job_input

    payload = job_payload(pdf, pages)
    job = parse_job_input(payload)
    log = logging.getLogger("gpu_image.worker")

    def lifecycle() -> None:
        with JobObservation(
            payload, worker_id="bench", job_id="j", warmup=False, cold_start=False
        ) as observed:
            observed.job_input(job)
            log.info("starting job", extra={"data": {"source": job.source, "pages": [0, pages - 1]}})
            for phase in PHASE_SPANS:
                with observed.phase(phase):
                    pass
            observed.succeeded(
                pages=pages, input_bytes=1, result_bytes=1, degraded=0, version="4.0.12", gpu=None
            )
            log.info("done", extra={"data": {"phase_ms": observed.phase_ms, "pages_parsed": pages}})

    def per_job() -> tuple[float, float]:
        """Median seconds per job of a round, and of the flush that exports it."""
        rounds, flushes = [], []
        for _ in range(OBSERVATION_ROUNDS):
            started = time.perf_counter()
            for _ in range(OBSERVATIONS_PER_ROUND):
                lifecycle()
            flushing = time.perf_counter()
            telemetry.active().flush()
            rounds.append((flushing - started) / OBSERVATIONS_PER_ROUND)
            flushes.append((time.perf_counter() - flushing) / OBSERVATIONS_PER_ROUND)
        return statistics.median(rounds), statistics.median(flushes)

    off, _ = per_job()
    exported = switch.exported("mineru.job")
    switch.on()
    os.environ.update(HELD_EXPORTS)
    telemetry.configure("mineru-worker")
    lifecycle()  # instruments created, as in a worker that ran a job before
    on, export = per_job()
    switch.off()
    expected = exported + 1 + OBSERVATION_ROUNDS * OBSERVATIONS_PER_ROUND
    assert switch.exported("mineru.job") == expected, "the exporters dropped spans"
    print(
        f"  instrumentation   {on * 1e6:8.0f} us per job on, {off * 1e6:.0f} us off (JobObservation, "
        f"3 phases, metrics, 2 logs; no work): {on / job_s:.3%} of the job"
    )
    print(f"  its export        {export * 1e6:8.0f} us per job (flush: encode, POST, the collector's decode)")


def bench_batches(pdf: Path, reps: int, switch: TelemetrySwitch, work: Path) -> tuple[float, int, Path]:
    """Prints the batch run comparison; returns the median run seconds with telemetry on, the batch's
    pages and the timings folder."""
    import dagster as dg

    from platform_assets.definitions import default_resources
    from platform_assets.domain.common.platform_paths import PlatformPaths
    from platform_assets.domain.intake.intake import register_pdf
    from platform_assets.domain.intake.registry import Registry
    from platform_assets.domain.observe.timing_records import load_records
    from platform_assets.domain.parse.batch_store import batch_dir
    from platform_assets.local_run import _run
    from resources.parse_worker import LocalWorker
    from resources.settings import PlatformSettings

    paths = PlatformPaths(work / "data")
    worker = LocalWorker(spool_dir=str(work / "spool"))
    resources = {**default_resources(PlatformSettings(paths)), "worker": worker}
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "bench").record.doc_id
    exported = {name: switch.exported(name) for name in ("platform.batch", "mineru.job")}
    try:
        with dg.instance_for_test() as instance:
            _run(
                PlatformSettings(paths),
                instance,
                resources,
                dg.AssetSelection.assets("source_pdf", "batch_plan"),
                doc_id,
            )
            plan = Registry(paths.registry).plan(doc_id)
            assert plan is not None, "batch_plan registers the plan"
            batch = max(plan.batches, key=lambda b: b.last_page - b.first_page)

            def run() -> tuple[float, float]:
                """Seconds of the run, and of all in it but the worker's MinerU parse (the noisy part)."""
                shutil.rmtree(batch_dir(paths.batches, doc_id, batch.key), ignore_errors=True)
                started = time.perf_counter()
                result = _run(
                    PlatformSettings(paths),
                    instance,
                    resources,
                    dg.AssetSelection.assets("parsed_batch"),
                    batch.key,
                )
                seconds = time.perf_counter() - started
                (record,) = [r for r in load_records(paths.timings) if r.run_id == result.run_id]
                return seconds, seconds - (record.phase("parse") or 0.0)

            def run_on() -> tuple[float, float]:
                switch.on()
                measured = run()
                switch.off()
                return measured

            run(), run_on()  # each starts its warm worker (a cold start) and warms this process
            offs, ons = alternating(reps, run, run_on)
    finally:
        for state in (switch.on, switch.off):  # both fingerprints' workers (the on one flushes as it stops)
            state()
            worker.stop_workers()
    for name, before in exported.items():
        assert switch.exported(name) == before + 1 + reps, f"an on run's {name} span did not arrive"
    pages = batch.last_page - batch.first_page + 1
    print(
        f"batch run           {pages} pages ({batch.key}), parsed_batch through Dagster, {reps} runs each way"
    )
    return compare(offs, ons, "s"), pages, paths.timings


def bench_batch_observation(timings: Path, switch: TelemetrySwitch, batch_s: float) -> float:
    """Prints one `BatchObservation` lifecycle (its flush included), off and on, median of several, and
    as a share of a `batch_s` run; returns the seconds on."""
    from platform_assets.domain.observe.timing_records import load_records
    from platform_assets.edges.batch_telemetry import BatchObservation

    record = next(r for r in load_records(timings) if r.status == "succeeded")

    def lifecycle() -> float:
        started = time.perf_counter()
        with BatchObservation(
            run_id=record.run_id,
            batch_key=record.batch_key,
            doc_id=record.doc_id,
            attempt=0,
            first_page=record.first_page,
            last_page=record.last_page,
        ) as observation:
            for mark in ("submit", "submitted"):
                observation.mark(mark)
            observation.job_fields()
            observation.submitted(record.job_id)
            for mark in ("wait", "waited", "store"):
                observation.mark(mark)
            observation.finished(record)
        return time.perf_counter() - started

    def median_s() -> float:
        lifecycle()  # telemetry configured and instruments created, as by an earlier attempt
        return statistics.median(lifecycle() for _ in range(BATCH_OBSERVATIONS))

    off = median_s()
    exported = switch.exported("platform.batch")
    switch.on()
    on = median_s()
    switch.off()
    assert switch.exported("platform.batch") == exported + 1 + BATCH_OBSERVATIONS, "a flush lost spans"
    print(
        f"  orchestrator      {on * 1e3:8.2f} ms per attempt on, {off * 1e6:.0f} us off "
        f"(BatchObservation with its flush): {on / batch_s:.2%} of the run"
    )
    return on


def step_process_s(before: str) -> float:
    """Median seconds fresh step processes spend starting telemetry after running `before`."""
    command = [sys.executable, "-c", STEP_PROCESS.format(before=before)]
    runs = [
        subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
        for _ in range(STEP_PROCESSES)
    ]
    return statistics.median(float(run.stdout) for run in runs)


def report_step_process(switch: TelemetrySwitch, lifecycle_s: float, batch_s: float, pages: int) -> None:
    """Prints what a fresh step process spends starting telemetry, with the `BatchObservation` lifecycle
    as a share of this `batch_s` run and of a GPU batch."""
    switch.on()
    try:
        step_s = step_process_s("")
        sdk_s = step_process_s("gc.collect()")  # the collection the SDK's allocations make due, done first
    finally:
        switch.off()
    own_s = lifecycle_s + step_s
    gpu_s = 100 / GPU_PAGES_PER_S  # the parse alone: a lower bound of such a run
    print(
        f"  fresh step        {step_s * 1e3:8.1f} ms more to start telemetry: "
        f"{own_s / batch_s:.2%} of the run with the above"
    )
    print(
        f"    of which        {sdk_s * 1e3:8.1f} ms SDK imports and providers, the rest a full garbage "
        "collection of the step's heap that their allocations set off"
    )
    print(f"  on a GPU          {own_s / gpu_s:8.2%} of a 100-page batch ({gpu_s:.0f} s of parse alone)")
    verdicts = ["holds" if own_s < GOAL * run_s else "MISSED" for run_s in (batch_s, gpu_s)]
    print(
        f"goal < {GOAL:.0%} per batch run (the orchestrator's own cost, fresh step): "
        f"{verdicts[0]} on this {pages}-page CPU batch, {verdicts[1]} on a 100-page GPU batch"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps", type=int, default=5, help="on/off pairs of batch runs (jobs: twice as many)"
    )
    parser.add_argument("--job-pages", type=int, default=10, help="pages per worker job")
    args = parser.parse_args()

    from gpu_image.worker.local import OFFLINE_ENV
    from samples.standard import build_sample_standard
    from telemetry import attach_log_handler

    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]  # off means off; on is exactly the Axiom-style env
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)  # as the worker processes set them
    worker_log = logging.getLogger("gpu_image.worker")
    attach_log_handler(worker_log)  # as `gpu_image.worker.local` does; inert while telemetry is off
    worker_log.setLevel(logging.INFO)

    with tempfile.TemporaryDirectory(prefix="bench-telemetry-") as tmp, OtlpReceiver() as receiver:
        work = Path(tmp)
        os.environ["TMPDIR"] = str(work)  # the workers, their spools and job folders stay in here
        tempfile.tempdir = None
        pdf = build_sample_standard(work / "sample").pdf
        switch = TelemetrySwitch(receiver)

        job_s = bench_jobs(pdf, args.job_pages, 2 * args.reps, switch)
        bench_job_observation(pdf, args.job_pages, switch, job_s)
        batch_s, pages, timings = bench_batches(pdf, args.reps, switch, work)
        lifecycle_s = bench_batch_observation(timings, switch, batch_s)
        report_step_process(switch, lifecycle_s, batch_s, pages)


if __name__ == "__main__":
    main()

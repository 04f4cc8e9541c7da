"""End to end: a real PDF through `ingest --wait` against its parse phase and MinerU flash called directly.

Registers the PDF in a fresh data folder and DAGSTER_HOME (the repo's `dagster.yaml`, as `make demo`
does) and times `python -m platform_assets ingest PDF --wait` as a subprocess: a fresh LocalWorker (its
own TMPDIR, so the first batch pays the cold start, as a first run on a machine does), planned with the
production batch sizes unless PLATFORM_BATCH_TARGET_PAGES / PLATFORM_BATCH_MAX_PAGES say otherwise. Then
reads the platform's own DuckDB tables (`parse_runs`, `phase_timings`, `documents`) for the parse phase's
sum and each phase's share of the wall time; the rest (wall less every phase) is Dagster's runs, process
start-up and the CLI. Then MinerU flash on the whole document in one call, in a fresh process (its import
timed apart), after the LocalWorker is stopped. Goals: wall <= 1.10x the parse phase's sum, <= 1.15x the
direct call.
`--telemetry`: pairs of runs with OTLP to a loopback collector (`tests/otlp_receiver.py`, in this process,
configured as `tests/conftest.py::axiom_env`, whose export intervals are short) and without, alternating
order; the overhead of on vs off (goal: under 1%), whole and less the parse phase (most of the noise).
Usage: `.venv/bin/python benchmarks/bench_end_to_end.py [PDF] [--pages N] [--skip-direct] [--telemetry
[--reps N]]` (default PDF: tl-source2e from `make corpus`, 1,221 pages).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_PDF = REPO / ".cache" / "corpus" / "tl-source2e.pdf"
PARSE_GOAL, DIRECT_GOAL, TELEMETRY_GOAL = 1.10, 1.15, 0.01
PHASES = {
    "worker": ("fetch_input", "warmup", "parse", "package"),
    "orchestrator": ("submit", "queue", "download", "extract", "normalize"),
    "document": ("plan", "tree", "verify"),
}
"""The phases of `phase_timings` by where they run (docs/warehouse.md), in the order they happen."""
REST = "wall less every phase: Dagster runs, CLI start-up, steps without a phase (source_pdf, tables, report)"
DIRECT = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "import mineru\n"
    "imported = time.perf_counter()\n"
    "mineru.parse(sys.argv[1], tier='flash', ocr_mode='txt')\n"
    "print(imported - started, time.perf_counter() - imported)\n"
)
"""MinerU flash on the whole document as the LocalWorker calls it (`gpu_image/worker/parse.py`); prints the
seconds of the import and of the parse."""


@dataclass(frozen=True)
class PlatformRun:
    """One `ingest --wait` and what the platform's DuckDB tables say about it."""

    wall_s: float
    verdict: str
    """The CLI's last line (clean or not, with the counts)."""
    pages: int
    batches: int
    attempts: int
    failed_attempts: int
    cold_starts: int
    phases: dict[str, float]
    """Seconds per phase (every attempt, both sources), as `phase_timings` holds them."""

    @property
    def parse_s(self) -> float:
        return self.phases.get("parse", 0.0)

    @property
    def rest_s(self) -> float:
        return self.wall_s - sum(self.phases.values())


@contextlib.contextmanager
def environment(changes: Mapping[str, str]) -> Iterator[None]:
    """`changes` in this process's environment (inherited by the CLI and read by the worker fingerprint)."""
    saved = dict(os.environ)
    os.environ.update(changes)
    tempfile.tempdir = None  # re-read TMPDIR
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        tempfile.tempdir = None


def first_pages(pdf: Path, pages: int, into: Path) -> Path:
    """The first `pages` pages of `pdf` with the outline entries that point into them (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(pdf), pages=(0, pages))
    out = into / f"{pdf.stem}-first{pages}.pdf"
    with out.open("wb") as file:
        writer.write(file)
    return out


def ingest(pdf: Path, work: Path, telemetry_env: Mapping[str, str]) -> PlatformRun:
    """`ingest PDF --wait` in a fresh data folder, DAGSTER_HOME and worker spool under `work`; the
    LocalWorker it started is stopped before this returns."""
    from resources.parse_worker import LocalWorker

    home, tmp = work / "home", work / "tmp"
    home.mkdir(parents=True)
    tmp.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")  # its `.dagster/` paths: under cwd
    run_env = {
        "DAGSTER_HOME": str(home),
        "PLATFORM_DATA_DIR": str(home / "data"),
        "PLATFORM_WORKER": "local",
        "PLATFORM_LOCAL_TIER": "flash",
        "TMPDIR": str(tmp),
    }
    with environment({**run_env, **telemetry_env}):
        command = [sys.executable, "-m", "platform_assets", "ingest", str(pdf), "--wait"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=home, capture_output=True, text=True)
        wall_s = time.perf_counter() - started
        # the spool `ingest` used (the default one in its TMPDIR) under this environment's fingerprint
        LocalWorker(tier="flash", spool_dir=str(tmp / f"parse-workers-{os.getuid()}")).stop_workers()
    if done.returncode not in (0, 3):  # 3: verified, not clean (findings): still a whole run
        sys.exit(f"ingest exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
    return read_run(home / "data" / "warehouse.duckdb", wall_s, done.stdout)


def read_run(warehouse: Path, wall_s: float, stdout: str) -> PlatformRun:
    """The run's figures from `parse_runs`, `phase_timings` and `documents` (one document in them)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as db:
        ((pages, batches, attempts, cold_starts),) = db.sql(
            "SELECT pages, batches, attempts, cold_starts FROM documents"
        ).fetchall()
        ((failed,),) = db.sql("SELECT count(*) FROM parse_runs WHERE status = 'failed'").fetchall()
        phases = dict(db.sql("SELECT phase, sum(seconds) FROM phase_timings GROUP BY phase").fetchall())
    unknown = set(phases) - {p for group in PHASES.values() for p in group}
    assert not unknown, f"phases this benchmark does not place: {sorted(unknown)}"
    return PlatformRun(
        wall_s=wall_s,
        verdict=stdout.strip().splitlines()[-1].removeprefix("result").strip(),
        pages=pages,
        batches=batches,
        attempts=attempts,
        failed_attempts=failed,
        cold_starts=cold_starts,
        phases=phases,
    )


def direct_flash(pdf: Path, work: Path) -> tuple[float, float]:
    """(import seconds, parse seconds) of MinerU flash on the whole `pdf` in a fresh process."""
    from gpu_image.worker.local import OFFLINE_ENV

    command = [sys.executable, "-c", DIRECT, str(pdf)]
    with environment({**OFFLINE_ENV, "TMPDIR": str(work)}):
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=True)
    import_s, parse_s = map(float, done.stdout.split()[-2:])
    return import_s, parse_s


def print_run(pdf: Path, run: PlatformRun) -> None:
    """The run's figures and each phase's share of its wall time; exits 1 when they do not add up."""
    print(f"document            {pdf.name}: {run.pages} pages in {run.batches} batches")
    print(
        f"                    {run.attempts} attempts ({run.failed_attempts} failed), "
        f"{run.cold_starts} cold start(s); {run.verdict}"
    )
    print(f"ingest --wait       {run.wall_s:8.2f} s wall")
    print(f"parse phase sum     {run.parse_s:8.2f} s  {run.pages / run.parse_s:6.2f} pages/s")
    print("phase               seconds   share of wall")
    shares = []
    for source, phases in PHASES.items():
        for phase in phases:
            if phase in run.phases:
                shares.append(run.phases[phase] / run.wall_s)
                print(f"  {phase:<12} {source:<12} {run.phases[phase]:8.2f} {shares[-1]:7.1%}")
    shares.append(run.rest_s / run.wall_s)
    print(f"  rest                      {run.rest_s:8.2f} {shares[-1]:7.1%}  {REST}")
    print(f"  total                     {run.wall_s:8.2f} {sum(shares):7.1%}")
    if run.rest_s < 0 or abs(sum(shares) - 1) > 1e-9:
        sys.exit(f"inconsistent: the phases ({sum(run.phases.values()):.2f} s) exceed the wall time")


def verdict(ratio: float, goal: float) -> str:
    return f"goal <= {goal:.2f}x: {'holds' if ratio <= goal else 'MISSED'}"


def telemetry_overhead(pdf: Path, work: Path, reps: int, first: PlatformRun) -> bool:
    """Runs `reps` pairs with telemetry on and off (alternating order, `first` is the first off run),
    prints the overhead; True when it is under the goal."""
    from tests.conftest import axiom_env
    from tests.otlp_receiver import OtlpReceiver

    offs, ons = [first], []
    pairs = [("on", "off") if rep % 2 else ("off", "on") for rep in range(reps)]
    sides = [side for pair in pairs for side in pair][1:]  # the first off ran before
    with OtlpReceiver() as receiver:
        for n, side in enumerate(sides, start=1):
            spans = sum(1 for s in receiver.spans() if s.name == "platform.batch")
            run = ingest(pdf, work / f"{side}-{n}", axiom_env(receiver.endpoint) if side == "on" else {})
            (ons if side == "on" else offs).append(run)
            if side == "on":
                arrived = sum(1 for s in receiver.spans() if s.name == "platform.batch") - spans
                assert arrived == run.attempts, f"{arrived} of {run.attempts} batch spans arrived"
    off_wall, on_wall = (statistics.median(r.wall_s for r in runs) for runs in (offs, ons))
    off_rest, on_rest = (statistics.median(r.wall_s - r.parse_s for r in runs) for runs in (offs, ons))
    whole, rest = (on_wall - off_wall) / off_wall, (on_rest - off_rest) / off_wall
    print(f"telemetry           {len(ons)} run(s) on (OTLP to a loopback collector), {len(offs)} off")
    print(f"  off               {off_wall:8.2f} s wall (median), {off_rest:.2f} s less the parse phase")
    print(f"  on                {on_wall:8.2f} s wall (median), {on_rest:.2f} s less the parse phase")
    print(f"  overhead          {whole:+8.2%} of the wall; {rest:+.2%} less the parse phase")
    print(f"  goal < {TELEMETRY_GOAL:.0%}: {'holds' if rest < TELEMETRY_GOAL else 'MISSED'} (less the parse)")
    return rest < TELEMETRY_GOAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, nargs="?", default=DEFAULT_PDF)
    parser.add_argument("--pages", type=int, help="the first N pages only (with their outline entries)")
    parser.add_argument("--skip-direct", action="store_true", help="no direct MinerU flash call")
    parser.add_argument("--telemetry", action="store_true", help="also runs with telemetry on")
    parser.add_argument("--reps", type=int, default=1, help="on/off pairs with --telemetry")
    args = parser.parse_args()
    if not args.pdf.is_file():
        sys.exit(f"{args.pdf} not found: `make corpus` fetches it")

    from resources.settings import PlatformSettings

    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]  # off means off
    settings = PlatformSettings.from_env()
    print(f"batch sizes         {settings.batch_target_pages} / max {settings.batch_max_pages} pages")
    with tempfile.TemporaryDirectory(prefix="bench-end-to-end-") as tmp:
        work = Path(tmp)
        pdf = first_pages(args.pdf.resolve(), args.pages, work) if args.pages else args.pdf.resolve()
        run = ingest(pdf, work / "off-0", {})
        print_run(args.pdf, run)
        ratio = run.wall_s / run.parse_s
        print(f"wall / parse phase  {ratio:8.3f}x  {verdict(ratio, PARSE_GOAL)}")
        held = ratio <= PARSE_GOAL
        if not args.skip_direct:
            import_s, direct_s = direct_flash(pdf, work)
            ratio = run.wall_s / direct_s
            print(
                f"MinerU flash direct {direct_s:8.2f} s  {run.pages / direct_s:6.2f} pages/s "
                f"(one call, fresh process; its import, {import_s:.2f} s, not counted)"
            )
            print(f"wall / direct       {ratio:8.3f}x  {verdict(ratio, DIRECT_GOAL)}")
            held &= ratio <= DIRECT_GOAL
        if args.telemetry:
            held &= telemetry_overhead(pdf, work, args.reps, run)
    sys.exit(0 if held else 1)


if __name__ == "__main__":
    main()

"""Where a Dagster step process spends its start-up, from a fresh interpreter (best of N, same session).

- Load: in a new process, `import dagster`, then `import platform_assets.definitions` (the platform's own
  imports plus building `defs`), a second `build_definitions` over the same settings (the build alone),
  resolving the repository as the code location does, the garbage collections during all that, and which
  heavy third-party modules the load imported.
- Telemetry start: in that process, `platform_telemetry()` with an OTLP endpoint set (the SDK's imports
  and providers, nothing exported), and the collections its allocations set off on the loaded heap.
- A real step: `dagster asset materialize --select platform_report` on an empty data folder, timed from
  the run's event log: the step subprocess starting -> started (interpreter, Dagster) -> step start (the
  code location loaded) -> success; and the CLI's wall time.
`--trees A B` measures checkouts side by side, alternating round by round (compare their ratios: the
machine's load moves).
Usage: `.venv/bin/python benchmarks/bench_step_startup.py [--rounds 5] [--trees DIR ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = (
    "matplotlib",
    "duckdb",
    "httpx",
    "dagster_graphql",
    "pypdfium2",
    "pdfminer",
    "pdfplumber",
    "opentelemetry.sdk",
)
"""Third-party modules that no step needs before its body runs."""
PROBE = """
import gc, json, os, sys, time
collections = []
def on_gc(phase, info):
    if phase == "start":
        collections.append([info["generation"], time.perf_counter()])
    else:
        collections[-1][1] = time.perf_counter() - collections[-1][1]
def collected(since):
    done = collections[since:]
    return sum(1 for g, _ in done if g == 2), sum(s for _, s in done)
gc.callbacks.append(on_gc)
t0 = time.perf_counter()
import dagster
t1 = time.perf_counter()
import platform_assets.definitions as d
t2 = time.perf_counter()
full_load, gc_load = collected(0)
d.build_definitions(d.PlatformSettings.from_env())
t3 = time.perf_counter()
d.defs.get_repository_def()
t4 = time.perf_counter()
heavy = [m for m in HEAVY if m in sys.modules]
mark = len(collections)
os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
from platform_assets.edges.batch_telemetry import platform_telemetry
t5 = time.perf_counter()
assert platform_telemetry().enabled
t6 = time.perf_counter()
full_otel, gc_otel = collected(mark)
print(json.dumps({
    "dagster_s": t1 - t0, "definitions_s": t2 - t1, "build_s": t3 - t2, "repository_s": t4 - t3,
    "load_gc_s": gc_load, "load_full_gcs": full_load, "heavy": heavy,
    "otel_s": t6 - t5, "otel_gc_s": gc_otel, "otel_full_gcs": full_otel,
}))
os._exit(0)
"""
STEP_EVENTS = ("STEP_WORKER_STARTING", "STEP_WORKER_STARTED", "STEP_START", "STEP_SUCCESS")


def clean_env(tree: Path, data: Path) -> dict[str, str]:
    """The environment of a measured process: `tree`'s code first, telemetry off, a fresh data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DAGSTER_", "PLATFORM_"))}
    return {**env, "PYTHONPATH": str(tree), "PLATFORM_DATA_DIR": str(data)}


def probe(tree: Path, scratch: Path) -> dict:
    """One fresh interpreter loading the code location (see the module docstring)."""
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env=clean_env(tree, scratch / "data"),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def materialize(tree: Path, scratch: Path) -> dict:
    """`platform_report` materialized by the CLI in a fresh instance: the CLI's wall time and the step's
    phases from the run's event log."""
    home = scratch / "home"
    home.mkdir()
    env = {**clean_env(tree, scratch / "data"), "DAGSTER_HOME": str(home)}
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    command += [
        "-m",
        "platform_assets.definitions",
        "--select",
        "platform_report",
        "--working-directory",
        ".",
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, capture_output=True, check=True)
    wall_s = time.perf_counter() - started
    read = (
        "import json, dagster as dg\n"
        "instance = dg.DagsterInstance.get()\n"
        "run = instance.get_runs(limit=1)[0]\n"
        "print(json.dumps({e.dagster_event.event_type_value: e.timestamp\n"
        "    for e in instance.all_logs(run.run_id) if e.dagster_event}))"
    )
    logged = subprocess.run(
        [sys.executable, "-c", read], env=env, capture_output=True, text=True, check=True
    ).stdout
    at = json.loads(logged.splitlines()[-1])
    gaps = [at[b] - at[a] for a, b in pairwise(STEP_EVENTS)]
    phases = dict(zip(("spawn_s", "load_s", "body_s"), gaps, strict=True))
    return {"cli_s": wall_s, **phases}


def best(rows: list[dict], key: str) -> float:
    return min(row[key] for row in rows)


def report(tree: Path, probes: list[dict], steps: list[dict]) -> None:
    ms = lambda key, rows=probes: f"{best(rows, key) * 1e3:7.0f} ms"  # noqa: E731
    last = probes[-1]
    print(f"\n{tree} (best of {len(probes)})")
    print(f"  import dagster                        {ms('dagster_s')}")
    print(f"  import platform_assets.definitions    {ms('definitions_s')}  (imports + building defs)")
    print(f"  build_definitions again               {ms('build_s')}")
    print(f"  resolve the repository                {ms('repository_s')}")
    print(f"  GC during the load                    {ms('load_gc_s')}  ({last['load_full_gcs']} full)")
    print(f"  telemetry start (OTLP endpoint set)   {ms('otel_s')}")
    print(f"    of which GC                         {ms('otel_gc_s')}  ({last['otel_full_gcs']} full)")
    print(f"  heavy modules loaded: {', '.join(last['heavy']) or 'none'}")
    print("  real step (dagster asset materialize platform_report):")
    print(f"    subprocess starting -> started      {ms('spawn_s', steps)}")
    print(f"    started -> step start (code load)   {ms('load_s', steps)}")
    print(f"    step body                           {ms('body_s', steps)}")
    print(f"    CLI wall time                       {ms('cli_s', steps)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trees", type=Path, nargs="+", default=[REPO], help="checkouts to compare")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees]
    probes: dict[Path, list[dict]] = {tree: [] for tree in trees}
    steps: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        for tree in trees[:: 1 if round_ % 2 == 0 else -1]:
            with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
                probes[tree].append(probe(tree, Path(scratch)))
                steps[tree].append(materialize(tree, Path(scratch)))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    for tree in trees:
        report(tree, probes[tree], steps[tree])
    if len(trees) > 1:
        first = trees[0]
        print("\nratios to the first tree (best of each):")
        for tree in trees[1:]:
            for key in ("definitions_s", "otel_s"):
                print(f"  {key:15s} {best(probes[tree], key) / best(probes[first], key):.2f}  {tree}")
            for key in ("load_s", "cli_s"):
                print(f"  {key:15s} {best(steps[tree], key) / best(steps[first], key):.2f}  {tree}")


if __name__ == "__main__":
    main()

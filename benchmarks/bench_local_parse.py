"""Local parse throughput: the whole `parsed_batch` asset path vs MinerU flash called directly.

The asset path is `materialize_document`, what `ingest --wait` runs (one Dagster run per batch, the next
batches read ahead on the worker), its batches timed by its own progress lines; right after the document,
MinerU parses the same batches' pages directly in this process, batch by batch, so that both figures of a
round see about the same load of the shared machine (a direct parse between two batches would run beside
the batch read ahead). Prints pages/s of both, the planning seconds, the orchestration cost (goal: under
20%, pooled over the rounds) and the seconds of the result hand-off phases (`package` in the worker,
`extract` in the store). Each round gets a fresh worker spool, so its first batch pays the worker's cold
start, as a first run on a machine does; the later batches reuse that warm worker (`--warm`: the rounds
share warm workers, as on a machine that keeps parsing documents; an unreported round starts them).
`--read-ahead N` sets `PLATFORM_READ_AHEAD` (0: each batch's job submitted by its run).
`--transport both` alternates the LocalWorker's transports round by round, then times the hand-off
alone: the first batch parsed once, packaged and stored both ways in alternation (best of `--rounds`,
at least 3).
Usage: `.venv/bin/python benchmarks/bench_local_parse.py [PDF] [--transport local_dir|tarball_b64|both]
[--rounds N] [--read-ahead N] [--warm]` (default: the sample standard, `local_dir`, one round, read ahead 1).
Batch sizes: `PLATFORM_BATCH_TARGET_PAGES` / `PLATFORM_BATCH_MAX_PAGES` (default 10 / 20).
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TRANSPORTS = ("local_dir", "tarball_b64")


@dataclass(frozen=True)
class Round:
    """One pass of the document through the asset path, each batch followed by MinerU direct on its pages."""

    transport: str
    plan_s: float
    """`source_pdf` and `batch_plan`, before the first batch."""
    batch_s: list[float]
    direct_s: list[float]
    package_s: float
    extract_s: float

    def cost(self) -> float:
        """Orchestration cost: the share of the asset path's time that MinerU direct does not need."""
        return (sum(self.batch_s) - sum(self.direct_s)) / sum(self.batch_s)


def direct(pdf: Path, first: int, last: int) -> float:
    """Seconds of one `mineru.parse` call on pages `first..last` (0-based), in this process."""
    import mineru

    started = time.perf_counter()
    mineru.parse(pdf, tier="flash", ocr_mode="txt", page_range=f"{first + 1}-{last + 1}")
    return time.perf_counter() - started


class Pairs:
    """`materialize_document`'s progress lines as timings: the plan, then each batch through the asset."""

    def __init__(self, registry_dir: Path, doc_id: str):
        self.registry_dir, self.doc_id = registry_dir, doc_id
        self.ranges: list[tuple[int, int]] = []
        self.plan_s = 0.0
        self.batch_s: list[float] = []
        self.since = time.perf_counter()
        """When the step being timed began (`materialize_document`, then each batch)."""

    def __call__(self, line: str) -> None:
        now = time.perf_counter()
        if not self.ranges:  # the first line: the document is planned
            from platform_assets.domain.intake.registry import Registry

            plan = Registry(self.registry_dir).plan(self.doc_id)
            assert plan is not None, "the plan is registered before its progress line"
            self.ranges = [(b.first_page, b.last_page) for b in plan.batches]
            self.plan_s = now - self.since
        elif line.lstrip().startswith("parsed "):
            self.batch_s.append(now - self.since)
        self.since = time.perf_counter()


def one_round(
    pdf: Path, transport: str, read_ahead: int, spool: Path | None = None
) -> tuple[list[tuple[int, int]], Round]:
    """One `materialize_document` (the path of `ingest --wait`) on a fresh data folder and worker spool
    (or on `spool`, whose workers are left running), then MinerU direct on each of its batches."""
    import dagster as dg

    from platform_assets.definitions import default_resources
    from platform_assets.domain.common.platform_paths import PlatformPaths
    from platform_assets.domain.intake.intake import register_pdf
    from platform_assets.domain.intake.registry import Registry
    from platform_assets.domain.observe.timing_records import load_records
    from platform_assets.local_run import materialize_document
    from resources.parse_worker import LocalWorker
    from resources.platform_data import PlannerSettings
    from resources.settings import PlatformSettings

    direct(pdf, 0, 0)  # MinerU loaded in this process, so that each direct figure is the parse alone
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = PlatformPaths(work / "data")
        worker = LocalWorker(  # without `spool`, no warm worker from an earlier run
            spool_dir=str(spool or work / "spool"),
            result_transport=transport,
            handoff_dir=str(paths.root / "handoff"),
        )
        planner = PlannerSettings(
            target_pages=int(os.environ.get("PLATFORM_BATCH_TARGET_PAGES", "10")),
            max_pages=int(os.environ.get("PLATFORM_BATCH_MAX_PAGES", "20")),
        )
        settings = PlatformSettings(paths, read_ahead=read_ahead)
        resources = {**default_resources(settings), "worker": worker, "planner": planner}
        doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "bench").record.doc_id
        pairs = Pairs(paths.registry, doc_id)
        try:
            with dg.instance_for_test() as instance:
                pairs.since = time.perf_counter()
                materialize_document(doc_id, settings, instance, resources, log=pairs)
        finally:
            if spool is None:
                worker.stop_workers()
        direct_s = [direct(pdf, first, last) for first, last in pairs.ranges]
        assert len(pairs.batch_s) == len(pairs.ranges), "one progress line per batch"
        parsed = [r for r in load_records(paths.timings) if r.status == "succeeded"]
    phases = {name: sum(r.phase(name) or 0.0 for r in parsed) for name in ("package", "extract")}
    result = Round(transport, pairs.plan_s, pairs.batch_s, direct_s, phases["package"], phases["extract"])
    return pairs.ranges, result


def handoff_ab(pdf: Path, first: int, last: int, rounds: int) -> dict[str, float]:
    """Best seconds of package + store for each transport on one parse result of pages `first..last`,
    alternating which goes first."""
    from gpu_image.worker.package import package_result
    from gpu_image.worker.parse import parse_pdf
    from platform_assets.domain.parse.archive import extract_archive
    from platform_assets.domain.parse.result_folder import adopt_result_folder
    from worker_contract.contract import JobInput

    parsed = parse_pdf(pdf, "flash", first, last).result
    best = dict.fromkeys(TRANSPORTS, float("inf"))
    for number in range(rounds):
        for transport in TRANSPORTS if number % 2 == 0 else TRANSPORTS[::-1]:
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                (work / "handoff").mkdir()
                job = JobInput(volume_path=str(pdf), transport=transport)
                if transport == "local_dir":
                    job = job.model_copy(update={"result_dir": str(work / "handoff" / "result")})
                started = time.perf_counter()
                fields = package_result(parsed, job, work)
                if transport == "local_dir":
                    adopt_result_folder(Path(fields["result_dir"]), work / "raw")
                else:
                    extract_archive(base64.b64decode(fields["tarball_b64"]), work / "raw", "tar.gz")
                best[transport] = min(best[transport], time.perf_counter() - started)
    return best


def report(pdf: Path, ranges: list[tuple[int, int]], runs: list[Round]) -> None:
    """One transport's rounds pooled: means per pass, each batch's median, the cost over all batches."""
    pages, n = sum(last - first + 1 for first, last in ranges), len(runs)
    asset_s, direct_s = sum(sum(r.batch_s) for r in runs) / n, sum(sum(r.direct_s) for r in runs) / n
    per_batch = [statistics.median(r.batch_s[i] for r in runs) for i in range(len(ranges))]
    costs = sorted(r.cost() for r in runs)
    print(f"transport           {runs[0].transport} ({n} round{'s' if n > 1 else ''})")
    print(f"document            {pdf.name}: {pages} pages in {len(ranges)} batches")
    print(f"MinerU flash direct {direct_s:7.2f} s  {pages / direct_s:6.2f} pages/s (mean pass)")
    print(f"through the asset   {asset_s:7.2f} s  {pages / asset_s:6.2f} pages/s (mean pass)")
    print(f"  planning (s)      {statistics.mean(r.plan_s for r in runs):.2f} (source_pdf and batch_plan)")
    print(
        f"  per batch (s)     {' '.join(f'{s:.2f}' for s in per_batch)} (median; the first starts the worker)"
    )
    print(
        f"  hand-off (s)      package {statistics.mean(r.package_s for r in runs):.3f}, extract "
        f"{statistics.mean(r.extract_s for r in runs):.3f} (all batches)"
    )
    print(
        f"orchestration cost  {1 - direct_s / asset_s:7.1%} of the asset path (goal: under 20%; rounds "
        f"{costs[0]:.1%} to {costs[-1]:.1%})"
    )
    if len(ranges) > 1:
        warm_asset = sum(sum(r.batch_s[1:]) for r in runs)
        warm_direct = sum(sum(r.direct_s[1:]) for r in runs)
        print(
            f"  after batch 1     {1 - warm_direct / warm_asset:7.1%} (warm worker: the rest is cold start)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pdf", nargs="?", type=Path, help="default: the sample standard")
    parser.add_argument("--transport", choices=(*TRANSPORTS, "both"), default="local_dir")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per transport (pooled)")
    parser.add_argument("--read-ahead", type=int, default=1, help="PLATFORM_READ_AHEAD (0: none)")
    parser.add_argument(
        "--warm", action="store_true", help="rounds share warm workers (after an unreported first round)"
    )
    args = parser.parse_args()
    if args.pdf is not None:
        pdf = args.pdf.resolve()
    else:
        from samples.standard import build_sample_standard

        pdf = build_sample_standard(Path(tempfile.mkdtemp()) / "sample").pdf
    transports = TRANSPORTS if args.transport == "both" else (args.transport,)
    rounds: dict[str, list[Round]] = {t: [] for t in transports}
    ranges: list[tuple[int, int]] = []
    spools = {t: Path(tempfile.mkdtemp()) / "spool" for t in transports} if args.warm else {}
    for transport in spools:  # the workers' cold start, not reported
        one_round(pdf, transport, args.read_ahead, spools[transport])
    for number in range(args.rounds):
        for transport in transports if number % 2 == 0 else transports[::-1]:  # alternate who goes first
            ranges, result = one_round(pdf, transport, args.read_ahead, spools.get(transport))
            rounds[transport].append(result)
            print(
                f"round {number + 1} {transport:<11} plan {result.plan_s:5.2f} s, asset "
                f"{sum(result.batch_s):6.2f} s, direct "
                f"{sum(result.direct_s):5.2f} s, cost {result.cost():6.1%}, "
                f"package {result.package_s:.3f} s, extract {result.extract_s:.3f} s",
                flush=True,
            )
    for transport in transports:
        print()
        report(pdf, ranges, rounds[transport])
    for transport, spool in spools.items():
        from resources.parse_worker import LocalWorker

        LocalWorker(spool_dir=str(spool), result_transport=transport).stop_workers()
    if args.transport == "both":
        (first, last), times = ranges[0], max(args.rounds, 3)
        best = handoff_ab(pdf, first, last, times)
        print(f"\nhand-off alone      pages {first + 1}-{last + 1}, package + store, best of {times}:")
        for transport, seconds in best.items():
            print(f"  {transport:<17} {seconds:7.3f} s")
        print(f"  local_dir / tarball_b64 {best['local_dir'] / best['tarball_b64']:.2f}")


if __name__ == "__main__":
    main()

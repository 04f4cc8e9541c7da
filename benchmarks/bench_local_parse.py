"""Local parse throughput: the whole `parsed_batch` asset path vs MinerU flash called directly.

Prints pages/s of both on the same page ranges, the orchestration cost (goal: under 20%) and the seconds
of the result hand-off phases (`package` in the worker, `extract` in the store) summed over the batches.
Each round gets a fresh worker spool, so its first batch pays the worker's cold start, as a first run on
a machine does; the later batches reuse that warm worker. `--transport both` alternates the LocalWorker's
transports round by round (A/B in one session: compare ratios, the machine's load moves), reports each
one's fastest round against the fastest direct pass, and then times the hand-off alone: the first batch
parsed once, packaged and stored both ways in alternation (best of `--rounds`, at least 3).
Usage: `.venv/bin/python benchmarks/bench_local_parse.py [PDF] [--transport local_dir|tarball_b64|both]
[--rounds N]` (default: the sample standard, `local_dir`, one round). Batch sizes:
`PLATFORM_BATCH_TARGET_PAGES` / `PLATFORM_BATCH_MAX_PAGES` (default 10 / 20).
"""

from __future__ import annotations

import argparse
import base64
import os
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
    """One pass of the document through the asset path, and MinerU direct on the same ranges after it."""

    transport: str
    batch_s: list[float]
    direct_s: list[float]
    package_s: float
    extract_s: float

    def cost(self, direct_s: list[float]) -> float:
        """Orchestration cost against the direct pass `direct_s` (this round's, or the fastest)."""
        return (sum(self.batch_s) - sum(direct_s)) / sum(self.batch_s)

    def warm_cost(self, direct_s: list[float]) -> float:
        """The same, leaving out the first batch (the worker's cold start)."""
        warm = sum(self.batch_s[1:])
        return (warm - sum(direct_s[1:])) / warm if warm else self.cost(direct_s)


def direct(pdf: Path, ranges: list[tuple[int, int]]) -> list[float]:
    """Seconds of each `mineru.parse` call, one per range, in this (already warm) process."""
    import mineru

    seconds = []
    for first, last in ranges:
        started = time.perf_counter()
        mineru.parse(pdf, tier="flash", ocr_mode="txt", page_range=f"{first + 1}-{last + 1}")
        seconds.append(time.perf_counter() - started)
    return seconds


def through_assets(
    pdf: Path, work: Path, transport: str
) -> tuple[list[tuple[int, int]], list[float], dict[str, float]]:
    """The batches' page ranges, each batch's seconds through `parsed_batch`, and the hand-off phases'
    sums from the attempts' timing records."""
    import dagster as dg

    from platform_assets.definitions import default_resources
    from platform_assets.domain.common.platform_paths import PlatformPaths
    from platform_assets.domain.intake.intake import register_pdf
    from platform_assets.domain.intake.registry import Registry
    from platform_assets.domain.observe.timing_records import load_records
    from platform_assets.local_run import _run, materialize_document
    from resources.parse_worker import LocalWorker
    from resources.platform_data import PlannerSettings
    from resources.settings import PlatformSettings

    paths = PlatformPaths(work / "data")
    worker = LocalWorker(  # no warm worker from an earlier run
        spool_dir=str(work / "spool"), result_transport=transport, handoff_dir=str(paths.root / "handoff")
    )
    planner = PlannerSettings(
        target_pages=int(os.environ.get("PLATFORM_BATCH_TARGET_PAGES", "10")),
        max_pages=int(os.environ.get("PLATFORM_BATCH_MAX_PAGES", "20")),
    )
    resources = {**default_resources(PlatformSettings(paths)), "worker": worker, "planner": planner}
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "bench").record.doc_id
    with dg.instance_for_test() as instance:
        _run(
            PlatformSettings(paths),
            instance,
            resources,
            dg.AssetSelection.assets("source_pdf", "batch_plan"),
            doc_id,
        )
        plan = Registry(paths.registry).plan(doc_id)
        batch_s = []
        for batch in plan.batches:
            started = time.perf_counter()
            _run(
                PlatformSettings(paths),
                instance,
                resources,
                dg.AssetSelection.assets("parsed_batch"),
                batch.key,
            )
            batch_s.append(time.perf_counter() - started)
        materialize_document(doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None)
    worker.stop_workers()  # the direct figure is measured without an idle worker beside it
    parsed = [r for r in load_records(paths.timings) if r.status == "succeeded"]
    phases = {name: sum(r.phase(name) or 0.0 for r in parsed) for name in ("package", "extract")}
    return [(b.first_page, b.last_page) for b in plan.batches], batch_s, phases


def one_round(pdf: Path, transport: str) -> tuple[list[tuple[int, int]], Round]:
    with tempfile.TemporaryDirectory() as work:
        ranges, batch_s, phases = through_assets(pdf, Path(work), transport)
    direct(pdf, ranges[:1])  # warm imports so the direct figure is MinerU alone
    return ranges, Round(transport, batch_s, direct(pdf, ranges), phases["package"], phases["extract"])


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


def report(pdf: Path, ranges: list[tuple[int, int]], best: Round, direct_s: list[float]) -> None:
    pages = sum(last - first + 1 for first, last in ranges)
    asset_s = sum(best.batch_s)
    print(f"transport           {best.transport}")
    print(f"document            {pdf.name}: {pages} pages in {len(ranges)} batches")
    print(f"MinerU flash direct {sum(direct_s):7.2f} s  {pages / sum(direct_s):6.2f} pages/s (fastest pass)")
    print(f"through the asset   {asset_s:7.2f} s  {pages / asset_s:6.2f} pages/s")
    print(f"  per batch (s)     {' '.join(f'{s:.2f}' for s in best.batch_s)} (the first starts the worker)")
    print(f"  hand-off (s)      package {best.package_s:.3f}, extract {best.extract_s:.3f} (all batches)")
    print(f"orchestration cost  {best.cost(direct_s):7.1%} of the asset path (goal: under 20%)")
    if len(ranges) > 1:
        print(
            f"  after batch 1     {best.warm_cost(direct_s):7.1%} (warm worker; the rest is the cold start)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pdf", nargs="?", type=Path, help="default: the sample standard")
    parser.add_argument("--transport", choices=(*TRANSPORTS, "both"), default="local_dir")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per transport (best one reported)")
    args = parser.parse_args()
    if args.pdf is not None:
        pdf = args.pdf.resolve()
    else:
        from samples.standard import build_sample_standard

        pdf = build_sample_standard(Path(tempfile.mkdtemp()) / "sample").pdf
    transports = TRANSPORTS if args.transport == "both" else (args.transport,)
    rounds: dict[str, list[Round]] = {t: [] for t in transports}
    ranges: list[tuple[int, int]] = []
    for number in range(args.rounds):
        for transport in transports if number % 2 == 0 else transports[::-1]:  # alternate who goes first
            ranges, result = one_round(pdf, transport)
            rounds[transport].append(result)
            print(
                f"round {number + 1} {transport:<11} asset {sum(result.batch_s):6.2f} s, direct "
                f"{sum(result.direct_s):5.2f} s, cost {result.cost(result.direct_s):6.1%}, "
                f"package {result.package_s:.3f} s, extract {result.extract_s:.3f} s",
                flush=True,
            )
    fastest_direct = min((r.direct_s for runs in rounds.values() for r in runs), key=sum)
    for transport in transports:
        print()
        report(pdf, ranges, min(rounds[transport], key=lambda r: sum(r.batch_s)), fastest_direct)
    if args.transport == "both":
        (first, last), times = ranges[0], max(args.rounds, 3)
        best = handoff_ab(pdf, first, last, times)
        print(f"\nhand-off alone      pages {first + 1}-{last + 1}, package + store, best of {times}:")
        for transport, seconds in best.items():
            print(f"  {transport:<17} {seconds:7.3f} s")
        print(f"  local_dir / tarball_b64 {best['local_dir'] / best['tarball_b64']:.2f}")


if __name__ == "__main__":
    main()

"""Local parse throughput: the whole `parsed_batch` asset path vs MinerU flash called directly.

Prints pages/s of both on the same page ranges and the orchestration cost (goal: under 20%).
The asset path gets a fresh worker spool, so its first batch pays the worker's cold start, as a first
run on a machine does; the later batches reuse that warm worker.
Usage: `.venv/bin/python benchmarks/bench_local_parse.py [PDF]` (default: the sample standard).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def direct(pdf: Path, ranges: list[tuple[int, int]]) -> list[float]:
    """Seconds of each `mineru.parse` call, one per range, in this (already warm) process."""
    import mineru

    seconds = []
    for first, last in ranges:
        started = time.perf_counter()
        mineru.parse(pdf, tier="flash", ocr_mode="txt", page_range=f"{first + 1}-{last + 1}")
        seconds.append(time.perf_counter() - started)
    return seconds


def through_assets(pdf: Path, work: Path) -> tuple[list[tuple[int, int]], list[float]]:
    import dagster as dg

    from platform_assets.definitions import default_resources
    from platform_assets.domain.common.platform_paths import PlatformPaths
    from platform_assets.domain.intake.intake import register_pdf
    from platform_assets.domain.intake.registry import Registry
    from platform_assets.local_run import _run, materialize_document
    from resources.parse_worker import LocalWorker
    from resources.platform_data import PlannerSettings
    from resources.settings import PlatformSettings

    paths = PlatformPaths(work / "data")
    worker = LocalWorker(spool_dir=str(work / "spool"))  # no warm worker from an earlier run
    resources = {
        **default_resources(PlatformSettings(paths)),
        "worker": worker,
        "planner": PlannerSettings(target_pages=10, max_pages=20),
    }
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
    return [(b.first_page, b.last_page) for b in plan.batches], batch_s


def main() -> None:
    if len(sys.argv) > 1:
        pdf = Path(sys.argv[1]).resolve()
    else:
        from samples.standard import build_sample_standard

        pdf = build_sample_standard(Path(tempfile.mkdtemp()) / "sample").pdf
    with tempfile.TemporaryDirectory() as work:
        ranges, batch_s = through_assets(pdf, Path(work))
    asset_s = sum(batch_s)
    pages = sum(last - first + 1 for first, last in ranges)
    direct(pdf, ranges[:1])  # warm imports so the direct figure is MinerU alone
    direct_each = direct(pdf, ranges)
    direct_s = sum(direct_each)
    overhead = (asset_s - direct_s) / asset_s
    warm_asset_s, warm_direct_s = sum(batch_s[1:]), sum(direct_each[1:])
    print(f"document            {pdf.name}: {pages} pages in {len(ranges)} batches")
    print(f"MinerU flash direct {direct_s:7.2f} s  {pages / direct_s:6.2f} pages/s")
    print(f"through the asset   {asset_s:7.2f} s  {pages / asset_s:6.2f} pages/s")
    print(f"  per batch (s)     {' '.join(f'{s:.2f}' for s in batch_s)} (the first starts the worker)")
    print(f"orchestration cost  {overhead:7.1%} of the asset path (goal: under 20%)")
    if len(ranges) > 1:
        warm_cost = (warm_asset_s - warm_direct_s) / warm_asset_s
        print(f"  after batch 1     {warm_cost:7.1%} (warm worker; the rest is the cold start)")


if __name__ == "__main__":
    main()

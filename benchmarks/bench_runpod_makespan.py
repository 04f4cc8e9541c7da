"""RunPod makespan: 36 batches of an ECMA-like document on an emulated endpoint with workersMax=3.

Drives `RunPodWorker` (at most workersMax jobs in flight, one thread each, as the `runpod_gpu` pool
does) against `tests/runpod_emulator.py` in fake-handler mode (each job sleeps `ms_per_page` per page,
the real GPU's ~1 s/page scaled down 100x) and prints the wall time against the ideal makespan and the
orchestration overhead of each batch (its wall time minus RunPod's executionTime). Goal: within 10% of
max(sum/workers, longest) and under 2 s of overhead per batch. Polling is scaled down like the work
(the resource's defaults, 0.5 s growing to 1.5 s, become 5 ms growing to 15 ms).
With `--through-dagster` the same 36 batches run as real Dagster runs instead: a daemon (queued run
coordinator, the `runpod_gpu` pool at workersMax) launches one run per `parsed_batch` partition of a
registered 3,600-page document, as automation does after its plan, against the emulated endpoint with the
resource's own polling. It reports each endpoint worker's idle gap between two batches (job done to its
next job started: polling, materialization, run teardown, dequeue, run launch, step start) and the time
from a job done to its batch materialized, then projects the makespan of real 100-page GPU batches.
Goal: idle gap under 2 s on a 2-core machine. Its batches are 10 s (100 ms/page, 10x shorter than
the GPU's, not 100x): a batch shorter than a run launch (~3 s here) leaves every worker idle whatever the
prefetch, which is not what 100-page GPU batches see. `--dequeue-s N` sets the run coordinator's dequeue
interval, `--dequeue-threads` has it launch the runs it dequeues at once side by side (`dequeue_use_threads`),
`--prefetch N` lets N more parse runs wait in the endpoint's queue (`PLATFORM_GPU_PREFETCH`; `workers`:
one per worker; runs at once are raised to admit them and two more when dagster.yaml's 4 are too few,
or set with `--max-runs`),
`--step-processes` runs each step in a process of its own (Dagster's default executor; the platform's runs
execute their steps in process).
Usage: `.venv/bin/python benchmarks/bench_runpod_makespan.py [--ms-per-page 10] [--poll-s 0.05]
[--through-dagster [--dequeue-s 1] [--dequeue-threads] [--prefetch 1|workers [--max-runs 8]]
[--step-processes]]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BATCHES = 36
WORKERS_MAX = 3


def ecma_like_plan(seed: int = 262) -> list[tuple[int, int]]:
    """36 contiguous page ranges of 100 +- 50 pages (clause-aligned batches vary in size)."""
    rng = random.Random(seed)
    ranges, first = [], 0
    for _ in range(BATCHES):
        pages = max(50, min(150, round(rng.gauss(100, 30))))
        ranges.append((first, first + pages - 1))
        first += pages
    return ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ms-per-page", type=float, default=None, help="10, or 100 with --through-dagster")
    parser.add_argument("--poll-s", type=float, default=0.005, help="first status poll interval")
    parser.add_argument("--poll-max-s", type=float, default=0.015, help="status poll interval cap")
    parser.add_argument("--through-dagster", action="store_true", help="real runs through a daemon")
    parser.add_argument("--dequeue-s", type=int, default=None, help="run coordinator dequeue interval")
    parser.add_argument("--dequeue-threads", action="store_true", help="run coordinator launches in threads")
    parser.add_argument(
        "--prefetch", default="0", help="PLATFORM_GPU_PREFETCH for --through-dagster (N, workers)"
    )
    parser.add_argument("--max-runs", type=int, default=None, help="runs at once (max_concurrent_runs)")
    parser.add_argument(
        "--step-processes", action="store_true", help="--through-dagster with a process per step"
    )
    args = parser.parse_args()
    if args.through_dagster:
        from runpod_dagster_runs import through_dagster

        queue: dict[str, object] = {"dequeue_use_threads": True} if args.dequeue_threads else {}
        if args.dequeue_s is not None:
            queue["dequeue_interval_seconds"] = args.dequeue_s
        plan = ecma_like_plan()
        ms_per_page = 100.0 if args.ms_per_page is None else args.ms_per_page
        prefetch = WORKERS_MAX if args.prefetch == "workers" else int(args.prefetch)
        max_runs = args.max_runs or (WORKERS_MAX + prefetch + 2 if WORKERS_MAX + prefetch + 1 > 4 else None)
        through_dagster(
            plan, WORKERS_MAX, ms_per_page, queue, args.prefetch, prefetch, args.step_processes, max_runs
        )
        return
    args.ms_per_page = 10.0 if args.ms_per_page is None else args.ms_per_page

    from resources.runpod_worker import RunPodWorker
    from tests.runpod_emulator import RunPodEmulator
    from worker_contract.contract import JobInput

    plan = ecma_like_plan()
    pages = [last - first + 1 for first, last in plan]
    work_s = [count * args.ms_per_page / 1000 for count in pages]
    with RunPodEmulator(workers=WORKERS_MAX, mode="fake", fake_ms_per_page=args.ms_per_page) as emulator:
        worker = RunPodWorker(
            endpoint_id=emulator.endpoint_id,
            api_key=emulator.api_key,
            base_url=emulator.base_url,
            rest_url=emulator.rest_url,
            tier="flash",
            poll_interval_s=args.poll_s,
            poll_max_interval_s=args.poll_max_s,
        )
        in_flight = worker.endpoint_workers_max()

        def job(first: int, last: int) -> JobInput:
            return JobInput(volume_path="/volume/ecma.pdf", start_page=first, end_page=last, tier="flash")

        warmups = [worker.submit(job(0, 0)) for _ in range(in_flight)]  # boot every worker process
        for handle in warmups:
            worker.wait(handle, 60)

        results: dict[int, tuple[float, float, float]] = {}
        next_index = iter(range(len(plan)))
        lock = threading.Lock()

        def drive() -> None:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                started = time.perf_counter()
                run = worker.wait(worker.submit(job(*plan[index])), 600)
                results[index] = (time.perf_counter() - started, run.execution_s, run.queue_wait_s)

        started = time.perf_counter()
        threads = [threading.Thread(target=drive) for _ in range(in_flight)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

    total, longest = sum(work_s), max(work_s)
    lower_bound = max(total / in_flight, longest)
    list_bound = total / in_flight + longest
    overheads = [results[i][0] - results[i][1] for i in range(len(plan))]
    execution_excess = [results[i][1] - work_s[i] for i in range(len(plan))]
    print(
        f"batches {len(plan)}, pages {sum(pages)} ({min(pages)}-{max(pages)}/batch), workersMax {in_flight}"
    )
    print(f"work {total:.2f}s at {args.ms_per_page:g} ms/page, longest batch {longest:.2f}s")
    print(f"wall {wall:.2f}s")
    excess = 100 * (wall / lower_bound - 1)
    print(f"ideal max(sum/workers, longest) {lower_bound:.2f}s -> wall is {excess:+.1f}%")
    print(
        f"ideal sum/workers + longest     {list_bound:.2f}s -> wall is {100 * (wall / list_bound - 1):+.1f}%"
    )
    print(
        f"orchestration overhead per batch (wall - executionTime): mean {statistics.mean(overheads):.3f}s, "
        f"max {max(overheads):.3f}s"
    )
    print(
        f"emulated worker cost per batch (executionTime - nominal work): "
        f"mean {statistics.mean(execution_excess):.3f}s"
    )
    print(f"queue wait (delayTime): max {max(r[2] for r in results.values()):.3f}s")
    ok = wall <= 1.1 * lower_bound and max(overheads) < 2.0
    print(f"goal (within 10% of max(sum/workers, longest), overhead < 2 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

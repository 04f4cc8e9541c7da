"""One page drawn with many vector paths, parsed by MinerU flash as it is and flattened (`vector_pages`,
whatever its number of paths: the figures say where flattening starts to pay, `PATH_LIMIT`).

Each parse runs in a process of its own, so that its peak memory (resident, of its main process) is its
own; one that passes `--limit-s` seconds or `--limit-mb` MB is stopped and printed as such. Prints seconds
and peak MB of both and the ratio of their seconds, for generated pages (`tests.vector_drawings`: a grid
of N squares between two paragraphs) and for real pages given as `PDF:PAGE` (0-based).
Usage: `.venv/bin/python benchmarks/bench_vector_pages.py [PDF:PAGE ...] [--squares N ...]
[--limit-s 300] [--limit-mb 8000]` (default: 10,000, 20,000 and 40,000 squares).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.vector_drawings import build_drawing_pdf  # noqa: E402

CHILD = """
import json, sys, time
from pathlib import Path
import mineru
from gpu_image.worker.vector_pages import flattened_copy
from worker_contract.contract import page_range_1based

def main():
    pdf, page, flatten, scratch = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", Path(sys.argv[4])
    started = time.perf_counter()
    source, flattened = flattened_copy(pdf, page, page, scratch, limit=0) if flatten else (pdf, [])
    mineru.parse(source, tier="flash", ocr_mode="txt", page_range=page_range_1based(page, page))
    print(json.dumps({"s": time.perf_counter() - started, "flattened": flattened}))

if __name__ == "__main__":
    main()
"""
"""The parse, in its own process (MinerU spawns its render processes from an importable main)."""


def _rss_mb(pid: int) -> float:
    """The resident memory of process `pid` (Linux), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next(
        (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0
    )


def measured(
    pdf: Path, page: int, flatten: bool, limit_s: float, limit_mb: float
) -> tuple[float | None, str]:
    """The parse's seconds (None where it did not finish), and `12.3 s  456 MB` or what stopped it."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "parse_one.py"
        script.write_text(CHILD)
        process = subprocess.Popen(
            [sys.executable, str(script), str(pdf), str(page), "1" if flatten else "0", scratch],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            start_new_session=True,  # stopped with its render processes
        )
        peak, started, stopped = 0.0, time.monotonic(), ""
        while process.poll() is None:
            peak = max(peak, _rss_mb(process.pid))
            elapsed = time.monotonic() - started
            if elapsed > limit_s or peak > limit_mb:
                stopped = f"stopped at {elapsed:.0f} s, {peak:.0f} MB"
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.2)
        output = process.communicate()[0].decode()
        if stopped:
            return None, stopped
        if process.returncode != 0:
            return None, f"failed ({process.returncode}) at {peak:.0f} MB"
        seconds = json.loads(output.strip().splitlines()[-1])["s"]
        return seconds, f"{seconds:6.1f} s {peak:6.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", help="PDF:PAGE (0-based)")
    parser.add_argument("--squares", type=int, nargs="*", default=[10_000, 20_000, 40_000])
    parser.add_argument("--limit-s", type=float, default=300.0)
    parser.add_argument("--limit-mb", type=float, default=8000.0)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        cases = [
            (f"{n:,} squares", build_drawing_pdf(Path(work) / f"grid-{n}.pdf", n), 0)
            for n in arguments.squares
        ]
        for spec in arguments.pages:
            path, page = spec.rsplit(":", 1)
            cases.append((f"{Path(path).name} p{int(page) + 1}", Path(path), int(page)))
        print(f"{'page':<30} {'as it is':>24} {'flattened':>24} {'ratio':>6}")
        for name, pdf, page in cases:
            plain, plain_text = measured(pdf, page, False, arguments.limit_s, arguments.limit_mb)
            flat, flat_text = measured(pdf, page, True, arguments.limit_s, arguments.limit_mb)
            ratio = f"{plain / flat:5.1f}x" if plain and flat else ""
            print(f"{name[:30]:<30} {plain_text:>24} {flat_text:>24} {ratio:>6}", flush=True)


if __name__ == "__main__":
    main()

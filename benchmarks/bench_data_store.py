"""Platform data on S3: what the bucket backend adds to one ~100-page batch, against the data folder.

Parses one batch of a real PDF once through `parsed_batch` (embedded LocalWorker, MinerU flash, the
production batch sizes; the plan's batch nearest 100 pages) and keeps its data folder. Then replays, with
the real `pull` / `push`, what the steps move for that batch (docs/storage.md), each into a fresh empty step
folder: `parsed_batch` pulls its batch and timing prefixes (empty before a first parse) and pushes both
after it; `parsed_document` pulls the batch manifest; `clause_tree` pulls the manifest, the blocks and the
images, `verification` the manifest and the blocks (`batch_files`). Three stores: the data folder itself
(pull and push are no-ops: the baseline), a `FolderStore` in another folder (a 'remote' on local disk: the
pure copying cost) and an `S3DataStore` on moto's S3 server on loopback (`tests/s3_server.py`, in this
process: the server's CPU counts against the figure, a network's latency does not). A step process of the S3
backend also imports boto3 and makes its client: timed in a fresh interpreter and counted once per batch
(`parsed_batch`'s step; the document's steps pay it once per document).
Each repetition writes under a fresh prefix, so every push uploads and every pull downloads.
Prints the batch's files and bytes, seconds per operation (median of `--reps`), the total per batch, and
the overhead against the data folder as a share of the batch's MinerU parse phase. Goal: under 5% (exits
1 when missed).
Usage: `.venv/bin/python benchmarks/bench_data_store.py [PDF] [--reps N] [--batch-dir DIR --parse-s S]`
(default PDF: tl-source2e from `make corpus`; `--batch-dir` reuses a batch folder
`<data>/batches/<doc>/<key>` and its parse seconds, as a first run prints them, and skips the parse).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from platform_assets.domain.common.data_store import DataStore, FolderStore, pull, push  # noqa: E402
from platform_assets.domain.parse.batch_store import BLOCKS, MANIFEST, batch_files, read_manifest  # noqa: E402

DEFAULT_PDF = REPO / ".cache" / "corpus" / "tl-source2e.pdf"
BATCH_PAGES = 100
GOAL = 0.05
OPERATIONS = (
    "parsed_batch: pull batch + timings (empty)",
    "parsed_batch: push batch + timings",
    "parsed_document: pull the manifest",
    "clause_tree: pull blocks + images",
    "verification: pull blocks",
)
FIRST_CLIENT = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "import boto3\n"
    "from botocore.config import Config\n"
    "boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='a',\n"
    "             aws_secret_access_key='b', config=Config(signature_version='s3v4'))\n"
    "print(time.perf_counter() - started)\n"
)
"""Seconds a fresh step process spends importing boto3 and making its S3 client (no request is sent)."""


@dataclass(frozen=True)
class Batch:
    """A parsed batch in a data folder: `root/batches/<doc_id>/<key>/` and `root/timings/<key>/`."""

    root: Path
    doc_id: str
    key: str
    pages: int
    parse_s: float

    @property
    def prefixes(self) -> tuple[str, str]:
        """What `parsed_batch` pulls before its parse and pushes after it."""
        return f"batches/{self.doc_id}/{self.key}/", f"timings/{self.key}/"

    @classmethod
    def at(cls, folder: Path, parse_s: float) -> Batch:
        manifest = read_manifest(folder)
        if manifest is None:
            sys.exit(f"{folder} holds no {MANIFEST}: give a batch folder `<data>/batches/<doc>/<key>`")
        fp = manifest.fingerprint
        root = folder.resolve().parents[2]
        return cls(root, manifest.doc_id, manifest.key, fp.last_page - fp.first_page + 1, parse_s)


def parse_one_batch(pdf: Path, work: Path) -> Batch:
    """Register `pdf` in `work/data`, plan it and parse its batch nearest 100 pages through `parsed_batch`."""
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
    settings = PlatformSettings(paths)
    worker = LocalWorker(spool_dir=str(work / "spool"), handoff_dir=str(paths.root / "handoff"))
    resources = {**default_resources(settings), "worker": worker}
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "bench").record.doc_id
    try:
        with dg.instance_for_test() as instance:
            _run(settings, instance, resources, dg.AssetSelection.assets("source_pdf", "batch_plan"), doc_id)
            plan = Registry(paths.registry).plan(doc_id)
            assert plan is not None, "batch_plan registers the plan"
            batch = min(plan.batches, key=lambda b: abs(b.last_page - b.first_page + 1 - BATCH_PAGES))
            _run(settings, instance, resources, dg.AssetSelection.assets("parsed_batch"), batch.key)
    finally:
        worker.stop_workers()
        shutil.rmtree(work / "spool", ignore_errors=True)
    record = next(r for r in load_records(paths.timings) if r.batch_key == batch.key)
    return Batch.at(batch_dir(paths.batches, doc_id, batch.key), record.phases["parse"])


def files_and_bytes(folder: Path) -> tuple[int, int]:
    """The files a push would copy (names starting with `.` stay local) and their bytes."""
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                files += 1
                size += (Path(dirpath) / name).stat().st_size
    return files, size


def timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def pull_all(store: DataStore, root: Path, prefixes: tuple[str, ...]) -> None:
    for prefix in prefixes:
        pull(store, root, prefix)


def push_all(store: DataStore, root: Path, prefixes: tuple[str, ...]) -> None:
    for prefix in prefixes:
        push(store, root, prefix)


def one_pass(batch: Batch, store: DataStore, fresh: Callable[[], Path], in_place: bool) -> list[float]:
    """Seconds of each operation of `OPERATIONS` against `store`; `fresh()` gives an empty step folder.
    `in_place`: the step works in the store's own folder (the data folder), as the local backend does."""
    prefixes = batch.prefixes
    step = (lambda: batch.root) if in_place else fresh
    writer = step()
    seconds = [timed(pull_all, store, writer, prefixes)]
    if not in_place:  # the parse writes its output in the step folder (not timed)
        for prefix in prefixes:
            if (batch.root / prefix).is_dir():
                shutil.copytree(batch.root / prefix, writer / prefix)
    seconds.append(timed(push_all, store, writer, prefixes))
    seconds.append(timed(pull, store, step(), prefixes[0] + MANIFEST))
    readers = [step(), step()]  # clause_tree's, verification's
    folder = f"batches/{batch.doc_id}/"
    for reader, keep in zip(readers, (batch_files(images=True), batch_files()), strict=True):
        seconds.append(timed(pull, store, reader, folder, None, keep))
    assert (readers[0] / prefixes[0] / BLOCKS).is_file(), "clause_tree's pull brings the blocks"
    return seconds


def first_client_s(endpoint_url: str) -> float:
    """`FIRST_CLIENT` in a fresh interpreter, as a step process of the S3 backend pays it."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CLIENT, endpoint_url], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def measure(batch: Batch, reps: int, scratch: Path) -> dict[str, list[float]]:
    """Median seconds per operation for each store (the S3 list ends with a step's boto3 import + client)."""
    from platform_assets.edges.s3_data_store import S3DataStore
    from tests.s3_server import start_s3_server

    counter = itertools.count()

    def fresh() -> Path:
        folder = scratch / f"step-{next(counter)}"
        folder.mkdir()
        return folder

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    s3, stop = start_s3_server()
    try:
        s3.reset()
        client = s3.client()
        runs: dict[str, list[list[float]]] = {"data folder": [], "local remote": [], "S3 loopback": []}
        for rep in range(reps):
            runs["data folder"].append(one_pass(batch, FolderStore(batch.root), fresh, in_place=True))
            remote = FolderStore(scratch / f"remote-{rep}")
            runs["local remote"].append(one_pass(batch, remote, fresh, in_place=False))
            client_s = first_client_s(s3.endpoint_url)
            store = S3DataStore(client, s3.bucket, f"bench/{rep}/data/")
            runs["S3 loopback"].append([*one_pass(batch, store, fresh, in_place=False), client_s])
    finally:
        stop()
    return {
        name: [statistics.median(column) for column in zip(*rows, strict=True)] for name, rows in runs.items()
    }


def report(batch: Batch, medians: dict[str, list[float]], reps: int) -> bool:
    batch_files, batch_bytes = files_and_bytes(batch.root / batch.prefixes[0])
    timing_files, timing_bytes = files_and_bytes(batch.root / batch.prefixes[1])
    print(f"batch               {batch.key}: {batch.pages} pages")
    print(f"  parse phase       {batch.parse_s:.2f} s (MinerU flash)")
    print(f"  batch folder      {batch_files} files, {batch_bytes / 1e6:.2f} MB")
    print(f"  timing records    {timing_files} files, {timing_bytes / 1e3:.1f} kB")
    names = list(medians)
    print(f"\n  {f'seconds, median of {reps}':<42}" + "".join(f"{name:>14}" for name in names))
    for number, operation in enumerate(OPERATIONS):
        print(f"  {operation:<42}" + "".join(f"{medians[name][number]:14.4f}" for name in names))
    client = f"{medians['S3 loopback'][-1]:14.4f}"
    print(f"  {'parsed_batch: boto3 import + client':<42}{'-':>14}{'-':>14}{client}")
    totals = {name: sum(seconds) for name, seconds in medians.items()}
    print(f"  {'total per batch':<42}" + "".join(f"{totals[name]:14.4f}" for name in names))
    baseline = totals["data folder"]
    print(f"\noverhead per batch against the data folder, as a share of the {batch.parse_s:.2f} s parse:")
    for name in names[1:]:
        overhead = totals[name] - baseline
        print(f"  {name:<16}  {overhead:7.3f} s  {overhead / batch.parse_s:7.2%}")
    share = (totals["S3 loopback"] - baseline) / batch.parse_s
    print(f"goal: S3 overhead < {GOAL:.0%} of the parse: {'holds' if share < GOAL else 'MISSED'}")
    return share < GOAL


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pdf", nargs="?", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--reps", type=int, default=3, help="repetitions per store (median reported)")
    parser.add_argument("--batch-dir", type=Path, help="a parsed batch folder to reuse (skips the parse)")
    parser.add_argument("--parse-s", type=float, help="that batch's parse seconds (with --batch-dir)")
    args = parser.parse_args()
    if (args.batch_dir is None) != (args.parse_s is None):
        parser.error("--batch-dir and --parse-s go together")
    if args.batch_dir is not None:
        batch = Batch.at(args.batch_dir, args.parse_s)
    elif not args.pdf.is_file():
        print(f"{args.pdf} not found: `make corpus` fetches it; nothing measured")
        sys.exit(0)
    else:
        work = Path(tempfile.mkdtemp(prefix="bench-data-store-"))
        print(
            f"parsing one ~{BATCH_PAGES}-page batch of {args.pdf.name} (MinerU flash, this CPU)...",
            flush=True,
        )
        batch = parse_one_batch(args.pdf.resolve(), work)
        folder = batch.root / batch.prefixes[0]
        print(f"kept for re-runs: --batch-dir {folder} --parse-s {batch.parse_s:.2f}\n")
    with tempfile.TemporaryDirectory(prefix="bench-data-store-steps-") as scratch:
        held = report(batch, measure(batch, args.reps, Path(scratch)), args.reps)
    sys.exit(0 if held else 1)


if __name__ == "__main__":
    main()

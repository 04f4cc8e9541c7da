"""Command line for scripts and the demo: `python -m platform_assets ingest FILE [--wait]`.

Exit codes: 0 registered (with `--wait`: verified clean), 1 a step failed, 2 the input was refused,
3 finished but not clean (incomplete tree or actionable findings; counts on the last line).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from platform_assets.domain.common.file_lock import exclusive_lock
from platform_assets.domain.common.file_names import display_name
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.failures import StepFailed
from platform_assets.domain.pdf.pdf_facts import PdfError
from resources.settings import PlatformSettings, pdf_password

if TYPE_CHECKING:
    from dagster import DagsterInstance

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_NOT_CLEAN = 0, 1, 2, 3
INSTANCE_LOCK = ".platform-instance.lock"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_assets")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="register a PDF and materialize its assets")
    ingest.add_argument("file", type=Path)
    ingest.add_argument(
        "--wait",
        action="store_true",
        help="materialize every asset of the document now, in this process, and print a report "
        "(without it, a running daemon's automation picks the document up); exits 0 for a verified "
        "clean tree, 3 for an incomplete tree or actionable findings (counts on the last line); a "
        "failure prints one line naming the batch (pages counted from 1) or the step, and exits 1",
    )
    ingest.add_argument(
        "--password",
        default=pdf_password(),
        help="password of an encrypted PDF (or PLATFORM_PDF_PASSWORD)",
    )
    args = parser.parse_args(argv)

    from resources.platform_data import data_store_for  # dagster: loaded only when a PDF is registered

    settings = PlatformSettings.from_env()
    paths = settings.paths
    try:
        registry = Registry(data_store_for(settings))
        intake = register_pdf(args.file, registry, paths.landing, "cli", args.password)
    except PdfError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as err:  # missing, unreadable: the OS's reason, without a traceback
        print(f"error: {display_name(args.file)}: {err.strerror or type(err).__name__}", file=sys.stderr)
        return EXIT_REFUSED
    doc_id = intake.record.doc_id
    print(f"{'duplicate of' if intake.duplicate else 'registered as'} {doc_id}")
    if not args.wait:
        print("the daemon's automation will materialize it (make dev); or re-run with --wait")
        return EXIT_OK

    from platform_assets.local_run import materialize_document

    try:
        with open_instance() as instance:
            report = materialize_document(doc_id, settings, instance)
    except StepFailed as failure:  # one line; the traceback is in the run's event log ($DAGSTER_HOME)
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(report.lines()))
    return EXIT_OK if report.clean else EXIT_NOT_CLEAN


@contextlib.contextmanager
def open_instance() -> Iterator[DagsterInstance]:
    """The instance at `DAGSTER_HOME`, its storage created under a lock there: two processes starting on
    a fresh instance would both create its SQLite tables (`table ... already exists`). The variable is
    Dagster's own (`DagsterInstance.get` reads it), so it is read here beside it, not in the settings."""
    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME")
    lock = exclusive_lock(Path(home) / INSTANCE_LOCK, remove=True) if home else contextlib.nullcontext()
    with lock:
        instance = DagsterInstance.get()
        instance.get_runs(limit=1)  # creates the run, event log and schedule storages now
        instance.event_log_storage.get_asset_records()
        instance.all_instigator_state()
    with instance:
        yield instance


if __name__ == "__main__":
    sys.exit(main())

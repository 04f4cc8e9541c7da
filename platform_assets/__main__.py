"""Command line for scripts and the demo: `python -m platform_assets ingest FILE [--wait]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from platform_assets.domain.failures import StepFailed
from platform_assets.domain.intake import register_pdf
from platform_assets.domain.pdf_facts import PdfError
from platform_assets.domain.registry import Registry
from platform_assets.settings import platform_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_assets")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="register a PDF and materialize its assets")
    ingest.add_argument("file", type=Path)
    ingest.add_argument(
        "--wait",
        action="store_true",
        help="materialize every asset of the document now, in this process, and print a report "
        "(without it, a running daemon's automation picks the document up); a failure prints one line "
        "naming the batch (pages counted from 1) or the step, and exits 1",
    )
    ingest.add_argument(
        "--password",
        default=os.environ.get("PLATFORM_PDF_PASSWORD"),
        help="password of an encrypted PDF (or PLATFORM_PDF_PASSWORD)",
    )
    args = parser.parse_args(argv)

    paths = platform_paths()
    try:
        intake = register_pdf(args.file, Registry(paths.registry), paths.landing, "cli", args.password)
    except (PdfError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    doc_id = intake.record.doc_id
    print(f"{'duplicate of' if intake.duplicate else 'registered as'} {doc_id}")
    if not args.wait:
        print("the daemon's automation will materialize it (make dev); or re-run with --wait")
        return 0

    from dagster import DagsterInstance

    from platform_assets.local_run import materialize_document

    try:
        with DagsterInstance.get() as instance:
            report = materialize_document(doc_id, paths, instance)
    except StepFailed as failure:  # one line; the traceback is in the run's event log ($DAGSTER_HOME)
        print(f"error: {failure}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0 if report.contiguity_passed else 1


if __name__ == "__main__":
    sys.exit(main())

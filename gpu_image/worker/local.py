"""Child-process entry for the orchestrator's LocalWorker: one job from stdin, its output to `--output`.

One job per process keeps memory bounded; the output file appears atomically and complete, or not at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

OFFLINE_ENV = {
    "MINERU_MODEL_SOURCE": "local",
    "MINERU_LOG_LEVEL": "warning",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}
"""Keep MinerU and its model hubs offline and quiet unless the parent process says otherwise."""


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, the stable event name and the record's `data` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        line.update(getattr(record, "data", {}))
        return json.dumps(line, default=str)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temp file beside `path`, fsync it, then `os.replace` it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Read one payload JSON from stdin, run it, write the output JSON; 0 even when the job failed."""
    parser = argparse.ArgumentParser(prog="python -m gpu_image.worker.local", description=main.__doc__)
    parser.add_argument("--output", type=Path, required=True, help="where the output JSON is written")
    parser.add_argument(
        "--worker-id",
        default=os.environ.get("WORKER_ID") or f"local-{os.getpid()}",
        help="reported in debug.worker_id (default: env WORKER_ID, else local-<pid>)",
    )
    args = parser.parse_args(argv)
    if not args.output.parent.is_dir():
        parser.error("the --output directory does not exist")

    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

    from gpu_image.worker.job import redact, run_job

    try:
        payload = json.load(sys.stdin)
    except ValueError as error:
        output: dict[str, Any] = {"error": redact(f"JobInputError: stdin is not JSON: {error}")}
    else:
        output = run_job(payload, worker_id=args.worker_id)
    write_atomically(args.output, json.dumps(output, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

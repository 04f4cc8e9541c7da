"""Failures as one line a person can act on: what went wrong and where, for records, logs and terminals.

Invariant: a description is one line, with URLs cut to scheme://host/path and directory prefixes dropped
(`worker_contract.redaction.redact`, as job errors are); never a traceback (that stays in the run log).
"""

from __future__ import annotations

from worker_contract.redaction import redact


class DescribedError(RuntimeError):
    """An error whose message already names what failed and why: described as is, without its type."""


def describe_error(error: BaseException) -> str:
    """`KeyError 'blocks'`, `ValueError: <message>`, a `DescribedError`'s own message; one redacted line."""
    name = type(error).__name__
    if isinstance(error, DescribedError):
        text = str(error)
    elif isinstance(error, KeyError) and len(error.args) == 1:
        text = f"{name} {error.args[0]!r}"  # str(KeyError) is the bare key: say what it is
    else:
        text = f"{name}: {error}" if str(error).strip() else name
    return redact(text)


class StepFailed(Exception):
    """A step of a document's materialization failed. Its message is one line: what failed (a batch with
    its 1-based pages, or a step and its document), why, and the Dagster run whose event log holds the
    traceback."""

    def __init__(self, what: str, cause: str, run_id: str):
        super().__init__(f"{what} failed: {cause} (traceback in the event log of Dagster run {run_id})")
        self.what, self.cause, self.run_id = what, cause, run_id


def batch_label(key: str, first_page: int, last_page: int) -> str:
    """`batch doc~b001 (pages 1-14, 1-based)` for the 0-based inclusive page range 0..13, as people count."""
    return f"batch {key} (pages {first_page + 1}-{last_page + 1}, 1-based)"

"""Redaction of every message that leaves the worker or the orchestrator: job errors, log lines, telemetry.

Nothing redacted keeps credentials, queries, fragments or directory prefixes; the result is one line.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_ERROR_CHARS = 500
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_DIRS = re.compile(r"(?<![\w:/.~-])(?:~|\.{1,2})?/(?:[^\s/'\"]+/)+")


def redact_url(url: str, *, path: bool = True) -> str:
    """`scheme://host[:port]/path` (no path unless `path`): no credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a valid port: left out
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path if path else ''}"


def redact(message: str, *, url_paths: bool = True, max_chars: int = MAX_ERROR_CHARS) -> str:
    """One line, URLs cut to scheme://host/path (scheme://host without `url_paths`), directory prefixes
    of absolute paths dropped, capped at `max_chars`."""
    message = _URL.sub(lambda match: redact_url(match.group(0), path=url_paths), " ".join(message.split()))
    message = _DIRS.sub("", message)
    return message if len(message) <= max_chars else message[: max_chars - 3] + "..."

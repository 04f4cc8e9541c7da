"""File names as the OS gives them: exact bytes kept losslessly, a printable form for display.

Invariant: `raw_name` round-trips every name (undecodable bytes, newlines, RTL marks); `display_name`
is valid UTF-8 without control or bidi characters, so it is safe in JSON, logs and metadata.
"""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import quote_from_bytes

_RAW_SAFE = bytes(c for c in range(0x20, 0x7F) if c != ord("%")).decode()
"""Printable ASCII stays as is in `raw_name`; every other byte (and `%`) is percent-escaped."""
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories shown as `\\uXXXX`: controls, format (bidi) marks, surrogates, unassigned."""


def name_bytes(name: str | os.PathLike[str]) -> bytes:
    """The bytes of a name as the OS gave it (undecodable bytes are lone surrogates in a `str`)."""
    return os.fsencode(name)


def raw_name(name: str | os.PathLike[str]) -> str:
    """The name's exact bytes, percent-escaped (`urllib.parse.unquote_to_bytes` reverses it)."""
    return quote_from_bytes(name_bytes(name), safe=_RAW_SAFE)


def display_name(name: str | os.PathLike[str]) -> str:
    """A printable form: invalid UTF-8 becomes U+FFFD, control and bidi characters `\\uXXXX`."""
    text = name_bytes(name).decode("utf-8", errors="replace")
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _HIDDEN else c for c in text)

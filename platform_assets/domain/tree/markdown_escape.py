"""Text from the PDF as Markdown that shows exactly its characters: escaped where CommonMark reads syntax.

Invariant: no link, image, emphasis, code span, raw HTML, autolink or entity comes out of source text; a
character is escaped only where CommonMark (and GFM's strikethrough) would otherwise interpret it.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = "\\`*_~[]<&"
"""Characters that may start inline syntax: a text without them needs no inline escape."""
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)", re.MULTILINE)
"""A backslash that would escape the punctuation after it (or break the line)."""
_DELIMITERS = re.compile(r"([*_~])\1*")
"""A run of one delimiter character (the class first: the search skips to a candidate in C)."""
_LINK_CLOSE = re.compile(r"\](?=[(\[])")
"""A `]` that would close a link text before its destination or label."""
_ANGLE = re.compile(r"<(?=[A-Za-z/!?])")
"""A `<` that may open raw HTML or an autolink."""
_ENTITY = re.compile(r"&(?=#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_BLOCK_START = re.compile(
    r"^( {0,3})(?:(#{1,6})(?=[ \t]|$)|([>+-]|[*](?=[ \t]|$)|=+[ \t]*$|(?=[-*_](?:[ \t]*[-*_]){2,}[ \t]*$)"
    r"|~~~|\[[^\]\n]*\](?=:))|(\d{1,9})([.)])(?=[ \t]|$))",
    re.MULTILINE,
)
"""What would open a block at a line start: ATX heading, quote, bullet, setext underline, thematic break,
tilde fence, link reference definition, ordered list item."""
_LINE_STARTS = frozenset("#>+-*=_~[0123456789")
_TRAILING_HASHES = re.compile(r"(?<=[ \t])(#+)[ \t]*$")


def _kind(char: str) -> str:
    """CommonMark's classes for flanking: whitespace, punctuation, or other."""
    if char.isspace():
        return "space"
    category = unicodedata.category(char)
    return "punct" if category[0] in "PS" else "other"


def _active(text: str, start: int, end: int) -> bool:
    """Whether the delimiter run `text[start:end]` (never at an end of `text`) can open or close emphasis
    (or GFM strikethrough)."""
    before, after = _kind(text[start - 1]), _kind(text[end])
    left = after != "space" and (after != "punct" or before != "other")
    right = before != "space" and (before != "punct" or after != "other")
    if text[start] == "_":
        return (left and (not right or before == "punct")) or (right and (not left or after == "punct"))
    return left or right


def _escape_run(run: str) -> str:
    return "".join(f"\\{char}" for char in run)


def escape_inline(text: str, before: str = "", after: str = "") -> str:
    """`text` with every character that would start inline Markdown escaped, and only those.

    Backslashes before punctuation, backticks, `*` `_` `~` runs that can open or close emphasis, `]`
    before `(` or `[` (a link or image), `<` before a letter, `/`, `!` or `?` (raw HTML, autolinks), `&`
    of an entity. `before` and `after` are the characters around `text` in its line ("" at its ends).
    """
    if not _holds_any(text, _SPECIAL):
        return text
    text = _escape_char(text, "\\", _BACKSLASH)
    if "`" in text:
        text = text.replace("`", "\\`")
    if "*" in text or "_" in text or "~" in text:
        parts, last = [], 0
        context = f"{before[-1:] or ' '}{text}{after[:1] or ' '}"
        for run in _DELIMITERS.finditer(text):
            if _active(context, run.start() + 1, run.end() + 1):
                parts += [text[last : run.start()], _escape_run(run.group())]
                last = run.end()
        text = "".join([*parts, text[last:]])
    text = _escape_char(text, "]", _LINK_CLOSE)
    text = _escape_char(text, "<", _ANGLE)
    return _escape_char(text, "&", _ENTITY)


def _holds_any(text: str, chars: str) -> bool:
    """Whether `text` holds any of `chars`: a substring search each, on a paragraph several times faster
    than a regex character class (and than `any` over a generator)."""
    for char in chars:  # noqa: SIM110
        if char in text:
            return True
    return False


def _escape_char(text: str, char: str, where: re.Pattern[str]) -> str:
    """`text` with a backslash before each `char` that `where` (matching that character alone) finds.

    Split and joined: `sub` with a template calls back into Python's `re` module on every call.
    """
    return f"\\{char}".join(where.split(text)) if char in text else text


def escape_block_starts(text: str) -> str:
    """Inline Markdown made safe as a paragraph: what would open a heading, quote, list, break, fence or
    link definition at a line start is escaped (`\\# 1`, `1\\. x`, `\\- x`, `\\> x`)."""
    if text[:1] not in _LINE_STARTS and "\n" not in text:
        return text
    return _BLOCK_START.sub(_escape_start, text)


def _escape_start(match: re.Match[str]) -> str:
    indent, hashes, _, number, delimiter = match.groups()
    if hashes:
        return f"{indent}\\{hashes}"
    if number:
        return f"{indent}{number}\\{delimiter}"
    return f"{indent}\\{match.group(0)[len(indent) :]}"


def escape_heading(text: str) -> str:
    """Inline Markdown made safe as a heading's text: a trailing run of `#` would close the heading."""
    return _TRAILING_HASHES.sub(r"\\\1", text) if "#" in text else text

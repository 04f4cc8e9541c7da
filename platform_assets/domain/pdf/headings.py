"""Numbered headings found in a PDF's text layer, for documents that have no usable outline.

Invariant: the headings returned are in page order and their numbers progress sensibly (each one
follows the previous as a sibling, a first child or a parent's successor); anything else is dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from platform_assets.domain.pdf.pdf_facts import OutlineEntry

_ANNEX = re.compile(r"^(?:Annex|Appendix)\s+([A-Z])\b\.?(?:\s+(.*))?$")
_NUMERIC = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?\s+(\S.*)$")
_LETTERED = re.compile(r"^([A-Z])((?:\.\d{1,3})+)\.?\s+(\S.*)$")
_LEADERS = re.compile(r"\.{4,}|…{2,}|(?:\.\s){3,}")
_TRAILING_PAGE = re.compile(r"\s\d+$")
_NOT_IN_TITLES = set("\\{}$%=")
_INVISIBLE = str.maketrans("", "", "\ufffe\u00ad\u200b")
MAX_TITLE_CHARS = 150
MAX_TITLE_WORDS = 16
MAX_STEP = 2
"""A number may skip at most one sibling (a heading the text layer lost)."""
RUNNING_HEADER_NUMBERS = 3
"""A title seen under this many different numbers is a running header (page number + title)."""


@dataclass(frozen=True)
class _Candidate:
    page: int
    line: str
    key: tuple[int, ...]  # (0, 4, 2, 1) for 4.2.1; (1, 1) for Annex A; (1, 1, 2) for A.2
    title: str


def _parse(line: str) -> tuple[tuple[int, ...], str] | None:
    """Sort key and title of a heading-like line, None when the line cannot be a heading."""
    if match := _ANNEX.match(line):
        return (1, ord(match.group(1)) - 64), match.group(2) or ""
    if match := _NUMERIC.match(line):
        return (0, *map(int, match.group(1).split("."))), match.group(2)
    if match := _LETTERED.match(line):
        return (1, ord(match.group(1)) - 64, *map(int, match.group(2)[1:].split("."))), match.group(3)
    return None


def _plausible_title(title: str) -> bool:
    """A heading title starts with a capital, is short, and is no TOC line or code."""
    return (
        title[:1].isupper()
        and len(title) <= MAX_TITLE_CHARS
        and len(title.split()) <= MAX_TITLE_WORDS
        and not _LEADERS.search(title)
        and not _TRAILING_PAGE.search(title)
        and not _NOT_IN_TITLES.intersection(title)
    )


def _candidates(texts: dict[int, str]) -> list[_Candidate]:
    found = []
    for page in sorted(texts):
        for raw in texts[page].splitlines():
            line = " ".join(raw.translate(_INVISIBLE).split())
            parsed = _parse(line)
            if parsed is None:
                continue
            key, title = parsed
            if (key[0] == 1 and len(key) == 2 and not _LEADERS.search(line)) or _plausible_title(title):
                found.append(_Candidate(page, line, key, title.casefold()))
    return found


def _without_running_headers(candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop titles repeated under many different numbers (`4 THE CLASS NAME`, `6 THE ...`)."""
    keys: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    for candidate in candidates:
        keys[candidate.title].add(candidate.key)
    return [c for c in candidates if not (c.title and len(keys[c.title]) >= RUNNING_HEADER_NUMBERS)]


def follows(previous: tuple[int, ...], current: tuple[int, ...]) -> bool:
    """True when `current` is a sensible next heading number after `previous`.

    Sibling or ancestor's successor (step 1..MAX_STEP, deeper parts start at 1), or a first child.
    """
    for position, (before, after) in enumerate(zip(previous, current, strict=False)):
        if before != after:
            return 1 <= after - before <= MAX_STEP and all(part == 1 for part in current[position + 1 :])
    return len(current) > len(previous) and all(part == 1 for part in current[len(previous) :])


def detect_numbered_headings(texts: dict[int, str]) -> list[OutlineEntry]:
    """Headings such as `1 Scope`, `4.2.1 Something`, `Annex A`, `A.2 Foo`, as outline entries.

    Rejects table-of-contents lines (dot leaders, trailing page numbers), running headers, code
    and numbers in running text; keeps only a chain of numbers that progresses sensibly from `1`.
    Levels come from the number depth (`4` -> 0, `4.2` -> 1, `Annex A` -> 0, `A.2` -> 1).
    """
    entries: list[OutlineEntry] = []
    previous: tuple[int, ...] = (0, 0)
    for candidate in _without_running_headers(_candidates(texts)):
        if follows(previous, candidate.key):
            entries.append(
                OutlineEntry(title=candidate.line, level=len(candidate.key) - 2, page_index=candidate.page)
            )
            previous = candidate.key
    return entries

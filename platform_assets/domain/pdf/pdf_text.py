"""The PDF text layer of chosen pages as words, normalized exactly like the Markdown compared with it.

Invariant: `keys` is the one tokenizer of both sides, and a `PageWords` holds at most `cache_pages`
pages, reading a page from the PDF again only after it left the cache.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from platform_assets.domain.pdf.pdf_facts import looks_scanned, open_pdf, page_label, page_text

CACHE_PAGES = 64
"""Pages held at once: a clause's window plus the neighbours furniture is told by, many times over."""
EDGE_LINES = 3
"""Lines at the top and at the bottom of a page that may be running headers or footers."""
FURNITURE_REACH = 2
"""An edge line repeated (numbers aside) at an edge of a page up to 2 away is furniture (2: facing
pages of a two-sided layout alternate their running heads)."""

HEAD_WORDS = 2
"""Words a running head holds before the page number that ends it, at least."""

JOIN = "\ufffe"
"""Where a word was broken at a line end. PDFium writes this itself for hyphens it recognises."""

_BREAK = re.compile(r"([^\W\d_])[-\u2010\u2011][ \t]*\r?\n[ \t]*([^\W\d_])")
_HIDDEN = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_MARKS = {
    **dict.fromkeys("\u00ad\x02", JOIN),  # soft hyphen; the hyphen mark of older PDFium builds
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
}
_TOKEN = re.compile(rf"[^\W_]+(?:['{JOIN}][^\W_]+)*")
_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(r"[ivxlcdm]{1,7}")


def normalize(text: str) -> str:
    """NFKC (ligatures, full-width forms), HTML entities, straight quotes, soft and line-end hyphens
    marked as `JOIN` where a lower-case letter follows, zero-width characters dropped."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    for char, mark in _MARKS.items():
        if char in text:
            text = text.replace(char, mark)
    text = _BREAK.sub(lambda m: m[1] + JOIN + m[2] if m[2].islower() else m[0], text)
    return _HIDDEN.sub("", text)


def line_keys(folded: str) -> list[str]:
    """Keys of normalized, case-folded text: runs of letters and digits, inner apostrophes kept."""
    found = _TOKEN.findall(folded)
    return [token.replace(JOIN, "") for token in found] if JOIN in folded else found


def keys(text: str) -> list[str]:
    """The tokenizer of both sides: the words of `text` in order, as keys.

    Case is folded: small capitals, upper-cased headings and a renderer's case slips are not what this
    comparison is for. Underscores and other punctuation split words, so `ST_Align` is two.
    """
    return line_keys(normalize(text).casefold())


@dataclass(frozen=True)
class Words:
    """The words of a text as keys, with the pieces of words joined at a line-end hyphen (`user-` /
    `interface` may be one word or two: both forms are in the text) and the normalized text itself."""

    counts: Counter[str]
    pieces: frozenset[str]
    text: str

    def has(self, key: str) -> bool:
        return key in self.counts or key in self.pieces

    def spelled(self, key: str) -> str:
        """The key as the text writes it: as the key itself where it occurs so, else its first spelling."""
        spellings = [t.replace(JOIN, "") for t in _TOKEN.findall(self.text) if _key(t) == key]
        return key if key in spellings else next(iter(spellings), key)


def _key(token: str) -> str:
    return token.replace(JOIN, "").casefold()


def _keyed(normalized: str, folded: str) -> tuple[Words, list[str]]:
    found = _TOKEN.findall(folded)
    if JOIN not in folded:
        return Words(Counter(found), frozenset(), normalized), found
    pieces = frozenset(piece for token in found if JOIN in token for piece in token.split(JOIN))
    ordered = [token.replace(JOIN, "") for token in found]
    return Words(Counter(ordered), pieces, normalized), ordered


def _words(normalized: str, folded: str) -> Words:
    return _keyed(normalized, folded)[0]


def words(text: str) -> Words:
    """`keys(text)` counted."""
    normalized = normalize(text)
    return _words(normalized, normalized.casefold())


def keyed_words(text: str) -> tuple[Words, list[str]]:
    """`words(text)` and `keys(text)` (the words in order) from one reading of the text."""
    normalized = normalize(text)
    return _keyed(normalized, normalized.casefold())


@dataclass(frozen=True)
class PageText:
    """One page: its words, its non-blank lines normalized and case-folded (in text-layer order, for
    `line_keys`), and whether it is a scan."""

    words: Words
    lines: tuple[str, ...]
    scanned: bool


def _masked(line: str) -> tuple[str, ...]:
    """A line's keys with numbers (page numbers, dates, years) and a roman number at either end alike."""
    masked = line_keys(_DIGITS.sub("#", line))
    for end in {0, len(masked) - 1} if masked else ():
        if _ROMAN.fullmatch(masked[end]):
            masked[end] = "#"
    return tuple(masked)


def _edge_lines(count: int) -> list[int]:
    """Indexes of the edge lines of a page of `count` lines."""
    return [*range(min(EDGE_LINES, count)), *range(max(count - EDGE_LINES, EDGE_LINES), count)]


def _edge_keys(page: PageText) -> dict[tuple[str, ...], int]:
    """Edge lines, numbers masked -> line index."""
    return {_masked(page.lines[i]): i for i in _edge_lines(len(page.lines))}


def _ends_with_label(line: str, label: str) -> bool:
    """A running head that ends with its page's number (`5. First step: fixed points 34` on page 34): words
    before the label, at least `HEAD_WORDS`. A heading starts with its number (`1 Introduction` on page 1)."""
    found = line_keys(line)
    return len(found) > HEAD_WORDS and found[-1] == label


class PageWords:
    """Pages of one PDF as words, each read when first asked for and kept in a bounded cache.

    `page(i)` is page i's text; `furniture(i)` the indexes of its lines that are running headers or
    footers: edge lines repeated, numbers aside, at an edge of a page up to `FURNITURE_REACH` away, or
    ending with the page's own number (a chapter's running head printed on one page only).
    """

    def __init__(self, path: Path, password: str | None = None, cache_pages: int = CACHE_PAGES) -> None:
        self._document = open_pdf(path, password)
        self.page_count = len(self._document)
        self.reads = 0
        self.page = lru_cache(maxsize=cache_pages)(self._read)
        self.furniture = lru_cache(maxsize=cache_pages)(self._furniture)
        self._edges = lru_cache(maxsize=cache_pages)(lambda index: _edge_keys(self.page(index)))

    def _read(self, index: int) -> PageText:
        if not 0 <= index < self.page_count:
            raise IndexError(f"page {index} of a {self.page_count}-page document")
        self.reads += 1
        page = self._document[index]
        try:
            text = page_text(page)
            scanned = looks_scanned(page, text)
        finally:
            page.close()
        normalized = normalize(text)
        folded = normalized.casefold()
        lines = tuple(line for line in folded.splitlines() if line and not line.isspace())
        return PageText(_words(normalized, folded), lines, scanned)

    def _furniture(self, index: int) -> frozenset[int]:
        near = range(max(index - FURNITURE_REACH, 0), min(index + FURNITURE_REACH + 1, self.page_count))
        repeated = {key for other in near if other != index for key in self._edges(other)}
        lines, label = self.page(index).lines, page_label(self._document, index).casefold()
        repeats = {line for key, line in self._edges(index).items() if key in repeated}
        edges = _edge_lines(len(lines))
        return frozenset(line for line in edges if line in repeats or _ends_with_label(lines[line], label))

    def close(self) -> None:
        for cache in (self.page, self.furniture, self._edges):
            cache.cache_clear()
        self._document.close()

    def __enter__(self) -> PageWords:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

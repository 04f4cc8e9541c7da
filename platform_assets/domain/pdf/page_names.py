"""Case-sensitive whole-name lookups in the PDF text layer of chosen pages: the proof a reviewed
correction needs (`SourceID` is not `SourceId`, `ST_Align` is one name).

Invariant: a page is read at most once while it stays in the bounded cache; never the whole document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from platform_assets.domain.pdf.pdf_facts import open_pdf, page_text

CACHE_PAGES = 64


class PageNames:
    """`has(name, pages)`: whether `name` occurs as a whole name (not inside a longer one) on any page."""

    def __init__(self, path: Path, password: str | None = None) -> None:
        self._document = open_pdf(path, password)
        self.page_count = len(self._document)
        self._text = lru_cache(maxsize=CACHE_PAGES)(self._read)

    def _read(self, index: int) -> str:
        page = self._document[index]
        try:
            return unicodedata.normalize("NFKC", page_text(page))
        finally:
            page.close()

    def has(self, name: str, pages: Sequence[int]) -> bool:
        pattern = re.compile(rf"(?<![\w]){re.escape(unicodedata.normalize('NFKC', name))}(?![\w])")
        return any(pattern.search(self._text(p)) for p in pages if 0 <= p < self.page_count)

    def close(self) -> None:
        self._text.cache_clear()
        self._document.close()

    def __enter__(self) -> PageNames:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

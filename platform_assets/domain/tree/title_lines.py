"""Bookmarks without a position -> the line of their page's text layer that prints their title.

Invariant: a position is given only for whole lines (up to `TITLE_LINES`) that print the title, after at
most a section number or label, with nothing after it but text set well apart (a side heading); upright
pages only, none where nothing fits.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium

from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.pdf.pdf_facts import LINE_ABOVE, open_pdf
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, number_words, tokens

PREFIX_WORDS = 6
"""Words a line may print before the title: a number its bookmark lacks (`5 3`, up to five parts), a
label before it (`Chapter 4`)."""
TITLE_LINES = 3
"""Lines of the text layer a printed title may run over."""
PAGES_AFTER = 1
"""Pages after its bookmark's page on which a title is looked for (a destination set before a page
break)."""
MARGIN_SLACK = 2.0
"""Points by which a side heading starts left of the page's text, and its line's text may start left of
it."""
SIDE_GAP = 1.0
"""Ems between a side heading (set in the margin, level with its paragraph's first line) and the text after
it on its line; a word space, however stretched, is narrower."""
_LINE = re.compile(r"[^\r\n]+")
_ROMAN = re.compile(r"[ivxlcdm]{1,7}")
_SENTENCE_END = (".", ",", ";", ":")


class _Line:
    """A line of the text layer; `start` and `index` count its page's characters as PDFium does, in UTF-16
    code units (a math letter outside the BMP, `𝜀`, is two)."""

    __slots__ = ("start", "text", "words")

    def __init__(self, start: int, text: str) -> None:
        self.start, self.text, self.words = start, text, tokens(text)

    def index(self, offset: int) -> int:
        """The page's character index of the line's character at `offset`."""
        return self.start + _units(self.text[:offset])


class _Page:
    """One upright page's text lines, with its text page open for their characters' boxes."""

    def __init__(self, document: pdfium.PdfDocument, index: int) -> None:
        self.page = document[index]
        self.box = PageBox.of(self.page)
        self.textpage = self.page.get_textpage() if self.box.rotation == 0 else None
        text = self.textpage.get_text_range() if self.textpage is not None else ""
        self.lines: list[_Line] = []
        units = end = 0
        for match in _LINE.finditer(text):
            units += _units(text[end : match.start()])
            if match[0].strip():
                self.lines.append(_Line(units, match[0]))
            units, end = units + _units(match[0]), match.end()

    def prints(self, at: int, title: Tokens, numbered: int) -> int | None:
        """Where line `at` prints the title (`prints_title`), or 0 where it opens with it as a side heading;
        None where it does neither."""
        printed = prints_title(self.lines, at, title, numbered)
        return 0 if printed is None and self._side_heading(at, title) else printed

    def _side_heading(self, at: int, title: Tokens) -> bool:
        """Line `at` opens with the title (its start alone on up to `TITLE_LINES` - 1 lines before, a logo
        breaking it: `TE` / `X Live`), set in the margin: it starts left of the page's text, whose left
        edge the rest of its last line starts at, an em or more after it (not a table's first cell)."""
        wanted, head, last = "".join(title), "", at
        while last + 1 < min(at + TITLE_LINES, len(self.lines)):
            joined = head + "".join(self.lines[last].words)
            if len(joined) >= len(wanted) or not wanted.startswith(joined):
                break
            head, last = joined, last + 1
        line, rest = self.lines[last], wanted[len(head) :]
        if not "".join(line.words).startswith(rest):
            return False
        end = _end_of(line.text, len(rest))
        while end is not None and end < len(line.text) and not line.text[end].isspace():
            if tokens(line.text[end]):
                return False  # the title ends inside a word
            end += 1  # a closing quote or bracket
        if end is None or not line.text[end:].strip():
            return False
        assert self.textpage is not None  # an upright page: only its lines are looked at
        after = line.index(len(line.text) - len(line.text[end:].lstrip()))
        text_left = self.textpage.get_charbox(after)[0]
        title_end = line.index(end) - 1
        gap = text_left - self.textpage.get_charbox(title_end)[2]
        in_margin = self._left(self.lines[at]) < self.text_left - MARGIN_SLACK <= text_left
        return in_margin and gap > SIDE_GAP * self.size(title_end)

    @functools.cached_property
    def text_left(self) -> float:
        """The left edge of the page's text: where most of its lines start (to the point)."""
        return Counter(round(self._left(line)) for line in self.lines).most_common(1)[0][0]

    def _left(self, line: _Line) -> float:
        assert self.textpage is not None  # an upright page: only its lines are looked at
        return self.textpage.get_charbox(line.start)[0]

    def size(self, char: int) -> float:
        """The font size of a character of the page."""
        return pdfium.raw.FPDFText_GetFontSize(self.textpage, char)

    def position(self, line: _Line, offset: int) -> tuple[float, float]:
        """(top, left) fractions `LINE_ABOVE` points above the line's character at `offset`."""
        assert self.textpage is not None  # an upright page: only its lines are looked at
        left, _, _, top = self.textpage.get_charbox(line.index(offset))
        across, down = self.box.to_fraction(left, top + LINE_ABOVE)
        return down, across

    def close(self) -> None:
        if self.textpage is not None:
            self.textpage.close()
        self.page.close()


def title_positions(
    pdf: Path, password: str | None, clauses: Sequence[Clause]
) -> dict[str, tuple[float, float]]:
    """(top, left) fractions just above the line that prints each clause's title (`prints_title`), on its
    bookmark's page or up to `PAGES_AFTER` pages after: of several, the first in the largest type (the
    heading, not a running header or a mention); clauses in outline order, each found below the one before
    it on the same page. Clauses whose title no line prints are left out."""
    found: dict[str, tuple[float, float]] = {}
    below: dict[int, int] = {}  # page -> character index after the last line taken on it
    pages: dict[int, _Page] = {}
    document = open_pdf(pdf, password)
    try:
        for clause in clauses:
            title, numbered = tokens(clause.title), number_words(clause.title)
            if not title:
                continue
            for index in range(clause.page_index, min(clause.page_index + PAGES_AFTER + 1, len(document))):
                if index not in pages:
                    pages[index] = _Page(document, index)
                page = pages[index]
                printing = [
                    (line, offset)
                    for at, line in enumerate(page.lines)
                    if line.start >= below.get(index, 0)
                    and (offset := page.prints(at, title, numbered)) is not None
                ]
                if printing:
                    # the first in the largest type (of its first character): a heading, not a header
                    line, offset = max(printing, key=lambda candidate: page.size(candidate[0].start))
                    found[clause.id] = page.position(line, offset)
                    below[index] = line.index(len(line.text))
                    break
    finally:
        for page in pages.values():
            page.close()
        document.close()
    return found


def prints_title(lines: Sequence[_Line], at: int, title: Tokens, numbered: int = 0) -> int | None:
    """Where line `at` starts to print `title`, alone or with up to `TITLE_LINES` - 1 lines after it (a
    wrapped title, a logo's lowered letter breaking the line: `T` / `E` / `X’s Pagination`), with nothing
    after it, after a section number (`5.3`, `A.1.2`), maybe with a label (`Chapter 4`, `Part IV`); None
    where it does not. The first line holds a word of the title (a page number alone is no start), and a
    line ending a sentence (`.`, `,`, `;`, `:`) is none. Words are compared run together: a letter-spaced
    heading (`m o t i v a t i o n`) prints its title. The offset returned is past the title's own number
    (its first `numbered` words) where the line goes on after it: a number set in the margin may be a
    block of its own, beside the one that holds the title's words."""
    wanted = "".join(title)
    first = lines[at].words
    for start in range(min(len(first), PREFIX_WORDS + 1)):
        if start and not all(map(_number, first[min(start - 1, 1) : start])):
            continue  # a number's words, after a label word or not
        head = "".join(first[start:])
        for last in range(at, min(at + TITLE_LINES, len(lines))):
            if last > at:
                head += "".join(lines[last].words)
            if head == wanted:
                if _ends_sentence(lines[last]):
                    return None
                words = start + numbered if start + numbered < len(first) else start
                return _start_of(lines[at].text, first[:words])
            if not wanted.startswith(head):
                break
    return None


def _start_of(text: str, skipped: Tokens) -> int:
    """The offset of the text's first word character after the `skipped` words."""
    offset = (_end_of(text, len("".join(skipped))) or 0) if skipped else 0
    while offset < len(text) and not tokens(text[offset]):
        offset += 1
    return offset


def _end_of(text: str, length: int) -> int | None:
    """The offset just after the character that completes the first `length` characters of the text's
    words run together; None when a character's word runs past it."""
    count = 0
    for offset, char in enumerate(text):
        count += len("".join(tokens(char)))
        if count >= length:
            return offset + 1 if count == length else None
    return None


def _units(text: str) -> int:
    """UTF-16 code units of the text: PDFium's character count for it."""
    return len(text.encode("utf-16-le")) // 2


def _ends_sentence(line: _Line) -> bool:
    return line.text.rstrip().endswith(_SENTENCE_END)


def _number(word: str) -> bool:
    """A section number's word: digits, a roman numeral or a single letter."""
    return word.isdigit() or len(word) == 1 or _ROMAN.fullmatch(word) is not None

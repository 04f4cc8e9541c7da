"""The text layer of a document in its own reading order: where a destination's text starts, each
character's box, and the text between two such places.

Invariant: a place is (page, character index) in pdfium's order of the page's characters; the text
between two places holds each character once, line breaks included.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

import pypdfium2 as pdfium

from platform_assets.domain.pdf.page_geometry import PageBox
from platform_assets.domain.pdf.pdf_text import keys
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import number_words

END = 1 << 30
"""A character index past every page's last."""
OFF_PAGE = -1.0
"""The box given a character no clause starts at: above and left of every destination."""
SLACK = 0.01
"""A destination's character may start this far (page fractions) above or left of it."""
WORD_GAP = 0.03
"""The widest gap (page fractions) between two characters of one line of a column: a space."""
_BREAKS = frozenset({ord("\r"), ord("\n")})

Box = tuple[float, float, float, float]
"""A character's left, top, bottom and right edge on the displayed page, as fractions."""
_Page = tuple[int, list[Box], str, list[tuple[float, int]]]
"""A page read: its index, each character's box, its characters, and its letters' (top, index) by top."""


class TextOrder:
    """Places in the text layer of an open document, one page's characters held at a time."""

    def __init__(self, document: pdfium.PdfDocument) -> None:
        self.document = document
        self._page: _Page = (-1, [], "", [])  # the last page read only

    def start(self, clause: Clause) -> tuple[int, int]:
        """(page, character index) where the clause starts: the character whose top-left corner is nearest
        its destination among those below it and not left of it (`SLACK` allowed: ending there, the last
        letter of a word whose end the destination marks; a letter, not a mark set at its line's foot,
        and not mostly above it: the line before, whose descenders cross it), moved back over the words
        of its line before it that print its number and title (`_own_start`); a clause without a position
        starts with its page."""
        if clause.top is None:
            return clause.page_index, 0
        place = self._place(clause)
        return clause.page_index, place[1] if place else len(self.boxes(clause.page_index))

    def inside_line(self, clause: Clause) -> bool:
        """The clause's destination marks a word inside a line of running text: words that print neither
        its number nor its title come before it on its line (DocBy.TeX's `\\dg`, not a heading's), more
        than one letter in all (not an index's letter group, set in the margin before its first name)."""
        place = self._place(clause) if clause.top is not None else None
        if place is None:
            return False
        return len("".join(keys(self.chars(clause.page_index)[place[0] : place[1]]))) > 1

    def _place(self, clause: Clause) -> tuple[int, int] | None:
        """The start of the line of the character nearest the clause's destination (`start`), and where
        the clause starts on it; None where no character is below it."""
        _, boxes, chars, by_top = self._read(clause.page_index)
        x, y = clause.left or 0.0, clause.top or 0.0
        best: tuple[float, int] | None = None
        for top, index in by_top[bisect_left(by_top, (y - SLACK, -1)) :]:
            if best is not None and (top - y) ** 2 > best[0]:
                break  # lower still: farther than the nearest found
            left, _, bottom, right = boxes[index]
            candidate = ((x - left) ** 2 + (y - top) ** 2, index)
            if right >= x - SLACK and top + bottom > 2 * y and (best is None or candidate < best):
                best = candidate
        if best is None:
            return None
        title = {*keys(clause.title), *keys(clause.number or "")}
        line_start = _line_start(boxes, best[1])
        return line_start, _own_start(chars, line_start, best[1], title)

    def between(self, start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, str]]:
        """(page, text) from `start` up to `end` (excluded), page by page."""
        texts = []
        for page in range(start[0], end[0] + 1):
            first = start[1] if page == start[0] else 0
            last = end[1] if page == end[0] else END
            pdf_page = self.document[page]
            textpage = pdf_page.get_textpage()
            try:
                count = min(last, textpage.count_chars()) - first
                texts.append((page, textpage.get_text_range(first, count) if count > 0 else ""))
            finally:
                textpage.close()
                pdf_page.close()
        return texts

    def boxes(self, page_index: int) -> list[Box]:
        """Each character's box on the page; a character set at another angle than most of its page's, and
        a line break, is put off the page (`OFF_PAGE`)."""
        return self._read(page_index)[1]

    def chars(self, page_index: int) -> str:
        """The page's characters, one per index (a line break too)."""
        return self._read(page_index)[2]

    def _read(self, page_index: int) -> _Page:
        if self._page[0] != page_index:
            page = self.document[page_index]
            textpage = page.get_textpage()
            try:
                box = PageBox.of(page)
                count = textpage.count_chars()
                angles = [
                    round(pdfium.raw.FPDFText_GetCharAngle(textpage.raw, index), 2) for index in range(count)
                ]
                upright = Counter(angles).most_common(1)[0][0] if angles else 0.0
                boxes: list[Box] = []
                chars = []
                for index in range(count):
                    # a label set sideways (`RNC` beside a listing) starts no region; a line break ends a line
                    unicode = pdfium.raw.FPDFText_GetUnicode(textpage.raw, index)
                    chars.append(chr(unicode) if 0 < unicode < 0x110000 else " ")
                    if angles[index] != upright or unicode in _BREAKS:
                        boxes.append((OFF_PAGE, OFF_PAGE, OFF_PAGE, OFF_PAGE))
                        continue
                    left, bottom, right, top = textpage.get_charbox(index)
                    (x0, y0), (x1, y1) = box.to_fraction(left, top), box.to_fraction(right, bottom)
                    boxes.append((min(x0, x1), min(y0, y1), max(y0, y1), max(x0, x1)))
                letters = sorted((box[1], index) for index, box in enumerate(boxes) if _letter(chars[index]))
                self._page = (page_index, boxes, "".join(chars), letters)
            finally:
                textpage.close()
                page.close()
        return self._page


def _letter(char: str) -> bool:
    """A letter, digit or backslash: a character whose box spans its line's middle (a comma's or a space's
    lies at the line's foot, where it may cross a destination set on the line below)."""
    return char.isalnum() or char == "\\"


def _own_start(chars: str, line_start: int, index: int, title: set[str]) -> int:
    """Where the clause's text starts on its line: at the line's start where the words up to the one at
    `index` print only its number and title (`4.1 Base colors`, the destination over `colors`), else at
    the first of the words opening with a title word that run up to the one at `index` or the one before
    it (a word documented inside running text, DocBy.TeX's `\\dg`, its destination at the word's start or
    end: the line's words before it are the clause before's), else at the word at `index`."""
    end = index
    while end < len(chars) and not chars[end].isspace():
        end += 1
    before = chars[line_start:end]
    if set(keys(before)[number_words(before) :]) <= title:
        return line_start
    words = [(line_start + word.start(), keys(word.group())) for word in re.finditer(r"\S+", before)]
    if not words:
        return index
    start = words[-1][0]
    last = len(words) if words[-1][1][:1] and words[-1][1][0] in title else len(words) - 1
    for at, opening in reversed(words[:last]):
        if not opening or opening[0] not in title:
            break
        start = at
    return start


def _line_start(boxes: Sequence[Box], index: int) -> int:
    """`index` moved back over the characters before it on its line, none of them further than `WORD_GAP`
    from the next: where a destination's line begins (`_own_start` decides whether its clause starts
    there: xcolor's `4.1 Base colors`, its destination over `colors`, does); a column's line level with it,
    across the gutter, stays out."""
    _, top, bottom, _ = boxes[index]
    while index > 0:
        left, previous_top, previous_bottom, right = boxes[index - 1]
        if left < 0 or previous_top > bottom or previous_bottom < top or boxes[index][0] - right > WORD_GAP:
            break
        index -= 1
    return index

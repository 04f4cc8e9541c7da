"""Source cross-check: each clause file's words, and each text-layer line of its pages, against the PDF.

Invariant: a clause is compared only with its pages `first_page - window .. last_page + window`
(clamped), and a page's lines only with the files of the clauses on it and their two neighbours, so the
work grows with pages, never with the document per clause; a scanned page counts as unknown, never as
a page without words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from platform_assets.domain.pdf.pdf_text import JOIN, PageText, PageWords, Words, keyed_words, keys, line_keys
from platform_assets.domain.plan.tiling import page_numbers
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.markdown_parts import split_markdown
from platform_assets.domain.verify.near_miss import deletions, edit_distance

MIN_RECALL = 0.85
"""Below this share of its pages' words, a clause is reported as likely incomplete."""
MIN_RECALL_WORDS = 30
"""Recall over fewer text-layer words than this is kept as a figure but not reported."""
MAX_GARBLES = 20
"""Garble findings per clause; the rest are counted in the clause's figures."""
MIN_NAME = 4
"""Shortest word (letters only) checked for garbles, and shortest near-miss accepted."""
LONG_NAME = 8
"""Names this long (both sides) may differ by two edits; shorter ones by one."""
MISSING_EXAMPLES = 5
"""Missing words a low-recall finding names, most missed first."""
MIN_LINE_KEYS = 4
MIN_LINE_CHARS = 16
"""A text-layer line is checked when it has this many words, of this many letters and digits: shorter
lines (page numbers, single words, axis labels, `</xs:sequence>`) would be found anywhere or, cut from a
figure, nowhere."""
MIN_LINE_SHARE = 0.75
"""A line is found where this share of its words (of four: three) is a run of unclaimed words in a file;
a glued, misread (one edit, two for long names) or broken word counts as found."""
LINE_SLACK = 0.25
"""A run may reach `2 + LINE_SLACK * words` words beyond the line on either side: a footnote mark, a
word split or joined, a word MinerU moved."""
LOST_RUN = 3
"""Consecutive checked lines lost from one clause, from this many on, are an error (a paragraph or a
piece of a listing gone), fewer a warning."""
MAX_LOST = 20
"""Lost-line findings (runs) per clause; the rest are counted in the clause's figures."""
SHOWN_LINE = 60
"""Characters of a lost line a finding shows."""
_ANCHORS = 2
_TRIES = 24
"""Places tried per file for a line: around its `_ANCHORS` rarest words, nearest the file's cursor."""
_TOLERATED = 3
"""Of those, the places with most words found that are looked at for glued, misread or broken words."""
_LEADERS = re.compile(r"(?:\.\s*){4,}(?:\d{1,4}|[ivxlcdm]{1,7})\s*$")
"""A contents line: dot leaders and a page number."""
_LEADER_ENDS = frozenset("0123456789ivxlcdm \t")

_CONTENTS = re.compile(r"\n## Contents\n\n(?:- \[[^\n]*\]\([^\n]*\)\n?)+\Z")
"""The child links `clause_tree._page` appends to a barrel: written by the tree, not by the parser."""
_ENDS_IN_PAGE_NUMBER = re.compile(r"[\s.](?:\d{1,4}|[ivxlcdm]{1,7})\s*$")


@dataclass(frozen=True)
class ClauseSource:
    """One clause's figures.

    `words`: text-layer words its recall is measured on (furniture, contents entries and bare numbers
    left out); `recall`: the share of them found in its file, None when its pages have no text layer
    (`scanned` lists scanned pages) or no words; `measured_with`: clauses measured together with it
    because no heading line on a shared page tells them apart; `garbles`: garbles found (before the cap
    on findings), None when not checked because a page of the clause is scanned; `lines`: text-layer
    lines of its pages checked against the files (long enough, not furniture nor contents, from its
    heading line to the next clause's); `lines_lost`: those found in neither its file nor a neighbour's.
    """

    clause_id: str
    pages: tuple[int, ...]
    words: int
    recall: float | None
    garbles: int | None
    scanned: tuple[int, ...]
    measured_with: tuple[str, ...] = ()
    lines: int = 0
    lines_lost: int = 0


@dataclass(frozen=True)
class SourceReport:
    clauses: list[ClauseSource]
    findings: list[Finding]

    @property
    def note(self) -> str:
        """One line for the check summary: overall recall, garbles, clauses not fully checked."""
        units = {frozenset((c.clause_id, *c.measured_with)): c for c in self.clauses if c.recall is not None}
        total = sum(c.words for c in units.values())
        found = sum(c.words * (c.recall or 0) for c in units.values())
        overall = f"recall {found / total:.3f}" if total else "no text-layer words to measure recall on"
        garbles = sum(c.garbles or 0 for c in self.clauses)
        lost = sum(c.lines_lost for c in self.clauses)
        lines = f", {lost} of {sum(c.lines for c in self.clauses)} lines lost" if lost else ""
        unchecked = sum(1 for c in self.clauses if c.garbles is None)
        skipped = f", {unchecked} not checked for garbles (scanned pages)" if unchecked else ""
        return f"{len(self.clauses)} clauses, {overall}, {garbles} garbles{lines}{skipped}"


@dataclass(frozen=True)
class _Garble:
    key: str
    near: str
    pages: tuple[int, ...]
    window: range


@dataclass
class _Unit:
    """Consecutive clauses measured together, from a line of the first page to a line of the last (None:
    its end). A clause is a unit of its own wherever its heading line splits the page it shares.
    `on_pages` counts the words of its pages before `counted_to` (the last page waits for its end)."""

    members: list[int]
    counts: Counter[str]
    start: int
    start_line: int
    stop: int
    end_line: int | None = None
    on_pages: Counter[str] = field(default_factory=Counter)
    counted_to: int = -1


def clause_words(markdown: str) -> Words:
    """The words a clause file renders: every part `split_markdown` finds, less the child links that the
    tree appends to a barrel."""
    return clause_text(markdown)[0]


def clause_text(markdown: str) -> tuple[Words, list[str]]:
    """`clause_words` and the same words in order."""
    return keyed_words(split_markdown(_CONTENTS.sub("\n", markdown)).text())


def is_name(key: str) -> bool:
    return len(key) >= MIN_NAME and key.isalpha()


def _allowed_edits(a: str, b: str) -> int:
    return 2 if min(len(a), len(b)) >= LONG_NAME else 1


def _span(clause: ClauseText, page_count: int) -> range:
    first = max(clause.first_page, 0)
    return range(first, min(max(clause.last_page, first), page_count - 1) + 1)


def _shown(pages: Sequence[int]) -> str:
    return page_numbers(pages)


class _NearMisses:
    """Deletion neighbourhoods of each page's names, built when a window first needs them and dropped
    once the walk (in page order) has passed the page."""

    def __init__(self, pages: PageWords) -> None:
        self._pages = pages
        self._index: dict[int, dict[str, list[str]]] = {}

    def forget_before(self, page: int) -> None:
        for index in [p for p in self._index if p < page]:
            del self._index[index]

    def _page_index(self, page: int) -> dict[str, list[str]]:
        if page not in self._index:
            index: dict[str, list[str]] = {}
            for key in self._pages.page(page).words.counts:
                if is_name(key):
                    for variant in deletions(key, _allowed_edits(key, key)):
                        index.setdefault(variant, []).append(key)
            self._index[page] = index
        return self._index[page]

    def best(self, key: str, window: range) -> _Garble | None:
        """The closest name on the window's pages within the allowed edits, most frequent first."""
        variants = deletions(key, _allowed_edits(key, key))
        scores: dict[str, tuple[int, int]] = {}
        where: dict[str, list[int]] = {}
        for page in window:
            index = self._page_index(page)
            for near in {near for variant in variants for near in index.get(variant, ())}:
                distance = edit_distance(key, near)
                if 0 < distance <= _allowed_edits(key, near):
                    count = self._pages.page(page).words.counts[near]
                    scores[near] = (distance, scores.get(near, (0, 0))[1] + count)
                    where.setdefault(near, []).append(page)
        if not scores:
            return None
        near = min(scores, key=lambda n: (scores[n][0], -scores[n][1], n))
        return _Garble(key, near, tuple(where[near]), window)


class _Walk:
    """One pass over the clauses in page order: units for recall, windows for garbles."""

    def __init__(self, clauses: Sequence[ClauseText], pages: PageWords, window: int) -> None:
        self.pages, self.window = pages, window
        self.titles = ["".join(keys(c.title)) for c in clauses]
        self.listed = set(self.titles) - {""}
        self.near = _NearMisses(pages)
        self._dropped: dict[int, frozenset[int]] = {}

    def forget_before(self, page: int) -> None:
        """Drop what no clause starting at `page` or later can need."""
        self.near.forget_before(page - self.window)
        for index in [p for p in self._dropped if p < page]:
            del self._dropped[index]

    def _listed(self, lines: tuple[str, ...]) -> set[int]:
        """Lines that are a contents entry naming a clause: its title and a page number, the title
        perhaps begun on the line before."""
        found: set[int] = set()
        for i, line in enumerate(lines):
            if _ENDS_IN_PAGE_NUMBER.search(line):
                title = "".join(line_keys(line)[:-1])
                if title in self.listed:
                    found.add(i)
                elif i and "".join(line_keys(lines[i - 1])) + title in self.listed:
                    found |= {i - 1, i}
        return found

    def dropped(self, page: int) -> frozenset[int]:
        """Lines recall does not count: furniture and contents entries naming a clause (the tree leaves
        both out)."""
        if page not in self._dropped:
            lines = self.pages.page(page).lines
            self._dropped[page] = self.pages.furniture(page) | self._listed(lines)
        return self._dropped[page]

    def counted(self, page: int, first: int = 0, last: int | None = None) -> Counter[str]:
        """Words of lines `first` to `last` (None: the end) of a page as recall counts them: dropped
        lines and bare numbers left out; nothing for a scanned page."""
        text = self.pages.page(page)
        if text.scanned:
            return Counter()
        dropped = self.dropped(page)
        if first == 0 and last is None:
            counts = Counter(text.words.counts)
            for line in dropped:
                counts.subtract(line_keys(text.lines[line]))
        else:
            end = len(text.lines) if last is None else last
            counts = Counter(
                line_keys("\n".join(text.lines[i] for i in range(first, end) if i not in dropped))
            )
        return Counter({key: n for key, n in counts.items() if n > 0 and not key.isdigit()})

    def heading(self, position: int, page: int, after: int) -> int | None:
        """The line (from `after` on, furniture aside) that is the clause's title or begins it (words
        compared without spaces: `LaTeX2ε` is `LATEX 2ε` in the text layer)."""
        title = self.titles[position]
        lines = self.pages.page(page).lines
        furniture = self.pages.furniture(page)
        for i in range(after, len(lines)):
            found = line_keys(lines[i])
            joined = "".join(found)
            if i not in furniture and (
                joined == title or (len(found) > 1 and title.startswith(joined) and not found[-1].isdigit())
            ):
                return i
        return None

    def place(self, unit: _Unit | None, position: int, span: range, counts: Counter[str]) -> _Unit:
        """The unit the clause belongs to: the open one when no heading line splits their shared page."""
        if unit is None or span.start > unit.stop:
            cut = self.heading(position, span.start, 0)
            return self._count(_Unit([position], Counter(counts), span.start, cut or 0, span.stop - 1))
        if span.start == unit.stop:
            after = unit.start_line + 1 if unit.start == span.start else 0
            cut = self.heading(position, span.start, after)
            if cut is not None:
                unit.end_line = cut
                return self._count(_Unit([position], Counter(counts), span.start, cut, span.stop - 1))
        unit.members.append(position)
        unit.counts.update(counts)
        unit.stop = max(unit.stop, span.stop - 1)
        return self._count(unit)

    def _count(self, unit: _Unit) -> _Unit:
        """Count the unit's pages before its last one while they are at hand."""
        for page in range(max(unit.counted_to, unit.start), unit.stop):
            unit.on_pages.update(self.counted(page, unit.start_line if page == unit.start else 0))
        unit.counted_to = max(unit.counted_to, unit.stop)
        return unit

    def recall(self, unit: _Unit) -> tuple[int, float | None, Counter[str]]:
        """Words of the unit's lines, the share of them found in its files, and the words missing."""
        first = unit.start_line if unit.stop == unit.start else 0
        unit.on_pages.update(self.counted(unit.stop, first, unit.end_line))
        total = unit.on_pages.total()
        if not total:
            return 0, None, Counter()
        missing = unit.on_pages - unit.counts
        return total, 1 - missing.total() / total, missing

    def garbles(self, span: range, text: Words) -> list[_Garble]:
        """Names in the file that are on no page of the window, each with a near-miss that is."""
        last = self.pages.page_count - 1
        window = range(max(span.start - self.window, 0), min(span.stop - 1 + self.window, last) + 1)
        absent = [key for key in text.counts if is_name(key)]
        for page in window:
            if not absent:
                return []
            words = self.pages.page(page).words
            absent = [key for key in absent if not words.has(key)]
        return [garble for key in absent if (garble := self.near.best(key, window))]


def _nearest(positions: list[int], target: int) -> Iterator[int]:
    """The sorted `positions`, nearest `target` first."""
    right = bisect_left(positions, target)
    left = right - 1
    while left >= 0 or right < len(positions):
        if right >= len(positions) or (left >= 0 and target - positions[left] <= positions[right] - target):
            yield positions[left]
            left -= 1
        else:
            yield positions[right]
            right += 1


def _outward(start: int, stop: int, low: int, high: int) -> Iterator[int]:
    """`low..high` from `start..stop` outwards, so that a line takes the words where it is aligned
    before those of the lines beside it."""
    yield from range(max(start, low), min(stop, high))
    for step in range(1, max(start - low, high - stop) + 1):
        if low <= start - step < high:
            yield start - step
        if low <= stop - 1 + step < high:
            yield stop - 1 + step


def _tolerated(
    line: list[str], missing: Counter[str], window: range, claimed: bytearray, found: list[str]
) -> tuple[list[int], int]:
    """Words of the line missing from its run in `window` that are there all the same: glued
    (`awaszero` for `a was zero`, or the other way round), misread, or the first or last words glued to
    or broken from a word of the line before or after (`fusedisconnects` for `fuse`, `encoun` for
    `encountered`: that word is shared, so it may be claimed and is not claimed). Returns the file
    words taken and how many of the line's words they stand for."""
    spare = [i for i in window if not claimed[i]]
    taken: list[int] = []
    count = 0
    joined = {
        "".join(line[i:j]): line[i:j]
        for i in range(len(line))
        for j in range(i + 2, min(i + 4, len(line) + 1))
    }
    for index in [i for i in spare if found[i] in joined]:
        parts = Counter(joined[found[index]])
        if _within(parts, missing):
            missing -= parts
            spare.remove(index)
            taken.append(index)
            count += parts.total()
    for key in list(missing.elements()):
        for a, b in pairwise(spare):
            if b == a + 1 and key.startswith(found[a]) and key == found[a] + found[b]:
                missing[key] -= 1
                spare.remove(a)
                spare.remove(b)
                taken += [a, b]
                count += 1
                break
    for size in (3, 2, 1):
        for parts, fits in ((line[:size], str.endswith), (line[-size:], str.startswith)):
            text = "".join(parts)
            glued = (i for i in window if fits(found[i], text) and found[i] != text)
            if len(line) > size and len(text) > 1 and _within(Counter(parts), missing) and any(glued):
                missing -= Counter(parts)
                count += size
    for key in missing.elements():
        if len(key) < MIN_NAME:  # never misread (`_misread`)
            continue
        match = next((i for i in spare if _misread(key, found[i])), None)
        if match is not None:
            spare.remove(match)
            taken.append(match)
            count += 1
    return taken, count


def _within(parts: Counter[str], missing: Counter[str]) -> bool:
    """`parts <= missing` for a `missing` without negative counts, without walking all of `missing`."""
    return all(missing.get(key, 0) >= n for key, n in parts.items())


@lru_cache(maxsize=1 << 16)
def _misread(key: str, other: str) -> bool:
    """A line's word found as `other`: one edit apart, two for long names (cached: the near runs of a
    line try the same words again, 3 times in 4 on a 1,221-page manual)."""
    if min(len(key), len(other)) < MIN_NAME:
        return False
    allowed = _allowed_edits(key, other)
    return edit_distance(key, other, allowed) <= allowed


@dataclass(frozen=True)
class _Run:
    """Where a line was found in a file: its words' positions, how many, and the share of the line."""

    positions: list[int]
    share: float


class _FileKeys:
    """A clause file's words in order, where each occurs, and which ones a text-layer line has claimed:
    each word stands for one word of the PDF, so a line lost among identical lines is still missed."""

    def __init__(self, ordered: list[str], used_to: int = 0) -> None:
        self.keys = ordered
        self.used_to = used_to
        """The last page whose lines may claim its words."""
        self.claimed = bytearray(len(self.keys))
        self.cursor = 0
        self.ahead = 0
        """Words of the lines held since the cursor last moved: where the next held line should be."""
        self._at: dict[str, list[int]] | None = None

    @property
    def at(self) -> dict[str, list[int]]:
        """Where each word is, built when a line is first looked for away from the cursor."""
        if self._at is None:
            self._at = {}
            for index, key in enumerate(self.keys):
                if key in self._at:
                    self._at[key].append(index)
                else:
                    self._at[key] = [index]
        return self._at

    def take_exact(self, line: list[str], *, search: bool = True) -> bool:
        """Claim the line as a run of unclaimed words, word for word: after the last run claimed, else
        (`search`) where its rarest word is, nearest that run first."""
        size, found, cursor, claimed = len(line), self.keys, self.cursor, self.claimed
        if found[cursor : cursor + size] == line and claimed.find(1, cursor, cursor + size) < 0:
            claimed[cursor : cursor + size] = b"\x01" * size
            self.cursor, self.ahead = cursor + size, 0
            return True
        if not search:
            return False
        at = self.at
        anchor = min(line, key=lambda key: len(at.get(key, ())))
        if anchor not in at:
            return False
        offset = line.index(anchor)
        for tried, position in enumerate(_nearest(at[anchor], cursor + offset)):
            start = position - offset
            if tried == _TRIES:
                return False
            if start < 0 or found[start : start + size] != line:
                continue
            if claimed.find(1, start, start + size) < 0:
                claimed[start : start + size] = b"\x01" * size
                self.cursor, self.ahead = start + size, 0
                return True
        return False

    def near(self, line: list[str], expected: int) -> _Run | None:
        """The best run of unclaimed words holding the line's words, misreads and broken edge words
        counted; tried around the line's rarest words (equally rare ones in line order, so the findings do
        not depend on the hash seed), nearest `expected` first."""
        at, claimed, found = self.at, self.claimed, self.keys
        anchors = sorted(dict.fromkeys(key for key in line if key in at), key=lambda key: len(at[key]))[
            :_ANCHORS
        ]
        starts: set[int] = set()
        for anchor in anchors:
            offset, tries = line.index(anchor), _TRIES // len(anchors)
            for position in _nearest(at[anchor], expected + offset):
                if not claimed[position]:
                    starts.add(position - offset)
                    tries -= 1
                    if not tries:
                        break
        slack = 2 + int(LINE_SLACK * len(line))
        wanted = Counter(line)
        runs: list[tuple[int, int, range, list[int], Counter[str]]] = []
        for rank, start in enumerate(sorted(starts, key=lambda start: (abs(start - expected), start))):
            window = range(max(start - slack, 0), min(start + len(line) + slack, len(found)))
            missing = Counter(wanted)
            taken = []
            for index in _outward(start, start + len(line), window.start, window.stop):
                if not claimed[index] and missing.get(found[index], 0) > 0:
                    missing[found[index]] -= 1
                    taken.append(index)
            runs.append((-len(taken), rank, window, taken, missing))
        best: _Run | None = None
        for _, _, window, taken, missing in sorted(runs)[:_TOLERATED]:
            if len(taken) < len(line):
                for index in taken:  # taken for this line, not claimed yet
                    claimed[index] = 1
                more, count = _tolerated(line, missing, window, claimed, found)
                for index in taken:
                    claimed[index] = 0
                taken, count = taken + more, len(taken) + count
            else:
                count = len(taken)
            if best is None or count / len(line) > best.share:
                best = _Run(taken, count / len(line))
                if count == len(line):  # the whole line: no other run can do better
                    break
        return best

    def claim(self, run: _Run) -> bool:
        """Claim a run found earlier; False when a word of it was claimed since."""
        if any(self.claimed[i] for i in run.positions):
            return False
        for index in run.positions:
            self.claimed[index] = 1
        return True


@dataclass(eq=False)
class _Line:
    """A checked text-layer line: its page, its words, the line as shown, and whether it was found."""

    page: int
    words: list[str]
    shown: str = ""
    found: bool | None = None


@dataclass(eq=False)
class _Pending:
    """A line no file held word for word, waiting until no later page can claim words of its files."""

    line: _Line
    owner: int
    files: list[tuple[_FileKeys, int]]
    until: int


def _shown_line(line: str) -> str:
    line = " ".join(line.replace(JOIN, "").split())
    return line if len(line) <= SHOWN_LINE else line[: SHOWN_LINE - 1].rstrip() + "\u2026"


def _spelled_lines(text: PageText) -> list[str]:
    """A page's non-blank lines as the text layer spells them (`PageText.lines` are case-folded)."""
    return [line for line in text.words.text.splitlines() if line and not line.isspace()]


class _LineWalk:
    """One pass over the pages in order, claiming each checked line's words in files.

    A line is owned by the clause whose heading line comes last before it. It is found word for word
    where its owner's file goes on after the line before; a line that is not, is held: when the next
    line is not there either, the two are looked for together, word for word, anywhere in the file (the
    file follows another order there), else the held line waits until no later page can claim words of
    the files of the clauses on its page and their neighbours. Then it is looked for in each of those
    files, word for word, then as the best near run (best lines first); a line found in none is lost.
    So a lost line cannot take the words of a later line that is in the file.
    """

    def __init__(self, clauses: Sequence[ClauseText], spans: Sequence[range], walk: _Walk) -> None:
        self.clauses, self.walk, self.pages = clauses, walk, walk.pages
        self.order = sorted(range(len(clauses)), key=lambda p: spans[p].start)
        self.first = [spans[p].start for p in self.order]
        self.last = [spans[p].stop - 1 for p in self.order]
        self.used_to = [max(self.last[max(r - 1, 0) : r + 2]) for r in range(len(self.order))]
        """The last page whose lines may claim words of a rank's file (as its own or a neighbour's)."""
        self.files: dict[int, _FileKeys] = {}
        self.texts: dict[int, tuple[Words, list[str]]] = {}
        """Clause files read for one check and not yet for the other, by position."""
        self.counted: set[int] = set()
        self.built: set[int] = set()
        self.active: list[int] = []
        self.joined = 0
        self.page = 0
        self.held: _Pending | None = None
        self.owned: dict[int, list[_Line]] = {}
        self.waiting: dict[int, int] = {}
        self.pending: dict[int, list[_Pending]] = {}
        self.figures: dict[int, tuple[int, list[list[_Line]]]] = {}

    def through(self, page: int) -> None:
        """Check the lines of every page up to `page`."""
        while self.page <= min(page, self.pages.page_count - 1):
            self._check(self.page)
            self._settle(self.page)
            self.page += 1

    def finish(self) -> dict[int, tuple[int, list[list[_Line]]]]:
        """Check the pages left; per clause position: its lines checked and its runs of lost lines."""
        self.through(self.pages.page_count - 1)
        self._defer()
        self._settle(max(self.used_to, default=0))
        return {self.order[rank]: figures for rank, figures in self.figures.items()}

    def words(self, position: int) -> Words:
        """A clause file's words for recall and garbles: the file is read once for both checks."""
        text = self.texts.pop(position, None) or clause_text(self.clauses[position].markdown)
        if position not in self.built:
            self.texts[position] = text
        self.counted.add(position)
        return text[0]

    def _file(self, rank: int) -> _FileKeys:
        if rank not in self.files:
            position = self.order[rank]
            text = self.texts.pop(position, None) or clause_text(self.clauses[position].markdown)
            if position not in self.counted:
                self.texts[position] = text
            self.built.add(position)
            self.files[rank] = _FileKeys(text[1], self.used_to[rank])
        return self.files[rank]

    def _owners(self, page: int) -> tuple[int | None, list[tuple[int, int]]]:
        """The rank owning the page's first lines (None: they come before the document's first heading,
        in the tree's front matter), and (line, rank) where a clause's heading line is."""
        starting = [r for r in self.active if self.first[r] == page]
        before = [r for r in self.active if self.first[r] < page]
        cuts, after = [], 0
        for rank in starting:
            cut = self.walk.heading(self.order[rank], page, after)
            if cut is not None:
                cuts.append((cut, rank))
                after = cut + 1
        if before:
            return before[-1], cuts
        return (None if cuts and self.active[0] == 0 else self.active[0]), cuts

    def _check(self, page: int) -> None:
        while self.joined < len(self.order) and self.first[self.joined] <= page:
            self.active.append(self.joined)
            self.joined += 1
        self.active = [r for r in self.active if self.last[r] >= page]
        text = self.pages.page(page)
        if not self.active or text.scanned:
            return
        near = sorted({n for r in self.active for n in (r - 1, r, r + 1) if 0 <= n < len(self.order)})
        owner, cuts = self._owners(page)
        dropped = self.walk.dropped(page)
        spelled: list[str] | None = None
        for index, line in enumerate(text.lines):
            while cuts and cuts[0][0] <= index:
                owner = cuts.pop(0)[1]
                self._defer()
            if owner is None or index in dropped or (line[-1] in _LEADER_ENDS and _LEADERS.search(line)):
                continue
            found = line_keys(line)
            own = self._file(owner)
            if len(found) < MIN_LINE_KEYS or sum(map(len, found)) < MIN_LINE_CHARS:
                if found:  # not checked, but its words are the line's where the file follows the page
                    own.take_exact(found, search=False)
                continue
            checked = _Line(page, found)
            self.owned.setdefault(owner, []).append(checked)
            if self.held is not None and self.held.owner != owner:
                self._defer()
            others = [self._file(r) for r in near if r != owner]
            if any(file.take_exact(found, search=False) for file in (own, *others)):
                checked.found = True  # in a neighbour's: the parser moved a block or a paragraph's end
                self._defer()
                continue
            held, self.held = self.held, None
            if held is not None and own.take_exact(held.line.words + found):
                held.line.found = checked.found = True
                self.waiting[held.owner] -= 1
                continue
            self.held = held
            self._defer()
            spelled = spelled or _spelled_lines(text)
            checked.shown = _shown_line(spelled[index])
            until = max(self.used_to[r] for r in near)
            self.held = _Pending(checked, owner, [(own, own.cursor + own.ahead)], until)
            self.held.files += [(file, file.cursor) for file in others]
            own.ahead += len(found)
            self.waiting[owner] = self.waiting.get(owner, 0) + 1

    def _defer(self) -> None:
        """The held line waits for the end of its files."""
        if self.held is not None:
            self.pending.setdefault(self.held.until, []).append(self.held)
            self.held = None

    def _settle(self, page: int) -> None:
        """Resolve the lines no page after `page` can change, release files no later page uses, and
        close the clauses whose lines are all resolved."""
        due = [
            item for until in sorted(u for u in self.pending if u <= page) for item in self.pending.pop(until)
        ]
        if due:
            self._resolve(due, page)
        for rank in [r for r in self.files if self.used_to[r] <= page]:
            del self.files[rank]
            self.texts.pop(self.order[rank], None)
        for rank in [r for r in self.owned if self.last[r] <= page and not self.waiting.get(r)]:
            lines = self.owned.pop(rank)
            runs: list[list[_Line]] = []
            for before, line in zip([None, *lines], lines, strict=False):
                if not line.found:
                    if before is not None and not before.found:
                        runs[-1].append(line)
                    else:
                        runs.append([line])
            self.figures[rank] = (len(lines), runs)

    def _resolve(self, pending: list[_Pending], page: int) -> None:
        """Word for word first, longest lines first, then near runs, best lines first: a lost line
        cannot take the words of a longer line, or of one that differs from its file by a misread. The
        lines still waiting that share a file no later page uses take part, in those files only."""
        shared = {id(file) for item in pending for file, _ in item.files if file.used_to <= page}
        waiting = [
            _Pending(item.line, item.owner, files, item.until)
            for items in self.pending.values()
            for item in items
            if (files := [(f, at) for f, at in item.files if f.used_to <= page and id(f) in shared])
        ]
        contenders = sorted([*pending, *waiting], key=lambda item: -len(item.line.words))
        for item in contenders:
            if any(file.take_exact(item.line.words) for file, _ in item.files):
                item.line.found = True
        contenders = [item for item in contenders if not item.line.found]
        ranked = sorted(((_best_near(item), n, item) for n, item in enumerate(contenders)), key=_first_best)
        for (share, file, run), _, item in ranked:
            found = share >= MIN_LINE_SHARE and file.claim(run)
            if not found and share >= MIN_LINE_SHARE:  # a word of its run went to a better line
                share, file, run = _best_near(item)
                found = share >= MIN_LINE_SHARE and file.claim(run)
            if found or item.until <= page:  # a line still waiting is not lost yet
                item.line.found = found
        for item in pending:
            self.waiting[item.owner] -= 1
        for until, items in list(self.pending.items()):
            for item in items:
                if item.line.found:
                    self.waiting[item.owner] -= 1
            self.pending[until] = [item for item in items if not item.line.found]


_NOWHERE = (0.0, _FileKeys([]), _Run([], 0.0))


def _best_near(item: _Pending) -> tuple[float, _FileKeys, _Run]:
    """The pending line's best near run over its files: (share, file, run)."""
    runs = [
        (run.share, file, run)
        for file, expected in item.files
        if (run := file.near(item.line.words, expected))
    ]
    return max(runs, key=lambda found: found[0], default=_NOWHERE)


def _first_best(ranked: tuple[tuple[float, _FileKeys, _Run], int, _Pending]) -> tuple[float, int]:
    return -ranked[0][0], ranked[1]


def _garble_finding(clause: ClauseText, text: Words, pages: PageWords, g: _Garble) -> Finding:
    expected = pages.page(g.pages[0]).words.spelled(g.near)
    subject = text.spelled(g.key)
    return Finding(
        check=CheckName.SOURCE_TEXT,
        kind="garble",
        severity=Severity.ERROR,
        message=f"{clause.path}: '{subject}' is on no page {_shown(g.window)} of the PDF text, which has "
        f"'{expected}' (page {_shown(g.pages)})",
        clause_id=clause.clause_id,
        path=clause.path,
        pages=g.pages,
        subject=subject,
        expected=expected,
    )


def _recall_finding(members: list[ClauseText], pages: range, recall: float, missing: Counter[str]) -> Finding:
    first = members[0]
    together = f" (with {', '.join(c.clause_id for c in members[1:])}: no heading line between them)"
    examples = ", ".join(f"'{key}'" for key, _ in missing.most_common(MISSING_EXAMPLES))
    return Finding(
        check=CheckName.SOURCE_TEXT,
        kind="low_recall",
        severity=Severity.WARN,
        message=f"{first.path}{together if members[1:] else ''}: {recall:.0%} of the PDF's words on pages "
        f"{_shown(pages)} are in the file; {missing.total()} missing, e.g. {examples}",
        clause_id=first.clause_id,
        path=first.path,
        pages=tuple(pages),
        score=recall,
    )


def _lost_finding(clause: ClauseText, run: list[_Line]) -> Finding:
    pages = tuple(sorted({line.page for line in run}))
    where = f"page {_shown(pages)}" if len(pages) == 1 else f"pages {_shown(pages)}"
    lost = f"a line of {where} is" if len(run) == 1 else f"{len(run)} consecutive lines of {where} are"
    shown = f"'{run[0].shown}'" + (f" to '{run[-1].shown}'" if len(run) > 1 else "")
    return Finding(
        check=CheckName.SOURCE_TEXT,
        kind="lost_line",
        severity=Severity.ERROR if len(run) >= LOST_RUN else Severity.WARN,
        message=f"{clause.path}: {lost} in neither this file nor its neighbours': {shown}",
        clause_id=clause.clause_id,
        path=clause.path,
        pages=pages,
        subject=run[0].shown,
    )


def check_source_text(
    clauses: Sequence[ClauseText],
    pages: PageWords,
    *,
    window: int = 1,
    min_recall: float = MIN_RECALL,
    max_garbles: int = MAX_GARBLES,
    max_lost: int = MAX_LOST,
) -> SourceReport:
    """Recall of each clause's text-layer words in its file, confirmed garbles and lost lines; figures
    per clause.

    Recall is measured on the clause's own lines: a page it shares with the next clause is cut at that
    clause's heading line; where no such line is found, the clauses are measured together (their files
    against their pages), so a shared page never makes both look bad.
    A garble is a name (letters only, at least `MIN_NAME`) written in the file that is on no page of its
    window while a near-miss (one edit, two for long names) is: a misread, even when the misread spells
    a name used elsewhere in the document.
    A lost line is a text-layer line of the clause's pages (at least `MIN_LINE_KEYS` words, furniture
    and contents entries aside) that is a run of words in neither its file nor a neighbour's; each file
    word stands for one PDF word, so a line lost from a listing of near-identical lines is still lost.
    Runs of `LOST_RUN` consecutive lost lines are errors, shorter ones warnings; one finding per run.
    Clauses are walked in page order (and reported in the order given), so each page is read about once.
    """
    walk = _Walk(clauses, pages, window)
    spans = [_span(c, pages.page_count) for c in clauses]
    lines = _LineWalk(clauses, spans, walk)
    figures: dict[int, tuple[int, float | None, tuple[str, ...]]] = {}
    findings: dict[int, list[Finding]] = {p: [] for p in range(len(clauses))}
    garbles: dict[int, int | None] = {}
    scanned: dict[int, tuple[int, ...]] = {}

    def close(unit: _Unit) -> None:
        total, recall, missing = walk.recall(unit)
        members = [clauses[p] for p in unit.members]
        for position in unit.members:
            together = tuple(clauses[other].clause_id for other in unit.members if other != position)
            figures[position] = (total, recall, together)
        if recall is not None and recall < min_recall and total >= MIN_RECALL_WORDS:
            span = range(unit.start, unit.stop + 1)
            findings[unit.members[0]].append(_recall_finding(members, span, recall, missing))

    unit: _Unit | None = None
    for position in sorted(range(len(clauses)), key=lambda p: spans[p].start):
        clause, span = clauses[position], spans[position]
        lines.through(span.start - 1)
        scanned[position] = tuple(p for p in span if pages.page(p).scanned)
        if len(scanned[position]) == len(span):  # no page with a text layer (or none in the document)
            figures[position], garbles[position] = (0, None, ()), None
            continue
        walk.forget_before(span.start)
        text = lines.words(position)
        placed = walk.place(unit, position, span, text.counts)
        if unit is not None and placed is not unit:
            close(unit)
        unit = placed
        if scanned[position]:
            garbles[position] = None
            continue
        found = walk.garbles(span, text)
        garbles[position] = len(found)
        findings[position] += [_garble_finding(clause, text, pages, g) for g in found[:max_garbles]]
    if unit is not None:
        close(unit)
    checked = lines.finish()
    for position, (_, runs) in checked.items():
        findings[position] += [_lost_finding(clauses[position], run) for run in runs[:max_lost]]
    stats = [
        ClauseSource(
            clause_id=c.clause_id,
            pages=tuple(spans[p]),
            words=figures[p][0],
            recall=figures[p][1],
            garbles=garbles[p],
            scanned=scanned[p],
            measured_with=figures[p][2],
            lines=checked.get(p, (0, []))[0],
            lines_lost=sum(len(run) for run in checked.get(p, (0, []))[1]),
        )
        for p, c in enumerate(clauses)
    ]
    return SourceReport(stats, [f for p in range(len(clauses)) for f in findings[p]])

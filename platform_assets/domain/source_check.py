"""Source cross-check: each clause file's words against the PDF text layer of its own pages.

Invariant: a clause is compared only with its pages `first_page - window .. last_page + window`
(clamped), so the work grows with pages, never with the document per clause; a scanned page counts
as unknown, never as a page without words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from platform_assets.domain.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.markdown_parts import split_markdown
from platform_assets.domain.near_miss import deletions, edit_distance
from platform_assets.domain.pdf_text import PageWords, Words, keys, line_keys, words
from platform_assets.domain.tiling import compact_ranges

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
    on findings), None when not checked because a page of the clause is scanned.
    """

    clause_id: str
    pages: tuple[int, ...]
    words: int
    recall: float | None
    garbles: int | None
    scanned: tuple[int, ...]
    measured_with: tuple[str, ...] = ()


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
        unchecked = sum(1 for c in self.clauses if c.garbles is None)
        skipped = f", {unchecked} not checked for garbles (scanned pages)" if unchecked else ""
        return f"{len(self.clauses)} clauses, {overall}, {garbles} garbles{skipped}"


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
    return words(split_markdown(_CONTENTS.sub("\n", markdown)).text())


def is_name(key: str) -> bool:
    return len(key) >= MIN_NAME and key.isalpha()


def _allowed_edits(a: str, b: str) -> int:
    return 2 if min(len(a), len(b)) >= LONG_NAME else 1


def _span(clause: ClauseText, page_count: int) -> range:
    first = max(clause.first_page, 0)
    return range(first, min(max(clause.last_page, first), page_count - 1) + 1)


def _shown(pages: Sequence[int]) -> str:
    return compact_ranges([p + 1 for p in pages])


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


def check_source_text(
    clauses: Sequence[ClauseText],
    pages: PageWords,
    *,
    window: int = 1,
    min_recall: float = MIN_RECALL,
    max_garbles: int = MAX_GARBLES,
) -> SourceReport:
    """Recall of each clause's text-layer words in its file, and confirmed garbles; figures per clause.

    Recall is measured on the clause's own lines: a page it shares with the next clause is cut at that
    clause's heading line; where no such line is found, the clauses are measured together (their files
    against their pages), so a shared page never makes both look bad.
    A garble is a name (letters only, at least `MIN_NAME`) written in the file that is on no page of its
    window while a near-miss (one edit, two for long names) is: a misread, even when the misread spells
    a name used elsewhere in the document. Clauses are walked in page order (and reported in the order
    given), so each page is read about once.
    """
    walk = _Walk(clauses, pages, window)
    spans = [_span(c, pages.page_count) for c in clauses]
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
        scanned[position] = tuple(p for p in span if pages.page(p).scanned)
        if len(scanned[position]) == len(span):  # no page with a text layer (or none in the document)
            figures[position], garbles[position] = (0, None, ()), None
            continue
        walk.forget_before(span.start)
        text = clause_words(clause.markdown)
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
    stats = [
        ClauseSource(
            clause_id=c.clause_id,
            pages=tuple(spans[p]),
            words=figures[p][0],
            recall=figures[p][1],
            garbles=garbles[p],
            scanned=scanned[p],
            measured_with=figures[p][2],
        )
        for p, c in enumerate(clauses)
    ]
    return SourceReport(stats, [f for p in range(len(clauses)) for f in findings[p]])

"""Outline entries -> clauses: parsed clause numbers, unique stable ids, resolved start pages.

Invariant: clauses come in outline order with unique ids and non-decreasing `page_index` inside
0..page_count-1, so a clause start can always serve as a batch boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from platform_assets.domain.pdf.pdf_facts import OutlineEntry
from platform_assets.domain.plan.batch_plan import Clause

_KEYWORD = re.compile(
    r"^(annex|appendix|part|chapter|section|clause)\s+([a-z](?:\.\d{1,3})*|\d{1,3}(?:\.\d{1,3})*|[ivxlcdm]+)\b\.?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?(?=\s|$)")
_LETTERED = re.compile(r"^([A-Z](?:\.\d{1,3})+)\.?(?=\s|$)")
_ROMAN_PUNCT = re.compile(r"^([IVXLCDM]+)[.)](?=\s|$)")
_ROMAN_BARE = re.compile(r"^([IVXLCDM]+)(?=\s)")
_ROMAN_VALID = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_SLUG_MAX = 40
_EXAMPLES = 3
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ASCII_TOKEN = re.compile(r"[0-9]+|[a-z]+")
"""`_TOKEN` on lower-case ASCII text, ~1.6x faster."""
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff\ufffe\x02]")
BACKWARD_SLACK = 0.01
"""A destination this far (page heights) above the previous one on its page points backwards."""
COLUMN_SHIFT = 0.15
"""Destinations this far apart across the page are in different columns: higher is not backwards (the
columns of a three- or four-column index lie 0.19-0.21 apart)."""
TITLE_WORDS_COMPARED = 4
"""Printed heading and bookmark title agree when their first words (up to 4) are the same."""

TITLE_SKIP = 3
"""A printed heading may start with up to this many words before its title (`Annex B (normative)`)."""

Tokens = tuple[str, ...]


@dataclass(frozen=True)
class _Node:
    """A kept outline entry placed in the tree of kept entries."""

    title: str
    page: int
    depth: int
    parent: int | None
    root: int
    entry: OutlineEntry


@lru_cache(maxsize=1 << 15)  # titles and headings: tokenized by the segmenter, the triage and the renderer
def tokens(text: str) -> Tokens:
    """Case-, punctuation- and OCR-spacing-blind words: `17 .4.2Foo` -> ('17', '4', '2', 'foo')."""
    if text.isascii() and "\x02" not in text:  # NFKC and casefold are lower() here
        return tuple(_ASCII_TOKEN.findall(text.lower()))
    return tuple(_TOKEN.findall(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()))


def _agree(printed: Tokens, title: Tokens) -> bool:
    compared = min(len(printed), len(title), TITLE_WORDS_COMPARED)
    return compared > 0 and printed[:compared] == title[:compared]


def printed_number(lines: Sequence[str], title: str) -> str | None:
    """The clause number printed at a bookmark's destination, when the print is that bookmark's heading.

    `1 Creating R packages` under the bookmark `Creating R packages` gives `1`; a label line of its own
    (`Chapter 4`, `Part II`, `Annex B`) gives its number when the next line starts like the title, or
    when no line follows it near enough to tell; a bare number alone (a page number) needs the title.
    A first line without a number that is no heading of the title is the line above crossing a
    destination set a line high: the heading is the next line.
    """
    if (number := _number_at(lines, title)) is not None or len(lines) < 2 or clause_number(lines[0]):
        return number
    return None if _agree(tokens(lines[0]), tokens(title)) else _number_at(lines[1:], title)


def prints_title(lines: Sequence[str], title: str) -> bool | None:
    """Whether the lines printed at a bookmark's destination print its title: a line, or a label line
    and the next (`II` over `Basic graphics objects`), starting like the title's words after its number,
    once up to `TITLE_SKIP` words (a number, a label) are skipped. None when it cannot be told: no lines
    (no text layer, a rotated page, no position) or a title without words beside its number."""
    title_words = tokens(title)[number_words(title) :]
    if not lines or not title_words:
        return None
    for index, line in enumerate(lines):
        words = tokens(line) + tokens(" ".join(lines[index + 1 : index + 2]))
        if any(_agree(words[skip:], title_words) for skip in range(TITLE_SKIP + 1)):
            return True
    return False


def _number_at(lines: Sequence[str], title: str) -> str | None:
    if not lines or (number := clause_number(lines[0])) is None:
        return None
    words, title_words = tokens(lines[0]), tokens(title)
    number_words = tokens(number.removeprefix("Part-"))
    start = next((skip for skip in (0, 1) if words[skip : skip + len(number_words)] == number_words), None)
    if start is None:
        return None
    rest = words[start + len(number_words) :]
    if not title_words:  # a title of symbols alone (`\\&`): printed after the number, on its line
        return number if not rest and _squeezed(lines[0]).endswith(_squeezed(title)) else None
    if rest:
        return number if _agree(rest, title_words) else None
    if len(lines) > 1:
        return number if _agree(tokens(lines[1]), title_words) else None
    return number if start == 1 else None  # `CHAPTER 1` alone, its title set far below


def _squeezed(text: str) -> str:
    return "".join(text.split())


def roman_value(token: str) -> int | None:
    """Value of an upper-case roman numeral, None when `token` is not a valid one."""
    if not token or not _ROMAN_VALID.match(token):
        return None
    values = [_ROMAN_VALUES[char] for char in token]
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))


@lru_cache(maxsize=1 << 14)  # each title is read by the planner, the layout and the segmenter
def clause_number(title: str) -> str | None:
    """Clause number written at the start of a title (`17.4.2`, `A.1`, `Annex B` -> `B`), else None.

    Bare roman numerals without punctuation (`IV Data types`) are not read here: they are accepted
    only for top-level runs I, II, III ... (see `clauses_from_outline`).
    """
    if keyword := _KEYWORD.match(title):
        kind, token = keyword.group(1).lower(), keyword.group(2).upper()
        return f"Part-{token}" if kind == "part" else token
    for pattern in (_NUMERIC, _LETTERED):
        if match := pattern.match(title):
            return match.group(1)
    if (match := _ROMAN_PUNCT.match(title)) and roman_value(match.group(1)):
        return match.group(1)
    return None


def number_words(title: str) -> int:
    """How many of the title's first `tokens` print its `clause_number`, with a label before it (`Annex
    B`, `Chapter 4`); 0 without one."""
    number = clause_number(title)
    if not number:
        return 0
    digits, words = tokens(number.removeprefix("Part-")), tokens(title)
    for skip in (0, 1):  # `Annex`, `Part`, `Chapter` ... before the number
        if digits and words[skip : skip + len(digits)] == digits:
            return skip + len(digits)
    return 0


def slug(title: str) -> str:
    """Lower-case dashed id for an unnumbered title (at most 40 characters, may be empty)."""
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:_SLUG_MAX].rstrip("-")


def _place(entries: list[OutlineEntry], page_count: int) -> tuple[list[_Node], list[str]]:
    """Drop entries without a usable page; rebuild depths from the kept entries' outline levels."""
    nodes: list[_Node] = []
    dropped: list[str] = []
    stack: list[tuple[int, int]] = []  # (outline level, node index)
    for entry in entries:
        if entry.page_index is None or not 0 <= entry.page_index < page_count:
            dropped.append(entry.title)
            continue
        while stack and stack[-1][0] >= entry.level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        index = len(nodes)
        root = index if parent is None else nodes[parent].root
        nodes.append(_Node(entry.title, entry.page_index, len(stack), parent, root, entry))
        stack.append((entry.level, index))
    return nodes, dropped


def _numbers(nodes: list[_Node]) -> list[str | None]:
    """Clause numbers per node: in the title, else printed at its destination; bare top-level romans
    count only as a run I, II, III ..."""
    numbers = [clause_number(n.title) or printed_number(n.entry.printed, n.title) for n in nodes]
    bare = [
        (index, match.group(1))
        for index, node in enumerate(nodes)
        if node.depth == 0 and numbers[index] is None and (match := _ROMAN_BARE.match(node.title))
    ]
    if bare and [roman_value(token) for _, token in bare] == list(range(1, len(bare) + 1)):
        for index, token in bare:
            numbers[index] = token
    return numbers


def _positional_ids(nodes: list[_Node]) -> list[str]:
    """Ids from the tree position (`1`, `1.2`, `1.2.3`) for outlines without any clause number."""
    ids: list[str] = []
    children: Counter[int | None] = Counter()
    for node in nodes:
        children[node.parent] += 1
        position = str(children[node.parent])
        ids.append(position if node.parent is None else f"{ids[node.parent]}.{position}")
    return ids


def _repeats(nodes: list[_Node]) -> list[int | None]:
    """Per node, the earlier node whose bookmark it repeats (same title, depth and destination: page and
    position), else None. A document assembled with pdfpages lists its pages' bookmarks a second time."""
    first: dict[tuple[str, int, int, float | None, float | None], int] = {}
    found: list[int | None] = []
    for index, node in enumerate(nodes):
        key = (node.title.strip(), node.depth, node.page, node.entry.top, node.entry.left)
        original = first.setdefault(key, index)
        found.append(None if original == index else original)
    return found


def _unique_ids(nodes: list[_Node], raw: list[str], repeats: list[int | None]) -> tuple[list[str], list[str]]:
    """Make repeated ids unique, then suffix `~2`, `~3` ... where that is not enough.

    Every clause inside a top-level clause that holds a repeated id gets that top-level id as a
    prefix (`b-ltplain-dtx/1`), so one part's ids stay alike. A repeated bookmark (`repeats`) takes its
    original's id with a suffix and prefixes nothing.
    """
    counts = Counter(id_ for id_, original in zip(raw, repeats, strict=True) if original is None)
    restarting = {node.root for i, node in enumerate(nodes) if counts[raw[i]] > 1 and node.root != i}
    final: list[str] = []
    taken: set[str] = set()
    for index, node in enumerate(nodes):
        candidate = raw[index]
        if node.root in restarting and node.root != index:
            candidate = f"{final[node.root]}/{candidate}"
        unique, serial = candidate, 1
        while unique in taken:
            serial += 1
            unique = f"{candidate}~{serial}"
        taken.add(unique)
        final.append(unique)
    repeated = sorted((id_ for id_, n in counts.items() if n > 1), key=lambda id_: (-counts[id_], id_))
    warnings = []
    if repeated:
        examples = ", ".join(f"'{id_}' x{counts[id_]}" for id_ in repeated[:_EXAMPLES])
        warnings.append(
            f"{len(repeated)} clause ids repeat (numbering restarts per part?), e.g. {examples}: "
            "made unique by prefixing the top-level clause id (then ~2, ~3)"
        )
    return final, warnings


def _misplaced_run(
    index: int, page: int, pages: list[int], shows: list[bool | None], repeats: list[int | None]
) -> int | None:
    """Where the run of clauses planned past a backward bookmark (`index`, destination `page`; `pages`: the
    pages planned before it) starts, when the bookmark prints its title at its destination and no clause
    of the run prints its own: the run's destinations are then the wrong ones (anchors that clash with
    later ones send them pages ahead). None otherwise."""
    if not shows[index]:
        return None
    start = index
    while start > 0 and pages[start - 1] > page:
        start -= 1
        if repeats[start] is None and shows[start]:
            return None
    return start


def _monotone_positions(
    nodes: list[_Node], ids: list[str], repeats: list[int | None]
) -> tuple[list[int], list[bool], list[str]]:
    """Clamp a page that goes backwards to the previous clause's start page; drop the position of a
    destination that lies above the previous one on the same page (in the same column).

    A backward bookmark whose destination prints its title, after a run of bookmarks whose destinations
    print none of theirs (`_misplaced_run`), keeps its page: the run is planned at the page before it,
    without positions. A dropped position makes the clause's heading be matched instead of trusted. A
    repeated bookmark opens nowhere: it is planned at the previous clause's page, without a position or a
    warning.
    """
    pages: list[int] = []
    positioned: list[bool] = []
    shows = [prints_title(node.entry.printed, node.title) for node in nodes]
    backwards: list[str] = []
    above: list[str] = []
    ahead: list[str] = []
    floor, last = 0, None  # the last kept position: (top, left)
    states: list[tuple[int, tuple[float, float | None] | None]] = []  # (floor, last) before each node
    for index, (node, id_, original) in enumerate(zip(nodes, ids, repeats, strict=True)):
        states.append((floor, last))
        if original is not None:
            pages.append(floor)
            positioned.append(False)
            continue
        entry = node.entry
        if (
            node.page < floor
            and (start := _misplaced_run(index, node.page, pages, shows, repeats)) is not None
        ):
            floor, last = states[start]
            for j in range(start, index):
                if repeats[j] is None:
                    ahead.append(f"'{ids[j]}' page index {nodes[j].page} -> {floor}")
                pages[j], positioned[j] = floor, False
        if node.page < floor:
            backwards.append(f"'{id_}' page index {node.page} -> {floor}")
        elif node.page > floor:
            last = None
        floor = max(floor, node.page)
        keep = node.page == floor and entry.top is not None
        if keep and last is not None and entry.top < last[0] - BACKWARD_SLACK:  # type: ignore[operator]
            same_column = entry.left is None or last[1] is None or abs(entry.left - last[1]) < COLUMN_SHIFT
            if same_column:
                above.append(f"'{id_}' on page index {node.page}")
                keep = False
        if keep:
            last = (entry.top, entry.left)
        pages.append(floor)
        positioned.append(keep)
    warnings = []
    if ahead:
        warnings.append(
            f"{len(ahead)} bookmarks point ahead to pages that do not print their titles, while a later "
            f"bookmark's earlier page prints its own: planned at the previous clause's start, their headings "
            f"matched by title: {'; '.join(ahead[:_EXAMPLES])}"
        )
    if backwards:
        warnings.append(
            f"{len(backwards)} bookmarks go backwards in page order, planned at the previous clause's "
            f"start: {'; '.join(backwards[:_EXAMPLES])}"
        )
    if above:
        warnings.append(
            f"{len(above)} bookmarks point above the previous bookmark on their page, so their headings "
            f"are matched by title instead: {'; '.join(above[:_EXAMPLES])}"
        )
    return pages, positioned, warnings


def clauses_from_outline(outline: list[OutlineEntry], page_count: int) -> tuple[list[Clause], list[str]]:
    """Resolve an outline to clauses in outline order, plus warnings about what was repaired.

    Bookmarks without a destination (or past the end) are dropped. A number in the title, else the
    number printed at the bookmark's destination (`Chapter 4` over `Introduction`), is the id; when
    neither the outline nor the print has any number, ids are tree positions (`1.2`); otherwise
    unnumbered entries (front matter such as Foreword, Contents, Index) get a slug of their title.
    Each clause keeps its destination's position, which is where its text starts. A bookmark that
    repeats an earlier one (same title, level and destination) is a clause that `repeats` it.
    """
    nodes, dropped = _place(outline, page_count)
    warnings = []
    if dropped:
        examples = ", ".join(f"'{title}'" for title in dropped[:_EXAMPLES])
        warnings.append(
            f"dropped {len(dropped)} bookmarks without a destination page (or past the end), e.g. {examples}"
        )
    numbers = _numbers(nodes)
    if any(numbers):
        raw = [
            number or slug(node.title) or f"entry-{i + 1}"
            for i, (node, number) in enumerate(zip(nodes, numbers, strict=True))
        ]
    else:
        raw = _positional_ids(nodes)
    repeats = _repeats(nodes)
    ids, repeat_warnings = _unique_ids(nodes, raw, repeats)
    pages, positioned, backward_warnings = _monotone_positions(nodes, ids, repeats)
    clauses = [
        Clause(
            id=id_,
            title=node.title,
            level=node.depth,
            page_index=page,
            numbered=number is not None,
            top=node.entry.top if kept else None,
            left=node.entry.left if kept else None,
            number=number,
            repeats=None if original is None else ids[original],
        )
        for node, id_, page, number, kept, original in zip(
            nodes, ids, pages, numbers, positioned, repeats, strict=True
        )
    ]
    repeated = [f"'{nodes[index].title}'" for index, original in enumerate(repeats) if original is not None]
    if repeated:
        warnings.append(
            f"{len(repeated)} bookmarks repeat an earlier one (same title, level and destination), e.g. "
            f"{', '.join(repeated[:_EXAMPLES])}: their clauses link to it"
        )
    return clauses, warnings + repeat_warnings + backward_warnings

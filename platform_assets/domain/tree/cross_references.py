"""Cross-references in a clause's rendered Markdown (`§ 17.9.4`, `section 8.7`, `Annex B`, `Table 12`) ->
relative links; references into other documents (`§5.2 of RFC 3986`) are listed as external, never linked.

Invariant: only prose changes, and only by wrapping a resolvable reference in a link; code, headings, links,
URLs, HTML tags, math and front matter keep their bytes, and linking linked Markdown again changes nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import Literal


@dataclass(frozen=True)
class ReferencePattern:
    """One way a document writes a reference to one of its clauses.

    `regex` has a named group `id`, the clause id as written. The scan tries patterns only at a digit or
    capital letter that starts a word and at `§`, `&`, `$`, `<`, `[`, `!`, `\\`, `:` and backticks, so a
    pattern starts there (`§ 4.2`, `Sect. 4.2`, the id itself) and reaches back to a lower-case or
    non-Latin lead with a lookbehind (`(?<=第)`; `after_words` writes those for words). The link covers
    the match and any group named `lead...` captured in such a lookbehind. No backreferences or
    conditionals (the scan runs patterns inside a lookbehind); a leading global flag such as `(?i)`
    applies to this pattern alone.
    `target_prefix` goes before the normalized id (`Part-` turns `Part II` into the clause id `Part-II`).
    With `needs_target`, a match that names no existing target is no reference at all (a bare `4.2`).
    """

    name: str
    regex: str
    target_prefix: str = ""
    needs_target: bool = False


INTERNAL = "internal"
EXTERNAL = "external"


@dataclass(slots=True)
class Reference:
    """A reference found in the text, resolved or not."""

    text: str
    """The linked span as written (`§ 17.9.4`, `Annex B`, `17.9.5` in `§§ 17.9.4 and 17.9.5`)."""
    target: str
    """Normalized id (`17.9.4`, `B`, `B.2.1`, `Table C-1`); a short range end `17.9.4–6` gives `17.9.6`."""
    href: str | None
    """The relative link used, None when `resolve` knows no such target or the reference is external."""
    kind: str = INTERNAL
    """`internal`, or `external`: a clause of another document (`§5.2 of RFC 3986`), never linked."""
    start: int = field(default=-1, compare=False)
    """Offset of `text` in the Markdown given to `link_references`."""


Resolve = Callable[[str], str | None]


def after_words(words: Iterable[str], *, lead: bool) -> str:
    """Lookbehinds for `word` + one space before the match, case-insensitive, one per word length.

    With `lead`, each captures its word in a group `lead<n>`, so the link covers `Annex B`, not `B`.
    A cheap check of the space and the words' last letters comes first.
    """
    ordered = sorted(set(words), key=len)
    finals = "".join(sorted({char for word in words for char in (word[-1].lower(), word[-1].upper())}))
    lookbehinds = []
    for number, (_, same_length) in enumerate(groupby(ordered, key=len)):
        words_alike = "|".join(re.escape(word) for word in same_length)
        inner = rf"\b(?i:{words_alike})\s"
        lookbehinds.append(rf"(?<=(?P<lead{number}>{inner}))" if lead else rf"(?<={inner})")
    return f"(?<=[{re.escape(finals)}]\\s)(?:{'|'.join(lookbehinds)})"


# Clause ids as `clauses.clause_number` reads them: up to three digits a level, none starting with 0 (so
# `2024`, `0.5` and `1.0` are no ids) or lettered annex clauses `B.2.1`. `_END` rejects `17.9.4a`, the
# `17.9.4` of `17.9.4.1234` and the `1.41` of the ratio `1.41:1`.
_NUM = r"[1-9]\d{0,2}+(?:\.[1-9]\d{0,2}+)*+"
_DOTTED = r"[1-9]\d{0,2}+(?:\.[1-9]\d{0,2}+)++"
_LETTERED = r"[A-Z](?:\.[1-9]\d{0,2}+)++"
_BARE_LETTERED = r"[A-Z](?:\.[1-9]\d?+)++"
"""Alone, two digits a level at most: `X.509`, `H.264`, `E.164` are ITU-T recommendations, not annexes."""
_END = r"(?!\w|\.\d|:\d)"
_SECTION_SIGN = r"(?:§|&(?:sect|#167|#[xX]0*[aA]7);)"
_MATH_SIGN = r"(?:§|\\S|\\mathsection)"
_SPACED_NUM = r"[1-9](?:\s?\d){0,2}(?:\s?\.\s?\d(?:\s?\d){0,2})*"
_SPACED_LETTERED = r"[A-Z](?:\s?\.\s?\d(?:\s?\d){0,2})+"
_UNITS = (
    r"(?!\s?(?:[%‰°]|(?:pt|px|em|mm|cm|km|kg|mg|ms|µs|ns|Hz|kHz|MHz|GHz|V|mV|kV|mA|Ah|mAh|W|mW|kW|Wh|kWh"
    r"|KB|MB|GB|TB|KiB|MiB|GiB|bytes?|bits?|dpi|inch(?:es)?|times|(?:milli|micro|nano)?seconds?|minutes?"
    r"|hours?|days?|percent|degrees?)\b))"
)
"""After a bare number: `in 0.5 pt`, `to 3.65V`, `and 1.3 milliseconds` are measurements, not references."""
_NOT_A_LIST_LABEL = r"(?:(?<=[^\n])(?<![.:;!?]\s)|(?!{id}\)))"
"""`B.1)` at a line or sentence start labels a list item; `(see B.1)` is a reference."""
_ALONE = r"(?<![\w.§/#\\‘'\"“(-])(?<![A-Za-z\d=<>+*/$-]\s)"
_ALONE_AFTER = r"(?![-–]\d|[’'\"”])(?!\s++\w)"
"""Where a bare id may stand: not after a word (`R 4.2`, `version 1.1`), a number (`5.7 1.44`), an
operator or a shell prompt (`>= 2.10`, `x - 1.5`, `$ 1.4`), not quoted (`‘1.6’`), hyphenated (`libc-2.16`,
`1.4-0`) or in parentheses of its own (the equation number `(2.1)`; `(see 2.1)` is a reference), and followed
by punctuation or nothing, never by a word or number (a heading `9.1.3 Growth Hint`, a table of figures)."""
_LINKING_WORDS = ("see", "also", "cf.", "in", "of", "to", "and", "or", "under", "per", "within", "by")
_CLAUSE_WORDS = (
    *("clause", "clauses", "subclause", "subclauses", "section", "sections", "subsection", "subsections"),
    *("chapter", "chapters"),
)
_MAN_WORDS = ("section", "sections")
_NOT_A_MACRO_OR_MAN_SECTION = "".join(
    (
        *(rf"(?<!\\(?i:{word})\s)" for word in _CLAUSE_WORDS),
        *(rf"(?<!\b(?i:{man})\s(?i:{word})\s)" for man in ("man", "manual") for word in _MAN_WORDS),
    )
)
"""`\\section 1` is a TeX sectioning macro, `man section 8` a Unix manual section: no clause."""
_ELEMENT_WORDS = ("element", "elements")
_ANNEX_WORDS = ("annex", "annexes", "appendix", "appendices")
_NAME = r"(?:[A-Za-z0-9_.:-]|\\[_*])"
_AFTER_LINKING_WORD = after_words((*_LINKING_WORDS, "from", "with", "as"), lead=False)
_CAPTION_ID = r"(?:[A-Z]|[1-9]\d{0,2}+)(?:[.–-][1-9]\d{0,2}+)*+"


def _caption_reference(words: str) -> str:
    """`Table 12`, `Figures 3 and 4`, `Figure C–1`; never a caption itself: `Table 1.2: List of ...`,
    `Table 12 — Attributes`, and `Table C–1. Support for ...` unless a linking word, a comma or a
    parenthesis comes before (`see Table 3. Then`)."""
    head = rf"(?:{words})\s+{_CAPTION_ID}"
    return (
        rf"(?=(?:{words})\s)(?!{head}(?:\s*:\s|\s+[—–-]\s))(?:{_AFTER_LINKING_WORD}|(?<=[,;(]\s)|(?<=\()|(?!{head}\.\s))"
        rf"(?:{words})\s+(?P<id>{_CAPTION_ID}){_END}"
    )


DEFAULT_PATTERNS: tuple[ReferencePattern, ...] = (
    ReferencePattern(  # `$§17.4.62$`, `$\S 1 7 . 4 . 6 2$`: a section sign OCR'd as math, the id with it
        "math_section_sign",
        rf"\$\s*{_MATH_SIGN}(?:\s|~|\\[,;: ])*(?P<id>{_SPACED_NUM}|{_SPACED_LETTERED})\s*\.?\s*\$",
    ),
    ReferencePattern(  # `$\S$ 17.4.62`: only the sign OCR'd as math
        "math_sign_then_id", rf"\$\s*{_MATH_SIGN}\s*\$\s*(?P<id>{_NUM}|{_LETTERED}){_END}"
    ),
    ReferencePattern("section_sign", rf"{_SECTION_SIGN}{_SECTION_SIGN}?\s*(?P<id>{_NUM}|{_LETTERED}){_END}"),
    ReferencePattern(  # `clause 6`, `Sections 5.2 and 5.3`, `subclause 7.3.1`, `chapter 2`
        "clause_word",
        rf"(?=[1-9A-Z]){after_words(_CLAUSE_WORDS, lead=True)}{_NOT_A_MACRO_OR_MAN_SECTION}"
        rf"(?P<id>{_NUM}|{_LETTERED}){_END}",
    ),
    ReferencePattern(  # `element 4.3`: a standard's clause, numbered (`element Types` is a schema name)
        "element_word", rf"(?=[1-9]){after_words(_ELEMENT_WORDS, lead=True)}(?P<id>{_DOTTED}){_END}"
    ),
    ReferencePattern(
        "annex",
        rf"(?=[A-Z]){after_words(_ANNEX_WORDS, lead=True)}(?P<id>[A-Z](?:\.[1-9]\d{{0,2}}+)*+){_END}"
        r"(?!\.?\s*\((?i:normative|informative)\))",  # `Annex B (informative)` is the annex's heading
    ),
    ReferencePattern(  # `See also SUM 6.16.19`, `see also ABS\_X 6.16.2`: a named clause
        "see_also_name",
        rf"(?=[A-Z\\])(?<=[oO]\s)(?<=\b(?i:see also)\s)(?:[A-Z]|\\_){_NAME}*+\s(?P<id>{_DOTTED}){_END}",
    ),
    ReferencePattern(
        "see_clause", rf"(?=[1-9]){after_words(_LINKING_WORDS, lead=False)}(?P<id>{_DOTTED}){_END}{_UNITS}"
    ),
    ReferencePattern(  # `B.2.1`; followed by a word only after a linking word (`E.4 zlib` is a heading)
        "lettered",
        rf"(?=[A-Z]\.\d)(?<![\w.§/#(-]){_NOT_A_LIST_LABEL.format(id=_BARE_LETTERED)}"
        rf"(?:{_AFTER_LINKING_WORD}|(?!{_BARE_LETTERED}\s++\w))(?P<id>{_BARE_LETTERED}){_END}",
    ),
    ReferencePattern(  # `17.4.62` alone, as in a table's reference column; only where the clause exists
        "bare_dotted",
        rf"(?=[1-9]){_ALONE}{_NOT_A_LIST_LABEL.format(id=_DOTTED)}(?P<id>{_DOTTED}){_END}{_ALONE_AFTER}{_UNITS}",
        needs_target=True,
    ),
    ReferencePattern("table", _caption_reference(r"Tables?|TABLES?"), target_prefix="Table "),
    ReferencePattern("figure", _caption_reference(r"Figures?|FIGURES?|Figs?\."), target_prefix="Figure "),
)
"""The forms standards and manuals use. A bare number is a reference after `§`, a clause word or a linking
word (with a dot: `in 3 steps` is none), or alone where its clause exists; a lettered id `B.2.1` is
distinctive on its own. Switch one off or add one in the document's config (`configured_patterns`)."""


def configured_patterns(
    disable: Iterable[str] = (), extra: Iterable[ReferencePattern] = ()
) -> tuple[ReferencePattern, ...]:
    """`DEFAULT_PATTERNS` without the named ones, then `extra`; an unknown name is an error."""
    names = {pattern.name for pattern in DEFAULT_PATTERNS}
    off = set(disable)
    if unknown := sorted(off - names):
        raise ValueError(
            f"no default reference pattern named {', '.join(unknown)} (known: {', '.join(sorted(names))})"
        )
    if not off and not extra:
        return DEFAULT_PATTERNS
    return (*(p for p in DEFAULT_PATTERNS if p.name not in off), *extra)


_LABEL_WORDS = (
    *("Table", "Figure", "Equation", "Formula", "Example", "Note", "Listing", "Page", "Version", "Step"),
    *("Row", "Column", "Line", "Item", "Part"),
)
"""Numbered things that are no clauses (`NOTE 2`, `Part 1`; `Table 2`, `Figures B.3 and B.4` where the
table and figure patterns are off), skipped after the reference patterns were tried."""


def _label_words() -> str:
    """`_LABEL_WORDS` capitalized or upper-case, singular or plural, plus `Fig.` and `Eq.`, by first letter.

    Alternatives that start with a literal letter are rejected at a glance where the letter differs.
    """
    words = [variant for word in _LABEL_WORDS for variant in (word, word.upper())]
    by_letter = groupby(sorted(words), key=lambda word: word[0])
    alternatives = [
        f"{letter}(?:{'|'.join(f'{word[1:]}[Ss]?' for word in group)})" for letter, group in by_letter
    ]
    return f"(?:{'|'.join(alternatives)}|Figs?\\.|Eqs?\\.)"


_ANCHORS = r"[1-9A-Z§&$`<\[!\\:]"
"""Where the scan tries its alternatives: where an id or a section sign can start, or a construct to skip;
a digit or capital only at the start of a word (`2024`, `McB.1` are tried once or not at all)."""
_ATTRIBUTES = r"(?:\s+[A-Za-z_:][\w.:-]*+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]++))?)*+\s*/?>"
_LABEL_ID = r"(?:[A-Z]|[IVXLCDM]+|\d+)(?:[.-]\d+)*+(?!\w)"
_PROTECTED = (  # each starts with a literal character: rejected at a glance elsewhere
    *(  # code spans, by the length of their backtick run
        rf"`(?<!``){run[1:]}(?!`)(?:[^`\n]++|\n(?![ \t]*\n)|`++)*?(?<!`){run}(?!`)"
        for run in ("`", "``", "```")
    ),
    r"<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<![A-Za-z][^>]*>",  # comments and such
    # elements holding code or a link
    "<(?=(?i:a|code|pre|kbd|samp|script|style|textarea|math|svg)[\\s/>])(?:"
    + "|".join(
        rf"(?i:{name}){_ATTRIBUTES}[\s\S]*?</(?i:{name})\s*>"
        for name in ("a", "code", "pre", "kbd", "samp", "script", "style", "textarea", "math", "svg")
    )
    + ")",
    r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>",  # autolinks
    rf"</?[A-Za-z][\w.:-]*+{_ATTRIBUTES}",  # tags with their attributes
    r":(?:(?<=\b(?i:http):)|(?<=\b(?i:https):)|(?<=\b(?i:ftp):)|(?<=\b(?i:file):))//[^\s<>]*",  # bare URLs
    # links, images, reference links: the label and the destination
    *(
        rf"{opener}(?:[^\[\]\\]++|\\.|\[[^\[\]]*\])*+\]"
        r"(?:\((?:\s*<[^<>\n]*>|(?:[^()\s\\]++|\\.|\([^()\s]*\))*+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
        r"|\[[^\[\]]*\])"
        for opener in (r"\[", r"!\[")
    ),
    r"\\[!-/:-@\[-`{-~]",  # backslash escapes: `\[` starts no link, `\$` no math
)
_PROTECTED_AFTER = (
    r"\$\$[\s\S]*?\$\$|\$(?!\s)(?:[^$\\\n]++|\\.)+(?<!\s)\$",  # math (a section sign in math comes first)
    # numbered things that are no clauses: `Table 2`, `Figure B.3`, `Tables C-3 and C-4`, `Part 1`
    rf"{_label_words()}\s*{_LABEL_ID}(?:(?:\s*[,–—-]\s*|\s+(?:and|or|to|through)\s+){_LABEL_ID})*+",
)
_LONE_LETTER_GOES_ON = (
    r"(?:(?<=\band\s.)|(?<=\b(?:or|to)\s.)|(?<=[–—~-].)|(?<=[–—~-]\s.)"
    r"|(?=\s*(?:[,;:.)\]–—~-]|(?:and|or|to)\b|$)))"
)
"""A lone letter after a comma continues a list only where the list goes on or the sentence ends."""
_CONTINUATION = re.compile(
    r"(?:(?P<range>\s*[–—~～-]\s*|\s+(?:to|through)\s+)|\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)"
    rf"(?P<id>{_NUM}|{_LETTERED}|[A-Z]{_LONE_LETTER_GOES_ON}){_END}"
)
_CONTINUATION_STARTS = frozenset(" \t\n,–—~～-")
"""The rest of a list or range: `§§ 17.9.4 and 17.9.5`, `17.9.4–17.9.6`, `Annexes A, B, and F form`, but
not the `A` of `Annex B, A producer shall`."""
_NOT_THIS = r"(?!this\b|these\b|the\s+present\b)"
_EXTERNAL_AFTER = re.compile(
    rf",?\s+(?:of\s+{_NOT_THIS}(?:the\s|[A-Z]|\\?\[)|in\s+\\?\[(?=[A-Za-z]{{2}}))"
    rf"|\s*(?:“[^”\n]{{1,100}}”|\\?\[[^\]\n]{{1,100}}\\?\]),?\s+in\s+{_NOT_THIS}(?:the\s+)?[A-Z]"
)
_EXTERNAL_BEFORE = re.compile(
    r"(?:(?:RFC|ISO|IEC|ECMA|ITU-T|IEEE|W3C|Part)(?:\b|(?=\d))[^;()§]{0,30}?\d"
    r"|\\?\[(?!(?i:end|note|example)\b)[A-Za-z]{2}[^\[\]\n]{0,38}\\?\])[\s,(]*$"
)
"""`§3.2 of RFC 3987`, `section 4.4 of [some-spec]`, `RFC 2616, §3.7`, `[RFC 3986] section 5.2`,
`ISO 8601 clause 4`, `RFC8446 (section 4.2.3)`, and texinfo's `Section 2.1 [Title] in Other Manual`:
another document's clause."""
_EXTERNAL_AFTER_STARTS = frozenset(" \t\n,“[\\")
"""How `_EXTERNAL_AFTER` can start: most references are followed by other punctuation, checked at a glance."""
_LICENCE_TERMS = re.compile(
    r"\b(?:this\s+Licen[cs]e|the\s+(?:Document|Program|Licensor)|Modified\s+Version|Invariant|Cover\s+Texts?)\b"
)
"""The defined terms of a quoted software or documentation licence (`the conditions of sections 2 and 3
above ... this License`, `the terms of section 4 ... the Document`): its sections are the licence's."""
_LICENCE_HINT = re.compile(r"Licen[cs]e|Document|Program|Licensor|Version|Invariant|Cover")
"""A capitalized word of `_LICENCE_TERMS`: a block without any is no licence, found at C speed."""
_LICENCE_CONTEXT = 300
_MAY_RUN_ON_STARTS = frozenset(" \t\n:.")
_MAY_RUN_ON = re.compile(r"\s*:|\s+[\dA-Zm]|\.\s+[A-Z]")
"""What may follow an id where a title, a value, `man pages` or a running head's colon comes next: a cheap
first look at the next three characters before `_not_a_reference` looks closer."""
_TITLE_AFTER = re.compile(r"\.?\s+[A-Z]")
"""After an id at a line or sentence start: a heading run into the text (`2.4. The typeblock`, `Chapter 1
Demonstration of ...`); a reference there goes on in lower case or punctuation (`Annex B describes`)."""
_NOT_A_REFERENCE_AFTER = re.compile(r"\s*:\s+[A-Z]|[ \t]+\d|\s+(?i:man(?:ual)?[\s-]?pages?)\b")
"""After an id: `Chapter 3: Making configure Scripts 11`, `Appendix A: GNU Free Documentation License 367`
are running heads (page furniture) or headings; an id followed by a bare number is a row of values
(`section 1 1.5 2.3` in a table of indents) or a page number (a list goes on with `,`, `and`, `to` or a
dash); `section 1 man pages` is a Unix manual section."""
_EXTERNAL_TITLES = (
    *("License", "Licence", "Specification", "Standard", "Standards", "Recommendation"),
    *("Manual", "Guide", "Handbook"),
)
"""`the GNU Affero General Public License, section 13`, `the Bash Reference Manual, section 3.2`: a named
document's clause."""
_EXTERNAL_CONTEXT = 40
_FLAGS_AT_START = re.compile(r"^\(\?([aiLmsux]+)\)")
_GROUP_NAME = re.compile(r"\(\?P<(\w+)>|\(\?P=(\w+)\)|\(\?\((\w+)\)")

_LINE_KINDS = (
    r"(?P<line>(?P<fence> {0,3}(?P<fence_run>`{3,}|~{3,}))"
    r"|(?P<heading> {0,3}#{1,6}(?=[ \t\n]|$))"
    r"|(?P<html> {0,3}<(?:(?P<comment>!--)|/?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)))"
    r"|(?P<indent>(?: {4}|\t))"
    r"|(?P<definition> {0,3}\[[^\]\n]+\]:))"
)
_THIS_LINE = re.compile(_LINE_KINDS)
_LATER_LINE = re.compile(rf"\n{_LINE_KINDS}")
"""Lines that may start a block other than a paragraph (searched from a newline: fast)."""
_BLOCK_STARTS = frozenset(" \t`~#<[-")
"""The characters such a line, or front matter, starts with."""
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$", re.MULTILINE)
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
_INDENTED_CODE = re.compile(r"(?:(?: {4}|\t)[^\n]*(?:\n|$)|[ \t]*\n(?=(?:[ \t]*\n)*(?: {4}|\t)))+")
_FRONT_MATTER = re.compile(r"---[ \t]*\n[\s\S]*?\n(?:---|\.\.\.)[ \t]*(?:\n|$)")
_COMMENT_END = re.compile(r"-->")
_RAW_HTML = frozenset({"pre", "script", "style", "textarea"})
_RAW_HTML_END = re.compile(r"</(pre|script|style|textarea)\s*>", re.IGNORECASE)
"""CommonMark HTML blocks of type 1: their content is never Markdown, kept up to the closing tag."""
_HTML_BLOCK_NAMES = (
    "address article aside base basefont blockquote body caption center col colgroup dd details dialog dir "
    "div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html "
    "iframe legend li link main menu menuitem nav noframes ol optgroup option p param search section summary "
    "table tbody td tfoot th thead title tr track ul"
)
_HTML_BLOCK = frozenset(_HTML_BLOCK_NAMES.split())
"""CommonMark HTML blocks of type 6: Markdown is not read inside, so a link there is written as `<a>`."""
_DESTINATION_NEEDS_BRACKETS = re.compile(r"[\s()<>]")


_Mode = Literal["markdown", "html"]
"""How a span is scanned: as Markdown, or as HTML (a link there is an `<a href>`)."""


@dataclass(frozen=True)
class _Alternative:
    """What a scan alternative stands for: a reference pattern, or a construct to skip (`pattern` None)."""

    pattern: ReferencePattern | None
    id_group: int = 0
    lead_groups: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Scanner:
    """One pattern tuple compiled into one scan; each alternative ends in an empty marker group."""

    regex: re.Pattern[str]
    alternatives: dict[str, _Alternative]
    """By marker group name."""


def _local(regex: str, index: int) -> str:
    """A pattern made fit to sit in the alternation: group names suffixed, a leading global flag scoped."""
    if flags := _FLAGS_AT_START.match(regex):
        regex = f"(?{flags.group(1)}:{regex[flags.end() :]})"

    def rename(match: re.Match[str]) -> str:
        define, back, condition = match.groups()
        if define:
            return f"(?P<{define}_{index}>"
        if back:
            return f"(?P={back}_{index})"
        return f"(?({condition}_{index})"

    return _GROUP_NAME.sub(rename, regex)


def _anchored(alternation: str) -> str:
    """Try `alternation` only at anchor characters that start a word or are punctuation.

    The anchor is consumed outside the lookahead, so the engine skips to the next anchor in C. Every
    alternative starts at the anchor and ends in an empty marker group: `match.start()` and the marker's
    end are the real span, and `match.lastgroup` is the marker. Alternatives that start with a literal
    character are rejected by the engine at a glance, which keeps a visit to an anchor cheap.
    """
    return f"{_ANCHORS}(?<![A-Za-z0-9_.][0-9A-Z])(?<=(?={alternation}).)"


@lru_cache(maxsize=32)
def _scanner(patterns: tuple[ReferencePattern, ...]) -> _Scanner:
    """Compile a pattern tuple once into one scan.

    At each anchor character the alternatives are tried in order: constructs to skip, the references,
    then math and numbered labels (`Table 2`).
    """
    parts = [f"(?:{'|'.join(_PROTECTED)})(?P<p0>)"]
    for index, pattern in enumerate(patterns):
        part = f"(?:{_local(pattern.regex, index)})(?P<r{index}>)"
        try:
            own_groups = re.compile(pattern.regex).groupindex
            re.compile(_anchored(part))
        except re.error as error:
            raise ValueError(f"reference pattern {pattern.name!r} cannot join the scan: {error}") from error
        if "id" not in own_groups:
            raise ValueError(f"reference pattern {pattern.name!r} has no named group 'id'")
        parts.append(part)
    parts.append(f"(?:{'|'.join(_PROTECTED_AFTER)})(?P<p1>)")
    regex = re.compile(_anchored("|".join(parts)))
    groups = regex.groupindex
    alternatives = {"p0": _Alternative(None), "p1": _Alternative(None)}
    for index, pattern in enumerate(patterns):
        leads = tuple(number for name, number in groups.items() if re.fullmatch(rf"lead\w*_{index}", name))
        alternatives[f"r{index}"] = _Alternative(pattern, groups[f"id_{index}"], leads)
    return _Scanner(regex, alternatives)


_RECENT_SCANNERS: list[tuple[tuple[ReferencePattern, ...], _Scanner]] = []
_RECENT_MAX = 4


def _scanner_for(patterns: Sequence[ReferencePattern]) -> _Scanner:
    """`_scanner(patterns)`, found by identity first: hashing the patterns costs more than a short scan."""
    if isinstance(patterns, tuple):
        for known, scanner in _RECENT_SCANNERS:
            if known is patterns:
                return scanner
    key = tuple(patterns)
    scanner = _scanner(key)
    if key is patterns:
        _RECENT_SCANNERS.insert(0, (key, scanner))
        del _RECENT_SCANNERS[_RECENT_MAX:]
    return scanner


def check_patterns(patterns: Sequence[ReferencePattern]) -> None:
    """Compile `patterns` into the scan now; `ValueError` names a pattern the scan cannot use."""
    _scanner_for(patterns)


@lru_cache(maxsize=8192)
def _normalize(written: str) -> str:
    """The id as written, without the spaces OCR puts inside math or a trailing dot; `C–1` -> `C-1`."""
    normal = "".join(written.split()).rstrip(".")
    return normal.replace("–", "-") if "–" in normal else normal


def _continues(previous: str, written: str, is_range: bool) -> str | None:
    """Target of the next id in a list or range, None where it does not continue the reference.

    A single-level id (`5`, `C`) continues only a single-level one (`clauses 4 and 5`), so `17.9.4 and
    5 more` and `Annex C-3` stop there; a number never continues a letter or the other way round; a
    shorter range end takes the start's leading levels (`17.9.4–6`).
    """
    if previous[0].isdigit() != written[0].isdigit():
        return None
    previous_parts, parts = previous.split("."), written.split(".")
    if is_range and len(parts) < len(previous_parts):
        return ".".join(previous_parts[: len(previous_parts) - len(parts)] + parts)
    if len(parts) == 1 and len(previous_parts) > 1:
        return None
    return written


@lru_cache(maxsize=4096)
def _markdown_destination(href: str) -> str:
    """The href as a Markdown destination: in `<...>` where it holds spaces or parentheses."""
    return f"<{href}>" if _DESTINATION_NEEDS_BRACKETS.search(href) else href


@lru_cache(maxsize=4096)
def _html_destination(href: str) -> str:
    return html.escape(href, quote=True)


def _link(label: str, href: str, mode: _Mode) -> str:
    if mode == "html":
        return f'<a href="{_html_destination(href)}">{label}</a>'
    return f"[{label}]({_markdown_destination(href)})"


def _is_external(text: str, start: int, head_start: int, chain_end: int, end: int) -> bool:
    """A reference into another document: `§3.2 of RFC 3987`, `RFC 2616, §3.7`, `[RFC 3986] section 5.2`,
    `the GNU General Public License, section 13`."""
    follows = text[chain_end : chain_end + 1]
    if follows in _EXTERNAL_AFTER_STARTS and _EXTERNAL_AFTER.match(text, chain_end, end):
        return True
    before = head_start - 1
    while before > start and text[before] in " ,(":
        before -= 1
    if before < start:
        return False
    if not (text[before].isdigit() or text[before] == "]"):
        return text.endswith(_EXTERNAL_TITLES, start, before + 1)
    return bool(_EXTERNAL_BEFORE.search(text, max(start, head_start - _EXTERNAL_CONTEXT), head_start))


def _not_a_reference(text: str, start: int, head_start: int, head_end: int, end: int) -> bool:
    """A match that is no reference: a running head or heading (`Chapter 3: Title 11`, `2.4. The typeblock`
    at a line or sentence start), a row of values (`section 1 1.5 2.3`), a Unix manual section (`section 1
    man pages`). `_MAY_RUN_ON` looked first."""
    if _NOT_A_REFERENCE_AFTER.match(text, head_end, end):
        return True
    title = _TITLE_AFTER.match(text, head_end, end) is not None
    if not title:
        return False
    before = head_start - 1
    while before >= start and text[before] in " \t":
        before -= 1
    if before >= start and text[before].isdigit():  # `363 Appendix A GNU ...`: after a page number
        while before >= start and (text[before].isdigit() or text[before] in " \t"):
            before -= 1
    return before < start or text[before] in "\n.!?"


def _in_licence(text: str, start: int, head_start: int, end: int) -> bool:
    """Whether a licence's defined terms stand near the reference: the licence's own section."""
    return bool(
        _LICENCE_TERMS.search(
            text, max(start, head_start - _LICENCE_CONTEXT), min(end, head_start + _LICENCE_CONTEXT)
        )
    )


def _scan(
    text: str,
    start: int,
    end: int,
    mode: _Mode,
    scanner: _Scanner,
    resolve: Resolve,
    found: list[Reference],
    external: bool,
) -> str:
    """`text[start:end]` with its references linked; the references found are appended to `found`.

    With `external`, every reference is another document's (a quoted licence): listed, never linked.
    """
    search, alternatives, follow_match = scanner.regex.search, scanner.alternatives, _CONTINUATION.match
    may_run_on = _MAY_RUN_ON.match
    out: list[str] = []
    position = written_until = start
    licence: bool | None = None  # whether the block holds a licence's terms at all, looked up once
    while match := search(text, position, end):
        marker = match.lastgroup or "p0"
        alternative = alternatives[marker]
        head_start, head_end = match.start(), match.end(marker)
        pattern = alternative.pattern
        if pattern is None:
            position = head_end if head_end > head_start else head_start + 1
            continue
        for lead in alternative.lead_groups:
            lead_start = match.start(lead)
            if 0 <= lead_start < head_start:
                head_start = max(lead_start, written_until)
        previous = _normalize(match.group(alternative.id_group))
        items = [(head_start, head_end, previous)]
        chain_end = head_end
        while text[chain_end : chain_end + 1] in _CONTINUATION_STARTS and (
            follow := follow_match(text, chain_end, end)
        ):
            continued = _continues(previous, follow.group("id"), follow.group("range") is not None)
            if continued is None:
                break
            items.append((*follow.span("id"), continued))
            chain_end, previous = follow.end(), continued
        match_end = match.end()
        position = chain_end if chain_end > match_end else match_end
        if (
            text[head_end : head_end + 1] in _MAY_RUN_ON_STARTS
            and may_run_on(text, head_end, end)
            and _not_a_reference(text, start, head_start, head_end, end)
        ):
            continue
        prefix = pattern.target_prefix
        quoted = external
        if not quoted and licence is not False and items[0][2].isdigit():  # a licence's sections: `section 4`
            if licence is None:
                licence = _LICENCE_HINT.search(text, start, end) is not None
            quoted = licence and _in_licence(text, start, head_start, end)
        if quoted or _is_external(text, start, head_start, chain_end, end):
            found.extend(Reference(text[s:e], prefix + t, None, EXTERNAL, s) for s, e, t in items)
            continue
        for item_start, item_end, clause_id in items:
            label, target = text[item_start:item_end], prefix + clause_id
            href = resolve(target)
            if href is None:
                if not pattern.needs_target:
                    found.append(Reference(label, target, None, INTERNAL, item_start))
                continue
            found.append(Reference(label, target, href, INTERNAL, item_start))
            if label[0] == "$":  # `$\S 17.4.62$` reads `§17.4.62` once linked
                label = f"§{clause_id}"
            out.append(text[written_until:item_start])
            out.append(_link(label, href, mode))
            written_until = item_end
    out.append(text[written_until:end])
    return "".join(out)


def _line_end(markdown: str, index: int) -> int:
    """Just past the newline that ends the line holding `index` (the end of the text on the last line)."""
    newline = markdown.find("\n", index)
    return len(markdown) if newline < 0 else newline + 1


def _after_blank_or_heading(markdown: str, line_start: int) -> bool:
    """Indented code starts after a blank line or a heading; an indented line after prose continues it."""
    if line_start == 0:
        return True
    previous = markdown[markdown.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
    return not previous.strip() or previous.lstrip(" ").startswith("#")


def _block_end(markdown: str, line: re.Match[str]) -> tuple[int, _Mode | None] | None:
    """End and scan mode (None: keep as is) of the block a special line starts; None where it starts none."""
    line_start = line.start("line")
    if run := line.group("fence_run"):
        position = _line_end(markdown, line_start)
        while fence := _FENCE_LINE.search(markdown, position):
            if fence.group(1)[0] == run[0] and len(fence.group(1)) >= len(run):
                return _line_end(markdown, fence.start()), None
            position = _line_end(markdown, fence.start())
        return len(markdown), None  # an unclosed fence runs to the end of the document
    if line.group("heading") or line.group("definition"):
        return _line_end(markdown, line_start), None
    if line.group("comment"):
        close = _COMMENT_END.search(markdown, line_start)
        return (len(markdown) if close is None else _line_end(markdown, close.start())), None
    if tag := (line.group("tag") or "").lower():
        if tag in _RAW_HTML:
            close = _RAW_HTML_END.search(markdown, line.end())
            while close is not None and close.group(1).lower() != tag:
                close = _RAW_HTML_END.search(markdown, close.end())
            return (len(markdown) if close is None else _line_end(markdown, close.start())), None
        if tag in _HTML_BLOCK:
            blank = _BLANK_LINE.search(markdown, _line_end(markdown, line_start))
            return (len(markdown) if blank is None else blank.start()), "html"
        return None
    if line.group("indent") and _after_blank_or_heading(markdown, line_start):
        code = _INDENTED_CODE.match(markdown, line_start)
        return (code.end() if code else _line_end(markdown, line_start)), None
    return None


def _blocks(markdown: str) -> list[tuple[int, int, _Mode | None]]:
    """The document as spans to scan as Markdown, to scan as HTML, or to keep as they are (None)."""
    if markdown[:1] not in _BLOCK_STARTS and "\n" not in markdown:  # one line of prose: most paragraphs
        return [(0, len(markdown), "markdown")] if markdown else []
    spans: list[tuple[int, int, _Mode | None]] = []
    text_start = position = 0
    if front := _FRONT_MATTER.match(markdown):
        spans.append((0, front.end(), None))
        text_start = position = front.end()
    while position < len(markdown) and (
        line := _THIS_LINE.match(markdown, position) or _LATER_LINE.search(markdown, position)
    ):
        line_start = line.start("line")
        block = _block_end(markdown, line)
        if block is None:
            position = _line_end(markdown, line_start)
            continue
        if text_start < line_start:
            spans.append((text_start, line_start, "markdown"))
        spans.append((line_start, block[0], block[1]))
        text_start = position = max(block[0], line_start + 1)
    if text_start < len(markdown):
        spans.append((text_start, len(markdown), "markdown"))
    return spans


_MAY_REFER = re.compile(r"[0-9§]|(?i:annex|appendi)")
"""Text without a digit, a section sign or an annex word holds no reference: left as it is, unscanned."""


def link_references(
    markdown: str,
    resolve: Resolve,
    patterns: Sequence[ReferencePattern] = DEFAULT_PATTERNS,
    *,
    external: bool = False,
) -> tuple[str, list[Reference]]:
    """The Markdown with every resolvable reference linked, and every reference found, in order.

    `resolve(target)` gives the href relative to the file being written, or None for no such target (the
    reference is then listed with `href=None` and left as text). References to another document's
    clauses (`§3.2 of RFC 3987`), and with `external` all references, are listed as `external` and never
    linked. Inside an HTML block (a table MinerU gave as HTML) the link is an `<a href>`, since Markdown is
    not read there.
    """
    found: list[Reference] = []
    if not _MAY_REFER.search(markdown):
        return markdown, found
    scanner = _scanner_for(patterns)
    parts = [
        markdown[start:end]
        if mode is None
        else _scan(markdown, start, end, mode, scanner, resolve, found, external)
        for start, end, mode in _blocks(markdown)
    ]
    return "".join(parts), found

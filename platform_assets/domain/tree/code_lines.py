"""Whether one line of text is code, and in which language, judged from the shape of the whole line.

Invariant: a line is code only where its code tokens outnumber its prose words, so prose that mentions a
macro or a tag (`Use \\section to start a section.`) stays prose; nothing here depends on one document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

_MAY_BE_CODE = re.compile(
    r"[\\{}<>=$#(_&|:/*]"
    r"(?:(?<=[\\{}<>=$#])|(?<=[\w.]\()(?!s\))|(?<=\w_)(?=\w)|(?<=&)&|(?<=\|)\||(?<=:):|(?<=/)[*/]|(?<=\*)/)"
)
"""What a code line holds (see `_TEX`, `_CODE_TOKEN`): `\\ { } < > = $ #`, a call `f(`, an identifier
`a_b`, `&& || :: /* // */`; a statement end `;` alone makes no code line. One scan for a character
first, so that prose, which mostly holds none of it, costs little."""
_INLINE_MATH = re.compile(r"\$(?![\s({])[^$\n]*?(?<![\s\\])\$")
"""MinerU's inline math (`$x^2$`, `$\\S 4.2$`); not a shell or make variable (`$(CC)`, `${HOME}`)."""
_MARKUP_LINE = re.compile(r"<[A-Za-z_/?!].*>", re.DOTALL)
"""A line of markup: from a tag's start to a tag's end (`<wml ...>`, `</panel>`, `<b>x</b>`)."""
_WINDOWS_PATH = re.compile(r"[A-Za-z]:\\")
_TEX = re.compile(r"\\(?:[A-Za-z@]|\\)")
"""A TeX control word (`\\begin`, `\\@gobble`) or line break (`\\\\`), not a Windows path (`C:\\texlive`)
nor a Markdown escape (`\\_`)."""
_CODE_TOKEN = re.compile(
    r"""
    [{}]                                  # braces: TeX groups, C blocks
    | [;{]$ | ^\}                         # statement ends
    | ^(?:==|!=|<-|->|<=|>=|:=|\+=|&&|\|\||=|<<|>>|\|>|%>%)$   # operators standing alone
    | [\w\]\)"'](?:==|!=|<-|->|:=|\+=|=)[\w\["'(\-.$/{]          # assignments and comparisons inside a token
    | [A-Za-z_][\w.]*\((?!s\))            # calls: `foo(`, `def(`, never the plural `(s)`
    | \$[({A-Za-z_@]                      # shell and make variables: `$(CC)`, `${HOME}`, `$withval`
    | ^\#(?:include|define|if|ifdef|ifndef|endif|else|pragma|undef)\b
    | ^/[*/] | \*/$                       # C comments
    | :: | ->                             # scopes and members: `std::vector`, `x->attrib`
    | </?[A-Za-z_][\w.:-]*(?:\s|/?>|$) | /> # markup
    | \w_\w                               # identifiers with an underscore: `R_HOME`, `tl_new`
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[(\[\"'‘“]*[A-Za-z]?[a-z]+(?:[-'’][A-Za-z]+)*[)\]\"'’”]*[.,;:!?]*")
"""A prose word: letters with a lower-case one, hyphens and apostrophes inside, quotes and punctuation
around. All-capital tokens (`SWITCH`, `CMD`, `NOTE`) count neither as words nor as code."""
_PROMPT = re.compile(r"\$ [A-Za-z./]")
"""A shell prompt and the command after it."""
_PAGE = re.compile(r"(?:\d+|[ivxlc]+)\b")
"""A page number after an index term: `\\verb, 468`, `memoir (class), xxv`."""
_INDEX_PAGE = re.compile(r"(?:\d+|[ivxlc]+)(?:[–-]\d+)?,?")
_LEADERS = re.compile(r"(?:\. ){3}|\.{4}")
_CLAUSE_NUMBER = re.compile(r"(?:\d+|[A-Z])(?:\.\d+)*\.?\s")
_SENTENCE_ENDS = ".,;:!?)"
_FRAGMENT_CHARS = 12
PROSE_RUN = 5
"""Five prose words in a row make a sentence, whatever else the line holds."""
_NUMBERED_LINE = re.compile(r"(?:^|(?<=\s))([1-9]\d{0,5}) (?=\S)")
"""A line number of a listing: an integer and one space before the line's text."""
_OPENS = re.compile(r"\s*(?:\\begin\{([^{}\s]+)\}|<([A-Za-z_][\w.:-]*)(?=[\s>])(?![^<]*/>)(?!.*</\2\s*>))")
"""A line that opens a TeX environment (`\\begin{tcolorbox}[...`) or an XML element it does not close."""
_ESCAPED_BRACE = re.compile(r"(?<!\\)\\[{}]")
"""TeX's escaped brace, `\\{`, which opens no group (`\\\\{` is a line break, then a group)."""
BRACKETED = 40
"""Lines at most between the lines that open and close an environment, element or group to bracket one
listing."""


def _is_code_token(token: str) -> bool:
    return not _WINDOWS_PATH.match(token) and bool(_TEX.search(token) or _CODE_TOKEN.search(token))


_NEUTRAL, _CODE, _PROSE = 0, 1, 2


@lru_cache(maxsize=1 << 16)
def _token_kind(token: str) -> int:
    """Code token, prose word or neither; cached, since tokens repeat (`\\def`, `{`, `the`)."""
    if _is_code_token(token):
        return _CODE
    return _PROSE if _WORD.fullmatch(token) else _NEUTRAL


def _longest_run(kinds: list[int]) -> int:
    run = longest = 0
    for kind in kinds:
        run = run + 1 if kind == _PROSE else 0
        longest = max(longest, run)
    return longest


def _is_index_line(line: str) -> bool:
    """Back-of-book index entries: terms, each with its pages (`\\l_tmpa_tl . 224, 227 M`)."""
    tokens = line.split()
    index = 0
    while index < len(tokens):
        index += 1  # the term
        while index < len(tokens) and tokens[index] == ".":
            index += 1
        pages = index
        while index < len(tokens) and _INDEX_PAGE.fullmatch(tokens[index]):
            index += 1
        if index == pages:
            return False
        if index < len(tokens) and len(tokens[index]) == 1 and tokens[index].isupper():
            index += 1  # the letter heading the next group
    return bool(tokens)


def code_language(line: str, *, heading: bool = False) -> str | None:
    """The language of a line that is code (`latex`, `xml`, `sh`, `text`), None for a line of prose.

    Code tokens are TeX control words, braces, statement ends, operators, calls, variables and markup;
    words are prose words; numbers, capitals and other punctuation count for neither, nor does an index
    term before its page (`\\verb, 468`). Code: markup only; a prompted command (`$ make`); a line that
    opens and closes with code tokens (not with a sentence's end); else a line without `PROSE_RUN` words
    in a row whose code tokens outnumber its words, or that ends with `{`. A `heading` is no sentence:
    there a tie is code where TeX, braces or markup are in it (`Finding R_HOME` is a title), but one that
    starts with a clause number (`1.1 \\DocumentMetadata`) is a heading, unless the number is a bare
    line number before code (`28 \\NewDocumentCommand\\x{}{}`). Lines of index entries or with leaders
    (`. . .`) are prose.
    """
    if not _MAY_BE_CODE.search(line) or _LEADERS.search(line) or _is_index_line(line):
        return None
    text = line.strip()
    if heading and (number := _CLAUSE_NUMBER.match(text)):
        if "." in number.group() or not code_language(text[number.end() :]):
            return None
        heading = False  # `28 \\NewDocumentCommand...`: a numbered source line
    if _PROMPT.match(text):
        return "sh"
    if _MARKUP_LINE.fullmatch(text):
        return "xml"
    tokens = (_INLINE_MATH.sub(" $ ", text) if "$" in text else text).split()
    kinds = [_token_kind(token) for token in tokens]
    for index, token in enumerate(tokens[:-1]):  # `\\verb, 468`: an index term before its page
        if token[-1] == "," and token[0] == "\\" and kinds[index] == _CODE and _PAGE.match(tokens[index + 1]):
            kinds[index] = _NEUTRAL
    code, words = kinds.count(_CODE), kinds.count(_PROSE)
    if code == 0:
        return None
    framed = code >= 2 and kinds[0] == kinds[-1] == _CODE and text[-1] not in _SENTENCE_ENDS
    if not framed:
        tie_is_code = heading and (_TEX.search(text) or "{" in text or "<" in text)
        outnumbered = code < words + (not tie_is_code) and not text.endswith("{")  # prose never ends with `{`
        if outnumbered or _longest_run(kinds) >= PROSE_RUN:
            return None
    if _TEX.search(text):
        return "latex"
    return "xml" if text.startswith("<") else "text"


def numbered_lines(line: str) -> list[str]:
    """A listing whose numbered source lines the parser joined, one source line a line: `18182 {…} 18183 \\cs`
    -> [`18182 {…}`, `18183 \\cs`]; text before the first number stays a line of its own.

    The numbers must count up by one (the longest such chain wins) and at least half the lines they start
    must hold code, so `1 & 2 & 3` of a table row or a list of counts stays whole.
    """
    candidates = [(int(m.group(1)), m.start(1)) for m in _NUMBERED_LINE.finditer(line)]
    best: list[int] = []
    for index, (number, start) in enumerate(candidates):
        chain = [start]
        for later, position in candidates[index + 1 :]:
            if later == number + len(chain):
                chain.append(position)
        if len(chain) > len(best):
            best = chain
    if len(best) < 2:
        return [line]
    bounds = [0, *best] if best[0] else best
    lines = [line[a:b].strip() for a, b in zip(bounds, [*bounds[1:], len(line)], strict=True)]
    numbered = lines[1:] if best[0] else lines
    if 2 * sum(any(_is_code_token(t) for t in text.split()[1:]) for text in numbered) < len(numbered):
        return [line]
    return [text for text in lines if text]


def bracketed(lines: Sequence[str], *, sentences: bool = True) -> list[tuple[int, int]]:
    """(first, last) line of each TeX environment, XML element or brace group that a line opens and a later
    line closes (`\\begin{tcolorbox}[drop shadow]` ... `\\end{tcolorbox}\\par`, `<para>` ... `</para>`,
    `\\tcbset{` ... `}`), both lines fit for a listing and at most `BRACKETED` lines apart: the lines
    between are its body, code whatever they look like (`This is a tcolorbox.`, `sharp corners ]`);
    outermost pairs only. Without `sentences`, a line between that holds `PROSE_RUN` prose words in a row
    ends the search: documented source interleaves its commentary with a group's code."""
    pairs: list[tuple[int, int]] = []
    at = 0
    while at < len(lines):
        line = lines[at]
        opens = ("{" in line or "<" in line) and fits_listing(line)
        close = _closing_line(lines, at, sentences) if opens else None
        if close is None:
            at += 1
            continue
        pairs.append((at, close))
        at = close + 1
    return pairs


def _closing_line(lines: Sequence[str], at: int, sentences: bool) -> int | None:
    """The line that closes what line `at` opens (see `bracketed`), None where it opens nothing or nothing
    within reach closes it."""
    reach = range(at + 1, min(len(lines), at + BRACKETED + 2))
    if not sentences:
        reach = range(at + 1, next((later for later in reach if _sentence(lines[later])), reach.stop))
    if opens := _OPENS.match(lines[at]):
        name = opens.group(1)
        closing = f"\\end{{{name}}}" if name is not None else f"</{opens.group(2)}>"
        closes = (later for later in reach if closing in lines[later])
        return next((later for later in closes if fits_listing(lines[later])), None)
    depth = _depth(lines[at])
    if depth <= 0:
        return None
    for later in reach:
        depth += _depth(lines[later])
        if depth <= 0:
            return later if fits_listing(lines[later]) else None
    return None


def _sentence(line: str) -> bool:
    return _longest_run([_token_kind(token) for token in line.split()]) >= PROSE_RUN


def _depth(line: str) -> int:
    """Braces a line opens less those it closes (TeX's escaped `\\{` and `\\}` not counted)."""
    if "{" not in line and "}" not in line:
        return 0
    bare = _ESCAPED_BRACE.sub("", line)
    return bare.count("{") - bare.count("}")


def is_prose(code: str) -> bool:
    """A code block whose every line is prose (a paragraph the parser fenced): no line holds a code token
    or columns (two spaces inside), and together they hold `PROSE_RUN` words in a row."""
    if any("  " in line.strip() for line in code.splitlines()):
        return False  # columns: layout text, not a paragraph
    kinds = [_token_kind(token) for token in code.split()]
    return _CODE not in kinds and _longest_run(kinds) >= PROSE_RUN


def fits_listing(line: str) -> bool:
    """A line that is no code alone but fits inside a listing cut up by the parser: a short fragment
    (`fi`, `END`, a lone line number) or one holding a code token and no three prose words in a row."""
    text = line.strip()
    tokens = text.split()
    if 0 < len(text) <= _FRAGMENT_CHARS and len(tokens) <= 2:
        return True
    run = 0
    for token in tokens:
        run = run + 1 if _WORD.fullmatch(token) and not _is_code_token(token) else 0
        if run >= 3:
            return False
    return any(_is_code_token(token) for token in tokens)

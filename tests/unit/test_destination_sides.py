"""Blocks the parser read on the wrong side of a destination move to the side their place is on: code
beside a figure read after the next heading, and a code line typed as a running header listed before the
page's first heading; a two-column page's right column stays where its reading put it."""

from __future__ import annotations

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.destination_sides import destination_sided
from platform_assets.domain.tree.segment import segment


def _block(text: str, box: BBox, kind: BlockKind = BlockKind.TEXT, source_type: str = "text") -> Block:
    return Block(seq=0, page_index=0, kind=kind, source_type=source_type, text=text, bbox=box)


def _heading(text: str, top: float, right: float = 0.45) -> Block:
    return _block(text, (0.107, top, right, top + 0.012), BlockKind.HEADING, "paragraph_title")


def _clause(number: str, title: str, top: float, left: float = 0.107) -> Clause:
    return Clause(id=number, title=title, level=3, page_index=0, numbered=True, top=top - 0.004, left=left)


SIDE_BY_SIDE = [  # tl-tkz-euclide p71 as MinerU 4 read it: the headings on the left, then the code
    _block(
        r"\begin{tikzpicture}[scale=1.2] \tkzDefPoints{2/1/A}",
        (0.46, 0.103, 0.79, 0.156),
        source_type="header",
    ),
    _heading("12.1.8. Options colinear and orthogonal", 0.075),
    _heading("12.1.9. Option orthogonal normed", 0.271),
    _block("K = 1 AC = 1.", (0.106, 0.294, 0.199, 0.305)),
    _block(r"\tkzGetPoint{C}", (0.476, 0.157, 0.596, 0.168)),
    _block(r"\tkzDrawSegments[vect](A,B A,C C,D) \end{tikzpicture}", (0.46, 0.185, 0.784, 0.251)),
    _block(r"\begin{tikzpicture} \tkzDefPoints{2/3/A,4/2/B}", (0.46, 0.314, 0.792, 0.436)),
    _heading("12.1.10. Option orthogonal normed and K=2", 0.456, right=0.468),
    _block("K = 2 therefore AC = 2.", (0.106, 0.478, 0.267, 0.489)),
]
SIDE_CLAUSES = [
    _clause("12.1.8", "Options colinear and orthogonal", 0.075),
    _clause("12.1.9", "Option orthogonal normed", 0.271),
    _clause("12.1.10", "Option orthogonal normed and K=2", 0.456),
]


def _firsts(blocks: list[Block]) -> list[str]:
    return [block.text.split()[0] for block in blocks]


def test_code_read_after_the_next_heading_moves_back_above_it() -> None:
    stream, moved = destination_sided(SIDE_BY_SIDE, SIDE_CLAUSES)
    assert moved == 3
    assert _firsts(stream) == [
        "12.1.8.", r"\begin{tikzpicture}[scale=1.2]", r"\tkzGetPoint{C}", r"\tkzDrawSegments[vect](A,B",
        "12.1.9.", "K", r"\begin{tikzpicture}", "12.1.10.", "K",
    ]  # fmt: skip
    bodies = segment(stream, SIDE_CLAUSES).bodies
    assert [len(bodies[clause.id]) for clause in SIDE_CLAUSES] == [3, 2, 1]


def test_before_the_move_the_first_clause_is_left_empty() -> None:
    bodies = segment(SIDE_BY_SIDE, SIDE_CLAUSES).bodies
    assert bodies["12.1.8"] == ()


def test_a_running_header_at_the_page_top_and_a_footnote_at_its_foot_stay() -> None:
    page = [
        _heading("12.1.8. Options colinear and orthogonal", 0.075),
        _block("Text of the clause.", (0.107, 0.1, 0.85, 0.2)),
        _block("1 A footnote.", (0.107, 0.85, 0.85, 0.87), BlockKind.FOOTNOTE, "page_footnote"),
    ]
    header = _block("12. Defining points", (0.107, 0.038, 0.378, 0.049), source_type="header")
    stream, moved = destination_sided([header, *page], SIDE_CLAUSES[:1])
    assert (moved, stream) == (0, [header, *page])


def test_a_table_typed_as_footnotes_goes_between_the_paragraphs_around_it() -> None:
    """tl-ltnews p69: a small table the tier typed as footnotes, listed at the page's end after the next
    section, set between the second and third paragraphs of its own."""
    page = [
        _heading("2.1. File hooks renamed", 0.1),
        _block("The first paragraph.", (0.107, 0.12, 0.85, 0.2)),
        _block("The second paragraph.", (0.107, 0.21, 0.85, 0.24)),
        _block("The third paragraph.", (0.107, 0.3, 0.85, 0.4)),
        _heading("2.2. One-time hooks", 0.5),
        _block("Its paragraph.", (0.107, 0.52, 0.85, 0.6)),
        _block("Old name New name", (0.2, 0.25, 0.6, 0.28), BlockKind.FOOTNOTE, "page_footnote"),
    ]
    clauses = [_clause("2.1", "File hooks renamed", 0.1), _clause("2.2", "One-time hooks", 0.5)]
    stream, moved = destination_sided(page, clauses)
    assert moved == 1
    assert _firsts(stream) == ["2.1.", "The", "The", "Old", "The", "2.2.", "Its"]


TWO_COLUMNS = [  # tl-ltnews p48: a section starts low in the left column, the right column goes on with it
    _block("Text of the section before, down the left column.", (0.07, 0.1, 0.47, 0.395)),
    _heading("2.1. A late section", 0.41, right=0.23),
    _block("Its first paragraph.", (0.07, 0.425, 0.47, 0.9)),
    _block("Its second paragraph, at the right column's top.", (0.5, 0.1, 0.9, 0.33)),
    _block("2.2. The next section", (0.5, 0.346, 0.77, 0.357), BlockKind.HEADING, "paragraph_title"),
    _block("A paragraph ending a hair above the left column's heading.", (0.5, 0.362, 0.9, 0.404)),
]


def test_a_right_column_above_a_left_column_heading_stays_after_it() -> None:
    clauses = [_clause("2.1", "A late section", 0.41), _clause("2.2", "The next section", 0.346, left=0.5)]
    stream, moved = destination_sided(TWO_COLUMNS, clauses)
    assert (moved, stream) == (0, TWO_COLUMNS)


def test_an_entry_below_a_later_letters_destination_stays_after_it() -> None:
    """tl-keyfloat p114, an index of two columns: `subfloat` (right column, under `S`) ends a hair above
    `H` (left column), nothing of the left column level with it; it is `S`'s, whose anchor comes later."""
    page = [
        _block("G", (0.408, 0.772, 0.418, 0.78), BlockKind.HEADING, "paragraph_title"),
        _block("group nested . . . 30", (0.243, 0.788, 0.532, 0.821)),
        _block("H", (0.407, 0.837, 0.419, 0.844), BlockKind.HEADING, "paragraph_title"),
        _block("[H]ere placement . . . 25", (0.243, 0.849, 0.532, 0.859)),
        _block("S", (0.716, 0.81, 0.724, 0.817), BlockKind.HEADING, "paragraph_title"),
        _block("subfloat", (0.549, 0.824, 0.601, 0.831)),
    ]
    letters = [("G", 0.767, 0.408), ("H", 0.832, 0.407), ("S", 0.806, 0.716)]
    clauses = [_clause(letter.lower(), letter, top + 0.004, left) for letter, top, left in letters]
    stream, moved = destination_sided(page, clauses)
    assert (moved, stream) == (0, page)


def test_a_line_inside_an_anchor_that_the_destination_cuts_stays_after_it() -> None:
    """refman p40: the tier ran `abbreviate`'s examples and the heading of `agrep` into one paragraph (the
    destination cuts it later) and listed an example line inside its box after it."""
    page = [
        _block(
            "Examples x <- c('abcd') abbreviate(x, 2) ... agrep Approximate String Matching",
            (0.164, 0.25, 0.69, 0.606),
        ),
        _block('st.ab2 <- abbreviate(state.name, 2, method = "both")', (0.193, 0.495, 0.574, 0.518)),
        _block("Description Searches for approximate matches", (0.164, 0.648, 0.837, 0.729)),
    ]
    stream, moved = destination_sided(page, [_clause("agrep", "Approximate String Matching", 0.596)])
    assert (moved, stream) == (0, page)


def test_a_line_read_before_the_frame_title_above_it_moves_behind_that_title() -> None:
    """tl-featpostbeamer p3: the tier read a beamer frame's first line before the frame's title, set at
    the top right; the bookmark points at the frame's top left. Only a block wholly below the title and
    not left of the destination moves: a left column's below a right column's heading stays."""
    page = [
        _block("input featpost3Dplus2D;", (0.078, 0.464, 0.438, 0.505), BlockKind.HEADING, "title"),
        _block("Getting started", (0.601, 0.073, 0.843, 0.128), BlockKind.HEADING, "title"),
        _block("verbatimtex %&latex", (0.078, 0.53, 0.438, 0.6)),
    ]
    stream, moved = destination_sided(page, [_clause("1", "Getting started", 0.004, left=0.078)])
    assert moved == 1
    assert [block.text for block in stream] == ["Getting started", "input featpost3Dplus2D;", page[2].text]
    assert segment(stream, [_clause("1", "Getting started", 0.004, left=0.078)]).bodies["1"] == (
        page[0],
        page[2],
    )
    right_column = destination_sided(page, [_clause("1", "Getting started", 0.004, left=0.6)])
    assert right_column == (page, 0)

"""Where a destination opens its clause: the block below it that prints the heading, and blocks it points
inside, cut where the clause begins (index letter groups, change histories, signatures merged by the
parser); a text layer is faked as lines at known heights."""

from __future__ import annotations

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.destination_cuts import BLANK_STRIP, cut_at_destinations, printed_words
from platform_assets.domain.tree.segment import (
    ANCHOR_MARGIN,
    LINE_ORDER,
    Segmentation,
    anchor_blocks,
    in_line_order,
    segment,
)


def _layer(lines: list[tuple[float, str]]):
    """A text layer of one page: each line at its top-down height; a region holds the lines whose
    height lies inside it."""

    def region_text(page: int, box: BBox) -> str:
        return "\n".join(text for y, text in lines if box[1] <= y < box[3])

    return region_text


def _clause(cid: str, title: str, top: float | None, left: float | None = None) -> Clause:
    return Clause(id=cid, title=title, level=1, page_index=0, numbered=False, top=top, left=left)


def _bodies(segmentation: Segmentation, *clause_ids: str) -> list[list[str]]:
    """Each clause's body as its blocks' texts."""
    return [[block.text for block in segmentation.bodies[clause_id]] for clause_id in clause_ids]


def _block(kind: BlockKind, box: BBox, text: str = "", **fields) -> Block:
    return Block(seq=0, page_index=0, kind=kind, source_type=kind.value, text=text, bbox=box, **fields)


INDEX = [
    (0.30, "Q qfonts (package) . . . 134"),
    (0.32, "quotes (option) . . . 12"),
    (0.34, "R Leslie Lamport (contributor) . . . 2"),
    (0.36, "ragged2e (package) . . . 81"),
]


def test_two_index_letters_merged_in_one_paragraph_are_cut_where_the_second_begins() -> None:
    text = "Q qfonts (package) . . . 134 quotes (option) . . . 12 Leslie Lamport (contributor) . . . 2 R " + (
        "ragged2e (package) . . . 81"
    )  # the big initial `R` landed elsewhere in the parser's text
    block = _block(BlockKind.TEXT, (0.1, 0.295, 0.5, 0.37), text)
    clauses = [_clause("q", "Q", 0.29, 0.1), _clause("r", "R", 0.335, 0.1)]
    stream, cuts = cut_at_destinations([block], clauses, _layer(INDEX))
    assert cuts == 1
    assert [piece.text for piece in stream] == [
        "Q qfonts (package) . . . 134 quotes (option) . . . 12",
        "Leslie Lamport (contributor) . . . 2 R ragged2e (package) . . . 81",
    ]
    assert [piece.bbox for piece in stream] == [(0.1, 0.295, 0.5, 0.335), (0.1, 0.335, 0.5, 0.37)]
    segmentation = segment(stream, clauses)
    assert [len(segmentation.bodies[c]) for c in ("q", "r")] == [1, 1]


def test_a_change_history_typed_as_one_index_block_is_cut_at_each_version() -> None:
    items = [
        "Added option spanish . . . 2.1",
        "3.8 2008-01-05",
        "Added alias australian . . . 8.2",
        "3.7 2007-03-25",
        "Added babel=try . . . 2.1",
    ]
    layer = _layer(list(zip((0.20, 0.22, 0.24, 0.26, 0.28), items, strict=True)))
    block = _block(BlockKind.INDEX, (0.1, 0.195, 0.8, 0.29), "\n".join(items), items=items)
    clauses = [_clause("3.8", "3.8 (2008-01-05)", 0.215), _clause("3.7", "3.7 (2007-03-25)", 0.255)]
    stream, cuts = cut_at_destinations([block], clauses, layer)
    assert cuts == 2
    assert [piece.items for piece in stream] == [items[:1], items[1:3], items[3:]]
    assert [piece.text for piece in stream] == ["\n".join(piece.items) for piece in stream]


def test_a_version_anchored_at_its_own_line_is_cut_there_when_the_shifted_destination_is_below() -> None:
    """tl-dbshow: the document's offset (learnt from headings) puts each version's destination below its
    entry, neither printing the version nor right under it; the outline's own destination is tried next."""
    items = ["1.1", "2022-01-05 Add macro . . . 19", "1.2", "2022-01-07 Add doc . . . 3", "Fix . . 4"]
    layer = _layer(list(zip((0.11, 0.12, 0.14, 0.15, 0.16), items, strict=True)))
    block = _block(BlockKind.INDEX, (0.1, 0.105, 0.9, 0.17), "\n".join(items), items=items)
    outline = [_clause("1.1", "1.1", 0.105), _clause("1.2", "1.2", 0.135)]
    shifted = [clause.model_copy(update={"top": clause.top + 0.022}) for clause in outline]
    assert cut_at_destinations([block], shifted, layer)[1] == 0  # below `1.2`'s entry: no title there
    stream, cuts = cut_at_destinations([block], shifted, layer, outline)
    assert cuts == 1
    assert [piece.items for piece in stream] == [items[:2], items[2:]]


def test_a_margin_heading_under_the_tail_of_the_line_above_opens_at_its_first_word() -> None:
    """The text layer's first words below the destination are the line above's tail (its descenders
    cross it); the heading prints the date first and `Version` before the number."""
    layer = _layer(
        [
            (0.20, "fix: gobbling settings with tracking failed (reported by Leo) 39"),
            (0.2054, "2010/01/10 Version 2.4"),
            (0.22, "Protrusion: settings for T2A encoding 151"),
        ]
    )
    text = (
        "fix: gobbling settings with tracking failed (reported by Leo) 39 2010/01/10 Version 2.4 "
        "Protrusion: settings for T2A encoding 151"
    )
    block = _block(BlockKind.TEXT, (0.07, 0.19, 0.5, 0.23), text)
    stream, cuts = cut_at_destinations([block], [_clause("2.4", "2.4 (2010/01/10)", 0.2053, 0.15)], layer)
    assert cuts == 1
    assert stream[1].text.startswith("2010/01/10 Version 2.4")


def test_no_cut_where_the_words_below_do_not_print_the_title_or_the_destination_is_not_inside() -> None:
    block = _block(BlockKind.TEXT, (0.1, 0.295, 0.5, 0.37), " ".join(text for _, text in INDEX))
    layer = _layer(INDEX)
    assert cut_at_destinations([block], [_clause("s", "S", 0.335, 0.1)], layer)[1] == 0  # prints R
    assert cut_at_destinations([block], [_clause("r", "R", 0.30, 0.1)], layer)[1] == 0  # its first line
    assert cut_at_destinations([block], [_clause("r", "R", 0.335, 0.6)], layer)[1] == 0  # other column
    table = _block(BlockKind.TABLE, (0.1, 0.295, 0.5, 0.37), "a | b", html="<table></table>")
    assert cut_at_destinations([table], [_clause("r", "R", 0.335)], layer)[1] == 0  # cells stay whole


def test_a_destination_just_above_a_blocks_bottom_anchors_the_block_below() -> None:
    """A loose bbox ends a hair below the next destination: its last line is above it."""
    first = _block(BlockKind.TEXT, (0.1, 0.266, 0.5, 0.279), "\\openautoquote Opens a nestable quotation.")
    second = _block(BlockKind.TEXT, (0.1, 0.287, 0.5, 0.300), "\\closeautoquote Closes a nestable quotation.")
    clauses = [_clause("open", "\\openautoquote", 0.257), _clause("close", "\\closeautoquote", 0.278)]
    assert anchor_blocks([first, second], clauses) == [0, 1]


def test_a_letter_printed_well_below_its_destination_anchors_there_not_at_the_other_column() -> None:
    """An index in two columns: the destination of `K` carries the text area's left edge and lies a
    group skip above the letter; a block of the first column straddles it."""
    left_column = _block(BlockKind.TEXT, (0.24, 0.30, 0.558, 0.86), "\\int_set:Nn . . . 29, 30")
    letter = _block(BlockKind.TEXT, (0.724, 0.494, 0.738, 0.504), "K")
    entries = _block(BlockKind.TEXT, (0.572, 0.507, 0.888, 0.60), "keys commands: \\keys_define:nn 3")
    merged = _block(BlockKind.TEXT, (0.572, 0.70, 0.888, 0.80), "L \\l_keys_key_tl . . . 189")
    clauses = [_clause("k", "K", 0.456, 0.553), _clause("l", "L", 0.68, 0.553)]
    assert anchor_blocks([left_column, letter, entries, merged], clauses) == [1, 3]


def test_an_index_block_merged_across_two_columns_is_split_into_its_columns() -> None:
    """The tier returned the page as one index block whose entries run across both columns; a letter's
    destination in the right column splits it into the columns the text layer reads, then cuts there."""
    left_lines = [(0.20, "\\flag_new:n . . . 12"), (0.22, "\\flag_raise:n . . . 14")]
    right_lines = [(0.20, "\\fp_to_dim:n . . . 242"), (0.22, "G"), (0.24, "\\group_begin: . . . 9")]

    def region_text(page: int, box: BBox) -> str:  # the left column ends at 0.55, the right starts at 0.58
        column = (left_lines if box[0] < 0.55 else []) + (right_lines if box[2] > 0.58 else [])
        return "\n".join(text for y, text in column if box[1] <= y < box[3])

    items = [f"{a} {b}" for (_, a), (_, b) in zip(left_lines, right_lines, strict=False)] + ["\\group_begin:"]
    block = _block(BlockKind.INDEX, (0.24, 0.19, 0.89, 0.25), "\n".join(items), items=items)
    stream, cuts = cut_at_destinations([block], [_clause("g", "G", 0.215, 0.57)], region_text)
    assert cuts == 2
    assert [piece.items for piece in stream] == [
        ["\\flag_new:n . . . 12", "\\flag_raise:n . . . 14"],
        ["\\fp_to_dim:n . . . 242"],
        ["G", "\\group_begin: . . . 9"],
    ]
    assert all(piece.from_text_layer for piece in stream)
    gutter = 0.57 - 2 * BLANK_STRIP  # just left of the right column's destination
    assert [piece.bbox for piece in stream] == [
        (0.24, 0.19, gutter, 0.25),
        (gutter, 0.19, 0.89, 0.215),
        (gutter, 0.215, 0.89, 0.25),
    ]


def test_a_paragraph_the_tier_merged_across_two_index_columns_is_split_into_them() -> None:
    """hustthesis p56: index letters `I` (left column) and `M` (right) printed level with each other, and
    the tier ran both columns' lines into one paragraph: each column comes from the text layer, so each
    letter's destination points into its own column."""
    left_lines = [(0.59, "I"), (0.61, "\\ifLuaTeX . . . 44, 108"), (0.63, "\\IfNoValueTF . . . 195")]
    right_lines = [(0.59, "M"), (0.61, "\\mainmatter . . . 9, 17, 658"), (0.63, "\\major . . . 8, 256")]

    def region_text(page: int, box: BBox) -> str:  # the left column ends at 0.49, the right starts at 0.52
        column = (left_lines if box[0] < 0.49 else []) + (right_lines if box[2] > 0.52 else [])
        return "\n".join(text for y, text in column if box[1] <= y < box[3])

    text = " ".join(f"{a} {b}" for (_, a), (_, b) in zip(left_lines, right_lines, strict=True))
    block = _block(BlockKind.TEXT, (0.18, 0.58, 0.83, 0.65), text)
    stream, cuts = cut_at_destinations(
        [block], [_clause("i", "I", 0.585, 0.177), _clause("m", "M", 0.579, 0.511)], region_text
    )
    assert cuts == 1
    assert [piece.text.splitlines() for piece in stream] == [
        [text for _, text in left_lines],
        [text for _, text in right_lines],
    ]
    assert all(piece.kind is BlockKind.TEXT and piece.from_text_layer and not piece.items for piece in stream)


def test_a_line_the_tier_gave_a_block_of_its_own_is_not_taken_again_by_the_column_split() -> None:
    """An index page the tier ran across its columns into one paragraph, and a line of the right column
    level with its last line also a block of its own (interface3's index: `\\cs_show:N` twice in `C`):
    the right column's lines from the text layer leave that line out. A line printing a letter's title
    stays (the segmenter opens the letter with it; its big initial, a block of its own, is the heading)."""
    left_lines = [(0.535, "\\par . . . 844, 853"), (0.55, "\\parbox . . . 677, 692")]
    right_lines = [(0.535, "\\setCJKsansfont . . . 96"), (0.55, "\\setcounter . . . 584, 606, 837")]
    letter_lines = [(0.535, "S"), (0.55, "\\schoolcode . . . 9, 289")]

    def region_text(page: int, box: BBox) -> str:  # the left column ends at 0.49, the right starts at 0.516
        column = (left_lines if box[0] < 0.49 else []) + (right_lines if box[2] > 0.516 else [])
        return "\n".join(text for y, text in column if box[1] <= y < box[3])

    text = " ".join(f"{a} {b}" for (_, a), (_, b) in zip(left_lines, right_lines, strict=True))
    block = _block(BlockKind.TEXT, (0.181, 0.527, 0.834, 0.564), text)
    own = _block(BlockKind.TEXT, (0.516, 0.545, 0.834, 0.566), "\\setcounter . . . 584, 606, 837")
    r = _clause("r", "\\renewcommand", 0.54, 0.5114)  # printed on another page: no cut at it
    stream, cuts = cut_at_destinations([block, own], [r], region_text)
    assert cuts == 1
    assert [piece.text.splitlines() for piece in stream] == [
        [text for _, text in left_lines],
        ["\\setCJKsansfont . . . 96"],
        ["\\setcounter . . . 584, 606, 837"],
    ]
    right_lines[:] = letter_lines  # the right column opens with `S`, its big initial a block of its own
    initial = _block(BlockKind.TEXT, (0.6, 0.53, 0.62, 0.545), "S")
    stream, _ = cut_at_destinations([block, initial], [r, _clause("s", "S", 0.528, 0.5114)], region_text)
    assert [piece.text.splitlines() for piece in stream][1] == [text for _, text in letter_lines]


def test_a_paragraph_over_both_columns_is_not_split() -> None:
    """A paragraph across the page (text in the middle) stays whole, wherever a destination points."""
    lines = [(0.59, "A paragraph across the whole page, words in the middle too"), (0.61, "and on.")]
    block = _block(BlockKind.TEXT, (0.18, 0.58, 0.83, 0.65), " ".join(text for _, text in lines))
    stream, cuts = cut_at_destinations([block], [_clause("m", "M", 0.6, 0.511)], _layer(lines))
    assert (cuts, stream) == (0, [block])


def test_sections_sharing_a_page_top_destination_open_at_their_printed_headings() -> None:
    """Three bookmarks point at the top of one page (a page's anchor, not their headings'): each opens
    at its own heading, printed with a number its bookmark lacks; the page's first paragraph stays with
    the clause before (whose bookmark has no position and whose heading lies on an earlier page: it
    opens at its page's top)."""
    carried = _block(BlockKind.TEXT, (0.1, 0.10, 0.9, 0.14), "the natural logarithm (e) are pre-defined.")
    first = _block(BlockKind.HEADING, (0.1, 0.20, 0.5, 0.22), "1.2.2 Creating a Matrix")
    first_text = _block(BlockKind.TEXT, (0.1, 0.23, 0.9, 0.30), "Vectors and matrices are the basic blocks.")
    second = _block(BlockKind.HEADING, (0.1, 0.40, 0.5, 0.42), "1.2.3 Matrix Arithmetic")
    second_text = _block(BlockKind.TEXT, (0.1, 0.43, 0.9, 0.50), "Octave uses standard notation.")
    stream = [carried, first, first_text, second, second_text]
    clauses = [
        _clause("before", "Elementary Calculations", None),
        _clause("matrix", "Creating a Matrix", 0.09),
        _clause("arithmetic", "Matrix Arithmetic", 0.09),
    ]
    assert anchor_blocks(stream, clauses) == [None, 1, 3]
    segmentation = segment(stream, clauses)
    assert segmentation.bodies["matrix"] == (first_text,) and segmentation.heading_of["matrix"] == (first,)
    assert segmentation.bodies["arithmetic"] == (second_text,)
    assert segmentation.bodies["before"] == (carried,) and segmentation.paged == ("before",)


def test_a_section_sharing_a_page_top_destination_opens_where_the_tier_ran_its_heading_into_a_paragraph() -> (
    None
):
    """texinfo (LilyPond's snippets): every destination at its page's top; the tier typed one heading as a
    heading and ran the next into its paragraph: that paragraph opens the second section."""
    first = _block(BlockKind.HEADING, (0.1, 0.37, 0.5, 0.39), "Ambitus with multiple voices")
    first_text = _block(BlockKind.TEXT, (0.1, 0.40, 0.9, 0.60), "Adding the engraver creates one ambitus.")
    merged = _block(
        BlockKind.TEXT,
        (0.1, 0.75, 0.9, 0.80),
        "Applying note head styles depending on the step of the scale The shapeNoteStyles property is used.",
    )
    stream = [first, first_text, merged]
    clauses = [
        _clause("1.7", "Ambitus with multiple voices", 0.09),
        _clause("1.8", "Applying note head styles depending on the step of the scale", 0.09),
    ]
    assert anchor_blocks(stream, clauses) == [0, 2]
    segmentation = segment(stream, clauses)
    assert segmentation.bodies["1.7"] == (first_text,)
    assert [b.text for b in segmentation.bodies["1.8"]] == ["The shapeNoteStyles property is used."]


def test_a_bookmark_that_took_the_previous_ones_destination_opens_at_its_heading_on_a_later_page() -> None:
    """`List of Figures` carries the destination of the last section's heading (an entry without an
    anchor of its own): it opens at its printed title on the next page, the section keeps its text."""
    section = _block(BlockKind.HEADING, (0.1, 0.84, 0.5, 0.86), "32.4 Installation on MacOSX")
    section_text = _block(BlockKind.TEXT, (0.1, 0.87, 0.5, 0.89), "Someone who has done it?")
    title = _block(BlockKind.TEXT, (0.1, 0.18, 0.3, 0.20), "List of Figures").model_copy(
        update={"page_index": 1}
    )
    entries = _block(BlockKind.INDEX, (0.1, 0.28, 0.9, 0.40), items=["2.1 Maxima-mode . . . 13"]).model_copy(
        update={"page_index": 1}
    )
    clauses = [
        _clause("32.4", "32.4 Installation on MacOSX", 0.842),
        _clause("lof", "List of Figures", 0.842),
    ]
    assert anchor_blocks([section, section_text, title, entries], clauses) == [0, 2]
    not_shared = [clauses[0], _clause("lof", "List of Figures", 0.86)]  # a destination of its own
    assert anchor_blocks([section, section_text, title, entries], not_shared) == [0, 1]


def test_an_index_whose_destination_lies_below_its_heading_and_preamble_takes_both_back() -> None:
    """memoir's `Index` points below its heading and preamble, at the block its first letter group also
    opens at: the heading and the preamble are the index's, not the bibliography's before it."""
    entry = _block(
        BlockKind.TEXT, (0.1, 0.10, 0.9, 0.15), "[Zan98] Timothy Van Zandt. Documentation for fancybox."
    )
    title = _block(BlockKind.HEADING, (0.7, 0.24, 0.8, 0.26), "Index")
    preamble = _block(
        BlockKind.TEXT, (0.1, 0.30, 0.8, 0.33), "The first page number is usually the primary one."
    )
    letter = _block(BlockKind.TEXT, (0.24, 0.35, 0.35, 0.36), "Analphabetics")
    entries = _block(BlockKind.TEXT, (0.1, 0.38, 0.45, 0.84), "\\!, 342, 343 \\#, 456, 462")
    clauses = [
        _clause("bibliography", "Bibliography", 0.05),
        _clause("index", "Index", 0.345, 0.147),
        _clause("index/analphabetics", "Analphabetics", 0.345, 0.24),
    ]
    segmentation = segment([entry, title, preamble, letter, entries], clauses)
    assert segmentation.bodies["bibliography"] == (entry,)
    assert segmentation.heading_of["index"] == (title,) and segmentation.bodies["index"] == (preamble,)
    assert segmentation.bodies["index/analphabetics"] == (entries,)
    assert "index" not in segmentation.mismatched


def _crossing_layer(lines: list[tuple[float, float, str]]):
    """A text layer whose region holds every line it crosses (top and bottom of each given), as PDFium's
    bounded text does."""

    def region_text(page: int, box: BBox) -> str:
        return "\n".join(text for top, bottom, text in lines if top < box[3] and box[1] < bottom)

    return region_text


SIGNATURES = [
    (0.431, 0.445, "\\MakeOuterQuote{⟨character⟩}"),
    (0.446, 0.460, "\\MakeInnerQuote{⟨character⟩}"),
]


def test_a_destination_just_below_a_blocks_top_is_cut_there_when_its_title_starts_the_next_line() -> None:
    """tl-csquotes: two signatures, one a line, in one paragraph; the second's destination lies 0.007 below
    the block's top, on the first line's glyphs, and the cut keeps the backslash with its command."""
    block = _block(BlockKind.TEXT, (0.07, 0.431, 0.32, 0.46), " ".join(text for _, _, text in SIGNATURES))
    clauses = [_clause("outer", "\\MakeOuterQuote", 0.4217), _clause("inner", "\\MakeInnerQuote", 0.4383)]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(SIGNATURES))
    assert cuts == 1
    assert [piece.text for piece in stream] == [text for _, _, text in SIGNATURES]
    segmentation = segment(stream, clauses)
    assert _bodies(segmentation, *("outer", "inner")) == [
        [SIGNATURES[0][2]],
        [SIGNATURES[1][2]],
    ]


def test_a_destination_on_a_blocks_first_line_cuts_nothing() -> None:
    """Just below the top, the destination marks the first line where the title starts there or after a
    label on it (`CHAPTER 4 Installing Maxima`), even if the title is printed again further down."""
    lines = [
        (0.200, 0.214, "CHAPTER 4 Installing Maxima"),
        (0.216, 0.230, "Installing Maxima takes a minute."),
    ]
    block = _block(BlockKind.TEXT, (0.1, 0.2, 0.8, 0.23), " ".join(text for _, _, text in lines))
    for title in ("Installing Maxima", "CHAPTER 4 Installing Maxima"):
        stream, cuts = cut_at_destinations([block], [_clause("4", title, 0.206)], _crossing_layer(lines))
        assert (cuts, stream) == (0, [block])


def test_a_destination_set_under_its_heading_cuts_the_paragraph_before_the_heading() -> None:
    """asmeconf: `\\section*{Nomenclature}` then `\\phantomsection`: the destination lies under the heading,
    which the tier ran into the abstract's paragraph, its math letters (`𝐴`) unlike the text layer's."""
    lines = [
        (0.357, 0.370, "ABSTRACT"),
        (0.372, 0.384, "This paper is an example."),
        (0.484, 0.496, "NOMENCLATURE"),
        (0.498, 0.510, "A Constant parameter [–]"),
    ]
    text = "ABSTRACT This paper is an example. NOMENCLATURE 𝐴 Constant parameter [–]"
    block = _block(BlockKind.TEXT, (0.056, 0.357, 0.48, 0.51), text)
    clauses = [_clause("abstract", "Abstract", 0.3708), _clause("nomenclature", "Nomenclature", 0.4972)]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(lines))
    assert cuts == 1
    assert [piece.text for piece in stream] == [
        "ABSTRACT This paper is an example.",
        "NOMENCLATURE 𝐴 Constant parameter [–]",
    ]


def test_a_line_above_a_destination_that_only_mentions_the_title_cuts_nothing() -> None:
    """The last line above must print the title alone: `see the examples below` is no heading `Examples`."""
    lines = [(0.20, 0.214, "as you will see in the examples"), (0.216, 0.23, "Code follows here.")]
    block = _block(
        BlockKind.TEXT, (0.1, 0.2, 0.8, 0.23), "as you will see in the examples Code follows here."
    )
    stream, cuts = cut_at_destinations([block], [_clause("ex", "Examples", 0.2155)], _crossing_layer(lines))
    assert (cuts, stream) == (0, [block])


def test_functions_bookmarked_with_their_arity_are_cut_where_their_signatures_begin() -> None:
    """erlang crypto p38: the tier typed three functions' entries as one code block; the bookmarks
    `generate_key/2` and `/3` name each function with its number of arguments, the page prints the
    signature (`generate_key(Type, Params) -> ...`)."""
    lines = [
        (0.12, "exor(Bin1 :: iodata(), Bin2 :: iodata()) -> binary()"),
        (0.15, "Performs bit-wise XOR (exclusive or) on the data supplied."),
        (0.18, "generate_key(Type, Params) -> {PublicKey, PrivKeyOut}"),
        (0.20, "generate_key(Type, Params, PrivKeyIn) -> {PublicKey, PrivKeyOut}"),
        (0.22, "Types:"),
    ]
    code = "\n".join(text for _, text in lines)
    block = _block(BlockKind.CODE, (0.1, 0.10, 0.88, 0.24), code, code=code)
    clauses = [
        _clause("exor-2", "exor/2", 0.115),
        _clause("generate-key-2", "generate_key/2", 0.175),
        _clause("generate-key-3", "generate_key/3", 0.195),
    ]
    stream, cuts = cut_at_destinations([block], clauses, _layer(lines))
    assert cuts == 2
    assert [piece.code.split("(")[0] for piece in stream] == ["exor", "generate_key", "generate_key"]
    assert [len(piece.code.splitlines()) for piece in stream] == [2, 1, 2]
    segmentation = segment(stream, clauses)
    assert [len(segmentation.bodies[c.id]) for c in clauses] == [1, 1, 1]


def test_printed_words_of_a_title_with_an_arity_are_its_name() -> None:
    assert printed_words("exor/2") == ("exor",)
    assert printed_words("lists:map/2") == ("lists", "map")
    assert printed_words("TCP/IP") == ("tcp", "ip")  # no arity
    assert printed_words("Message Authentication Codes 1/2") == (
        "message",
        "authentication",
        "codes",
        "1",
        "2",
    )


def test_c_functions_sharing_one_description_are_cut_at_each_signature_line() -> None:
    """erl_interface p16: four C signatures in one paragraph, a bookmark each (`ei_encode_atom_as()` ...):
    each piece starts at its line, the return type with it, and a name that begins a longer one
    (`ei_x_encode_atom_as`, `ei_x_encode_atom_len_as`) cuts at its own line."""
    lines = [
        (0.135, "int ei_encode_atom_as(char *buf, int *index, const char *p,"),
        (0.150, "erlang_char_encoding from_enc, erlang_char_encoding to_enc)"),
        (0.166, "int ei_encode_atom_len_as(char *buf, int *index, const char *p, int len,"),
        (0.181, "erlang_char_encoding from_enc, erlang_char_encoding to_enc)"),
        (0.198, "int ei_x_encode_atom_as(ei_x_buff* x, const char *p, erlang_char_encoding"),
        (0.213, "from_enc, erlang_char_encoding to_enc)"),
        (0.229, "int ei_x_encode_atom_len_as(ei_x_buff* x, const char *p, int len,"),
        (0.244, "erlang_char_encoding from_enc, erlang_char_encoding to_enc)"),
    ]
    block = _block(BlockKind.TEXT, (0.1, 0.13, 0.83, 0.26), " ".join(text for _, text in lines))
    names = ["ei_encode_atom_as", "ei_encode_atom_len_as", "ei_x_encode_atom_as", "ei_x_encode_atom_len_as"]
    clauses = [
        _clause(name, f"{name}()", top - 0.003) for name, (top, _) in zip(names, lines[::2], strict=True)
    ]
    stream, cuts = cut_at_destinations([block], clauses, _layer(lines))
    assert cuts == 3
    assert [piece.text.split("(")[0] for piece in stream] == [f"int {name}" for name in names]
    assert [piece.text.count("(") for piece in stream] == [1, 1, 1, 1]


def test_a_contents_column_beside_a_text_column_is_split_at_the_text_columns_edge() -> None:
    """revtex's aipguide p1: a two-column contents page where the tier ran the contents' last lines and the
    right column's first heading into one block. Its middle falls between the contents' titles and their
    page numbers (blank there too): the columns part just left of the heading's destination."""
    spans = [  # (x0, x1, y, text): contents titles, their page numbers, the right column's heading
        (0.12, 0.35, 0.54, "A. Using BibTeX"),
        (0.48, 0.49, 0.54, "4"),
        (0.12, 0.40, 0.56, "B. Multiple References per Citation"),
        (0.48, 0.49, 0.56, "4"),
        (0.518, 0.70, 0.555, "B. Software Requirements"),
    ]

    def region_text(page: int, box: BBox) -> str:
        return "\n".join(t for x0, x1, y, t in spans if x0 < box[2] and x1 > box[0] and box[1] <= y < box[3])

    text = "A. Using BibTeX 4 B. Multiple References per Citation 4 B. Software Requirements"
    block = _block(BlockKind.TEXT, (0.12, 0.537, 0.70, 0.568), text)
    stream, cuts = cut_at_destinations(
        [block], [_clause("b", "Software Requirements", 0.552, 0.518)], region_text
    )
    assert cuts == len(stream) - 1
    contents, *heading = stream  # the heading's column, cut again where the title starts
    assert contents.text == "A. Using BibTeX\n4\nB. Multiple References per Citation\n4"
    assert " ".join(piece.text for piece in heading) == "B. Software Requirements"
    assert all(piece.bbox[0] == 0.518 - 2 * BLANK_STRIP for piece in heading)


def test_a_heading_and_paragraphs_run_into_a_tables_caption_below_it_are_cut_out_as_text() -> None:
    """erl-crypto p13: the tier typed `Table 5.3: AEAD ciphers`, the next section's heading, its paragraph
    and a subsection as one caption below the table; the table keeps its caption's first line."""
    caption = (
        "Table 5.3: AEAD ciphers 1.5.2 Message Authentication Codes (MACs) To be used in mac/4. "
        "CMAC CMAC with the following ciphers is available."
    )
    table = _block(
        BlockKind.TABLE,
        (0.1, 0.10, 0.9, 0.37),
        html="<table><tr><td>aes_192_ccm</td></tr></table>",
        caption=[caption],
        caption_bbox=(0.1, 0.378, 0.9, 0.534),
    )
    layer = _layer(
        [
            (0.38, "Table 5.3: AEAD ciphers"),
            (0.42, "1.5.2 Message Authentication Codes (MACs)"),
            (0.44, "To be used in mac/4."),
            (0.47, "CMAC"),
            (0.49, "CMAC with the following ciphers is available."),
        ]
    )
    clauses = [
        _clause("1.5.2", "Message Authentication Codes (MACs)", 0.417, 0.1),
        _clause("cmac", "CMAC", 0.464, 0.1),
    ]
    stream, cuts = cut_at_destinations([table], clauses, layer)
    assert cuts == 2
    assert [piece.kind for piece in stream] == [BlockKind.TABLE, BlockKind.TEXT, BlockKind.TEXT]
    assert stream[0].caption == ["Table 5.3: AEAD ciphers"] and stream[0].html == table.html
    assert stream[0].caption_bbox == (0.1, 0.378, 0.9, 0.417)
    assert [piece.text for piece in stream[1:]] == [
        "1.5.2 Message Authentication Codes (MACs) To be used in mac/4.",
        "CMAC CMAC with the following ciphers is available.",
    ]
    segmentation = segment(stream, clauses)
    assert [len(segmentation.bodies[c]) for c in ("1.5.2", "cmac")] == [1, 1]


def test_a_caption_above_its_table_or_without_a_destination_inside_is_not_cut() -> None:
    box = (0.1, 0.378, 0.9, 0.534)
    below = _block(
        BlockKind.TABLE, (0.1, 0.10, 0.9, 0.37), html="<table/>", caption=["Table 1: X Y"], caption_bbox=box
    )
    above = below.model_copy(update={"bbox": (0.1, 0.54, 0.9, 0.8)})
    layer = _layer([(0.38, "Table 1:"), (0.42, "X Y")])
    assert cut_at_destinations([above], [_clause("x", "X Y", 0.417, 0.1)], layer) == ([above], 0)
    assert cut_at_destinations([below], [_clause("x", "X Y", 0.6, 0.1)], layer) == ([below], 0)


def test_a_destination_at_the_text_areas_edge_cuts_an_indented_block_it_points_into() -> None:
    """R's reference manual (Rd2pdf): the tier ran the last lines of a topic's examples, indented, into
    the next topic's heading; the destination's left edge is the text area's, left of the block."""
    block = _block(
        BlockKind.TEXT,
        (0.181, 0.157, 0.655, 0.254),
        'search() ## and again detach("package:splines") backsolve Solve an Upper or Lower Triangular System',
    )
    layer = _layer(
        [(0.16, 'search() ## and again detach("package:splines")'), (0.23, "backsolve Solve an Upper")]
    )
    clauses = [_clause("backsolve", "backsolve", 0.229, 0.164)]
    stream, cuts = cut_at_destinations([block], clauses, layer)
    assert cuts == 1
    assert [piece.text for piece in stream] == [
        'search() ## and again detach("package:splines")',
        "backsolve Solve an Upper or Lower Triangular System",
    ]
    far_left = [_clause("backsolve", "backsolve", 0.229, 0.05)]  # another column's destination
    assert cut_at_destinations([block], far_left, layer) == ([block], 0)
    # on a block's first line a destination left of it is not inside it (DocBook: a heading's destination
    # shifted a hair into it, left of its text)
    heading = _block(BlockKind.HEADING, (0.118, 0.094, 0.5, 0.13), "Tool chain Editing")
    first_line = _layer([(0.094, "Tool chain"), (0.106, "Editing")])
    assert cut_at_destinations([heading], [_clause("e", "Editing", 0.105, 0.106)], first_line) == (
        [heading],
        0,
    )


def test_a_block_whose_first_line_prints_the_title_is_not_cut_where_a_shorter_title_recurs() -> None:
    """deb-gnucash-guide-it p35: a page the tier typed as one table of layout text, its box a line higher
    than its first line; the text layer above the destination holds the tops of that line's letters (`Mii
    dti di GCh`), so the whole title was looked for on a later line, and its first words found the next
    section's heading (`Migrare i dati finanziari`)."""
    lines = [
        "Migrare i dati di GnuCash",
        "A volte si può avere la necessità di spostare i propri dati.",
        "Migrare i dati finanziari",
        "La migrazione dei dati di GnuCash si esaurisce con la copia dei file.",
    ]
    layer = _layer(
        [(0.09, "Mii dti di GCh"), (0.1, lines[0]), (0.12, lines[1]), (0.19, lines[2]), (0.21, lines[3])]
    )
    block = _block(BlockKind.TABLE, (0.118, 0.063, 0.883, 0.3), "\n".join(lines))
    clauses = [
        _clause("migrare", "Migrare i dati di GnuCash", 0.0964, 0.118),
        _clause("finanziari", "Migrare i dati finanziari", 0.187, 0.118),
    ]
    stream, cuts = cut_at_destinations([block], clauses, layer)
    assert cuts == 1
    assert [piece.text.splitlines()[0] for piece in stream] == [lines[0], lines[2]]
    assert [piece.bbox[1::2] for piece in stream] == [(0.063, 0.187), (0.187, 0.3)]
    bodies = segment(stream, clauses).bodies
    assert [bodies[clause.id][0].text.splitlines()[0] for clause in clauses] == [lines[0], lines[2]]


def test_a_destination_set_in_the_gutter_is_the_right_columns_not_the_left_ones() -> None:
    """unicode-math-code p136, an index in two columns: the right column's letters have destinations in
    the gutter, 0.02 left of their column and 0.004 left of where the left column's loose bboxes end; `G`'s,
    shifted by the document's offset, lies at its letter's foot. Each letter anchors in its own column."""
    stream = [
        _block(BlockKind.TEXT, (0.242, 0.153, 0.533, 0.628), "\\DeclareMathDelimiter . . . 131"),
        _block(BlockKind.TEXT, (0.382, 0.645, 0.393, 0.655), "E"),
        _block(BlockKind.TEXT, (0.242, 0.659, 0.533, 0.86), "\\E . . . 141 \\endinput . . . 3"),
        _block(BlockKind.TEXT, (0.548, 0.153, 0.839, 0.365), "\\equalscolon . . . 81"),
        _block(BlockKind.TEXT, (0.687, 0.379, 0.699, 0.389), "F"),
        _block(
            BlockKind.TEXT, (0.548, 0.393, 0.839, 0.82), "\\F . . . 142 \\fontspec_if_script:nF . . . 101"
        ),
        _block(BlockKind.TEXT, (0.686, 0.834, 0.7, 0.844), "G"),
        _block(BlockKind.TEXT, (0.548, 0.848, 0.838, 0.86), "\\g . . . 168"),
    ]
    clauses = [
        _clause("e", "E", 0.617, 0.232),
        _clause("f", "F", 0.334, 0.529),
        _clause("g", "G", 0.844, 0.529),
    ]
    assert anchor_blocks(stream, clauses) == [1, 4, 7]
    assert segment(stream, clauses).unmatched == ()


def test_a_destination_at_a_headings_right_end_or_right_of_an_outdented_heading_anchors_it() -> None:
    """No gutter without a column beside it: revtex's title has its destination at the title line's right
    end, no block starting there; microtype's code sets `2.5.2 T1` out into the margin, its destination at
    the text's edge, where the paragraphs start."""
    title = _block(BlockKind.HEADING, (0.088, 0.065, 0.616, 0.086), "Author's Guide to AIP Substyles")
    byline = _block(BlockKind.TEXT, (0.147, 0.088, 0.317, 0.101), "AIP Journal Program")
    assert anchor_blocks(
        [title, byline], [_clause("guide", "Author's Guide to AIP Substyles", 0.058, 0.616)]
    ) == [0]
    stream = [
        _block(BlockKind.TEXT, (0.213, 0.285, 0.383, 0.373), "5945 encoding = OT1"),
        _block(BlockKind.HEADING, (0.185, 0.396, 0.262, 0.406), "2.5.2 T1"),
        _block(BlockKind.TEXT, (0.242, 0.418, 0.838, 0.447), "Candidates here: 028 (fi), 029 (fl)"),
        _block(BlockKind.TEXT, (0.276, 0.484, 0.551, 0.505), "a = {\\`a,\\'a}"),
    ]
    assert anchor_blocks(stream, [_clause("t1", "T1", 0.39, 0.243)]) == [1]


def test_an_index_block_over_two_columns_is_split_at_a_destination_in_its_gutter() -> None:
    """unicode-math-code p143: the tier returned the page as one index block over both columns; the right
    column's entries hang a backslash into the gutter, so the only blank strip is around `V`'s
    destination, left of the block's middle: the block is split there, and `V` cut at its letter."""
    left_lines = [(0.18, "\\trprime . . . 253"), (0.5, "U"), (0.52, "\\UnicodeMath . . . 7")]
    right_lines = [(0.18, "\\Umathsupshiftdrop . . . 390"), (0.8, "V"), (0.82, "\\varnothing . . . 89")]

    def region_text(page: int, box: BBox) -> str:  # left column's text to 0.519, right column's from 0.534
        column = (left_lines if box[0] < 0.519 else []) + (right_lines if box[2] > 0.534 else [])
        return "\n".join(text for y, text in column if box[1] <= y < box[3])

    items = [text for _, text in left_lines + right_lines]
    block = _block(BlockKind.INDEX, (0.242, 0.153, 0.839, 0.86), "\n".join(items), items=items)
    clauses = [_clause("u", "U", 0.495, 0.232), _clause("v", "V", 0.795, 0.529)]
    stream, cuts = cut_at_destinations([block], clauses, region_text)
    assert cuts == 3
    assert [piece.items for piece in stream] == [
        ["\\trprime . . . 253"],
        ["U", "\\UnicodeMath . . . 7"],
        ["\\Umathsupshiftdrop . . . 390"],
        ["V", "\\varnothing . . . 89"],
    ]


VARIANTS = ["\\csvloop", "\\csvloop+", "\\csvloop!", "\\csvloop*", "\\csvloop*+", "\\csvloop*!"]


def _variant_lines() -> list[tuple[float, float, str]]:
    """etextools p26: a signature a line, the variants' words alike but for their marks; under each line the
    descenders of its brackets and letters, which PDFium's bounded text gives as a line of their own to a
    region that starts below the line, and to one that ends there."""
    lines = []
    for at, name in enumerate(VARIANTS):
        top = 0.226 + 0.021 * at
        lines.append((top, top + 0.018, f"{name}[⟨auxiliary commands⟩]{{⟨csvlist-macro or item,item,item⟩}}"))
        lines.append((top + 0.017, top + 0.023, "ph y i{h i}"))  # down to the next line's destination
    return lines


def test_signatures_alike_but_for_their_marks_are_cut_at_the_line_the_text_layer_prints_below_each() -> None:
    """Counting the words above a destination cannot tell the lines apart where the glyphs under a line
    count on both sides of it: each piece is cut where the block's text goes on with the one line the text
    layer prints the title on."""
    lines = _variant_lines()
    signatures = [text for _, _, text in lines[::2]]
    block = _block(BlockKind.TEXT, (0.104, 0.175, 0.95, 0.353), "All of them loop. " + " ".join(signatures))
    clauses = [
        _clause(f"v{at}", name, top - 0.0007)
        for at, (name, (top, _, _)) in enumerate(zip(VARIANTS, lines[::2], strict=True))
    ]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(lines))
    assert cuts == 6
    assert [piece.text for piece in stream] == ["All of them loop.", *signatures]


def test_pieces_cut_at_the_destinations_open_their_clauses_with_the_offset_calibrated_before_the_cut() -> (
    None
):
    """The pieces' tops are the shifted destinations: calibrated on them, the offset would move each
    destination up once more, above the piece of the bookmark before, whose line begins with the same words;
    `segment` takes the offset its caller calibrated before cutting."""
    lines = _variant_lines()
    tops = [top - 0.0007 for top, _, _ in lines[::2]]
    clauses = [
        _clause(f"v{at}", name, top) for at, (name, top) in enumerate(zip(VARIANTS, tops, strict=True))
    ]
    pieces = [
        _block(BlockKind.TEXT, (0.104, top, 0.95, bottom), text)
        for top, bottom, (_, _, text) in zip(tops, [*tops[1:], 0.353], lines[::2], strict=True)
    ]
    on_pieces = segment(
        pieces, clauses, offset=-0.0007 - ANCHOR_MARGIN
    )  # the pieces' distance, less the margin
    assert on_pieces.bodies["v0"] == ()  # each destination moved up into the piece before
    segmentation = segment(pieces, clauses, offset=0.0)
    assert [segmentation.bodies[f"v{at}"] for at in range(6)] == [(piece,) for piece in pieces]


def test_a_big_headings_capitals_above_its_destination_are_no_line_to_cut_it_at() -> None:
    """gnucash-guide-it p42: `Capitolo 3. Conti`, one line set large, its shifted destination 0.008 below the
    block's top; above it the text layer holds the tops of its capitals and digits (`C`, `il3Ci`), four
    tokens for a title of three. The block begins with the title: it is not cut (`Capitolo` | `3. Conti`)."""
    block = _block(BlockKind.HEADING, (0.118, 0.088, 0.441, 0.125), "Capitolo 3. Conti")

    def region_text(page: int, box: BBox) -> str:
        return "C\r\nil3Ci" if box[3] < 0.1 else "Capitolo 3. Conti"

    stream, cuts = cut_at_destinations([block], [_clause("3", "Capitolo 3. Conti", 0.0964)], region_text)
    assert (cuts, stream) == (0, [block])


MODES = [  # tl-docby p6: a paragraph documenting `enc` and `NOenc` where it first uses them
    (
        0.674,
        0.686,
        "Mód enc se zapne, je-li detekována přítomnost encTEXu. Pokud encTEX není dostupný, vypíše",
    ),
    (0.688, 0.700, "o tom DocBy.TEX varování a přejde do NOenc módu. V tomto módu nefunguje automatická"),
    (0.702, 0.714, "detekce slov, která jsou dokumentována, takže tato slova nemodrají."),
]


def test_a_destination_inside_a_line_cuts_the_paragraph_where_its_line_prints_the_title() -> None:
    """DocBy.TeX's `\\dg` sets a word's destination at the word's end, at the top of its line (whose first
    letters' tops it touches): `NOenc`, in the paragraph's second line, opens there (`enc`, on the first
    line, at its word: the next test)."""
    block = _block(BlockKind.TEXT, (0.12, 0.674, 0.88, 0.714), " ".join(text for _, _, text in MODES))
    clauses = [_clause("enc", "enc", 0.670, 0.2377), _clause("noenc", "NOenc", 0.6842, 0.4525)]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(MODES))
    assert cuts == 2
    assert stream[1].text.endswith("varování a přejde do")
    assert stream[2].text.startswith("NOenc módu. V tomto módu")
    segmentation = segment(stream, clauses)
    assert _bodies(segmentation, *("enc", "noenc")) == [
        [stream[1].text],
        [stream[2].text],
    ]


def test_a_destination_at_a_lines_start_or_whose_line_does_not_print_the_title_cuts_nothing() -> None:
    block = _block(BlockKind.TEXT, (0.12, 0.674, 0.88, 0.714), " ".join(text for _, _, text in MODES))
    for clause in (
        _clause("noenc", "NOenc", 0.6842, 0.13),  # at the text edge: the line starts there, no word inside it
        _clause("dvi", "DVI", 0.6842, 0.4525),  # its line does not print the title
    ):
        stream, cuts = cut_at_destinations([block], [clause], _crossing_layer(MODES))
        assert (cuts, stream) == (0, [block])


def test_two_words_documented_at_one_height_are_not_cut_apart() -> None:
    """Destinations at one height are cut apart only once `in_line_order` set them in their order (next
    test): otherwise both would anchor the first piece and leave the first clause unopened."""
    block = _block(BlockKind.TEXT, (0.12, 0.674, 0.88, 0.714), " ".join(text for _, _, text in MODES))
    clauses = [_clause("do", "do", 0.6842, 0.40), _clause("noenc", "NOenc", 0.6842, 0.4525)]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(MODES))
    assert (cuts, stream) == (0, [block])


def test_a_destination_just_above_a_blocks_first_line_cuts_it_where_the_line_prints_the_title() -> None:
    """DocBy.TeX's word documented on a paragraph's first line: its destination lies a hair above the
    block; the words before it stay before the destination, the word's clause opens with the word."""
    block = _block(BlockKind.TEXT, (0.12, 0.674, 0.88, 0.714), " ".join(text for _, _, text in MODES))
    clauses = [_clause("enc", "enc", 0.670, 0.2377)]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(MODES))
    assert cuts == 1
    assert [piece.text[:16] for piece in stream] == ["Mód", "enc se zapne, je"]
    assert stream[0].bbox[3] == 0.670 == stream[1].bbox[1]  # type: ignore[index]
    segmentation = segment(stream, clauses)
    assert [b.text for b in segmentation.front] == ["Mód"]
    assert segmentation.bodies["enc"] == (stream[1],)


def _text_blocks(*lines: tuple[str, BBox]) -> list[Block]:
    return [_block(BlockKind.TEXT, box, text) for text, box in lines]


def test_a_block_below_the_next_destination_anchors_that_clause_though_it_prints_this_title_too() -> None:
    """tl-Circuit_macros p58: `E` and `E__` share a destination at the row `E E__ gen the constant e`, the
    next row `e_ gen ...` prints `e`, exactly their title's words: it is `e_`'s, not theirs."""
    rows = _text_blocks(
        ("E E__", (0.11, 0.631, 0.17, 0.645)),
        ("gen the constant e", (0.11, 0.631, 0.85, 0.651)),
        ("e_", (0.11, 0.651, 0.17, 0.665)),
        ("gen .e relative to current direction", (0.11, 0.651, 0.85, 0.671)),
    )
    clauses = [
        _clause("e", "E", 0.6305, 0.149),
        _clause("e~2", "E__", 0.6305, 0.149),
        _clause("e~3", "e_", 0.6506, 0.149),
    ]
    assert anchor_blocks(rows, clauses) == [0, 0, 2]


def test_an_index_letter_printed_below_the_next_letters_destination_still_anchors_its_own() -> None:
    """tl-unicode-math-code p144: the index letters' destinations lie 0.055 above them, more than a letter
    group's height: `Y` prints below `Z`'s destination, and is still `Y`'s (their titles differ)."""
    letters = _text_blocks(
        ("X", (0.686, 0.153, 0.699, 0.162)),
        ("\\XeTeXradical . . . 23", (0.548, 0.167, 0.838, 0.177)),
        ("Y", (0.686, 0.193, 0.7, 0.203)),
        ("\\yen . . . 86", (0.548, 0.207, 0.838, 0.219)),
        ("Z", (0.687, 0.234, 0.699, 0.243)),
    )
    clauses = [_clause(t.lower(), t, top, 0.529) for t, top in (("X", 0.0932), ("Y", 0.1362), ("Z", 0.1792))]
    assert anchor_blocks(letters, clauses) == [0, 2, 4]


def test_a_word_that_starts_a_line_opens_its_clause_though_the_line_above_crosses_its_destination() -> None:
    """tl-docby-e p7: `\\dotoc` starts its line, its destination at the word's end, a word's width in, at the
    line's top, which the long line above crosses: that whole line comes first below the destination."""
    lines = [
        (
            0.296,
            0.312,
            "use any external program (DocBy.TEX itself does the alphabetical sorting). Just write",
        ),
        (0.311, 0.325, "\\dotoc on the desired place in your document."),
    ]
    block = _block(BlockKind.TEXT, (0.12, 0.296, 0.88, 0.325), " ".join(text for _, _, text in lines))
    stream, cuts = cut_at_destinations(
        [block], [_clause("dotoc", "\\dotoc", 0.3105, 0.1737)], _crossing_layer(lines)
    )
    assert cuts == 1
    assert [piece.text for piece in stream] == [lines[0][2], lines[1][2]]


def test_words_documented_on_one_line_open_in_their_order_each_at_its_word() -> None:
    """tl-apnum p48: `\\apEPplus` and `\\apEPminus` are documented on one line, their destinations at one
    height; set left to right a hair apart, each cuts the line at its word and opens there."""
    block = _block(BlockKind.TEXT, (0.12, 0.674, 0.88, 0.714), " ".join(text for _, _, text in MODES))
    clauses = in_line_order(
        [_clause("var", "varování", 0.6842, 0.30), _clause("noenc", "NOenc", 0.6842, 0.4525)]
    )
    assert [clause.top for clause in clauses] == [0.6842, 0.6842 + LINE_ORDER]
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(MODES))
    assert cuts == 2
    segmentation = segment(stream, clauses)
    assert [b.text for b in segmentation.bodies["var"]] == ["varování a přejde do"]
    assert [b.text[:10] for b in segmentation.bodies["noenc"]] == ["NOenc módu"]


COLORS = [  # tl-docby-e p16: the line above crosses `\Black`'s destination, set at its word's start
    (0.1973, 0.2087, "The design is projected only with the following colors: \\Blue, \\Red, \\Yellow a"),
    (0.2115, 0.2230, "\\Black. If you need other colors you can define more similar macros."),
]


def test_a_title_opening_the_line_after_the_one_crossing_its_destination_cuts_there() -> None:
    """The region below `\\Black`'s destination begins with the whole line above (its descenders cross
    it), more words than a heading's label: the title is looked for where the next line opens too."""
    block = _block(BlockKind.TEXT, (0.12, 0.197, 0.881, 0.223), " ".join(text for _, _, text in COLORS))
    stream, cuts = cut_at_destinations(
        [block], [_clause("black", "\\Black", 0.2056, 0.121)], _crossing_layer(COLORS)
    )
    assert cuts == 1
    assert [piece.text for piece in stream] == [COLORS[0][2], COLORS[1][2]]


def test_a_line_crossing_a_destination_is_known_by_its_letters_where_the_region_takes_only_some() -> None:
    """tl-docby p11: the region below `\\numref`'s destination holds only the letters of the line above that
    reach into it (`a\\pge[hlejblíki] epaduje`), no words the region above ends with; still that line's.
    (Its destination set at the word's start, at the text's edge, as DocBy.TeX's English edition does.)"""
    first = "Příkaz \\pgref[hlejblíki] expanduje na číslo strany, na které se vyskytuje cíl odkazu. Příkaz"
    second = "\\numref[hlejblíki] expanduje v závislosti na typu cíle na:"

    def region_text(page: int, box: BBox) -> str:
        if box[1] >= 0.70:  # below the destination: the first line's descending letters, then the second
            return "a\\pge[hlejblíki] epaduje a čso stay, a teé se vysytuje codaua\r\n" + second
        return first

    block = _block(BlockKind.TEXT, (0.12, 0.693, 0.879, 0.721), f"{first} {second}")
    stream, cuts = cut_at_destinations([block], [_clause("numref", "\\numref", 0.7026, 0.121)], region_text)
    assert cuts == 1
    assert [piece.text for piece in stream] == [first, second]


def test_a_line_crossing_a_destination_is_known_though_the_region_above_joins_two_of_its_words() -> None:
    """tl-docby-e p34: the region above `\\thepart`'s destination leaves out the full stop of `letters. It`
    (it lies below the region's edge): `lettersIt` is still the line the region below begins with."""
    first = "The \\part macro uses the conversion of the \\partnum register to letters. It is implemented as"

    def region_text(page: int, box: BBox) -> str:
        if box[1] >= 0.40:
            return f"{first}\r\n\\thepart macro."
        return first.replace("letters. It", "lettersIt")

    block = _block(BlockKind.TEXT, (0.12, 0.3864, 0.88, 0.42), f"{first} \\thepart macro.")
    stream, cuts = cut_at_destinations([block], [_clause("thepart", "\\thepart", 0.4023, 0.121)], region_text)
    assert cuts == 1
    assert [piece.text for piece in stream] == [first, "\\thepart macro."]


def test_a_title_inside_its_line_cuts_at_its_word_not_where_the_line_begins() -> None:
    """A destination without a left edge above a line that prints the title after more words than a
    heading's label: the piece before keeps those words (they open the line, they are no return type)."""
    lines = [
        (0.30, 0.312, "alpha beta gamma delta."),
        (0.32, 0.332, "one two three four five \\Foo bar baz qux"),
    ]
    block = _block(BlockKind.TEXT, (0.12, 0.30, 0.88, 0.332), " ".join(text for _, _, text in lines))
    stream, cuts = cut_at_destinations([block], [_clause("foo", "\\Foo", 0.316)], _crossing_layer(lines))
    assert cuts == 1
    assert [piece.text for piece in stream] == [
        "alpha beta gamma delta. one two three four five",
        "\\Foo bar baz qux",
    ]


PARTS = [(0.4866, 0.499, "The \\part macro is implemented by \\iipart and it is similar to \\iisec.")]


def test_two_words_documented_on_a_paragraphs_first_line_each_open_at_their_word() -> None:
    """tl-docby-e p34: `\\part` and `\\iipart` on a paragraph's first line, set a hair apart by
    `in_line_order`: the second destination lies just below the top of the piece the first cut gave."""
    block = _block(BlockKind.TEXT, (0.17, 0.485, 0.711, 0.499), PARTS[0][2])
    clauses = in_line_order(
        [_clause("part", "\\part", 0.4806, 0.2056), _clause("iipart", "\\iipart", 0.4806, 0.4444)]
    )
    stream, cuts = cut_at_destinations([block], clauses, _crossing_layer(PARTS))
    assert cuts == 2
    assert [piece.text for piece in stream] == ["The", "\\part macro is implemented by", stream[2].text]
    assert stream[2].text.startswith("\\iipart and it is")
    segmentation = segment(stream, clauses)
    assert _bodies(segmentation, *("part", "iipart")) == [
        [stream[1].text],
        [stream[2].text],
    ]


def test_a_word_documented_on_a_first_line_is_cut_at_the_outlines_destination_and_anchored_shifted() -> None:
    """tl-apnum p14: the document's offset (learnt from its headings, -0.0245) moves `\\apPLUS`' destination
    a line above the paragraph that documents it; the outline's own, a hair above the paragraph, cuts it,
    and the pieces part at the shifted one the segmenter anchors the clause with."""
    line = "The \\apPLUS and \\apMINUS macros prepare parameters using \\apPPab and execute \\apPLUSa:"
    block = _block(BlockKind.TEXT, (0.17, 0.361, 0.864, 0.374), line)
    unshifted = in_line_order(
        [_clause("plus", "\\apPLUS", 0.3564, 0.2056), _clause("minus", "\\apMINUS", 0.3564, 0.3052)]
    )
    shifted = [clause.model_copy(update={"top": clause.top - 0.0245}) for clause in unshifted]  # type: ignore[operator]
    stream, cuts = cut_at_destinations([block], shifted, _crossing_layer([(0.3624, 0.374, line)]), unshifted)
    assert cuts == 2
    assert [piece.text for piece in stream] == ["The", "\\apPLUS and", stream[2].text]
    assert stream[2].text.startswith("\\apMINUS macros prepare")
    assert stream[1].bbox[1] == shifted[0].top  # type: ignore[index]
    segmentation = segment(stream, shifted, offset=0.0)
    assert _bodies(segmentation, *("plus", "minus")) == [
        [stream[1].text],
        [stream[2].text],
    ]


def test_a_destination_over_a_headings_title_right_of_its_number_does_not_cut_the_number_off() -> None:
    """tl-xcolor p39: `4.1 Base colors`, its destination over `Base`, a hair above the heading's line: the
    words before the title are its number, not running text that documents a word."""
    line = "4.1 Base colors"
    block = _block(BlockKind.HEADING, (0.12, 0.30, 0.40, 0.318), line)
    stream, cuts = cut_at_destinations(
        [block], [_clause("4.1", "Base colors", 0.297, 0.175)], _crossing_layer([(0.30, 0.318, line)])
    )
    assert (cuts, stream) == (0, [block])


def test_a_crossing_line_read_in_pieces_is_known_though_a_word_of_it_recurs_by_chance() -> None:
    """tl-docby p22: the region below `\\printvline`'s destination takes the letters of the line above in two
    pieces (`Makro \\begtt`, then `aosupu a avoá ...`); that line ends with `makro` and the piece begins with
    it, a one-word overlap by chance: the crossing line's words are all of its pieces'."""
    first = "Makro \\begtt založí skupinu a zavolá \\printvabove. Dále pro každý tištěný řádek volá makro"
    second = "\\printvline {hčísloi}{htext řádkui} a nakonec zavolá \\printvbelow."

    def region_text(page: int, box: BBox) -> str:
        if box[1] >= 0.27:
            return f"Makro \\begtt \r\naosupu a avoá \\ptvabove áe po adý tštěý ádevoá ao\r\n{second}"
        return f"4.8 \r\n{first}"

    block = _block(BlockKind.TEXT, (0.12, 0.2571, 0.88, 0.318), f"{first} {second}")
    stream, cuts = cut_at_destinations([block], [_clause("line", "\\printvline", 0.2713, 0.121)], region_text)
    assert cuts == 1
    assert [piece.text for piece in stream] == [first, second]

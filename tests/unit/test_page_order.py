"""Two-column pages the parser read row by row are read column by column, and a page whose heading it
read late top down, only where the outline's destinations prove the reading order wrong."""

from __future__ import annotations

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.page_order import column_ordered
from platform_assets.domain.tree.segment import segment


def _block(text: str, box: BBox) -> Block:
    return Block(seq=0, page_index=0, kind=BlockKind.TEXT, source_type="text", text=text, bbox=box)


def _letter(letter: str, top: float) -> Clause:
    return Clause(id=letter.lower(), title=letter, level=1, page_index=0, numbered=False, top=top, left=0.29)


LEFT, RIGHT = (0.24, 0.53), (0.55, 0.84)
ROW_BY_ROW = [  # how MinerU read an index page: across the columns, row by row
    _block("General Index", (0.24, 0.18, 0.84, 0.20)),
    _block("A", (0.40, 0.265, 0.42, 0.272)),
    _block("I", (0.71, 0.265, 0.72, 0.272)),
    _block("aspect ratio . . . 30", (LEFT[0], 0.278, LEFT[1], 0.30)),
    _block("image . . . 12", (RIGHT[0], 0.278, RIGHT[1], 0.30)),
    _block("C", (0.40, 0.316, 0.42, 0.323)),
    _block("K", (0.71, 0.316, 0.72, 0.323)),
    _block("caption . . . 48", (LEFT[0], 0.33, LEFT[1], 0.35)),
    _block("keys . . . 14", (RIGHT[0], 0.33, RIGHT[1], 0.35)),
]
CLAUSES = [_letter("A", 0.26), _letter("C", 0.31), _letter("I", 0.26), _letter("K", 0.31)]


def test_a_page_read_across_its_columns_is_read_column_by_column() -> None:
    stream, pages = column_ordered(ROW_BY_ROW, CLAUSES)
    assert pages == 1
    assert [block.text.split()[0] for block in stream] == [
        "General", "A", "aspect", "C", "caption", "I", "image", "K", "keys",
    ]  # fmt: skip
    segmentation = segment(stream, CLAUSES)
    assert segmentation.unmatched == ()
    assert [[b.text.split()[0] for b in segmentation.bodies[c]] for c in "acik"] == [
        ["aspect"], ["caption"], ["image"], ["keys"],
    ]  # fmt: skip


def test_pages_the_outline_does_not_contradict_keep_their_order() -> None:
    in_order = [CLAUSES[0], CLAUSES[2]]  # `A` then `I`: the row-by-row order agrees
    stream, pages = column_ordered(ROW_BY_ROW, in_order)
    assert (pages, stream) == (0, ROW_BY_ROW)


def test_a_single_column_page_read_top_down_keeps_its_order() -> None:
    single = [_block(f"line {n}", (0.24, 0.1 + n / 20, 0.84, 0.14 + n / 20)) for n in range(4)]
    clauses = [_letter("X", 0.3), _letter("Y", 0.1)]  # destinations out of order, but one column
    stream, pages = column_ordered(single, clauses)
    assert (pages, stream) == (0, single)


def test_a_heading_below_both_columns_read_before_the_right_column_moves_after_it() -> None:
    """MinerU read the left column, the next section's heading under both columns, then the right
    column; a blank strip across the page ends the columns' band."""
    page = [
        _block("\\RaggedRight . . . 60", (LEFT[0], 0.125, LEFT[1], 0.41)),
        _block("S", (0.42, 0.42, 0.43, 0.43)),
        _block("\\sloppy . . . 49", (LEFT[0], 0.432, LEFT[1], 0.442)),
        _block("Change History", (0.29, 0.485, 0.48, 0.50)),
        _block("T", (0.71, 0.167, 0.72, 0.177)),
        _block("\\thr@@ . . . 145", (RIGHT[0], 0.18, RIGHT[1], 0.25)),
        _block("Z", (0.71, 0.35, 0.72, 0.36)),
        _block("\\z@ . . . 7", (RIGHT[0], 0.366, RIGHT[1], 0.442)),
        _block("v1.00 General: New", (0.29, 0.515, 0.85, 0.55)),
    ]
    clauses = [_letter("S", 0.416), _letter("T", 0.164), _letter("Z", 0.349)]
    clauses.append(Clause(id="history", title="Change History", level=1, page_index=0, top=0.48, left=0.29))
    stream, pages = column_ordered(page, clauses)
    assert pages == 1
    assert [block.text.split()[0] for block in stream] == [
        "\\RaggedRight", "S", "\\sloppy", "T", "\\thr@@", "Z", "\\z@", "Change", "v1.00",
    ]  # fmt: skip


def test_a_three_column_page_read_across_is_read_column_by_column() -> None:
    """An index in three columns, read row by row: `C` (third column) came before `B` (second)."""
    columns = [(0.24, 0.43), (0.445, 0.635), (0.65, 0.84)]

    def entry(text: str, column: int, top: float) -> Block:
        return _block(text, (columns[column][0], top, columns[column][1], top + 0.02))

    page = [
        _block("Index", (0.24, 0.10, 0.84, 0.12)),
        entry("\\alpha . . . 3", 0, 0.15),
        entry("\\and . . . 4", 1, 0.15),
        _block("C", (0.73, 0.15, 0.74, 0.16)),
        entry("\\beta . . . 5", 0, 0.18),
        entry("\\begin . . . 6", 1, 0.18),
        entry("\\centering . . . 7", 2, 0.18),
        _block("B", (0.53, 0.21, 0.54, 0.22)),
        entry("\\chi . . . 8", 2, 0.21),
        entry("\\bibnote . . . 9", 1, 0.24),
    ]
    clauses = [
        Clause(id=c.lower(), title=c, level=1, page_index=0, numbered=False, top=top, left=left)
        for c, top, left in (("A", 0.14, 0.24), ("B", 0.205, 0.445), ("C", 0.145, 0.65))
    ]
    stream, pages = column_ordered(page, clauses)
    assert pages == 1
    assert [block.text.split()[0] for block in stream] == [
        "Index", "\\alpha", "\\beta", "\\and", "\\begin", "B", "\\bibnote", "C", "\\centering", "\\chi",
    ]  # fmt: skip
    assert segment(stream, clauses).unmatched == ()


def test_a_line_end_merged_with_the_next_columns_line_stays_in_that_column() -> None:
    """tl-ltnews p82: the tier merged a contents line's page number (left column) with a code line of the
    right column; read as a block over both columns it would close the band, and the left column's
    `Introduction` below it would come after the right column's next section."""
    page = [
        _block("Contents", (0.07, 0.21, 0.14, 0.22)),
        _block("Introduction 82", _left(0.245)),
        _block("Bug fixes 84", _left(0.59)),
        _block("argument does in fact contain", _right(0.21)),
        _block("Auto-detecting key/value arguments", _right(0.33)),
        _block("To allow extension of the core syntax", _right(0.35)),
        _block("84 \\caption[{Use of = signs}]", (0.453, 0.737, 0.727, 0.749)),
        _block("Introduction", (0.07, 0.787, 0.17, 0.80)),
        _block("The 2022-11 release of LaTeX", _left(0.81)),
        _block("However, because = signs", _right(0.774)),
    ]
    clauses = [
        Clause(id="1", title="Introduction", level=1, page_index=0, numbered=False, top=0.78, left=0.07),
        Clause(id="2", title="Auto-detecting", level=1, page_index=0, numbered=False, top=0.323, left=0.5),
    ]
    stream, pages = column_ordered(page, clauses)
    assert pages == 1
    texts = [block.text for block in stream]
    assert texts.index("Introduction") < texts.index("Auto-detecting key/value arguments")  # fmt: skip
    assert segment(stream, clauses).unmatched == ()


def _left(top: float) -> BBox:
    return (0.07, top, 0.47, top + 0.02)


def _right(top: float) -> BBox:
    return (0.50, top, 0.90, top + 0.02)


def test_a_centred_chapter_heading_read_after_the_first_section_is_read_top_down() -> None:
    """bjfuthesis page 4: the tier read `1.1 研究背景` (at the text's left edge) before the chapter heading
    `1 绪论` centred above it; the destinations are at the left edge."""
    late = [
        _block("1.1 研究背景", (0.143, 0.175, 0.278, 0.193)),
        _block("1 绪论", (0.472, 0.117, 0.552, 0.138)),
        _block("国内诸多高校都在 GitHub 上提供了其高校的论文模板", (0.143, 0.205, 0.881, 0.249)),
    ]
    clauses = [
        Clause(id="1", title="绪论", level=0, page_index=0, numbered=False, top=0.104, left=0.143),
        Clause(id="1.1", title="研究背景", level=1, page_index=0, numbered=False, top=0.178, left=0.143),
    ]
    stream, pages = column_ordered(late, clauses)
    assert (pages, [block.text.split()[0] for block in stream]) == (1, ["1", "1.1", "国内诸多高校都在"])
    segmentation = segment(stream, clauses)
    assert segmentation.unmatched == ()
    assert [[b.text for b in segmentation.bodies[c]] for c in ("1", "1.1")] == [[], [late[2].text]]


def test_columns_merged_line_by_line_are_read_where_the_destinations_start_them() -> None:
    """An index in three columns whose first two the tier merged line by line: no blank gutter between
    them, but `N`'s destination starts the second column (tl-achemso p65: `L` and `M` never opened)."""
    columns = [(0.24, 0.43), (0.445, 0.635), (0.65, 0.84)]

    def entry(text: str, column: int, top: float) -> Block:
        return _block(text, (columns[column][0], top, columns[column][1], top + 0.015))

    page = [
        _block("K", (0.33, 0.15, 0.34, 0.16)),
        _block("N", (0.53, 0.15, 0.55, 0.16)),
        entry("\\keywords . . . 546", 0, 0.17),
        entry("\\nabla . . . 836", 1, 0.17),
        _block("L", (0.33, 0.19, 0.34, 0.20)),
        _block("\\LARGE . . . 590 \\newcommand 5, 22", (0.24, 0.21, 0.61, 0.225)),
        _block("\\large . . . 588 \\newcount 337", (0.24, 0.23, 0.61, 0.245)),
        _block("\\lastskip . . . 1479 \\newenvironment 10", (0.24, 0.25, 0.61, 0.265)),
        _block("M", (0.33, 0.28, 0.34, 0.29)),
        entry("\\maketitle . . . 1026", 0, 0.30),
        entry("\\newif . . . 41,", 2, 0.15),
        _block("42, 43", (0.70, 0.17, 0.74, 0.18)),
        _block("1467", (0.75, 0.168, 0.79, 0.18)),  # level with `42, 43`, a hair higher
        entry("\\newlength . . . 575", 2, 0.19),
    ]
    clauses = [
        Clause(id=c.lower(), title=c, level=1, page_index=0, numbered=False, top=top, left=left)
        for c, top, left in (
            ("K", 0.148, 0.238),
            ("L", 0.189, 0.238),
            ("M", 0.278, 0.238),
            ("N", 0.148, 0.442),
        )
    ]
    stream, pages = column_ordered(page, clauses)
    assert pages == 1
    assert [block.text.split()[0] for block in stream] == [
        "K", "\\keywords", "L", "\\LARGE", "\\large", "\\lastskip", "M", "\\maketitle",
        "N", "\\nabla", "\\newif", "42,", "1467", "\\newlength",
    ]  # fmt: skip
    assert segment(stream, clauses).unmatched == ()


def test_columns_in_part_of_a_page_are_read_band_by_band_at_their_own_gutters() -> None:
    """tl-multicol p35: the index in four columns, then the change history's heading and its two
    columns; the tier read the heading after the index's first column. The history's columns cover the
    index's outer gutters, so only the band above has them (the page's one gutter runs between the
    index's second and third columns, and its reading at the middle mixes the first two)."""
    columns = [(0.12, 0.30), (0.32, 0.50), (0.53, 0.70), (0.73, 0.90)]
    page = [
        _block("Index", (0.12, 0.087, 0.19, 0.10)),
        _block("Numbers written in italic", (0.12, 0.116, 0.9, 0.143)),
    ]
    letters = []
    for column, (letter, second) in enumerate(("BC", "FG", "MN", "RS")):
        x0, x1 = columns[column]
        for row, name in enumerate((letter, second)):
            top = 0.16 + 0.2 * row
            page.append(_block(name, (x0 + 0.08, top, x0 + 0.09, top + 0.01)))
            page.append(_block(f"\\{name.lower()}entry . . . {row + 3}", (x0, top + 0.015, x1, top + 0.19)))
            letters.append(
                Clause(id=name.lower(), title=name, level=1, page_index=0, top=top - 0.005, left=x0)
            )
        if column == 0:
            page.append(_block("Change History", (0.12, 0.595, 0.31, 0.613)))
    for x0, x1 in ((0.12, 0.45), (0.58, 0.9)):  # the history's entries, more than cross a gutter by chance
        page += [
            _block(f"v1.{row} General: a change", (x0, 0.64 + row / 25, x1, 0.67 + row / 25))
            for row in range(6)
        ]
    history = Clause(id="history", title="Change History", level=0, page_index=0, top=0.59, left=0.12)
    stream, pages = column_ordered(page, [*letters, history])
    assert pages == 1
    names = [block.text.split()[0] for block in stream]
    assert names[: names.index("Change")] == [
        "Index", "Numbers", "B", "\\bentry", "C", "\\centry", "F", "\\fentry", "G", "\\gentry",
        "M", "\\mentry", "N", "\\nentry", "R", "\\rentry", "S", "\\sentry",
    ]  # fmt: skip
    assert segment(stream, [*letters, history]).unmatched == ()

"""A macro reference set as rows of columns, a bookmark per name -> one block per row from the text layer,
and only where the tier's blocks run across the rows (a hand-made page laid out as tl-Circuit_macros p64)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.pdf.pdf_facts import open_pdf
from platform_assets.domain.pdf.pdf_text import keys
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.glossary_rows import _prints, glossary_rows
from platform_assets.domain.tree.segment import anchor_blocks
from platform_assets.domain.tree.text_order import TextOrder

WIDTH, HEIGHT = 400.0, 600.0
NAME_X, KIND_X, TEXT_X = 40.0, 200.0, 230.0
ROWS = [  # name, kind, description lines (a long name pushes its kind and text a line down)
    ("Mux_ht", "cct", ["height of the mux"]),
    ("Mux_wid", "cct", ["width of the mux"]),
    ("Mux(n,label)", "log", ["binary multiplexer with", "numbered inputs"]),
    ("mm__", "gen", ["absolute millimetres"]),
    ("setrgb(red value, green value, blue value)", "gen", ["", "sets the colour"]),
    ("neg_", "gen", ["unary negation"]),
]
FIRST, SPACING = 500.0, 28.0
"""The first row's baseline, user space, and the distance between rows."""


def _y(baseline: float) -> float:
    return 1 - baseline / HEIGHT


def _page(path: Path, spacing: float = SPACING, columns: bool = True) -> tuple[Path, list[Clause]]:
    """The reference page; without `columns`, each row is set as running text (a change history)."""
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 9)
    drawing.drawString(NAME_X, 540, "19 List of macros")
    for number, (name, kind, lines) in enumerate(ROWS):
        baseline = FIRST - number * spacing
        if not columns:
            drawing.drawString(NAME_X, baseline, f"{name} {kind} {lines[0]}")
            drawing.drawString(NAME_X, baseline - 12, lines[-1] if lines[-1] != lines[0] else "")
            continue
        drawing.drawString(NAME_X, baseline, name)
        below = 12 if not lines[0] else 0  # the name runs over the kind's column: kind and text go below
        drawing.drawString(KIND_X, baseline - below, kind)
        for line_number, line in enumerate(lines):
            if line:
                drawing.drawString(TEXT_X, baseline - 12 * line_number, line)
    drawing.save()
    clauses = [  # destinations a hair above each name's letters, as the segmenter has them (shifted)
        Clause(
            id=f"19/{number}",
            title=name.split("(")[0],
            level=1,
            page_index=0,
            top=_y(FIRST - number * spacing + 9),
            left=NAME_X / WIDTH,
        )
        for number, (name, _, _) in enumerate(ROWS)
    ]
    return path, clauses


def _block(text: str, box: tuple[float, float, float, float], kind: BlockKind = BlockKind.TEXT) -> Block:
    """A block of the tier, `box` in user space: x0, top baseline, x1, bottom baseline."""
    x0, top, x1, bottom = box
    bbox: BBox = (x0 / WIDTH, _y(top + 9), x1 / WIDTH, _y(bottom - 2))
    return Block(seq=0, page_index=0, kind=kind, source_type=kind.value, text=text, bbox=bbox)


def _rows(pdf: Path, stream: list[Block], clauses: list[Clause]):
    document = open_pdf(pdf, None)
    try:
        return glossary_rows(stream, clauses, TextOrder(document))
    finally:
        document.close()


def _merged_cells(spacing: float = SPACING) -> list[Block]:
    """How MinerU reads such a page: the heading, names of two rows in one block, then one block over the
    rest of the rows whose text it reorders, a figure beside them."""
    last = FIRST - (len(ROWS) - 1) * spacing
    return [
        _block("19 List of macros", (NAME_X, 540, 150, 540), BlockKind.HEADING),
        _block("Mux_ht Mux_wid", (NAME_X, FIRST, 90, FIRST - spacing)),
        _block(
            "cct height of the mux cct width of the mux Mux(n,label) log binary multiplexer with numbered "
            "inputs mm__ gen absolute millimetres setrgb(red value, green value, blue value) gen sets the "
            "colour neg_ gen unary negation",
            (KIND_X, FIRST, 390, last),
        ),
        _block("", (300, last - 20, 380, last - 60), BlockKind.IMAGE),
    ]


def test_rows_of_a_reference_the_tier_read_as_merged_cells_come_from_the_text_layer(tmp_path):
    pdf, clauses = _page(tmp_path / "macros.pdf")
    stream = _merged_cells()
    out, rows = _rows(pdf, stream, clauses)
    assert rows.replaced == 2
    assert out[0] is stream[0] and out[-1] is stream[-1]  # the heading above, the figure: as they were
    assert [block.text for block in out[1:-1]] == [
        "Mux_ht",
        "cct height of the mux",
        "Mux_wid",
        "cct width of the mux",
        "Mux(n,label)",
        "log binary multiplexer with numbered inputs",
        "mm__",
        "gen absolute millimetres",
        "setrgb(red value, green value, blue value)",  # no gap on its line: the line is the name
        "gen sets the colour",
        "neg_",
        "gen unary negation",
    ]
    assert list(out[1:-1]) == list(rows.rows)
    assert all(block.from_text_layer and block.kind is BlockKind.TEXT for block in rows.rows)
    names = rows.rows[::2]
    for name, clause in zip(names, clauses, strict=True):  # each destination anchors its own row's name
        assert name.bbox[1] <= clause.top < name.bbox[3]  # type: ignore[index]
    assert anchor_blocks(list(rows.rows), clauses) == [0, 2, 4, 6, 8, 10]
    words = sorted(word for block in stream[1:3] for word in keys(block.text))  # the replaced ones
    assert sorted(word for block in rows.rows for word in keys(block.text)) == words


def test_a_page_whose_blocks_already_follow_the_rows_is_left_as_the_tier_read_it(tmp_path):
    pdf, clauses = _page(tmp_path / "macros.pdf")
    stream = [
        _block(
            f"{name} {kind} {' '.join(lines).strip()}",
            (NAME_X, FIRST - number * SPACING, 390, FIRST - number * SPACING - 12),
        )
        for number, (name, kind, lines) in enumerate(ROWS)
    ]
    out, rows = _rows(pdf, stream, clauses)
    assert (out, rows.replaced, rows.rows) == (stream, 0, ())


@pytest.mark.parametrize(
    "change",
    ["words the text layer lacks", "too few names", "titles not printed", "paragraphs apart", "no columns"],
)
def test_no_rows_where_words_would_be_lost_or_the_page_is_no_such_reference(tmp_path, change):
    spacing = 70.0 if change == "paragraphs apart" else SPACING  # sections, not rows
    pdf, clauses = _page(tmp_path / "macros.pdf", spacing, columns=change != "no columns")
    stream = _merged_cells(spacing)
    if change == "words the text layer lacks":  # the tier's own text of the merged block is not the PDF's
        stream[2] = stream[2].model_copy(update={"text": stream[2].text + " and many more words" * 3})
    elif change == "too few names":
        clauses = clauses[:3]
    else:  # bookmarks whose titles the lines at their destinations do not print
        clauses = [clause.model_copy(update={"title": f"Version {n}"}) for n, clause in enumerate(clauses)]
    out, rows = _rows(pdf, stream, clauses)
    assert (out, rows.replaced) == (stream, 0)


@pytest.mark.parametrize(
    ("line", "title", "prints"),
    [
        ("O opamp(linespec,label)", ("opamp",), True),  # tl-Circuit_macros p65: `O` in the margin
        ("opamp(linespec,label)", ("opamp",), True),
        ("On opamp(linespec,label)", ("opamp",), False),  # a word before it, not a letter
        ("O", ("o",), True),  # the letter group's own bookmark
        ("O", ("opamp",), False),
    ],
)
def test_a_rows_line_prints_its_title_maybe_after_its_groups_letter(line, title, prints):
    assert _prints(line, list(range(len(line))), title) is prints

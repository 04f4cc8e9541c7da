"""Bookmarks without a position: the line of the text layer that prints their title gives them one, and
the clause tree opens them there when no block's heading matched (hand-made PDFs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.clause_tree import SourceBatch, build_clause_tree
from platform_assets.domain.tree.title_lines import title_positions
from tests.raw_pdf import pdf_bytes

WIDTH, HEIGHT = 400.0, 600.0
SIZE = 10.0


def _pdf(path: Path, pages: list[list[tuple[float, str]]], rotated: frozenset[int] = frozenset()) -> Path:
    """One page per list of (baseline, line) in user space, Helvetica 10 pt, at x = 50; a line's parts
    after tabs are drawn at x = 120, 220 (the text beside a side heading, a table's next cell)."""
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    for index, lines in enumerate(pages):
        drawing.setPageRotation(90 if index in rotated else 0)
        drawing.setFont("Helvetica", SIZE)
        for baseline, text in lines:
            for x, part in zip((50, 120, 220), text.split("\t"), strict=False):
                drawing.drawString(x, baseline, part)
        drawing.showPage()
    drawing.save()
    return path


def _clause(cid: str, title: str, page: int = 0) -> Clause:
    return Clause(id=cid, title=title, level=1, page_index=page, numbered=False)


def _fraction(baseline: float) -> float:
    """A line's baseline as a top-down fraction of the page."""
    return 1 - baseline / HEIGHT


def test_a_title_is_found_on_its_own_line_after_a_number_or_wrapped_not_in_contents_or_sentences(tmp_path):
    pdf = _pdf(
        tmp_path / "lines.pdf",
        [
            [
                (560, "Families 29"),  # a contents line: a page number after the title
                (540, "which is why we keep the related families."),
                (520, "families."),  # a sentence's last line
                (500, "The families"),  # a word before the title that is no number
                (480, "5.3 Families"),
                (440, "1.4.2 Titles for chapter-level"),
                (428, "mini-tables"),
                (400, "Body text of the section."),
            ]
        ],
    )
    found = title_positions(
        pdf,
        None,
        [_clause("families", "Families"), _clause("1.4.2", "1.4.2 Titles for chapter-level mini-tables")],
    )
    assert set(found) == {"families", "1.4.2"}
    top, left = found["families"]
    assert _fraction(480 + SIZE) < top < _fraction(480)  # just above the line's glyphs
    assert left == pytest.approx(
        (50 + stringWidth("5.3 ", "Helvetica", SIZE)) / WIDTH, abs=0.005
    )  # the title's
    assert _fraction(440 + SIZE) < found["1.4.2"][0] < _fraction(440)


def test_repeated_titles_on_a_page_take_its_lines_in_turn_and_the_next_page_is_looked_at(tmp_path):
    pdf = _pdf(
        tmp_path / "pages.pdf",
        [
            [(500, "Examples"), (400, "Some prose."), (300, "Examples")],
            [(300, "Layout")],  # a destination set before the page break
        ],
    )
    clauses = [
        _clause("a", "Examples"),
        _clause("b", "Examples"),
        _clause("c", "Layout"),
        _clause("d", "Missing"),
    ]
    found = title_positions(pdf, None, clauses)
    assert set(found) == {"a", "b", "c"}
    assert found["a"][0] < _fraction(500) < found["b"][0] < _fraction(300)
    assert _fraction(300 + SIZE) < found["c"][0] < _fraction(300)


def test_a_side_heading_level_with_its_paragraphs_first_line_is_found_not_a_title_before_a_word_space_or_cell(
    tmp_path,
):
    pdf = _pdf(
        tmp_path / "side.pdf",
        [
            [
                (500, "\tManual are words that open a sentence of the paragraph."),
                (488, "\tof the text, set where most lines of the page start."),
                (400, "Widows\tA widow occurs when the last line of a paragraph"),
                (388, "\tis alone at the top of the next page."),
                (340, "\tManual\tA table's first cell, then the next."),
                (300, "“Manual”\tCurrently, users must install it by hand."),
            ]
        ],
    )
    found = title_positions(pdf, None, [_clause("w", "Widows"), _clause("m", "Manual")])
    assert set(found) == {"w", "m"}
    assert _fraction(400 + SIZE) < found["w"][0] < _fraction(400)
    assert found["w"][1] == pytest.approx(50 / WIDTH, abs=0.01)
    assert _fraction(300 + SIZE) < found["m"][0] < _fraction(300)  # not the sentence, not the table row


def test_of_several_lines_printing_a_title_the_heading_in_larger_type_is_taken(tmp_path):
    """metafun-p: the running header prints the chapter's title above its heading, in body type."""
    path = tmp_path / "header.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", SIZE)
    drawing.drawString(50, 570, "Introduction")
    drawing.setFont("Helvetica-Bold", 17)
    drawing.drawString(50, 500, "Introduction")
    drawing.showPage()
    drawing.save()
    top, _ = title_positions(path, None, [_clause("i", "Introduction")])["i"]
    assert _fraction(500 + 17) < top < _fraction(500)


def test_a_title_whose_logo_breaks_the_text_layers_line_is_found_over_its_pieces(tmp_path):
    """lua-widow-control: the TeX logo's lowered E breaks the line, as a side heading (`TE` / `X Live
    Run tlmgr ...`) and as a heading (`T` / `E` / `X’s Pagination`)."""
    path = tmp_path / "logo.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", SIZE)
    for baseline in (520, 508, 388):
        drawing.drawString(120, baseline, "Lines of the paragraph start at the text's left edge.")
    for x, drop, piece in ((48, 0, "T"), (54, 4, "E"), (60, 0, "X Live")):
        drawing.drawString(x, 400 - drop, piece)
    drawing.drawString(120, 400, "Run tlmgr install in a terminal.")
    for x, drop, piece in ((150, 0, "T"), (156, 6, "E"), (162, 0, "X’s Pagination")):
        drawing.drawString(x, 300 - drop, piece)
    drawing.showPage()
    drawing.save()
    found = title_positions(
        path, None, [_clause("live", "TEX Live"), _clause("pagination", "TEX’s Pagination")]
    )
    assert set(found) == {"live", "pagination"}
    assert _fraction(400 + SIZE) < found["live"][0] < _fraction(400)
    assert _fraction(300 + SIZE) < found["pagination"][0] < _fraction(300)


def test_a_rotated_page_gives_no_position(tmp_path):
    pdf = _pdf(tmp_path / "rotated.pdf", [[(500, "2 Scope")]], rotated=frozenset({0}))
    assert title_positions(pdf, None, [_clause("2", "2 Scope")]) == {}


def _block(
    seq: int, kind: BlockKind, top: float, bottom: float, text: str, left: float = 0.1, right: float = 0.9
) -> Block:
    bbox = (left, top, right, bottom)
    return Block(seq=seq, page_index=0, kind=kind, source_type=kind.value, text=text, bbox=bbox)


def test_a_heading_the_tier_ran_into_a_paragraph_opens_its_clause_at_its_line(tmp_path):
    """minitoc's manual: /Fit bookmarks, and headings the tier merged with the paragraphs around them (a
    margin note beside each): no block's text is the heading, yet the text layer prints it on a line."""
    lines = [
        (550, "1 Overview"),
        (530, "The overview paragraph says what the package does."),
        (518, "It goes on for a second line."),
        (498, "1.1 Loading the package"),
        (478, "Load it with a command in the preamble of the document."),
        (466, "Options follow in a second paragraph."),
    ]
    pdf = _pdf(tmp_path / "merged.pdf", [lines])
    body = " ".join(text for _, text in lines[1:])
    stream = [
        _block(0, BlockKind.HEADING, _fraction(550 + SIZE), _fraction(548), "1 Overview"),
        _block(1, BlockKind.TEXT, _fraction(530 + SIZE), _fraction(464), body),
    ]
    clauses = [
        Clause(id="1", title="1 Overview", level=0, page_index=0),
        Clause(id="1.1", title="1.1 Loading the package", level=1, page_index=0),
    ]
    batches = [SourceBatch("d~b001", stream, tmp_path)]
    manifest = build_clause_tree("d", "Manual", batches, clauses).manifest
    assert manifest.unmatched == ["1.1"]  # without the PDF: matched by text only, never opened

    tree = build_clause_tree("d", "Manual", batches, clauses, pdf=pdf)
    manifest = tree.manifest
    assert manifest.unmatched == [] and manifest.clauses["1.1"].opened_at == "line"
    overview, loading = tree.files[manifest.clauses["1"].path], tree.files[manifest.clauses["1.1"].path]
    assert "a second line." in overview and "Load it" not in overview
    assert "Load it with a command" in loading and "Options follow" in loading
    assert manifest.blocks_lost == 0 and manifest.blocks_assigned == manifest.blocks_total


def _astral_pdf(path: Path, lines: list[tuple[float, float, str]]) -> Path:
    """One page of (x, baseline, text) in Helvetica 10 pt whose text layer reads `~` as the math letter
    `𝜀` (U+1D700, outside the BMP: two UTF-16 code units, two of PDFium's characters), by its ToUnicode."""
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Astral def "
        "1 begincodespacerange <00> <FF> endcodespacerange "
        "1 beginbfrange <20> <7D> <0020> endbfrange 1 beginbfchar <7E> <D835DF00> endbfchar "
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    content = " ".join(f"BT /F1 {SIZE:g} Tf {x:g} {y:g} Td ({text}) Tj ET" for x, y, text in lines)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH:g} {HEIGHT:g}] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        f"<< /Length {len(cmap)} >>\nstream\n{cmap}\nendstream",
    ]
    path.write_bytes(pdf_bytes(objects))
    return path


def test_lines_after_a_math_letter_outside_the_bmp_are_placed_by_pdfiums_character_count(tmp_path):
    """lua-widow-control p18: `𝜀-TEX penalties`, a side heading; PDFium counts `𝜀` as two characters,
    Python's text as one, so every line after it was measured at the character before its own."""
    pdf = _astral_pdf(
        tmp_path / "astral.pdf",
        [
            (120, 520, "The ~-TeX extensions generalize these commands"),
            (120, 508, "with a syntax similar to the shape of a paragraph."),
            (50, 400, "Grids"),
            (120, 400, "It is fully compatible with the grid snapping."),
            (120, 388, "Nothing more is needed."),
            (20, 300, "~-TeX penalties"),
            (120, 300, "Knuth's original has three basic line penalties."),
            (120, 288, "The last one is inserted before the last line."),
        ],
    )
    found = title_positions(pdf, None, [_clause("g", "Grids"), _clause("p", "𝜀-TeX penalties")])
    assert set(found) == {"g", "p"}
    assert _fraction(400 + SIZE) < found["g"][0] < _fraction(400)
    assert found["g"][1] == pytest.approx(50 / WIDTH, abs=0.01)
    assert _fraction(300 + SIZE) < found["p"][0] < _fraction(300)
    assert found["p"][1] == pytest.approx(20 / WIDTH, abs=0.01)


def test_a_title_the_tier_read_after_the_side_heading_below_it_opens_with_it_in_the_pages_order(tmp_path):
    """lua-widow-control p4: the tier reads the side heading `Algorithm` before the letter-spaced section
    title above it; the title's line alone placed the section after the walk had matched `Algorithm`."""
    path = tmp_path / "order.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", SIZE)
    drawing.drawString(120, 520, "Widows are the last lines of paragraphs, alone on a page.")
    drawing.setFont("Helvetica", 14)
    drawing.drawString(150, 420, "Pagination")
    drawing.setFont("Helvetica", SIZE)
    drawing.drawString(50, 390, "Algorithm")
    drawing.drawString(120, 390, "The engine fills the page with lines until the next will not fit.")
    drawing.drawString(120, 378, "Then it breaks the page where the penalty is least.")
    drawing.showPage()
    drawing.save()
    stream = [
        _block(0, BlockKind.HEADING, _fraction(530), _fraction(548), "Widows"),
        _block(1, BlockKind.TEXT, _fraction(520 + SIZE), _fraction(518), "Widows are the last lines ..."),
        _block(2, BlockKind.TEXT, _fraction(390 + SIZE), _fraction(388), "Algorithm"),
        _block(3, BlockKind.TEXT, _fraction(420 + 14), _fraction(418), "p a g i n a t i o n"),
        _block(4, BlockKind.TEXT, _fraction(390 + SIZE), _fraction(376), "The engine fills the page ..."),
    ]
    clauses = [
        _clause("1", "Widows"),
        _clause("2", "Pagination"),
        Clause(id="2.1", title="Algorithm", level=2, page_index=0, numbered=False),
    ]
    tree = build_clause_tree("d", "Manual", [SourceBatch("d~b001", stream, tmp_path)], clauses, pdf=path)
    manifest = tree.manifest
    assert manifest.unmatched == []
    assert manifest.clauses["2"].opened_at == "line" and manifest.clauses["2.1"].opened_at == "line"
    assert "p a g i n a t i o n" not in tree.files[manifest.clauses["1"].path]
    assert "The engine fills" in tree.files[manifest.clauses["2.1"].path]
    assert manifest.blocks_lost == 0 and manifest.blocks_assigned == manifest.blocks_total


def test_a_section_number_set_in_the_margin_and_read_early_leaves_the_clause_at_its_titles_block(tmp_path):
    """ConTeXt's metafun: the section number stands in the margin, a block of its own the tier reads right
    after the chapter's heading, before the chapter's paragraphs above it; the title's line places the
    clause at the block that holds the title, not at the number's."""
    path = tmp_path / "margin.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 17)
    drawing.drawString(10, 540, "1 Welcome")
    drawing.setFont("Helvetica", SIZE)
    drawing.drawString(60, 500, "In this chapter we introduce the most important concepts.")
    drawing.drawString(60, 488, "You may consider it an appetizer.")
    drawing.drawString(10, 400, "1.1")
    drawing.drawString(60, 400, "Paths")
    drawing.drawString(60, 388, "Paths are the building blocks of graphics.")
    drawing.showPage()
    drawing.save()
    text = 60 / WIDTH  # where the text column starts; the margin's number ends at 25 pt
    stream = [
        _block(0, BlockKind.HEADING, _fraction(540 + 17), _fraction(538), "1 Welcome", 10 / WIDTH),
        _block(1, BlockKind.TEXT, _fraction(400 + SIZE), _fraction(398), "1.1", 10 / WIDTH, 25 / WIDTH),
        _block(
            2,
            BlockKind.TEXT,
            _fraction(500 + SIZE),
            _fraction(486),
            "In this chapter ... an appetizer.",
            text,
        ),
        _block(
            3,
            BlockKind.TEXT,
            _fraction(400 + SIZE),
            _fraction(386),
            "Paths Paths are the building blocks.",
            text,
        ),
    ]
    clauses = [
        Clause(id="1", title="1 Welcome", level=0, page_index=0),
        Clause(id="1.1", title="1.1 Paths", level=1, page_index=0),
    ]
    tree = build_clause_tree("d", "Manual", [SourceBatch("d~b001", stream, tmp_path)], clauses, pdf=path)
    manifest = tree.manifest
    assert manifest.unmatched == [] and manifest.clauses["1.1"].opened_at == "line"
    assert "an appetizer" in tree.files[manifest.clauses["1"].path]
    assert "an appetizer" not in tree.files[manifest.clauses["1.1"].path]
    assert "building blocks" in tree.files[manifest.clauses["1.1"].path]

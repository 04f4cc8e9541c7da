"""A clause's own region of the text layer, and the words in it that are its own (what the benchmark's and
the class tests' "empty with text of its own" counts): a hand-made page with the edge cases of real ones."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen import canvas

from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.clause_regions import own_words

WIDTH, HEIGHT = 400.0, 600.0


def _fraction(y: float) -> float:
    return 1 - y / HEIGHT


def _page(path: Path) -> tuple[Path, list[Clause]]:
    """A listing's last line, then two numbered headings whose bookmarks carry no number: the first one's
    destination a hair below the listing line's letters (hyperref puts it there), at the number; the
    second one's at its title, right of its number."""
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    drawing.drawString(50, 520, "The listing of the code:")
    drawing.drawString(50, 500, "assume cross variance")  # lower-case letters only: x-height tops
    drawing.setFont("Helvetica-Bold", 14)
    drawing.drawString(50, 480, "1.3 Style Setting")
    drawing.drawString(50, 440, "1.3.1")
    drawing.drawString(100, 440, "Font sets")
    drawing.setFont("Helvetica", 10)
    drawing.drawString(50, 420, "Each of them has a name.")
    drawing.save()
    clauses = [
        Clause(id="1", title="Listing", level=0, page_index=0, top=_fraction(530), left=50 / WIDTH),
        Clause(id="2", title="Style Setting", level=0, page_index=0, top=_fraction(499.5), left=50 / WIDTH),
        Clause(id="3", title="Font sets", level=1, page_index=0, top=_fraction(454), left=100 / WIDTH),
    ]
    return path, clauses


def test_a_region_starts_below_the_line_its_destination_lies_under(tmp_path):
    pdf, clauses = _page(tmp_path / "regions.pdf")
    listing, _, _ = own_words(pdf, clauses)
    assert listing[-3:] == ["assume", "cross", "variance"]


def test_heading_numbers_are_no_words_of_the_clause_before_or_their_own(tmp_path):
    pdf, clauses = _page(tmp_path / "regions.pdf")
    _, style, fonts = own_words(pdf, clauses)
    assert style == []  # `1.3` before its title, `1.3.1` before the next clause's destination
    assert fonts == ["each", "of", "them", "has", "a", "name"]


def test_a_label_set_sideways_beside_a_listing_is_no_start_of_a_region(tmp_path):
    """docbook5-howto page 19: `RNC` runs up the margin of a listing, level with the destination of the
    next section (`Elements`) and nearer to it than the heading; the section starts at its heading."""
    path = tmp_path / "sideways.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    drawing.drawString(60, 520, "namespace db = docbook")
    drawing.drawString(60, 505, "include docbook inherit")
    drawing.saveState()
    drawing.translate(57, 500)
    drawing.rotate(-90)  # read downwards, its first letter level with the destination
    drawing.drawString(0, 0, "RNC")
    drawing.restoreState()
    drawing.setFont("Helvetica-Bold", 14)
    drawing.drawString(60, 470, "Elements")
    drawing.setFont("Helvetica", 10)
    drawing.drawString(60, 450, "Adding elements takes two definitions.")
    drawing.save()
    clauses = [
        Clause(id="1", title="Customization", level=0, page_index=0, top=_fraction(535), left=60 / WIDTH),
        Clause(id="2", title="Elements", level=0, page_index=0, top=_fraction(500), left=50 / WIDTH),
    ]
    customization, elements = own_words(path, clauses)
    assert "rnc" in customization
    assert elements == ["adding", "takes", "two", "definitions"]  # its title aside


def test_a_destination_right_of_its_headings_start_starts_the_region_with_the_line(tmp_path):
    """xcolor page 39: the destination of `4.1 Base colors` lies over `colors`, below the tops of its
    capitals; the region of `4` before it ends before the line, not after `4.1 Base c`. A line of the other
    column level with a destination, across the gutter, stays its own column's."""
    path = tmp_path / "inside.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica-Bold", 14)
    drawing.drawString(50, 520, "4 Colors by Name")
    drawing.drawString(50, 480, "4.1 Base colors")
    drawing.setFont("Helvetica", 10)
    drawing.drawString(50, 460, "black blue brown")
    drawing.drawString(50, 400, "left column line")
    drawing.drawString(230, 400, "Right")
    drawing.drawString(230, 385, "right column text")
    drawing.save()
    colors = drawing.stringWidth("4.1 Base ", "Helvetica-Bold", 14)
    clauses = [
        Clause(id="4", title="4 Colors by Name", level=0, page_index=0, top=_fraction(532), left=50 / WIDTH),
        Clause(
            id="4.1",
            title="Base colors",
            level=1,
            page_index=0,
            top=_fraction(488),
            left=(50 + colors) / WIDTH,
        ),
        Clause(id="4.2", title="Right", level=1, page_index=0, top=_fraction(408), left=230 / WIDTH),
    ]
    by_name, base, right = own_words(path, clauses)
    assert by_name == []
    assert base == ["black", "blue", "brown", "left", "column", "line"]
    assert right == ["column", "text"]  # its title aside


def _placed(title: str, y: float, left: float) -> Clause:
    """A clause whose destination lies at height `y` (points, bottom-up) and `left` (a page fraction)."""
    return Clause(id=title, title=title, level=0, page_index=0, top=_fraction(y), left=left)


def test_words_documented_inside_a_line_start_their_regions_at_their_word(tmp_path):
    """tl-docby-e p16 and tl-docby p7: DocBy.TeX bookmarks each word a paragraph documents, its destination
    at the top of the word's line, at the word's start (`\\Blue`) or its end (`\\Red`); the words of the
    line before it are the clause's before, not its own (the region used to start with the line, so the
    words before the last one of a line had empty regions and the last one took the whole line)."""
    path = tmp_path / "documented.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    head = "The design uses the colors "
    drawing.drawString(50, 500, head + "\\Blue, \\Red and")
    drawing.drawString(50, 488, "\\Black. More text here.")
    drawing.save()
    width = drawing.stringWidth

    def at(text: str) -> float:
        return (50 + width(text, "Helvetica", 10)) / WIDTH

    clauses = [
        _placed("Palette", 520, 50 / WIDTH),
        _placed("\\Blue", 508, at(head)),
        _placed("\\Red", 508, at(head + "\\Blue, \\Red")),
        _placed("\\Black", 496, 50 / WIDTH),
    ]
    colors, blue, red, black = own_words(path, clauses)
    assert colors == ["the", "design", "uses", "the", "colors"]
    assert (blue, red, black) == ([], ["and"], ["more", "text", "here"])


def test_a_mark_at_the_foot_of_the_line_above_starts_no_region(tmp_path):
    """tl-docby p7: a destination set a hair above its line, in tight leading, lies above the middle of the
    comma of the line before (set at its foot) and nearer to it than to any letter: the region starts at
    the letters of its own line."""
    path = tmp_path / "comma.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    comma = 50 + drawing.stringWidth("before {", "Helvetica", 10)
    drawing.drawString(50, 500, "before {, } and")
    drawing.drawString(comma, 492, "the line below")
    drawing.save()
    clauses = [_placed("Alpha", 520, 50 / WIDTH), _placed("Beta", 500.3, comma / WIDTH)]
    alpha, beta = own_words(path, clauses)
    assert alpha == ["before", "and"]
    assert beta == ["the", "line", "below"]

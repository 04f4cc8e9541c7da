"""Where a destination's text starts in the text layer, and whether it marks a word inside running text: a
hand-made page with a numbered heading, a word documented inside a line, and two columns."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen import canvas

from platform_assets.domain.pdf.pdf_facts import open_pdf
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.tree.text_order import TextOrder

WIDTH, HEIGHT = 400.0, 600.0


def _clause(title: str, x: float, y: float) -> Clause:
    return Clause(id=title, title=title, level=0, page_index=0, top=1 - (y + 12) / HEIGHT, left=x / WIDTH)


def test_only_a_word_after_running_text_on_its_line_is_inside_a_line(tmp_path: Path) -> None:
    path = tmp_path / "lines.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    drawing.setFont("Helvetica", 10)
    width = drawing.stringWidth
    drawing.drawString(50, 500, "4.1 Base colors")
    drawing.drawString(50, 470, "The macro \\apPLUS adds two numbers.")
    drawing.drawString(50, 440, "\\apMINUS subtracts them.")
    drawing.drawString(50, 410, "left column text")  # a gutter, then the right column's heading
    drawing.drawString(230, 410, "Right heading")
    drawing.drawString(40, 380, "C")  # an index's letter group, in the margin before its first name
    drawing.drawString(50, 380, "csdim_ cct sets the dimensions")
    drawing.save()
    clauses = [
        _clause("Base colors", 50 + width("4.1 ", "Helvetica", 10), 500),
        _clause("\\apPLUS", 50 + width("The macro ", "Helvetica", 10), 470),
        _clause("\\apMINUS", 50, 440),
        _clause("Right heading", 230, 410),
        _clause("csdim_", 50, 380),
    ]
    document = open_pdf(path)
    try:
        layer = TextOrder(document)
        assert [layer.inside_line(clause) for clause in clauses] == [False, True, False, False, False]
        chars = layer.chars(0)
        assert chars[layer.start(clauses[1])[1] :].startswith("\\apPLUS adds")
        assert chars[layer.start(clauses[0])[1] :].startswith("4.1 Base colors")
    finally:
        document.close()

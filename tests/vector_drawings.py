"""PDF pages drawn with many small filled paths (a plotted surface, a fractal), text above and below.

The drawing is a grid of coloured squares between two paragraphs; a box of its own colour may sit under
one line of text, as a code listing's frame does.
"""

from __future__ import annotations

import math
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

ABOVE = [f"Line {n} above the drawing explains what it shows." for n in range(6)]
BELOW = [f"Line {n} below the drawing goes on with the text." for n in range(6)]
DRAWING = (72.0, 300.0, 520.0, 620.0)
"""The grid's box in PDF points (left, bottom, right, top)."""
BOXED_LINE = "A line of code set on a shaded box."
SPLIT_LINE = "Figure 1 above, figure 2 below this line."
SPLIT_BAND = (445.0, 475.0)
"""With `split`, no square in this band of height: the line set there parts the grid into two figures."""


def build_drawing_pdf(
    path: Path,
    squares: int,
    *,
    rotate: int = 0,
    cropbox: tuple[float, float, float, float] | None = None,
    boxed: bool = False,
    form: bool = False,
    form_text: bool = False,
    split: bool = False,
    scatter: bool = False,
    clip_points: int = 0,
) -> Path:
    """One A4 page: `ABOVE`, a grid of `squares` filled squares in `DRAWING`, `BELOW`; with `boxed`, a
    shaded box under `BOXED_LINE` in the grid; with `form`, the grid is one form XObject (with `form_text`,
    one that also holds the text below the grid: a page wrapped in a form); with `split`, `SPLIT_LINE`
    parts the grid in two; with `scatter`, the squares are dots far apart; with `clip_points`, the grid is
    clipped by a polygon of that many points around it; `rotate`: the page's /Rotate; `cropbox`: its
    /CropBox."""
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    canvas.setPageRotation(rotate)
    if cropbox is not None:
        canvas.setCropBox(cropbox)
    if form:
        canvas.beginForm("drawing")
        _grid(canvas, squares, split, 0.2 if scatter else 0.8)
        if form_text:
            _lines(canvas, BELOW, 270)
        canvas.endForm()
        canvas.doForm("drawing")
    else:
        canvas.saveState()
        if clip_points:
            canvas.clipPath(_polygon(canvas, clip_points), stroke=0, fill=0)
        _grid(canvas, squares, split, 0.2 if scatter else 0.8)
        canvas.restoreState()
    if boxed:
        canvas.setFillColorRGB(0.9, 0.9, 0.8)
        canvas.rect(150, 450, 250, 20, stroke=0, fill=1)
    _lines(canvas, ABOVE, 780)
    if not form_text:
        _lines(canvas, BELOW, 270)
    if boxed:
        canvas.drawString(160, 456, BOXED_LINE)
    if split:
        canvas.drawString(160, 456, SPLIT_LINE)
    canvas.showPage()
    canvas.save()
    return path


def _polygon(canvas: Canvas, points: int):
    """A polygon of `points` points on the ellipse around `DRAWING`."""
    left, bottom, right, top = DRAWING
    (cx, cy), (rx, ry) = (
        ((left + right) / 2, (bottom + top) / 2),
        ((right - left) * 0.6, (top - bottom) * 0.6),
    )
    path = canvas.beginPath()
    path.moveTo(cx + rx, cy)
    for n in range(1, points):
        path.lineTo(
            cx + rx * math.cos(2 * math.pi * n / points), cy + ry * math.sin(2 * math.pi * n / points)
        )
    path.close()
    return path


def _lines(canvas: Canvas, lines: list[str], top: float) -> None:
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont("Helvetica", 10)
    for row, line in enumerate(lines):
        canvas.drawString(72, top - 14 * row, line)


def _grid(canvas: Canvas, squares: int, split: bool, size: float) -> None:
    left, bottom, right, top = DRAWING
    columns = max(1, round((squares * (right - left) / (top - bottom)) ** 0.5))
    rows = -(-squares // columns)
    width, height = (right - left) / columns, (top - bottom) / rows
    for n in range(squares):
        column, row = n % columns, n // columns
        x, y = left + column * width, bottom + row * height
        if split and SPLIT_BAND[0] < y + height and y < SPLIT_BAND[1]:
            continue
        canvas.setFillColorRGB(column % 7 / 7, row % 5 / 5, 0.6)
        canvas.rect(x, y, width * size, height * size, stroke=0, fill=1)

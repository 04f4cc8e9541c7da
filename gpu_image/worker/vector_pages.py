"""Pages drawn with more vector paths than MinerU's text-layer analysis can take, flattened before the parse.

MinerU 4's native PDF analysis (docvortex) weighs a page's paths against each other (vector formulas) and
against its text (text painted over, each filled rectangle's clip read segment by segment): PSTricks'
fractal of 112,420 paths ran over 5 minutes and 8 GB for its one page, a page of pst-mirror (13,901 paths,
52 million clip segments) over 4 minutes, and a 64-page manual of such pages exhausted 23 GB. Such a page is
parsed from a copy where each separate part of its drawing (a figure) is one image in that part's box: its
text stays text, in place, and each figure becomes one.
"""

from __future__ import annotations

import ctypes
import logging
from collections import deque
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

PATH_LIMIT = 10_000
"""Paths a page's drawing may hold before it is flattened: a page of text or a table holds a few hundred,
a dense plot a few thousand. Below about 10,000 flattening costs more than it saves, above it saves
(`benchmarks/bench_vector_pages.py`, 13 real pages, 5 generated): 8,461 paths 6.2 s as they are, 9.9 s
flattened; 11,277 8.7 s against 4.7 s; 13,901 over 240 s against 4 s."""
CLIP_LIMIT = 1_000_000
"""Segments the clip paths of a page's drawing may hold, all paths together, before it is flattened: MinerU
checks each filled rectangle's clip segment by segment, as many times as text is painted before it.
pst-mirror p9 (1,511 paths, 4.5 million clip segments) took 25 s, p19 (4,274, 51.6 million) over 120 s;
pages without such clips have none, VisualPSTricks p232 5,676."""
DPI = 150
"""Resolution of a flattened drawing."""
GAP = 3.0
"""Parts of a drawing closer than this (PDF points) are one figure; a line of text between two is wider."""
MARGIN = 1.0
"""How far a part's image reaches around its paths (PDF points): two pixels, so that a hairline renders."""
MAX_PARTS = 24
"""Images a flattened page may get; more parts (a scatter of dots) are joined across a wider gap."""

log = logging.getLogger("gpu_image.worker")

Box = tuple[float, float, float, float]
"""left, bottom, right, top in PDF points."""


def flattened_copy(
    pdf: Path, first: int, last: int, workdir: Path, limit: int = PATH_LIMIT, clip_limit: int = CLIP_LIMIT
) -> tuple[Path, list[int]]:
    """The PDF to parse for pages `first..last` (0-based, inclusive), and the pages flattened in it.

    `pdf` itself where no page's drawing holds more than `limit` paths or clip paths of more than
    `clip_limit` segments, else a copy of the same name in `workdir` (same pages, same boxes) where each
    part of such a drawing is one image.
    """
    document = pdfium.PdfDocument(pdf)
    try:
        heavy = {
            index: drawing
            for index in range(first, last + 1)
            if (drawing := _drawing_of(document, index, limit, clip_limit))
        }
        if not heavy:
            return pdf, []
        scratch = pdfium.PdfDocument(pdf)  # a second copy, to render each drawing alone
        try:
            flattened = [
                index for index, drawing in heavy.items() if _flatten(document, scratch, index, drawing)
            ]
        finally:
            scratch.close()
        if not flattened:
            return pdf, []
        target = workdir / pdf.name
        document.save(target)
        return target, flattened
    finally:
        document.close()


def _drawing_of(
    document: pdfium.PdfDocument, index: int, limit: int, clip_limit: int = CLIP_LIMIT
) -> dict[int, Box]:
    """Page `index`'s top-level objects that make its drawing, by position, with their bounds, where it
    holds more than `limit` paths or clip paths of more than `clip_limit` segments (else none): paths and
    form XObjects that hold paths and no text, none of them over any text.

    What lies over text stays vector (a code listing's box, a form wrapping a whole page): the images go
    over the page, and must never hide a character.
    """
    page = document[index]
    try:
        candidates: list[tuple[int, int, int, Box]] = []  # position, paths, clip segments, bounds
        text_boxes: list[Box] = []
        for position in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
            raw = pdfium_c.FPDFPage_GetObject(page.raw, position)
            kind = pdfium_c.FPDFPageObj_GetType(raw)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                candidates.append((position, 1, _clip_segments(raw), _bounds(raw)))
            elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                text_boxes.append(_bounds(raw))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                inside = _form_kinds(raw)
                if inside.get(pdfium_c.FPDF_PAGEOBJ_TEXT):
                    text_boxes.append(_bounds(raw))
                elif paths := inside.get(pdfium_c.FPDF_PAGEOBJ_PATH, 0):
                    candidates.append((position, paths, 0, _bounds(raw)))

        def heavy(objects: list[tuple[int, int, int, Box]]) -> bool:
            return sum(o[1] for o in objects) > limit or sum(o[2] for o in objects) > clip_limit

        if not heavy(candidates):
            return {}
        over_text = _TextGrid(text_boxes)
        drawing = [candidate for candidate in candidates if not over_text.hits(candidate[3])]
        return {position: box for position, _, _, box in drawing} if heavy(drawing) else {}
    finally:
        page.close()


def _clip_segments(raw: object) -> int:
    """Segments of the paths that clip a page object (0 where none clips it)."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(raw)
    if not clip:
        return 0
    return sum(
        max(pdfium_c.FPDFClipPath_CountPathSegments(clip, path), 0)
        for path in range(max(pdfium_c.FPDFClipPath_CountPaths(clip), 0))
    )


def _bounds(raw: object) -> Box:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(raw, left, bottom, right, top)
    return left.value, bottom.value, right.value, top.value


class _TextGrid:
    """The page's text boxes in bands of height, to find quickly whether a box touches one."""

    BAND = 24.0

    def __init__(self, boxes: list[Box]) -> None:
        self.bands: dict[int, list[Box]] = {}
        for box in boxes:
            for band in range(int(box[1] // self.BAND), int(box[3] // self.BAND) + 1):
                self.bands.setdefault(band, []).append(box)

    def hits(self, box: Box) -> bool:
        left, bottom, right, top = box
        return any(
            left <= other[2] and other[0] <= right and bottom <= other[3] and other[1] <= top
            for band in range(int(bottom // self.BAND), int(top // self.BAND) + 1)
            for other in self.bands.get(band, ())
        )


def _form_kinds(form: object) -> dict[int, int]:
    """What a form XObject holds, at any depth, counted by object type."""
    counts: dict[int, int] = {}
    for position in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        raw = pdfium_c.FPDFFormObj_GetObject(form, position)
        kind = pdfium_c.FPDFPageObj_GetType(raw)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            for inner, count in _form_kinds(raw).items():
                counts[inner] = counts.get(inner, 0) + count
    return counts


def _flatten(
    document: pdfium.PdfDocument, scratch: pdfium.PdfDocument, index: int, drawing: dict[int, Box]
) -> bool:
    """Replace page `index`'s drawing (its top-level objects at the positions of `drawing`) in `document` by
    an image of each of its parts (`_parts`), transparent where the drawing did not paint, over the rest;
    False, the page left as it is, where pdfium cannot render a part."""
    page, alone = document[index], scratch[index]
    try:
        cropbox = page.get_cropbox()
        # the scratch page keeps the drawing alone, unrotated, to render just each part's box (rendering
        # reads the page's objects: no new content stream needed)
        for position, obj in enumerate(list(alone.get_objects(max_depth=0))):
            if position not in drawing:
                alone.remove_obj(obj)  # in page order: pdfium finds each at the front
        alone.set_rotation(0)
        crop_left, crop_bottom, crop_right, crop_top = cropbox
        try:
            images = [
                (
                    part,
                    alone.render(
                        scale=DPI / 72,
                        crop=(
                            part[0] - crop_left,
                            part[1] - crop_bottom,
                            crop_right - part[2],
                            crop_top - part[3],
                        ),
                        fill_color=(255, 255, 255, 0),
                        force_bitmap_format=pdfium_c.FPDFBitmap_BGRA,
                    ),
                )
                for part in _parts(list(drawing.values()), cropbox)
            ]
        except (pdfium.PdfiumError, ValueError) as error:
            log.warning(
                "drawing not flattened",
                extra={"data": {"page": index, "error": f"{type(error).__name__}: {error}"}},
            )
            return False
        for position, obj in enumerate(list(page.get_objects(max_depth=0))):
            if position in drawing:
                page.remove_obj(obj)
        for (left, bottom, right, top), bitmap in images:
            image = pdfium.PdfImage.new(document)
            image.set_bitmap(bitmap)
            image.set_matrix(pdfium.PdfMatrix().scale(right - left, top - bottom).translate(left, bottom))
            page.insert_obj(image)
        page.gen_content()
        return True
    finally:
        alone.close()
        page.close()


def _parts(boxes: list[Box], cropbox: Box) -> list[Box]:
    """One box per part of the drawing, within the page's visible box (nothing for what lies outside it): the
    boxes joined where they touch or come within `GAP` of each other, a part inside another's box joined to
    it; where that leaves over `MAX_PARTS` (a scatter of dots), joined across twice, four times ... the gap.
    Each part reaches `MARGIN` around its boxes."""
    visible = [clipped for box in boxes if (clipped := _within(box, cropbox, 0.0))]
    gap = GAP
    while len(parts := _joined(visible, cropbox, gap)) > MAX_PARTS:
        gap *= 2
    parts = [part for part in parts if not any(other != part and _contains(other, part) for other in parts)]
    return [grown for part in parts if (grown := _within(part, cropbox, MARGIN))]


def _within(box: Box, cropbox: Box, margin: float) -> Box | None:
    """`box` grown by `margin` on each side, then cut to `cropbox`; None where nothing of it is left."""
    left, bottom = max(box[0] - margin, cropbox[0]), max(box[1] - margin, cropbox[1])
    right, top = min(box[2] + margin, cropbox[2]), min(box[3] + margin, cropbox[3])
    return (left, bottom, right, top) if left <= right and bottom <= top else None


def _joined(boxes: list[Box], cropbox: Box, gap: float) -> list[Box]:
    """The boxes joined where they touch or come within about `gap` of each other (cells of `gap` points)."""
    page_left, page_bottom, page_right, page_top = cropbox
    occupied = np.zeros(
        (int((page_top - page_bottom) // gap) + 1, int((page_right - page_left) // gap) + 1), bool
    )
    cells = []
    for left, bottom, right, top in boxes:
        x0, y0 = int((left - page_left) // gap), int((bottom - page_bottom) // gap)
        occupied[y0 : int((top - page_bottom) // gap) + 1, x0 : int((right - page_left) // gap) + 1] = True
        cells.append((y0, x0))
    labels = _labelled(occupied)
    parts: dict[int, Box] = {}
    for box, cell in zip(boxes, cells, strict=True):
        known = parts.setdefault(labels[cell], box)
        parts[labels[cell]] = (
            min(known[0], box[0]),
            min(known[1], box[1]),
            max(known[2], box[2]),
            max(known[3], box[3]),
        )
    return list(parts.values())


def _contains(outer: Box, inner: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _labelled(occupied: np.ndarray) -> dict[tuple[int, int], int]:
    """Each occupied cell's connected region (eight neighbours), numbered from 0."""
    cells = set(zip(*(axis.tolist() for axis in np.nonzero(occupied)), strict=True))
    labels: dict[tuple[int, int], int] = {}
    regions = 0
    for start in cells:
        if start in labels:
            continue
        labels[start] = regions
        queue = deque([start])
        while queue:
            row, column = queue.popleft()
            for neighbour in ((row + dy, column + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx):
                if neighbour in cells and neighbour not in labels:
                    labels[neighbour] = regions
                    queue.append(neighbour)
        regions += 1
    return labels

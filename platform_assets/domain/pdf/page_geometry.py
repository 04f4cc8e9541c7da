"""PDF user space (points, bottom-up, before /Rotate) <-> the block model's page fractions (top-down).

Invariant: fractions are of the page as displayed (crop box, then the page's /Rotate applied
clockwise), like MinerU's normalised bboxes; `to_fraction` and `to_user` are inverse to each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

BBox = tuple[float, float, float, float]
"""(x0, y0, x1, y1) as fractions of the displayed page, top-down: the block model's bboxes."""


@dataclass(frozen=True)
class PageBox:
    """A page's crop box in user space and its clockwise display rotation (0, 90, 180, 270)."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int = 0

    def __post_init__(self) -> None:
        if self.rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, got {self.rotation}")
        if self.right <= self.left or self.top <= self.bottom:
            raise ValueError(f"empty page box {self}")

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageBox:
        left, bottom, right, top = page.get_cropbox()
        return cls(
            min(left, right), min(bottom, top), max(left, right), max(bottom, top), page.get_rotation()
        )

    def to_fraction(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point as (across, down) fractions of the displayed page, clamped to 0-1."""
        across_x = (x - self.left) / (self.right - self.left)  # 0 at the crop box's left edge
        up_y = (y - self.bottom) / (self.top - self.bottom)  # 0 at its bottom edge
        rotation = self.rotation  # a chain, not a table: read for every character of a page
        if rotation == 0:
            fx, fy = across_x, 1 - up_y
        elif rotation == 90:
            fx, fy = up_y, across_x
        elif rotation == 180:
            fx, fy = 1 - across_x, up_y
        else:
            fx, fy = 1 - up_y, 1 - across_x
        return min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)

    def to_user_point(self, fx: float, fy: float) -> tuple[float, float]:
        """The user-space point shown at (across, down) fractions of the displayed page."""
        across_x, up_y = {
            0: (fx, 1 - fy),
            90: (fy, fx),
            180: (1 - fx, fy),
            270: (1 - fy, 1 - fx),
        }[self.rotation]
        return (
            self.left + across_x * (self.right - self.left),
            self.bottom + up_y * (self.top - self.bottom),
        )

    def to_user(self, bbox: BBox) -> tuple[float, float, float, float]:
        """A normalised top-down bbox (x0, y0, x1, y1) as a user-space rectangle (left, bottom, right,
        top)."""
        x0, y0 = self.to_user_point(bbox[0], bbox[1])
        x1, y1 = self.to_user_point(bbox[2], bbox[3])
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

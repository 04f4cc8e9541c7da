"""The one internal block model every MinerU output is adapted into, whatever its version.

Invariant: `page_index` is absolute and 0-based, `bbox` is normalised to 0-1, `text` holds the readable text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from platform_assets.domain.pdf.page_geometry import BBox


class BlockKind(StrEnum):
    """What a block is, independent of the MinerU version that produced it."""

    HEADING = "heading"
    TEXT = "text"
    REFERENCE = "reference"
    LIST = "list"
    INDEX = "index"
    TABLE = "table"
    CODE = "code"
    ALGORITHM = "algorithm"
    EQUATION = "equation"
    IMAGE = "image"
    CHART = "chart"
    FOOTNOTE = "footnote"
    ASIDE = "aside"
    PAGE_HEADER = "page_header"
    PAGE_FOOTER = "page_footer"
    PAGE_NUMBER = "page_number"
    DISCARDED = "discarded"
    OTHER = "other"


NOISE_KINDS = frozenset(
    {BlockKind.PAGE_HEADER, BlockKind.PAGE_FOOTER, BlockKind.PAGE_NUMBER, BlockKind.DISCARDED}
)


class Block(BaseModel):
    """One block of a parsed batch, in reading order.

    Captions and footnotes of tables, images, charts and code belong to their block (`caption`,
    `footnote`); list and index entries are `items`, a nested entry indented by two spaces per level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=0, description="Position in the batch's block stream.")
    page_index: int = Field(ge=0, description="Absolute 0-based page index in the source PDF.")
    kind: BlockKind
    source_type: str = Field(description="The MinerU type string the block came from.")
    text: str = ""
    level: int | None = Field(default=None, ge=1, description="Heading level as MinerU reports it.")
    bbox: BBox | None = None
    html: str | None = None
    items: list[str] = Field(default_factory=list)
    code: str | None = None
    language: str | None = None
    caption: list[str] = Field(default_factory=list)
    caption_bbox: BBox | None = Field(
        default=None, description="Around the captions, where the parser gave their place (MinerU 4)."
    )
    footnote: list[str] = Field(default_factory=list)
    latex: str | None = None
    image_path: str | None = None
    from_text_layer: bool = Field(
        default=False,
        description="Its text was read from the PDF text layer inside its bbox: the parser returned none.",
    )

    @field_validator("bbox", "caption_bbox")
    @classmethod
    def _bbox_is_normalised(cls, value: BBox | None) -> BBox | None:
        if value is not None and not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError(f"bbox must be normalised to 0-1, got {value}")
        return value

    @property
    def is_noise(self) -> bool:
        """Page furniture (running headers, footers, page numbers, MinerU-discarded text)."""
        return self.kind in NOISE_KINDS


def summarize(blocks: Iterable[Block]) -> dict[str, int]:
    """Block counts by kind, in `BlockKind` order, kinds with no blocks left out."""
    counts = Counter(block.kind for block in blocks)
    return {kind.value: counts[kind] for kind in BlockKind if counts[kind]}

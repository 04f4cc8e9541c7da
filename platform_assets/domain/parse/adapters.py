"""Adapters from MinerU output (4.x middle_json, 2.x/3.x content_list) to the internal `Block` stream.

Invariant: one Block per top-level MinerU block, in reading order, none dropped (unknown types become
`other`); pages come out absolute, bboxes normalised to 0-1, equations without `$$`.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind

MIDDLE_SCHEMA = "docvortex.middle"
MIDDLE_SCHEMA_MAJOR = "2"

_KINDS: dict[str, BlockKind] = {
    "text": BlockKind.TEXT,
    "ref_text": BlockKind.REFERENCE,
    "doc_title": BlockKind.HEADING,
    "paragraph_title": BlockKind.HEADING,
    "title": BlockKind.HEADING,
    "list": BlockKind.LIST,
    "index": BlockKind.INDEX,
    "table": BlockKind.TABLE,
    "code": BlockKind.CODE,
    "equation": BlockKind.EQUATION,
    "interline_equation": BlockKind.EQUATION,
    "image": BlockKind.IMAGE,
    "chart": BlockKind.CHART,
    "page_footnote": BlockKind.FOOTNOTE,
    "aside_text": BlockKind.ASIDE,
    "header": BlockKind.PAGE_HEADER,
    "footer": BlockKind.PAGE_FOOTER,
    "page_number": BlockKind.PAGE_NUMBER,
    "discarded": BlockKind.DISCARDED,
}
_SPAN_TYPES = frozenset({"text", "equation_inline", "code_inline"})
_NESTED_TYPES = frozenset({"list", "index"})


def _kind(source_type: str, sub_type: str | None) -> BlockKind:
    if source_type == "code" and sub_type == "algorithm":
        return BlockKind.ALGORITHM
    return _KINDS.get(source_type, BlockKind.OTHER)


def _strip_math(latex: str) -> str:
    """LaTeX without the `$$` fence MinerU 2.x/3.x wraps display equations in."""
    latex = latex.strip()
    if latex.startswith("$$") and latex.endswith("$$") and len(latex) >= 4:
        latex = latex[2:-2].strip()
    return latex


class _TableText(HTMLParser):
    """Collects cell text row by row from a MinerU table body."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            if self._row is not None:
                self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table_fields(body: str | None) -> dict[str, Any]:
    """`html` and `text` of a table body; flash tier gives some tables as layout-preserving plain text."""
    if not body or not body.strip():
        return {"html": None, "text": ""}
    if not body.lstrip().lower().startswith("<table"):
        return {"html": None, "text": body.strip("\n")}
    parser = _TableText()
    parser.feed(body)
    parser.close()
    return {"html": body, "text": "\n".join(" | ".join(row) for row in parser.rows)}


def _joined(*parts: list[str]) -> str:
    return "\n".join(text for part in parts for text in part if text)


# ── MinerU 4.x middle_json (docvortex.middle 2.0) ───────────────────────────────────────────────────


def _is_span(node: dict[str, Any]) -> bool:
    return node.get("type") == "hyperlink" or (
        node.get("type") in _SPAN_TYPES and isinstance(node.get("content"), str)
    )


def _span_text(span: dict[str, Any]) -> str:
    if span.get("type") == "equation_inline":
        return f"${span['content']}$"
    return _plain(span.get("content"))


def _plain(content: object) -> str:
    """Readable text of a middle `content`: inline spans joined, child blocks one per line."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    if all(_is_span(node) for node in content):
        return "".join(_span_text(node) for node in content)
    return "\n".join(text for node in content if (text := _plain(node.get("content")).strip()))


def _items(children: list[dict[str, Any]], depth: int = 0) -> list[str]:
    """List or index entries; a nested list's entries are indented two spaces per level."""
    items: list[str] = []
    for child in children:
        if child.get("type") in _NESTED_TYPES:
            items.extend(_items(child.get("content") or [], depth + 1))
        elif text := _plain(child.get("content")).strip():
            items.append("  " * depth + text)
    return items


def _middle_bbox(bbox: list[float] | None) -> BBox | None:
    if not bbox:
        return None
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return (x0, y0, x1, y1)


def _from_middle_block(block: dict[str, Any], seq: int, page_index: int) -> Block:
    source_type = str(block.get("type"))
    kind = _kind(source_type, block.get("sub_type"))
    fields: dict[str, Any] = {
        "seq": seq,
        "page_index": page_index,
        "kind": kind,
        "source_type": source_type,
        "bbox": _middle_bbox(block.get("bbox")),
        "image_path": block.get("image_path"),
    }
    content = block.get("content")
    if kind in (BlockKind.TABLE, BlockKind.IMAGE, BlockKind.CHART, BlockKind.CODE, BlockKind.ALGORITHM):
        body: dict[str, Any] = {}
        caption: list[str] = []
        caption_boxes: list[BBox] = []
        footnote: list[str] = []
        for child in content or []:
            child_type = str(child.get("type"))
            if child_type.endswith("_caption"):
                caption.append(_plain(child.get("content")).strip())
                if box := _middle_bbox(child.get("bbox")):
                    caption_boxes.append(box)
            elif child_type.endswith("_footnote"):
                footnote.append(_plain(child.get("content")).strip())
            else:
                body = child
        body_text = _plain(body.get("content"))
        fields |= {"caption": caption, "footnote": footnote, "image_path": body.get("image_path")}
        if caption_boxes and len(caption_boxes) == len(caption):
            fields["caption_bbox"] = _around(caption_boxes)
        if kind is BlockKind.TABLE:
            fields |= _table_fields(body_text)
        elif kind in (BlockKind.CODE, BlockKind.ALGORITHM):
            fields |= {"code": body_text, "language": block.get("guess_lang"), "text": body_text}
        else:
            fields["text"] = body_text.strip() or _joined(caption)
    elif kind is BlockKind.EQUATION:
        latex = _strip_math(_plain(content))
        fields |= {"latex": latex or None, "text": latex}
    elif source_type in _NESTED_TYPES:
        items = _items(content or [])
        fields |= {"items": items, "text": "\n".join(items)}
    else:
        fields["text"] = _plain(content).strip()
        if kind is BlockKind.HEADING:
            fields["level"] = block.get("level")
    return Block(**fields)


def _around(boxes: list[BBox]) -> BBox:
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def _check_middle_schema(middle: dict[str, Any]) -> None:
    version = str(middle.get("schema_version", ""))
    if middle.get("schema") != MIDDLE_SCHEMA or version.split(".")[0] != MIDDLE_SCHEMA_MAJOR:
        raise ValueError(
            f"not a MinerU 4 middle json: schema={middle.get('schema')!r} version={version!r} "
            f"(expected {MIDDLE_SCHEMA} {MIDDLE_SCHEMA_MAJOR}.x)"
        )


def blocks_from_middle_json(middle: dict[str, Any]) -> list[Block]:
    """Blocks of a MinerU 4 `middle_json.json`, whose `page_idx` is already absolute.

    MinerU writes its pydantic model without default values (`to_dict(skip_defaults=True)`), so what the
    schema (`mineru.types.MiddleJson`) lets default is absent from the file: a blank page is just
    `{"page_idx": n}` (no `blocks`), and a block may lack `index`, `bbox`, `image_path`, `sub_type`,
    `guess_lang`. Absent or null, they read as empty. `pages` and `page_idx` are required by the schema.
    """
    _check_middle_schema(middle)
    blocks: list[Block] = []
    for page in middle["pages"]:
        for block in page.get("blocks") or []:
            blocks.append(_from_middle_block(block, len(blocks), page["page_idx"]))
    return blocks


# ── MinerU 2.x/3.x content_list ────────────────────────────────────────────────────────────────────


def _content_list_bbox(bbox: list[float] | None) -> BBox | None:
    """A 0-1000 content_list bbox as 0-1 floats (clamped: MinerU may overshoot the page by a unit)."""
    if not bbox:
        return None
    x0, y0, x1, y1 = (min(max(float(v) / 1000.0, 0.0), 1.0) for v in bbox)
    return (x0, y0, x1, y1)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def _from_content_item(item: dict[str, Any], seq: int, first_page: int) -> Block:
    source_type = str(item.get("type"))
    kind = _kind(source_type, item.get("sub_type"))
    caption = _strings(item.get(f"{source_type}_caption")) or _strings(item.get("img_caption"))
    footnote = _strings(item.get(f"{source_type}_footnote")) or _strings(item.get("img_footnote"))
    raw_text = item.get("text") if isinstance(item.get("text"), str) else item.get("content")
    text = raw_text.strip() if isinstance(raw_text, str) else ""
    fields: dict[str, Any] = {
        "seq": seq,
        "page_index": int(item["page_idx"]) + first_page,
        "kind": kind,
        "source_type": source_type,
        "bbox": _content_list_bbox(item.get("bbox")),
        "image_path": item.get("img_path"),
        "caption": caption,
        "footnote": footnote,
        "text": text,
    }
    if kind is BlockKind.TEXT and item.get("text_level"):
        fields |= {"kind": BlockKind.HEADING, "level": int(item["text_level"])}
    elif kind is BlockKind.LIST:
        items = _strings(item.get("list_items"))
        fields |= {"items": items, "text": "\n".join(items)}
    elif kind is BlockKind.TABLE:
        fields |= _table_fields(item.get("table_body"))
    elif kind in (BlockKind.CODE, BlockKind.ALGORITHM):
        code = item.get("code_body") or ""
        fields |= {"code": code, "language": item.get("guess_lang"), "text": code}
    elif kind is BlockKind.EQUATION:
        latex = _strip_math(text)
        fields |= {"latex": latex or None, "text": latex}
    elif kind in (BlockKind.IMAGE, BlockKind.CHART):
        fields["text"] = text or _joined(caption)
    return Block(**fields)


def blocks_from_content_list(items: list[dict[str, Any]], first_page: int) -> list[Block]:
    """Blocks of a MinerU 2.x/3.x content list whose `page_idx` counts from `first_page` (0-based)."""
    return [_from_content_item(item, seq, first_page) for seq, item in enumerate(items)]


# ── picking the adapter ────────────────────────────────────────────────────────────────────────────


def _is_middle_v4(data: object) -> bool:
    return isinstance(data, dict) and data.get("schema") == MIDDLE_SCHEMA


def load_blocks(folder: Path, first_page: int) -> list[Block]:
    """Blocks of one parsed batch folder: a MinerU 4 middle json if there is one, else a content list.

    `first_page` (absolute, 0-based) shifts the relative pages of a content list; a MinerU 4 middle json
    is absolute already and must not start before it.
    """
    middles: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted([*folder.rglob("middle_json.json"), *folder.rglob("*_middle.json")]):
        data = json.loads(path.read_text(encoding="utf-8"))
        if _is_middle_v4(data):
            middles.append((path, data))
    if len(middles) > 1:
        raise ValueError(f"{folder}: more than one MinerU 4 middle json: {[str(p) for p, _ in middles]}")
    if middles:
        path, middle = middles[0]
        blocks = blocks_from_middle_json(middle)
        if blocks and min(block.page_index for block in blocks) < first_page:
            raise ValueError(f"{path}: pages start before the batch's first page {first_page}")
        return blocks
    content_lists = sorted(folder.rglob("*content_list.json"))
    if len(content_lists) > 1:
        raise ValueError(f"{folder}: more than one content list: {[str(p) for p in content_lists]}")
    if not content_lists:
        raise ValueError(
            f"{folder}: no MinerU output found (expected middle_json.json of MinerU 4 "
            f"or *_content_list.json of MinerU 2.x/3.x)"
        )
    return blocks_from_content_list(json.loads(content_lists[0].read_text(encoding="utf-8")), first_page)

"""Whether a segmentation gave back every block of its stream, once and in order."""

from __future__ import annotations

from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.tree.segment import Segmentation


def reassembled(result: Segmentation) -> list[Block]:
    """front, then per clause its heading blocks and body: the stream again when nothing is lost."""
    out = list(result.front)
    for clause_id, body in result.bodies.items():
        out += [*result.heading_of.get(clause_id, ()), *body]
    return out


def content(block: Block) -> str:
    return block.code or block.text


def assert_lossless(result: Segmentation, stream: list[Block]) -> None:
    """Each stream block comes back once, in order: itself, or consecutive pieces cut from it."""
    assert result.dropped == 0 and result.assigned == len(stream)
    pieces = reassembled(result)
    assert len(pieces) == len(stream) + result.split
    at = 0
    for original in stream:
        parts = [pieces[at]]
        while (joined := "".join(map(content, parts))) != content(original):
            assert content(original).startswith(joined), (original, parts)
            parts.append(pieces[at + len(parts)])
        at += len(parts)
        assert len(parts) > 1 or parts[0] is original
        kept = {"text", "code", "caption", "footnote"}
        assert all(p.model_dump(exclude=kept) == original.model_dump(exclude=kept) for p in parts)
        assert [c for p in parts for c in p.caption] == original.caption
        assert [f for p in parts for f in p.footnote] == original.footnote

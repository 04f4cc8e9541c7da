"""Triage of a whole document's blocks: furniture told by repetition at the same place, every drop named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from platform_assets.domain.parse.blocks import BBox, Block, BlockKind
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import Tokens, tokens
from platform_assets.domain.tree.block_triage import REASONS, Triage, furniture_key, is_page_number, triage
from platform_assets.domain.tree.segment import segment

TOP: BBox = (0.12, 0.05, 0.88, 0.07)
BOTTOM: BBox = (0.12, 0.94, 0.88, 0.96)
BODY: BBox = (0.12, 0.30, 0.88, 0.40)


def _stream(*rows: tuple[Any, ...]) -> list[Block]:
    """Blocks from rows (page, kind, text[, bbox[, fields]]), `seq` in stream order."""
    blocks = []
    for seq, (page, kind, text, *rest) in enumerate(rows):
        bbox = rest[0] if rest else None
        fields = rest[1] if len(rest) > 1 else {}
        blocks.append(
            Block(seq=seq, page_index=page, kind=kind, source_type=kind.value, text=text, bbox=bbox, **fields)
        )
    return blocks


def _triage(stream: Sequence[Block], titles: frozenset[Tokens] = frozenset()) -> Triage:
    """Triage, checked for its invariant: each block kept in order or dropped with one named reason."""
    result = triage(stream, titles)
    assert len(result.kept) + len(result.dropped) == len(stream)
    assert {block.seq for block in result.kept} | {block.seq for block, _ in result.dropped} == {
        block.seq for block in stream
    }
    assert [block.seq for block in result.kept] == sorted(block.seq for block in result.kept)
    assert list(result.drops) == list(REASONS)
    assert result.drops == {reason: Counter(r for _, r in result.dropped)[reason] for reason in REASONS}
    return result


def _reasons(result: Triage) -> dict[int, str]:
    return {block.seq: reason for block, reason in result.dropped}


def _page(page: int, *extra: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [(page, BlockKind.TEXT, f"Body text of page {page} that says something.", BODY), *extra]


def test_a_running_footer_typed_as_text_is_dropped_as_page_footer() -> None:
    rows = [
        row for page in range(10, 15) for row in _page(page, (page, BlockKind.TEXT, "© ECMA 2016", BOTTOM))
    ]
    result = _triage(_stream(*rows))
    assert result.drops["page_footer"] == 5
    assert all(block.text.startswith("Body text") for block in result.kept)


def test_a_single_page_header_at_the_top_of_a_page_is_kept_as_text() -> None:
    stream = _stream(
        *_page(3),
        (4, BlockKind.PAGE_HEADER, "Every button element takes part in resolution.", TOP),
        *_page(4),
    )
    result = _triage(stream)
    assert result.dropped == [] and result.as_text == 1
    assert result.kept[1].kind is BlockKind.TEXT and result.kept[1].source_type == "page_header"
    assert result.kept[1].text == "Every button element takes part in resolution."


def test_alternating_running_heads_of_facing_pages_are_both_furniture() -> None:
    rows: list[tuple[Any, ...]] = []
    for page in range(20, 30):
        head = f"{page + 1} Widget Markup Language" if page % 2 else f"7 Processing model {page + 1}"
        rows += [(page, BlockKind.TEXT, head, TOP), *_page(page)]
    result = _triage(_stream(*rows))
    assert result.drops["page_header"] == 10
    assert len(result.kept) == 10


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("Page {n} of 615", "page_number"),
        ("4-{n}", "page_number"),
        ("- {n} -", "page_number"),
        ("ISO/IEC 29500-1:2016(E) — page {n}", "page_footer"),
    ],
)
def test_numbers_in_running_footers_are_normalised(template: str, reason: str) -> None:
    rows = [
        row
        for page in range(10, 14)
        for row in _page(page, (page, BlockKind.TEXT, template.format(n=page + 3), BOTTOM))
    ]
    result = _triage(_stream(*rows))
    assert result.drops[reason] == 4 and len(result.kept) == 4


def test_a_clause_heading_the_tier_typed_as_page_header_is_kept_and_opens_its_clause() -> None:
    # a whole clause heading and its summary line at the top of a page, the tier typed both as headers;
    # the real running header above them repeats on every page
    rows: list[tuple[Any, ...]] = []
    for page in range(5, 9):
        rows.append((page, BlockKind.PAGE_HEADER, "ACME-1234:2024(E)", (0.12, 0.03, 0.5, 0.045)))
        if page == 7:
            rows.append((page, BlockKind.PAGE_HEADER, "7.3 Layout of panels", (0.12, 0.08, 0.5, 0.095)))
            rows.append((page, BlockKind.PAGE_HEADER, "This clause says how panels are laid out.", TOP))
        rows += _page(page)
    result = _triage(_stream(*rows))
    assert result.drops["page_header"] == 4 and result.as_text == 2
    clauses = [Clause(id="7.3", title="7.3 Layout of panels", level=1, page_index=7)]
    segmentation = segment(result.kept, clauses)
    assert [b.text for b in segmentation.heading_of["7.3"]] == ["7.3 Layout of panels"]
    assert segmentation.bodies["7.3"][0].text == "This clause says how panels are laid out."


def test_outline_titles_that_differ_only_in_their_numbers_are_headings_not_a_running_header() -> None:
    """featpostbeamer p30, p32: two frame titles the tier typed as page headers, alike but for a number;
    each is an outline title printed once. A chapter title repeated as a header stays furniture."""
    frames = ("Coming back to 3D from 2D", "Coming back to 3D from 1D")
    rows: list[tuple[Any, ...]] = []
    for page in range(29, 33):
        if page in (29, 31):
            rows.append((page, BlockKind.PAGE_HEADER, frames[page == 31], (0.38, 0.073, 0.84, 0.128)))
        rows.append((page, BlockKind.PAGE_HEADER, "2 Moving on", (0.1, 0.02, 0.3, 0.03)))
        rows += _page(page)
    titles = frozenset(tokens(title) for title in (*frames, "2 Moving on"))
    kept = _triage(_stream(*rows), titles)
    assert [b.text for b in kept.kept if b.text in frames] == list(frames)
    assert kept.drops["page_header"] == 4  # `2 Moving on`, on every page
    assert _triage(_stream(*rows)).drops["page_header"] == 6  # without the outline: one key, two pages


def test_a_sections_title_repeated_as_its_pages_running_header_stays_furniture() -> None:
    """deb-siscone-refman p203-207 (Doxygen): the header repeats the section's title on even pages; one
    section has a single such page, its title printed as its heading too."""
    rows: list[tuple[Any, ...]] = []
    for page, header in ((202, "5.8 area.cpp"), (204, "5.9 area.cpp"), (206, "5.9 area.cpp")):
        rows.append((page, BlockKind.PAGE_HEADER, header, (0.12, 0.051, 0.21, 0.061)))
        rows += _page(page)
    rows.insert(2, (202, BlockKind.HEADING, "5.8 area.cpp", (0.12, 0.87, 0.3, 0.89)))
    titles = frozenset({tokens("5.8 area.cpp"), tokens("5.9 area.cpp")})
    assert _triage(_stream(*rows), titles).drops["page_header"] == 3


def test_typed_furniture_repeated_on_two_pages_is_dropped_and_text_needs_three() -> None:
    typed = _stream(
        *_page(1, (1, BlockKind.PAGE_FOOTER, "Draft", BOTTOM)),
        *_page(2, (2, BlockKind.PAGE_FOOTER, "Draft", BOTTOM)),
        *_page(3),
    )
    assert _triage(typed).drops["page_footer"] == 2
    text = _stream(
        *_page(1, (1, BlockKind.TEXT, "Draft", BOTTOM)),
        *_page(2, (2, BlockKind.TEXT, "Draft", BOTTOM)),
        *_page(3),
    )
    assert _triage(text).dropped == []


def test_a_two_page_document_repeats_its_footer_on_both_pages() -> None:
    stream = _stream(
        *_page(0, (0, BlockKind.TEXT, "Company confidential", BOTTOM)),
        *_page(1, (1, BlockKind.TEXT, "Company confidential", BOTTOM)),
    )
    assert _triage(stream).drops["page_footer"] == 2


def test_repetition_far_apart_at_another_height_or_mid_page_is_not_furniture() -> None:
    far = [row for page in (3, 40, 90) for row in _page(page, (page, BlockKind.TEXT, "Example", TOP))]
    assert _triage(_stream(*far)).dropped == []
    heights = [(0.12, 0.02, 0.3, 0.03), (0.12, 0.06, 0.3, 0.07), (0.12, 0.10, 0.3, 0.11)]
    moving = [
        row
        for page, bbox in zip((3, 4, 5), heights, strict=True)
        for row in _page(page, (page, BlockKind.TEXT, "Example", bbox))
    ]
    assert _triage(_stream(*moving)).dropped == []
    middle = [
        row
        for page in range(3, 9)
        for row in _page(page, (page, BlockKind.TEXT, "NOTE", (0.1, 0.5, 0.2, 0.52)))
    ]
    assert _triage(_stream(*middle)).dropped == []


def test_listing_lines_the_tier_typed_as_headers_are_not_furniture() -> None:
    # tl-source2e pages 111-114 (flash): the first code line of a page typed as header, its line number
    # jumping by tens of lines from page to page, unlike a page number
    rows = [
        row
        for page, line in ((111, 380), (112, 418), (114, 469))
        for row in _page(
            page, (page, BlockKind.PAGE_HEADER, f"{line} ⟨latexrelease⟩\\EndIncludeInRelease", TOP)
        )
    ]
    result = _triage(_stream(*rows))
    assert result.dropped == [] and result.as_text == 3


def test_page_numbers_typed_or_bare_at_an_edge_are_dropped() -> None:
    stream = _stream(
        (1, BlockKind.PAGE_NUMBER, "2", (0.84, 0.06, 0.85, 0.07)),
        (1, BlockKind.TEXT, "17", (0.48, 0.93, 0.52, 0.94)),
        (1, BlockKind.TEXT, "xiv", TOP),
        (1, BlockKind.TEXT, "17", BODY),
        (1, BlockKind.HEADING, "7", TOP),
        (1, BlockKind.PAGE_NUMBER, "Chapter one", (0.84, 0.93, 0.85, 0.94)),
    )
    result = _triage(stream)
    assert _reasons(result) == {0: "page_number", 1: "page_number", 2: "page_number"}
    assert [b.text for b in result.kept] == ["17", "7", "Chapter one"]
    assert result.kept[-1].kind is BlockKind.TEXT


def test_tables_of_contents_and_the_lines_left_beside_them_are_toc() -> None:
    # tl-clsguide page 1 (flash): chapter lines between index blocks came as empty equations, filled as text
    stream = _stream(
        (0, BlockKind.HEADING, "Contents", (0.21, 0.37, 0.32, 0.38)),
        (0, BlockKind.TEXT, "1 Introduction 2", (0.21, 0.39, 0.79, 0.40)),
        (0, BlockKind.INDEX, "1.1 Writing classes 2", (0.21, 0.40, 0.79, 0.80)),
        (1, BlockKind.INDEX, "4.7 Option processing 24", (0.23, 0.15, 0.79, 0.22)),
        (1, BlockKind.TEXT, "5 Miscellaneous commands, etc 25", (0.21, 0.24, 0.79, 0.25)),
        (1, BlockKind.INDEX, "5.1 Layout parameters 25", (0.23, 0.25, 0.79, 0.32)),
        (1, BlockKind.HEADING, "1 Introduction", (0.21, 0.45, 0.40, 0.46)),
        (1, BlockKind.TEXT, "This document is an introduction.", (0.21, 0.48, 0.79, 0.54)),
    )
    result = _triage(stream)
    assert _reasons(result) == {1: "toc", 2: "toc", 3: "toc", 4: "toc", 5: "toc"}
    assert [b.text for b in result.kept] == [
        "Contents",
        "1 Introduction",
        "This document is an introduction.",
    ]


def test_blocks_with_nothing_to_render_are_empty_and_an_image_alone_is_kept() -> None:
    stream = _stream(
        (0, BlockKind.EQUATION, "", BODY),
        (0, BlockKind.TEXT, "   ", BODY),
        (0, BlockKind.EQUATION, "", BODY, {"image_path": "images/page_0_equation_1.jpg"}),
        (0, BlockKind.TABLE, "", BODY, {"html": "<table><tr><td>1</td></tr></table>"}),
        (0, BlockKind.LIST, "", BODY, {"items": ["one"]}),
    )
    result = _triage(stream)
    assert _reasons(result) == {0: "empty", 1: "empty"}
    assert [b.seq for b in result.kept] == [2, 3, 4]


def test_furniture_without_a_bbox_is_told_by_its_kind_and_repetition() -> None:
    # the benchmark's and older fixtures' shape: no bboxes, the tier's kinds only
    rows = [
        row
        for page in range(6)
        for row in [
            (page, BlockKind.TEXT, "Body."),
            (page, BlockKind.PAGE_FOOTER, "© ECMA International 2016"),
        ]
    ]
    rows.append((6, BlockKind.PAGE_HEADER, "A one-off line the tier typed as a header"))
    result = _triage(_stream(*rows))
    assert result.drops["page_footer"] == 6 and result.as_text == 1


@pytest.mark.parametrize(
    ("text", "key", "page_number"),
    [
        ("Page 12 of 615", "page # of #", True),
        ("  4-17 ", "#-#", True),
        ("xiv", "#", True),
        ("A-3", "a-#", True),
        ("Chapter IV", "chapter #", False),
        ("Introduction", "introduction", False),
        ("Mild steel", "mild steel", False),
        ("© ACME Standards 2024 – All rights reserved", "© acme standards # – all rights reserved", False),
    ],
)
def test_furniture_keys_mask_numbers_arabic_and_roman(text: str, key: str, page_number: bool) -> None:
    assert furniture_key(text) == key
    assert is_page_number(text) is page_number

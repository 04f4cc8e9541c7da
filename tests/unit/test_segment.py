"""Block stream -> clause bodies: real flash parse of the sample standard, then the edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_assets.domain.parse.blocks import Block, BlockKind
from platform_assets.domain.pdf.pdf_facts import read_pdf_facts
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.segment import Segmentation, _cut_short, _reordered, _target, segment, tokens
from tests.segment_lossless import assert_lossless

FLASH = Path(__file__).parent / "fixtures" / "sample_flash_blocks.json"
"""MinerU 4.0.12 flash parse of the sample standard, six batches (long texts cut, bbox dropped)."""


def block(text: str, page: int = 0, kind: BlockKind = BlockKind.HEADING, **fields) -> Block:
    return Block(seq=0, page_index=page, kind=kind, source_type=str(kind), text=text, **fields)


def text(value: str, page: int = 0) -> Block:
    return block(value, page, BlockKind.TEXT)


def clause(title: str, page: int = 0, level: int = 0, id_: str | None = None) -> Clause:
    number = title.split(" ")[0]
    return Clause(id=id_ or number, title=title, level=level, page_index=page)


@pytest.fixture(scope="module")
def sample_clauses(sample) -> list[Clause]:
    facts = read_pdf_facts(sample.pdf)
    clauses, warnings = clauses_from_outline(facts.outline, facts.page_count)
    assert not warnings
    return clauses


@pytest.fixture(scope="module")
def flash_batches() -> list[list[Block]]:
    document = json.loads(FLASH.read_text(encoding="utf-8"))
    return [[Block.model_validate(raw) for raw in batch["blocks"]] for batch in document["batches"]]


@pytest.fixture(scope="module")
def flash(flash_batches, sample_clauses) -> tuple[list[Block], Segmentation]:
    stream = [b for batch in flash_batches for b in batch]
    return stream, segment(stream, sample_clauses)


# --- the real sample -------------------------------------------------------------------------


def test_every_outline_clause_of_the_sample_is_matched_in_its_flash_parse(flash, sample_clauses) -> None:
    stream, result = flash
    assert result.unmatched == ()
    assert list(result.heading_of) == [c.id for c in sample_clauses]
    assert_lossless(result, stream)
    pages = {c.id: c.page_index for c in sample_clauses}
    for clause_id, heading in result.heading_of.items():
        opening = heading[0] if heading else result.bodies[clause_id][0]
        assert opening.page_index == pages[clause_id], clause_id


def test_sample_headings_come_from_heading_text_code_and_merged_blocks(flash) -> None:
    _, result = flash
    assert [b.text for b in result.heading_of["7.1"]] == ["7.1 Parsing"]
    annex_a = result.heading_of["A"]  # flash emitted the annex title as plain text
    assert [(b.kind, b.text) for b in annex_a] == [(BlockKind.TEXT, "Annex A (normative) Schema")]
    # `A.2 Enumerations` is a line inside the schema listing's code block: the block is cut there
    assert result.heading_of["A.2"] == ()
    assert result.bodies["A.2"][0].kind == BlockKind.CODE
    assert result.bodies["A.2"][0].text.startswith("A.2 Enumerations\n")
    # the annex B title merged with `Example 1 — settings page` into one heading block
    assert result.heading_of["B"] == ()
    assert result.bodies["B"][0].text.startswith("Annex B (informative) Examples Example 1")


def test_the_schema_listing_keeps_its_last_page_though_flash_merged_it_with_a_2(flash) -> None:
    stream, result = flash
    assert result.split == 1
    tail, opening = result.bodies["A.1"][-1], result.bodies["A.2"][0]
    assert (tail.kind, tail.page_index, opening.page_index) == (BlockKind.CODE, 33, 33)
    assert tail.code.startswith("</xs:simpleContent>") and tail.code.rstrip().endswith("</xs:schema>")
    assert "A.2" not in tail.code and tail.caption == []
    assert "Table 8 lists the enumerated values" in opening.code and "</xs:" not in opening.code
    assert opening.caption == ["Table 8 — Enumerated values"]
    assert result.bodies["A.2"][1].kind == BlockKind.TABLE
    assert_lossless(result, stream)


def test_flash_pseudo_headings_and_cover_page_open_no_clause(flash) -> None:
    _, result = flash
    assert [b.page_index for b in result.front] == [0, 0, 0, 0, 1, 1]  # cover page and page-1 furniture
    example_ends = [b for b in result.bodies["5.1.1"] if b.text == "end example]"]
    assert example_ends and all(b.kind == BlockKind.HEADING for b in example_ends)
    contents = [b.kind for b in result.bodies["foreword"]]
    assert BlockKind.INDEX in contents  # the Contents page stays in the Foreword; its lines match nothing


def test_clause_7_carries_over_batch_boundaries_though_seq_restarts(flash_batches, flash) -> None:
    _, result = flash
    _, second, third, *_, last = flash_batches
    body_72 = result.bodies["7.2"]
    assert body_72[-1].page_index == 18 and body_72[-14:] == tuple(third[:14])  # b003 opens inside 7.2
    assert third.index(result.heading_of["7.3"][0]) == 14
    assert second[0] in result.bodies["6.3"]  # b002 opens before the `7 Processing model` heading
    assert {b.page_index for b in result.bodies["7.5"] if not b.is_noise} == set(range(27, 32))
    assert {id(b) for b in last} <= {id(b) for b in result.bodies["B"]}  # b006 starts no clause
    assert [b.seq for b in third[:2]] == [0, 1] == [b.seq for b in second[:2]]


# --- matching rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("17.4.2 Foo bar", "17.4.2Foo bar"),
        ("17.4.2 Foo bar", "17 .4.2  Foo bar"),
        ("17.4.2 Foo bar", "17.4.2. FOO BAR"),
        ("17.4.2 Foo-bar", "17.4.2 — Foo bar"),
        ("17.4.2 Foobar", "17.4.2 Foo\u00adbar"),
    ],
)
def test_ocr_spacing_punctuation_and_case_are_tolerated(title: str, heading: str) -> None:
    stream = [block("17.4.1 Before"), block(heading), text("body")]
    result = segment(stream, [clause("17.4.1 Before"), clause(title)])
    assert result.heading_of["17.4.2"] == (stream[1],)
    assert result.bodies["17.4.2"] == (stream[2],)


def test_annex_title_matches_whatever_the_case() -> None:
    stream = [block("ANNEX B (INFORMATIVE) EXAMPLES"), text("body")]
    result = segment(stream, [clause("Annex B (informative) Examples", id_="B")])
    assert result.heading_of == {"B": (stream[0],)}


def test_number_and_title_split_over_consecutive_blocks_form_one_heading() -> None:
    stream = [block("17.4.2"), block("Foo"), text("body"), text("Annex B"), text("(informative)")]
    stream += [text("Examples"), text("annex body")]
    clauses = [clause("17.4.2 Foo"), clause("Annex B (informative) Examples", id_="B")]
    result = segment(stream, clauses)
    assert result.heading_of == {"17.4.2": tuple(stream[:2]), "B": tuple(stream[3:6])}
    assert result.bodies == {"17.4.2": (stream[2],), "B": (stream[6],)}


def test_a_heading_that_is_a_whole_title_goes_on_into_a_longer_one_split_over_blocks() -> None:
    stream = [block("2 Scope"), block("and terms"), text("body")]
    clauses = [clause("2 Scope and terms"), clause("2 Scope", id_="2b"), clause("2 Scope notes", id_="2c")]
    result = segment(stream, clauses)
    assert result.heading_of == {"2": tuple(stream[:2])}
    assert result.bodies["2"] == (stream[2],)


def test_flash_text_blocks_can_be_headings_but_sentences_cannot() -> None:
    stream = [
        text("4.1 Document conformance"),
        text("A conforming document is valid; see 4.2 Consumer conformance."),
        text("4.2 Consumer conformance is defined below for each class of consumer."),
        text("4.2 Consumer conformance"),
    ]
    result = segment(stream, [clause("4.1 Document conformance"), clause("4.2 Consumer conformance")])
    assert result.heading_of == {"4.1": (stream[0],), "4.2": (stream[3],)}
    assert result.bodies["4.1"] == tuple(stream[1:3])


def code(listing: str, page: int = 0, **fields) -> Block:
    """A code block as the adapters make it (`text` repeats `code`), with a seq and bbox to keep."""
    fields |= {"seq": 7, "page_index": page, "bbox": (0.1, 0.2, 0.9, 0.8)}
    return Block(kind=BlockKind.CODE, source_type="code", text=listing, code=listing, **fields)


def test_a_code_block_is_cut_before_a_heading_buried_below_its_first_line() -> None:
    listing = "  </xs:element>\n</xs:schema>\n\nA.2 Enumerations\nTable 8 lists the values.\n"
    merged = code(listing, 1, caption=["Table 8 - Values"], footnote=["a note"])
    stream = [block("A.1 Listing", 1), text("The schema reads:", 1), merged, text("after", 1)]
    result = segment(stream, [clause("A.1 Listing", 1), clause("A.2 Enumerations", 1)])
    assert result.unmatched == () and result.heading_of["A.2"] == () and result.split == 1
    (*_, above), (rest, after) = result.bodies["A.1"], result.bodies["A.2"]
    assert above.code == above.text == "  </xs:element>\n</xs:schema>\n\n"
    assert rest.code == rest.text == "A.2 Enumerations\nTable 8 lists the values.\n"
    assert (above.caption, above.footnote) == ([], [])
    assert (rest.caption, rest.footnote) == (["Table 8 - Values"], ["a note"])
    assert {(p.kind, p.seq, p.page_index, p.bbox) for p in (above, rest)} == {
        (BlockKind.CODE, 7, 1, merged.bbox)
    }
    assert after is stream[3]
    assert_lossless(result, stream)


def test_a_cut_before_any_clause_leaves_the_lines_above_in_front() -> None:
    stream = [code("<a/>\n1 Scope\nscope text", 1)]
    result = segment(stream, [clause("1 Scope", 1)])
    assert [b.code for b in result.front] == ["<a/>\n"]
    assert [b.code for b in result.bodies["1"]] == ["1 Scope\nscope text"]
    assert_lossless(result, stream)


@pytest.mark.parametrize("listing", ["A.2 Enumerations\n<a/>", "\n  \nA.2 Enumerations\n<a/>"])
def test_a_code_block_opening_with_the_heading_is_not_cut(listing: str) -> None:
    stream = [block("A.1 Listing", 1), code(listing, 1)]
    result = segment(stream, [clause("A.1 Listing", 1), clause("A.2 Enumerations", 1)])
    assert result.split == 0 and result.bodies == {"A.1": (), "A.2": (stream[1],)}
    assert_lossless(result, stream)


def test_a_heading_in_a_caption_opens_the_clause_with_its_whole_block() -> None:
    table = block("a | b", 2, BlockKind.TABLE, caption=["A.3 Limits"])
    for carrier in (table, code("<a/>\n<b/>", 2, caption=["A.3 Limits"])):
        stream = [block("A.1 Listing", 1), text("listing", 1), carrier, text("limits", 2)]
        result = segment(stream, [clause("A.1 Listing", 1), clause("A.3 Limits", 2)])
        assert result.heading_of["A.3"] == () and result.split == 0
        assert result.bodies["A.3"] == (carrier, stream[3])
        assert_lossless(result, stream)


def test_toc_running_headers_and_cross_references_never_open_a_clause() -> None:
    stream = [
        block("Contents", 0),
        block("1 Scope\n2 Terms", 1, BlockKind.INDEX, items=["1 Scope", "2 Terms"]),
        text("1 Scope 1", 1),  # a contents line that flash left as text
        block("1 Scope ........ 1", 1),
        block("1 Scope", 1),
        text("See 2 Terms for the words used here.", 1),
        block("2 Terms", 2, BlockKind.PAGE_HEADER),  # running header repeating the next title
        text("see 2 Terms", 2),
        block("2 Terms", 2),
        block("1 Scope", 3, BlockKind.PAGE_HEADER),
        text("2 Terms", 3),  # the same title again, after its clause matched
    ]
    result = segment(stream, [clause("1 Scope", 1), clause("2 Terms", 2)])
    assert result.heading_of == {"1": (stream[4],), "2": (stream[8],)}
    assert result.front == tuple(stream[:4])
    assert result.bodies["2"] == tuple(stream[9:])


def test_a_missing_heading_is_skipped_and_reported_unmatched() -> None:
    stream = [block("1 Scope"), text("scope"), text("terms body"), block("3 Methods"), text("methods")]
    result = segment(stream, [clause("1 Scope"), clause("2 Terms"), clause("3 Methods")])
    assert result.unmatched == ("2",)
    assert result.bodies == {"1": tuple(stream[1:3]), "2": (), "3": (stream[4],)}
    assert_lossless(result, stream)


def test_many_missing_headings_expire_by_page_instead_of_blocking_the_walk() -> None:
    clauses = [clause(f"{n} Clause {n}", page=n) for n in range(1, 40)]
    stream = [block("1 Clause 1", 1), text("lost headings", 5), block("39 Clause 39", 39), text("end", 39)]
    result = segment(stream, clauses)
    assert result.unmatched == tuple(str(n) for n in range(2, 39) if n != 5)
    assert result.heading_of["39"] == (stream[2],)
    assert result.paged == ("5",) and result.bodies["5"] == (stream[1],)  # no heading: at its page's top


def test_lookahead_does_not_reach_past_its_window() -> None:
    clauses = [clause(f"{n} Clause {n}", page=1) for n in range(1, 20)]
    stream = [block("1 Clause 1", 1), block("18 Clause 18", 1), block("2 Clause 2", 1)]
    result = segment(stream, clauses)
    assert result.heading_of == {"1": (stream[0],), "2": (stream[2],)}
    assert result.bodies["1"] == (stream[1],)


def test_headings_match_only_near_their_bookmark_page() -> None:
    clauses = [clause("1 Scope", 4), clause("2 Terms", 4), clause("3 Methods", 10)]
    early_text = [text("1 Scope", 3), block("2 Terms", 3), block("3 Methods", 14), text("body", 14)]
    result = segment(early_text, clauses)
    assert result.heading_of == {"2": (early_text[1],)}  # TEXT needs page >= 4; HEADING may be 1 early
    assert result.unmatched == ("1", "3")  # 3 Methods on page 14 is more than 3 pages after page 10
    assert result.front == (early_text[0],)


def test_matched_entries_never_match_again_and_order_is_forward_only() -> None:
    stream = [block("2 Terms", 1), block("1 Scope", 1), block("2 Terms", 1), text("body", 1)]
    result = segment(stream, [clause("1 Scope", 1), clause("2 Terms", 1)])
    assert result.heading_of == {"2": (stream[0],)}
    assert result.unmatched == ("1",)
    assert result.bodies["2"] == tuple(stream[1:])


def test_heading_with_its_number_alone_or_an_ocr_slip_still_matches() -> None:
    stream = [block("7.1", 3), text("parsing body", 3), block("7.2 Valdation", 4), text("body", 4)]
    result = segment(stream, [clause("7.1 Parsing", 3), clause("7.2 Validation", 4)])
    assert result.heading_of == {"7.1": (stream[0],), "7.2": (stream[2],)}


def test_a_deeper_number_or_a_lone_top_number_is_not_the_clause() -> None:
    stream = [block("7.1.3 Parsing details", 3), block("7", 3), text("body", 3)]
    result = segment(stream, [clause("7.1 Parsing", 3), clause("8 Validation", 3)])
    assert "7.1" not in result.heading_of and result.unmatched == ("8",)  # no page top left for 8
    assert result.paged == ("7.1",) and result.bodies["7.1"] == tuple(stream)  # no heading: at its page's top


def test_unnumbered_front_matter_matches_by_title() -> None:
    stream = [block("FOREWORD", 1), text("prepared by", 1), block("Introduction", 3), text("intro", 3)]
    clauses = [
        Clause(id="foreword", title="Foreword", level=0, page_index=1, numbered=False),
        Clause(id="introduction", title="Introduction", level=0, page_index=3, numbered=False),
    ]
    result = segment(stream, clauses)
    assert result.heading_of == {"foreword": (stream[0],), "introduction": (stream[2],)}


def test_empty_inputs_and_repeated_ids() -> None:
    assert segment([], []) == Segmentation((), {}, {}, (), 0, 0, 0)
    only_text = [text("a"), text("b")]
    assert segment(only_text, []).front == tuple(only_text)
    with pytest.raises(ValueError, match="repeat"):
        segment([], [clause("1 A"), clause("1 B")])


def test_tokens_ignore_case_punctuation_and_ocr_spacing() -> None:
    assert tokens("17 .4.2Foo-Bar") == ("17", "4", "2", "foo", "bar")
    assert tokens("Annex B (informative)") == tokens("ANNEX  B — Informative")
    assert tokens("1.1 Foo") != tokens("11 Foo")


# --- anchors: bookmarks with a destination position -----------------------------------------------


def at(
    value: str,
    page: int,
    top: float,
    bottom: float,
    kind: BlockKind = BlockKind.TEXT,
    x0: float = 0.1,
    width: float = 0.7,
) -> Block:
    """A block with a bbox: `top` and `bottom` as fractions of the page, top-down."""
    return Block(
        seq=0,
        page_index=page,
        kind=kind,
        source_type=str(kind),
        text=value,
        bbox=(x0, top, x0 + width, bottom),
    )


def anchored(
    title: str, page: int, top: float, id_: str, number: str | None = None, left: float = 0.1
) -> Clause:
    return Clause(id=id_, title=title, level=0, page_index=page, top=top, left=left, number=number)


def test_a_clause_opens_at_its_destination_whatever_its_heading_prints() -> None:
    stream = [
        at("1 Scope", 0, 0.10, 0.12, BlockKind.HEADING),
        at("Scope text.", 0, 0.13, 0.30),
        at("Something the tier misread", 0, 0.40, 0.42, BlockKind.HEADING),
        at("Terms text.", 0, 0.43, 0.60),
    ]
    clauses = [anchored("1 Scope", 0, 0.095, "1"), anchored("2 Terms and definitions", 0, 0.395, "2")]
    result = segment(stream, clauses)
    assert result.unmatched == () and result.mismatched == ("2",)
    assert result.anchored == ("1", "2")
    assert result.heading_of == {"1": (stream[0],)}
    assert result.bodies == {"1": (stream[1],), "2": tuple(stream[2:])}
    assert_lossless(result, stream)


def test_a_title_of_symbols_alone_opens_at_the_block_below_its_destination() -> None:
    """doxygen's `\\&`, `\\$`: a title without words is begun by every block, so none prints it."""
    stream = [
        at("24.186 \\&", 0, 0.255, 0.269, BlockKind.HEADING),
        at("This command writes the & character to the output.", 0, 0.285, 0.309),
        at("24.187 \\$", 0, 0.329, 0.344, BlockKind.HEADING),
        at("This command writes the $ character to the output.", 0, 0.36, 0.385),
    ]
    clauses = [anchored("\\&", 0, 0.252, "entry-1"), anchored("\\$", 0, 0.326, "entry-2")]
    result = segment(stream, clauses)
    assert result.anchored == ("entry-1", "entry-2")
    assert [blocks[-1] for blocks in result.bodies.values()] == [stream[1], stream[3]]
    assert_lossless(result, stream)


def test_a_label_printed_over_an_unnumbered_title_is_part_of_the_heading() -> None:
    stream = [
        at("Closing words of the part before.", 3, 0.10, 0.20),
        at("Chapter 4", 4, 0.20, 0.24, BlockKind.HEADING),
        at("Introduction", 4, 0.28, 0.33, BlockKind.HEADING),
        at("What this chapter covers.", 4, 0.40, 0.50),
    ]
    result = segment(stream, [anchored("Introduction", 4, 0.18, "4", number="4")])
    assert result.heading_of == {"4": tuple(stream[1:3])} and result.mismatched == ()
    assert result.front == (stream[0],) and result.bodies["4"] == (stream[3],)


@pytest.mark.parametrize(
    ("title", "number", "printed"),
    [
        ("Part I Getting started", None, ["Part I", "Getting Started"]),
        ("Creating R packages", "1", ["1 Creating R packages"]),
        ("1.1 Package structure", "1.1", ["Package structure"]),  # numbered bookmark, unnumbered print
        (
            "2 Creating document commands and environments",
            "2",
            ["2 Creating document commands and environ-", "ments"],
        ),
        ("a ltdirchk.dtx", None, ["File a", "ltdirchk.dtx"]),
    ],
)
def test_printed_headings_in_their_usual_shapes_are_found(title, number, printed) -> None:
    stream = [
        at(line, 1, 0.2 + 0.05 * n, 0.24 + 0.05 * n, BlockKind.HEADING) for n, line in enumerate(printed)
    ]
    stream.append(at("Body.", 1, 0.6, 0.7))
    result = segment(stream, [anchored(title, 1, 0.19, "x", number=number)])
    assert result.heading_of == {"x": tuple(stream[:-1])} and result.bodies["x"] == (stream[-1],)


def test_a_block_straddling_the_anchor_stays_before_the_heading_found_after_it() -> None:
    stream = [
        at("Heading one", 0, 0.05, 0.08, BlockKind.HEADING),
        at("A paragraph whose box reaches just past the next anchor.", 0, 0.10, 0.405),
        at("Heading two", 0, 0.41, 0.44, BlockKind.HEADING),
        at("Two's text.", 0, 0.45, 0.60),
    ]
    clauses = [anchored("Heading one", 0, 0.04, "one"), anchored("Heading two", 0, 0.40, "two")]
    result = segment(stream, clauses)
    assert result.bodies == {"one": (stream[1],), "two": (stream[3],)}
    assert result.heading_of == {"one": (stream[0],), "two": (stream[2],)}


def test_a_heading_merged_into_the_paragraphs_around_it_is_cut_where_the_title_starts_and_ends() -> None:
    merged = at("The end of the first clause. 2.3 Foo bar The second clause begins here.", 2, 0.30, 0.50)
    stream = [at("2.2 Before", 2, 0.1, 0.12, BlockKind.HEADING), merged]
    clauses = [anchored("2.2 Before", 2, 0.09, "2.2"), anchored("2.3 Foo bar", 2, 0.40, "2.3")]
    result = segment(stream, clauses)
    assert result.split == 2 and result.mismatched == ()
    assert [b.text for b in result.bodies["2.2"]] == ["The end of the first clause."]
    assert [b.text for b in result.heading_of["2.3"]] == ["2.3 Foo bar"]
    assert [b.text for b in result.bodies["2.3"]] == ["The second clause begins here."]
    assert result.dropped == 0 and result.assigned == 2


def test_a_side_heading_run_into_its_paragraph_is_cut_off_only_before_a_sentence() -> None:
    """lua-widow-control, metafun: `Widows A “widow” occurs ...`, `Paths Paths are ...`; a paragraph that
    opens with the title's words in its first sentence keeps them."""
    stream = [
        at("Widows “A widow” occurs when the last line of a paragraph is alone.", 1, 0.30, 0.40),
        at("Paths are the building blocks of graphics.", 1, 0.50, 0.60),
    ]
    clauses = [anchored("Widows", 1, 0.29, "w"), anchored("Paths", 1, 0.49, "p")]
    result = segment(stream, clauses)
    assert [b.text for b in result.heading_of["w"]] == ["Widows"]
    assert [b.text for b in result.bodies["w"]] == [
        "“A widow” occurs when the last line of a paragraph is alone."
    ]
    assert "p" not in result.heading_of or result.heading_of["p"] == ()
    assert result.bodies["p"] == (stream[1],)  # its words untouched
    assert result.assigned == 2 and result.split == 1


def test_a_side_heading_that_ends_in_a_bracket_is_cut_off_before_its_sentence() -> None:
    stream = [at("1.5.2 Message Authentication Codes (MACs) To be used in mac/4.", 1, 0.30, 0.40)]
    clauses = [anchored("Message Authentication Codes (MACs)", 1, 0.29, "1.5.2", number="1.5.2")]
    result = segment(stream, clauses)
    assert [b.text for b in result.heading_of["1.5.2"]] == ["1.5.2 Message Authentication Codes (MACs)"]
    assert [b.text for b in result.bodies["1.5.2"]] == ["To be used in mac/4."]


def test_a_block_read_after_an_anchor_but_printed_above_it_stays_with_the_clause_before() -> None:
    stream = [
        at("37.3 Additions", 5, 0.60, 0.62, BlockKind.HEADING),
        at("37.4 More", 5, 0.75, 0.77, BlockKind.HEADING),
        at("Text of 37.3 that the tier read last.", 5, 0.65, 0.69, BlockKind.FOOTNOTE),
        at("Text of 37.4.", 5, 0.78, 0.90),
    ]
    clauses = [anchored("37.3 Additions", 5, 0.595, "37.3"), anchored("37.4 More", 5, 0.745, "37.4")]
    result = segment(stream, clauses)
    assert result.bodies == {"37.3": (stream[2],), "37.4": (stream[3],)}


@pytest.mark.parametrize(("heading_x", "text_x"), [(0.118, 0.196), (0.082, 0.22)])
def test_a_paragraph_read_after_an_outdented_heading_below_it_stays_with_the_clause_before(
    heading_x: float, text_x: float
) -> None:
    """DocBook + FOP (gnucash's guide; Berkeley DB's, FOP 0.95, set further out): headings set out into
    the margin, the text indented; the tier reads the heading `File` before the paragraph above it, which
    opens the section before."""
    stream = [
        at("Data entry concepts", 22, 0.221, 0.252, BlockKind.HEADING, x0=heading_x, width=0.53),
        at("File", 22, 0.337, 0.363, BlockKind.HEADING, x0=heading_x, width=0.05),
        at("There are three levels of data in the program.", 22, 0.266, 0.326, x0=text_x, width=0.69),
        at("The program keeps its data in files.", 22, 0.376, 0.421, x0=text_x, width=0.69),
    ]
    clauses = [
        anchored("Data entry concepts", 22, 0.211, "concepts", left=heading_x),
        anchored("File", 22, 0.327, "file", left=heading_x),
    ]
    result = segment(stream, clauses)
    assert result.bodies == {"concepts": (stream[2],), "file": (stream[3],)}


def test_an_index_column_read_after_the_next_letter_of_the_column_before_stays_where_it_was_read() -> None:
    """Not headings set out into the margin: the letters start where their column's entries do."""
    stream = [
        at("K", 3, 0.10, 0.12, BlockKind.HEADING, x0=0.1, width=0.02),
        at("kerning, 4", 3, 0.13, 0.40, x0=0.1, width=0.12),
        at("L", 3, 0.45, 0.47, BlockKind.HEADING, x0=0.1, width=0.02),
        at("lines, 7", 3, 0.10, 0.40, x0=0.24, width=0.12),  # the next column, read after `L`
        at("ligatures, 5", 3, 0.48, 0.80, x0=0.1, width=0.12),
    ]
    clauses = [anchored("K", 3, 0.095, "k"), anchored("L", 3, 0.445, "l")]
    result = segment(stream, clauses)
    assert result.bodies == {"k": (stream[1],), "l": (stream[3], stream[4])}


def test_a_figure_mostly_above_a_destination_stays_with_the_clause_before() -> None:
    """tkz-euclide p104: the next section's heading, set beside the figure's last lines, read into the
    figure; the clause opens at what follows the figure, not at the figure."""
    stream = [
        at("16.3.2 Reflection", 103, 0.271, 0.285, BlockKind.HEADING),
        at("D C B A 16.3.3 Homothety", 103, 0.30, 0.495, BlockKind.IMAGE, x0=0.107, width=0.34),
        at("\\begin{tikzpicture} ...", 103, 0.30, 0.449, x0=0.46, width=0.35),
        at("", 103, 0.51, 0.671, BlockKind.IMAGE, x0=0.107, width=0.34),
        at("\\begin{tikzpicture}[scale=1.2] ...", 103, 0.51, 0.59, x0=0.46, width=0.39),
    ]
    clauses = [
        anchored("16.3.2 Reflection", 103, 0.262, "16.3.2", left=0.107),
        anchored("16.3.3 Homothety", 103, 0.4826, "16.3.3", left=0.107),
    ]
    result = segment(stream, clauses)
    assert result.bodies["16.3.2"] == (stream[1], stream[2])
    assert result.bodies["16.3.3"] == (stream[3], stream[4])

    alone = [stream[0], stream[1], at("Next page.", 104, 0.1, 0.2)]  # nothing after the figure on its page
    result = segment(alone, clauses)
    assert result.bodies["16.3.3"] == (alone[1], alone[2])


def test_a_right_column_anchor_leaves_the_left_column_where_it_was_read() -> None:
    stream = [
        at("Left column text before.", 0, 0.10, 0.80, x0=0.05, width=0.42),
        at("B Right heading", 0, 0.30, 0.33, BlockKind.HEADING, x0=0.52, width=0.42),
        at("Right text.", 0, 0.34, 0.60, x0=0.52, width=0.42),
        at("Left column text read after the right column's heading.", 0, 0.81, 0.9, x0=0.05, width=0.42),
    ]
    clauses = [
        anchored("A Left", 0, 0.05, "a", left=0.05),
        anchored("B Right heading", 0, 0.295, "b", left=0.52),
    ]
    result = segment(stream, clauses)
    assert result.bodies == {"a": (stream[0],), "b": (stream[2], stream[3])}


def test_an_anchor_on_a_blank_page_or_below_the_last_block_opens_at_the_next_page() -> None:
    stream = [at("Old text.", 0, 0.1, 0.3), at("Title page text", 2, 0.1, 0.2), at("More.", 2, 0.3, 0.4)]
    blank = segment(stream, [anchored("Old", 0, 0.0, "old"), anchored("Fresh", 1, 0.2, "fresh")])
    assert blank.bodies == {"old": (stream[0],), "fresh": tuple(stream[1:])}
    below = segment(stream, [anchored("Old", 0, 0.0, "old"), anchored("Fresh", 0, 0.9, "fresh")])
    assert below.bodies == blank.bodies
    at_end = segment(stream, [anchored("Old", 0, 0.0, "old"), anchored("Gone", 2, 0.95, "gone")])
    assert at_end.bodies["gone"] == () and at_end.unmatched == ()


def test_bookmarks_without_a_position_or_blocks_without_a_bbox_fall_back_to_matching() -> None:
    stream = [block("1 Scope", 0), text("scope"), block("2 Terms", 1), text("terms", 1)]
    clauses = [anchored("1 Scope", 0, 0.1, "1"), Clause(id="2", title="2 Terms", level=0, page_index=1)]
    result = segment(stream, clauses)  # no bbox anywhere: the position cannot be placed
    assert result.anchored == () and result.heading_of == {"1": (stream[0],), "2": (stream[2],)}


def test_headings_without_a_position_match_up_to_the_next_anchors_page() -> None:
    """tl-pstricks-doc: the plan puts bookmarks whose destinations pointed 220 pages ahead at the page
    before them, without a position; their headings print over the nine pages up to the next right one."""
    stream = [
        at("II Basic graphics objects", 15, 0.09, 0.17, BlockKind.HEADING),
        at("6 Lines and polygons", 15, 0.25, 0.27, BlockKind.HEADING),
        at("lines", 15, 0.3, 0.4),
        at("8 Curves", 19, 0.31, 0.33, BlockKind.HEADING),
        at("curves", 19, 0.4, 0.5),
        at("10 Grids", 22, 0.73, 0.75, BlockKind.HEADING),
        at("grids", 22, 0.8, 0.9),
        at("11 Plots", 24, 0.79, 0.81, BlockKind.HEADING),
        at("plots", 24, 0.85, 0.9),
        at("12 Coordinates", 25, 0.1, 0.12, BlockKind.HEADING),
        at("9 Dots", 29, 0.1, 0.12, BlockKind.HEADING),  # past the next anchor (and 3 pages): not `dots`
    ]
    clauses = [
        anchored("Part II Basic graphics objects", 15, 0.08, "Part-II"),
        Clause(id="lines", title="Lines and polygons", level=1, page_index=15),
        Clause(id="curves", title="Curves", level=1, page_index=15),
        Clause(id="grids", title="Grids", level=1, page_index=15),
        anchored("Plots", 24, 0.78, "11", number="11"),
        Clause(id="dots", title="Dots", level=1, page_index=24),
        anchored("Coordinates", 25, 0.09, "12", number="12"),
    ]
    result = segment(stream, clauses)
    assert {id_: heading[0].text for id_, heading in result.heading_of.items()} == {
        "lines": "6 Lines and polygons",
        "curves": "8 Curves",
        "grids": "10 Grids",
        "11": "11 Plots",
        "12": "12 Coordinates",
    }
    assert result.bodies["curves"] == (stream[4],) and result.bodies["grids"] == (stream[6],)
    assert result.unmatched == ("dots",) and result.bodies["12"] == (stream[10],)
    assert_lossless(result, stream)


def test_bookmarks_without_a_position_open_at_their_page_when_no_heading_matches() -> None:
    """/Fit bookmarks over scanned pages: no heading to match, so each opens at its page's first block;
    one whose page holds no block, or whose page top lies before the clause opened before it, does not."""
    scan = [block("", page, BlockKind.IMAGE, bbox=(0.0, 0.0, 1.0, 1.0)) for page in (0, 1, 3)]
    heading, body = block("Results", 3, bbox=(0.1, 0.5, 0.5, 0.52)), text("the table", 3)
    stream = [*scan, heading, body]
    clauses = [
        clause("Cover", 0, id_="cover"),
        clause("Huge page", 1, id_="huge"),
        clause("Blank", 2, id_="blank"),  # page 2 holds no block
        clause("Indented image", 3, id_="indented"),
        clause("Results", 3, id_="results"),  # printed: matched at its heading
        clause("Appendix", 3, id_="appendix"),  # its page's top lies before Results
    ]
    result = segment(stream, clauses)
    assert result.paged == ("cover", "huge", "indented")
    assert [result.bodies[c] for c in ("cover", "huge", "indented")] == [(scan[0],), (scan[1],), (scan[2],)]
    assert result.heading_of["results"] == (heading,) and result.bodies["results"] == (body,)
    assert result.unmatched == ("blank", "appendix")
    assert set(result.mismatched) == {"cover", "huge", "indented"}
    assert_lossless(result, stream)


def test_numbered_headings_of_unnumbered_bookmarks_match_in_text_blocks_and_signatures() -> None:
    """ConTeXt's API manual: bookmarks name the function, the print numbers the section and gives the
    signature, typed as text, merged with its description or not."""
    stream = [
        block("3.4 Functions", 7),
        text("3.4.1 mp_filetype", 7),
        text("The type of the file.", 7),
        text("3.4.2 MP mp_initialize(MP_options *opt)", 7),
        text("Returns a new instance.", 7),
        text("3.4.3 mp_number mp_knot_left_y(MP mp,mp_knot p) Access the y coordinate of the left point.", 7),
        text("3 of the options mp_run ignores.", 7),
        text("3.4.5 mp_knot mp_append_knot(MP mp,mp_knot p,double x,double y) " + "Appends a knot. " * 20, 7),
        text("3.4.6 mp_finish " + "Frees the instance. " * 12, 7),
    ]
    clauses = [
        clause("Functions", 7, id_="3.4"),
        clause("mp_filetype", 7, id_="3.4.1"),
        clause("mp_initialize", 7, id_="3.4.2"),
        clause("mp_knot_left_y", 7, id_="3.4.3"),
        clause("mp_run", 7, id_="3.4.4"),
        clause("mp_append_knot", 7, id_="3.4.5"),
        clause("mp_finish", 7, id_="3.4.6"),
    ]
    result = segment(stream, [c.model_copy(update={"numbered": False}) for c in clauses])
    assert result.heading_of["3.4.1"] == (stream[1],) and result.bodies["3.4.1"] == (stream[2],)
    assert result.bodies["3.4.2"] == (stream[3], stream[4])  # the signature stays in the body
    assert result.bodies["3.4.3"] == (stream[5], stream[6])  # `3 of the options` is no section number
    assert result.bodies["3.4.5"] == (stream[7],)  # a long description merged after the signature
    assert result.heading_of["3.4.6"] == () and result.bodies["3.4.6"] == (stream[8],)  # not a heading alone
    assert result.unmatched == ("3.4.4",)


def test_a_numbered_heading_matches_an_unnumbered_bookmark_that_a_macro_garbled() -> None:
    """pdfscreen's manual: hyperref spelt a macro into the bookmark (`section1pdfscreen`); the print,
    typed as text, numbers the title and names the package. A numbered list item does not match a short
    bookmark it resembles."""
    stream = [
        text("1.3. Typical preamble", 4),
        text("A typical document preamble is given below.", 4),
        text("1.4. Packages needed to run pdfscreen", 4),
        text("The following packages are needed.", 4),
        text("1. hyperref.sty", 4),
        text("2. comment.sty", 4),
    ]
    clauses = [
        clause("Typical preamble", 4, id_="1.3"),
        clause("Packages needed to run section1pdfscreen", 4, id_="1.4"),
        clause("hyperref", 4, id_="1.5"),
    ]
    result = segment(stream, [c.model_copy(update={"numbered": False}) for c in clauses])
    assert result.heading_of["1.4"] == (stream[2],)
    assert result.bodies["1.4"] == tuple(stream[3:])
    assert result.unmatched == ("1.5",)


def test_a_numbered_heading_matches_with_a_label_before_it_or_a_word_its_bookmark_lost() -> None:
    stream = [
        block("4.1 The \\newwallpaper macro", 7),
        text("The command can be used to produce tiles.", 7),
        block("Version 1.5.1 [2011/07/20]", 23),
        text("Two new keys.", 23),
        block("Version 7 Changes", 24),
        block("Version 1.5.2a[2012/02/01]", 24),
        text("New command.", 24),
    ]
    clauses = [
        clause("4.1 The macro", 7),
        clause("1.5.1 (2011/07/20)", 23),
        clause("7 Changes", 24),
        clause("1.5.2a (2012/02/01)", 24, id_="1-5-2a").model_copy(update={"numbered": False}),
    ]
    result = segment(stream, clauses)
    assert result.heading_of["4.1"] == (stream[0],) and result.bodies["4.1"] == (stream[1],)
    assert result.heading_of["1.5.1"] == (stream[2],) and result.bodies["1.5.1"] == (stream[3],)
    assert "7" not in result.heading_of  # a label before a lone `7` is too weak
    assert result.heading_of["1-5-2a"] == (stream[5],) and result.bodies["1-5-2a"] == (stream[6],)


def test_a_cell_that_prints_the_title_above_its_heading_does_not_open_the_clause() -> None:
    """An API manual's /Fit bookmark `mp_stream`: a table cell of the section before prints it alone, the
    heading `3.1.4 mp_stream` follows on the page; a running header naming a chapter opens it as before."""
    stream = [
        block("3.1.3 mp_run_data", 4),
        text("Any output is redirected to this structure.", 4),
        text("mp_stream", 4),  # a cell of the table of 3.1.3
        text("holds the log output", 4),
        block("3.1.4 mp_stream", 4),
        text("This contains the data for a stream.", 4),
        text("Chapter 8 Flowables", 5).model_copy(update={"source_type": "header"}),
        block("Chapter 8 Flowables", 5),
        text("The following flowables.", 5),
    ]
    unnumbered = [clause("mp_run_data", 4, id_="3.1.3"), clause("mp_stream", 4, id_="3.1.4")]
    clauses = [c.model_copy(update={"numbered": False}) for c in unnumbered] + [
        clause("Chapter 8 Flowables", 5, id_="8")
    ]
    result = segment(stream, clauses)
    assert result.bodies["3.1.3"] == tuple(stream[1:4])
    assert result.heading_of["3.1.4"] == (stream[4],) and result.bodies["3.1.4"] == (stream[5],)
    assert result.heading_of["8"] == (stream[6],)  # the running header, on the chapter's first page
    assert_lossless(result, stream)


def test_a_number_printed_beside_a_title_worded_otherwise_is_the_heading() -> None:
    """/Fit bookmarks `8 The macro` (hyperref left out the macro name) and `9 xwatermark and geometry
    package` (printed `Using xwatermark with geometry package`): each number is a block of its own, the
    title level with it on its right. A title below the number rather than beside it, or one that shares
    too few words, opens nothing."""
    at = {"bbox": (0.35, 0.34, 0.37, 0.35)}
    right = {"bbox": (0.40, 0.34, 0.65, 0.35)}
    below = {"bbox": (0.40, 0.37, 0.65, 0.38)}
    stream = [
        text("Notice here that the macro calls another macro.", 14),
        block("8", 14, BlockKind.TEXT, **at),
        block("The \\fancypagenos macro", 14, BlockKind.TEXT, **right),
        text("The macro has the following syntax.", 14),
        block("9", 14, BlockKind.TEXT, **at),
        block("Using xwatermark with geometry package", 14, BlockKind.TEXT, **right),
        text("Because the geometry package changes the scale.", 14),
        block("10", 15, BlockKind.TEXT, **at),
        block("Support for the encodings", 15, BlockKind.TEXT, **below),  # not level with the number
        block("11", 15, BlockKind.TEXT, **at),
        block("Index of the macros", 15, BlockKind.TEXT, **right),  # one word of three in common
    ]
    titles = ("8 The macro", "9 xwatermark and geometry package", "10 Support for encodings")
    titles += ("11 Macro index",)
    clauses = [clause(title, 14 if title[0] in "89" else 15) for title in titles]
    result = segment(stream, clauses)
    assert result.heading_of["8"] == tuple(stream[1:3]) and result.bodies["8"] == (stream[3],)
    assert result.heading_of["9"] == tuple(stream[4:6]) and result.bodies["9"] == (stream[6],)
    assert "10" not in result.heading_of and "11" not in result.heading_of
    assert_lossless(result, stream)


def test_bookmarks_whose_destinations_collapsed_onto_one_page_open_where_their_headings_print() -> None:
    """A code listing's /Fit bookmarks all point at its last page: each opens at the first block that
    prints its heading after the clause before it opened. One whose heading is printed nowhere opens at
    its bookmark's page, as before."""
    stream = [
        text("Title page", 0),
        block("1 Options", 1),
        text("options body", 1),
        block("2 Processing", 3),
        text("processing body", 3),
        block("3 Loading", 6),
        text("loading body", 6),
        text("Index", 9),
    ]
    titles = ["1 Options", "2 Processing", "3 Loading", "4 Printed nowhere"]
    result = segment(stream, [clause(title, 9) for title in titles])
    assert result.heading_of == {"1": (stream[1],), "2": (stream[3],), "3": (stream[5],)}
    assert result.bodies["3"] == (stream[6],) and result.front == (stream[0],)
    assert result.paged == ("4",) and result.bodies["4"] == (stream[7],)
    assert_lossless(result, stream)


def test_a_repeated_bookmark_opens_nowhere_and_leaves_the_text_with_its_original() -> None:
    stream = [block("Normal"), text("normal text", 0), block("Extreme", 1), text("extreme text", 1)]
    clauses = [
        Clause(id="1", title="Normal", level=0, page_index=0),
        Clause(id="2", title="Extreme", level=0, page_index=1),
        Clause(id="3", title="Normal", level=0, page_index=1, repeats="1"),
        Clause(id="4", title="Extreme", level=0, page_index=1, repeats="2"),
    ]
    result = segment(stream, clauses)
    assert result.repeated == ("3", "4") and result.unmatched == ()
    assert result.bodies == {"1": (stream[1],), "2": (stream[3],), "3": (), "4": ()}
    assert_lossless(result, stream)


def test_a_chapter_whose_label_the_tier_read_after_the_next_heading_opens_at_its_title() -> None:
    """deb-maximabook p128: `CHAPTER 32`, set right of and above `Installing Maxima`, is the nearest block
    below the chapter's destination, but the tier read it after `32.1 Requirements`."""
    stream = [
        at("Part III Installing, Resources, Misc.", 126, 0.35, 0.44),
        at("Installing Maxima", 127, 0.27, 0.29, x0=0.12, width=0.18),
        at("32.1 Requirements", 127, 0.35, 0.37, BlockKind.HEADING, x0=0.12, width=0.16),
        at("CHAPTER 32", 127, 0.18, 0.21, x0=0.72, width=0.16),
        at("Your basic needs are a computer.", 127, 0.39, 0.52, x0=0.12, width=0.76),
    ]
    clauses = [
        anchored("III Installing, Resources, Misc.", 126, 0.338, "III", left=0.12),
        anchored("Installing Maxima", 127, 0.091, "32", number="32", left=0.12),
        anchored("Requirements", 127, 0.356, "32.1", number="32.1", left=0.12),
    ]
    result = segment(stream, clauses)
    assert result.unmatched == () and result.anchored == ("III", "32", "32.1")
    assert result.heading_of["32"] == (stream[1],) and result.heading_of["32.1"] == (stream[2],)
    assert result.bodies["32.1"] == tuple(stream[3:])
    assert_lossless(result, stream)


def test_an_anchor_read_late_stays_where_no_block_under_its_left_edge_was_read_before_the_next_one() -> None:
    stream = [
        at("An entry of the column on the right.", 4, 0.15, 0.20, x0=0.55, width=0.35),
        at("2 Next", 4, 0.40, 0.42, BlockKind.HEADING, width=0.4),
        at("1 Late", 4, 0.10, 0.12, BlockKind.HEADING, width=0.4),  # 1's heading, read after 2's
        at("Two's text.", 4, 0.45, 0.60, width=0.4),
    ]
    result = segment(stream, [anchored("1 Late", 4, 0.09, "1"), anchored("2 Next", 4, 0.39, "2")])
    assert result.unmatched == ("1",) and result.front == (stream[0], stream[2])


def test_an_unnumbered_title_that_starts_with_a_digit_matches_after_its_section_number() -> None:
    stream = [block("1.1 Setup", 2), text("Setup text.", 2), text("1.2 3D graphics", 2), text("About 3D.", 2)]
    clauses = [clause("Setup", 2, id_="1.1"), clause("3D graphics", 2, id_="1.2")]
    result = segment(stream, [c.model_copy(update={"numbered": False}) for c in clauses])
    assert result.heading_of["1.2"] == (stream[2],) and result.bodies["1.2"] == (stream[3],)
    assert result.unmatched == ()


def test_a_heading_that_prints_its_bookmark_reordered_matches_over_the_block_its_url_ran_into() -> None:
    """gri's changelog (texinfo): `@uref{url, text}` puts `url, text` in the bookmark and prints `text
    (url)`, the url a block of its own; its sections share their page's top as destination. Each entry
    opens at its own heading, with or without a position."""
    martyrs = "Version 2.12.26 [2017 January 27 https://en.wikipedia.org/wiki/Martyrs_Day, Martyrs' Day]"
    munro = "Version 2.12.2 [2003 Feb 7: Munro Day at http://www.dal.ca/,Dalhousie University]"
    terry = "Version 2.12.0 [2002 Sep 15: http://www.terryfox.org/,Terry Fox Day]"
    munro_printed = "13.1.1.25 Version 2.12.2 [2003 Feb 7: Munro Day at Dalhousie University"
    terry_printed = "13.1.1.27 Version 2.12.0 [2002 Sep 15: Terry Fox Day (http://www.terryfox.org/)]"
    stream = [
        at("13.1.1.1 Version 2.12.26 [2017 January 27 Martyrs' Day", 0, 0.48, 0.49, BlockKind.HEADING),
        at("(https://en.wikipedia.org/wiki/Martyrs_Day)]", 0, 0.50, 0.51),
        at("Bug fixes", 0, 0.52, 0.53, BlockKind.HEADING),
        at("Prevent some problems in the build.", 0, 0.54, 0.55),
        at("Fix a bug that the page before left open.", 1, 0.12, 0.14),
        at(munro_printed, 1, 0.22, 0.23, BlockKind.HEADING),
        at("(http://www.dal.ca/)]", 1, 0.24, 0.25),
        at("Fix another bug.", 1, 0.28, 0.30),
        at(terry_printed, 1, 0.5, 0.52, BlockKind.HEADING),
        at("New features.", 1, 0.53, 0.55),
    ]
    clauses = [
        Clause(id="a", title=martyrs, level=0, page_index=0),
        anchored(munro, 1, 0.09, "b"),
        anchored(terry, 1, 0.09, "c"),
    ]
    result = segment(stream, clauses)
    assert result.heading_of["a"] == (stream[0], stream[1])
    assert result.bodies["a"] == tuple(stream[2:5])
    assert result.heading_of["b"] == (stream[5], stream[6]) and result.bodies["b"] == (stream[7],)
    assert result.heading_of["c"] == (stream[8],) and result.bodies["c"] == (stream[9],)


def test_a_title_after_a_stray_number_in_its_own_order_is_no_reordered_or_cut_short_heading() -> None:
    """lily-snippets: the tier runs a score's digits into the heading (`3 3 Cow and ride bell example`);
    the title in its own order is the other matchers' to take, with the numbers they allow."""
    title = tokens("Cow and ride bell example")
    assert not _reordered(tokens("3 3 Cow and ride bell example"), title)
    assert _reordered(tokens("13.1 example bell ride and Cow"), title)
    target = _target(
        Clause(id="2.22", title="2.22 Cow and ride bell example", level=1, page_index=0, top=0.1)
    )
    assert not _cut_short(tokens("3 3 Cow and ride bell example"), target)
    assert _cut_short(tokens("2.22 Cow and ride bell exam-"), target)


def test_a_destination_inside_running_text_is_not_shifted_by_the_headings_offset() -> None:
    """tl-apnum p38: the headings' offset (-0.0245) moves `\\apSQRTra`'s destination, set at the top of the
    line that documents it, into the paragraph above, whose last line mentions the word: that paragraph
    opened the clause. Not shifted (`inline`), the destination opens it at its own line."""
    stream = [
        block("2.5 Square Root", bbox=(0.12, 0.70, 0.50, 0.72)),
        text("Note that the macro is inserted after \\apSQRTra macro call."),
        text("The \\apSQRTra macro operates repeatedly."),
    ]
    stream[1] = stream[1].model_copy(update={"bbox": (0.12, 0.73, 0.88, 0.815)})
    stream[2] = stream[2].model_copy(update={"bbox": (0.17, 0.82, 0.88, 0.848)})
    clauses = [
        Clause(id="root", title="Square Root", level=0, page_index=0, top=0.705, left=0.12),
        Clause(id="ra", title="\\apSQRTra", level=1, page_index=0, top=0.8155, left=0.2064),
    ]
    shifted = segment(stream, clauses, offset=-0.0245)
    assert shifted.bodies["ra"][0] is stream[1]  # the paragraph above took the clause
    kept = segment(stream, clauses, offset=-0.0245, inline=frozenset({"ra"}))
    assert [b.text for b in kept.bodies["root"]] == [stream[1].text]
    assert [b.text for b in kept.bodies["ra"]] == [stream[2].text]


_APROLLA = (
    "\\apROLLa hparami.@hsequencei shifts the decimal point of the hparami by \\tmpc positions to the right "
    "(or to the left, if \\tmpc is negative) and saves the result to the hsequencei macro. The \\tmpc value "
    "is saved to the \\apnumA register."
)
"""A paragraph too long to be taken for a heading (`MAX_HEADING_CHARS`)."""


def test_a_destination_set_over_the_last_line_before_a_paragraph_opening_with_its_title_opens_there() -> None:
    """tl-apnum p31: DocBy.TeX marks `\\apROLLa`, which opens its paragraph, between the paragraphs, so its
    destination tops the last line of the paragraph before, which documents `\\apNORM` (an entry set on the
    same line as `\\apROUND`'s, both opened at that paragraph). The paragraph stays with `\\apNORM`."""
    stream = [
        at("\\apROUND and", 30, 0.1365, 0.1366),
        at("\\apNORM are implemented by \\apROLLa, \\apROUNDa and \\apNORMa macros ...", 30, 0.1366, 0.225),
        at(_APROLLA, 30, 0.228, 0.285),
    ]
    clauses = [
        anchored("\\apROUND", 30, 0.1364, "apround", left=0.347),
        anchored("\\apNORM", 30, 0.1364, "apnorm", left=0.4589),
        anchored("\\apROLLa", 30, 0.21, "aprolla", left=0.121),
    ]
    result = segment(stream, clauses)
    assert result.bodies["apnorm"] == (stream[1],)
    assert result.bodies["aprolla"] == (stream[2],)
    assert_lossless(result, stream)
    # the paragraph's box straddling more than its last line, or a paragraph below not opening with the
    # title: the destination points into that paragraph, as before
    lower = [*stream[:2], at(f"It is {_APROLLA}", 30, 0.228, 0.285)]
    assert segment(lower, clauses).bodies["aprolla"][0] is lower[1]
    higher = [c.model_copy(update={"top": 0.18}) if c.id == "aprolla" else c for c in clauses]
    assert segment(stream, higher).bodies["aprolla"][0] is stream[1]


def test_an_index_letter_printed_over_its_names_opens_there_not_at_the_big_initial_beside_them() -> None:
    """glossaries' index (glossariesbegin p57): the text layer's piece cut at `T`'s destination prints `T`
    on a line of its own over the letter's names; the big `T` beside them, a block of its own read after
    the piece, prints the heading too. The piece is `T`'s, not the clause before's."""
    stream = [
        at("S\n\\setglossarystyle . . . 35", 56, 0.292, 0.4011, x0=0.5, width=0.377),
        at("T\n\\texorpdfstring . . . 43\n\\textsc . . . 4, 5, 16", 56, 0.4011, 0.4748, x0=0.5, width=0.377),
        at("T", 56, 0.407, 0.423, x0=0.685, width=0.013),
        at("U\nuppercase . 20, 48, 51, see also sentence case", 56, 0.4748, 0.5343, x0=0.5, width=0.377),
        at("U", 56, 0.482, 0.498, x0=0.684, width=0.015),
    ]
    clauses = [
        anchored("S", 56, 0.2875, "s", left=0.508),
        anchored("T", 56, 0.4011, "t", left=0.508),
        anchored("U", 56, 0.4748, "u", left=0.508),
    ]
    result = segment(stream, clauses)
    assert result.heading_of["t"] == (stream[2],) and result.heading_of["u"] == (stream[4],)
    assert [b.text for b in result.bodies["t"]] == ["\\texorpdfstring . . . 43\n\\textsc . . . 4, 5, 16"]
    assert [b.text for b in result.bodies["u"]] == ["uppercase . 20, 48, 51, see also sentence case"]
    assert result.bodies["s"] == (stream[0],)


def test_a_destination_ending_a_paragraphs_last_line_opens_at_the_block_below_left_of_it() -> None:
    """glossaries-user p239: `\\glsresetall` is marked at the right end of `... multiple glossaries using:`;
    the command's box below ends left of the mark and the margin sign `�` beside it is read last. The
    box follows the paragraph in its column: the clause opens there, not at the sign."""
    stream = [
        at("\\glslocalunset{hentry-labeli}", 0, 0.59, 0.624, width=0.746),
        at("The above commands ... for multiple glossaries using:", 0, 0.648, 0.681, width=0.75),
        at("\\glsresetall[hglossary labels listi]", 0, 0.715, 0.734, x0=0.151, width=0.307),
        at("which globally resets the first use flags and", 0, 0.75, 0.766, width=0.353),
        at("�", 0, 0.696, 0.71, x0=0.846, width=0.013),
    ]
    clauses = [
        anchored("\\glslocalunset", 0, 0.5587, "glslocalunset", left=0.4806),
        anchored("\\glsresetall", 0, 0.6775, "glsresetall", left=0.8386),
    ]
    result = segment(stream, clauses)
    assert result.bodies["glslocalunset"] == tuple(stream[:2])
    assert result.bodies["glsresetall"] == tuple(stream[2:])
    assert_lossless(result, stream)


def test_a_title_of_symbols_alone_anchors_at_the_block_printing_it_alone() -> None:
    """mfirstuc's index p41: `@`, a letter group of its own, has no words to find; the nearest block
    below its destination was a paragraph the tier ran across both columns, read before `Symbols`' own
    heading, so `Symbols`, passed, never opened. The block that prints `@` alone is its anchor."""
    stream = [
        at("Index", 40, 0.139, 0.181, BlockKind.HEADING),
        at("\\end . . . 8, 26 \\ensuremath . . . 8, 12, 26 ~ . . .", 40, 0.219, 0.324, width=0.75),
        at("Symbols", 40, 0.221, 0.237, x0=0.27, width=0.077),
        at("@", 40, 0.296, 0.312, x0=0.298, width=0.02),
        at("\\@mfu@blockers . . . §3.1; 27, 33", 40, 0.323, 0.359, width=0.367),
    ]
    clauses = [
        anchored("Index", 40, 0.0833, "index", left=0.125),
        anchored("Symbols", 40, 0.2193, "symbols", left=0.125),
        anchored("@", 40, 0.2921, "at-sign", left=0.125),
    ]
    result = segment(stream, clauses)
    assert result.unmatched == () and result.heading_of["symbols"] == (stream[2],)
    assert result.bodies["at-sign"][-1] is stream[4]
    assert_lossless(result, stream)

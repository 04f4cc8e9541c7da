"""Outline -> clauses: numbers, unique ids, dropped, backwards and misplaced bookmarks."""

from __future__ import annotations

import unicodedata

import pytest

from platform_assets.domain.pdf.pdf_facts import OutlineEntry
from platform_assets.domain.plan.clauses import (
    _INVISIBLE,
    _TOKEN,
    clause_number,
    clauses_from_outline,
    number_words,
    printed_number,
    prints_title,
    roman_value,
    slug,
    tokens,
)


def entry(title: str, level: int, page: int | None) -> OutlineEntry:
    return OutlineEntry(title=title, level=level, page_index=page)


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("17.4.2 Title", "17.4.2"),
        ("17.4.2. Title", "17.4.2"),
        ("1. Scope", "1"),
        ("4", "4"),
        ("Annex A", "A"),
        ("Annex B (informative) Pack URI", "B"),
        ("Annex C. (normative) ZIP Appnote.txt Clarifications", "C"),
        ("A.1 Creating an IRI", "A.1"),
        ("A.1.2 Foo", "A.1.2"),
        ("Appendix C", "C"),
        ("Part 3", "Part-3"),
        ("Chapter 4 Tables", "4"),
        ("Chapter II", "II"),
        ("IV. Data types", "IV"),
        ("Foreword", None),
        ("A Note on Style", None),
        ("2022 Edition", None),
        ("a ltdirchk.dtx", None),
        ("IV Data types", None),
    ],
)
def test_clause_number_is_read_from_the_title_start(title: str, number: str | None) -> None:
    assert clause_number(title) == number


def test_roman_values_reject_invalid_numerals() -> None:
    assert [roman_value(t) for t in ("I", "IV", "XIV", "MCMXC")] == [1, 4, 14, 1990]
    assert roman_value("IIII") is None
    assert roman_value("") is None


def test_slug_is_lowercase_dashed_and_bounded() -> None:
    assert slug("Table of Contents") == "table-of-contents"
    assert len(slug("x" * 100)) == 40


def test_bookmarks_without_destination_are_dropped_with_a_counted_warning() -> None:
    outline = [
        entry("1 Scope", 0, 0),
        entry("OLE_LINK6", 0, None),
        entry("_Toc123", 1, None),
        entry("2 Terms", 0, 1),
    ]
    clauses, warnings = clauses_from_outline(outline, page_count=3)
    assert [c.id for c in clauses] == ["1", "2"]
    assert len(warnings) == 1
    assert "dropped 2 bookmarks" in warnings[0]
    assert "OLE_LINK6" in warnings[0]


def test_destination_past_the_end_is_dropped() -> None:
    clauses, warnings = clauses_from_outline([entry("1 Scope", 0, 0), entry("2 Far", 0, 9)], page_count=3)
    assert [c.id for c in clauses] == ["1"]
    assert "dropped 1" in warnings[0]


def test_children_of_a_dropped_bookmark_move_up_a_level() -> None:
    outline = [entry("Junk", 0, None), entry("1 Scope", 1, 2), entry("1.1 Sub", 2, 3)]
    clauses, _ = clauses_from_outline(outline, page_count=5)
    assert [(c.id, c.level) for c in clauses] == [("1", 0), ("1.1", 1)]


def test_many_bookmarks_on_one_page_are_all_kept() -> None:
    outline = [entry(f"{n} Clause", 0, 4) for n in range(1, 8)]
    clauses, warnings = clauses_from_outline(outline, page_count=5)
    assert [c.id for c in clauses] == [str(n) for n in range(1, 8)]
    assert {c.page_index for c in clauses} == {4}
    assert warnings == []


def test_backwards_page_is_clamped_to_the_previous_clause_start_with_a_warning() -> None:
    outline = [entry("1 A", 0, 0), entry("2 B", 0, 9), entry("3 C", 0, 4), entry("4 D", 0, 12)]
    clauses, warnings = clauses_from_outline(outline, page_count=20)
    assert [c.page_index for c in clauses] == [0, 9, 9, 12]
    assert [c.id for c in clauses] == ["1", "2", "3", "4"]
    assert len(warnings) == 1
    assert "'3' page index 4 -> 9" in warnings[0]


def test_unnumbered_outline_gets_positional_ids() -> None:
    outline = [entry("Intro", 0, 0), entry("Setup", 0, 2), entry("Install", 1, 2), entry("Use", 1, 3)]
    clauses, _ = clauses_from_outline(outline, page_count=5)
    assert [c.id for c in clauses] == ["1", "2", "2.1", "2.2"]
    assert not any(c.numbered for c in clauses)


def test_front_matter_before_the_first_number_gets_slug_ids() -> None:
    outline = [entry("Foreword", 0, 0), entry("Table of Contents", 0, 1), entry("1 Scope", 0, 3)]
    clauses, _ = clauses_from_outline(outline, page_count=5)
    assert [(c.id, c.numbered) for c in clauses] == [
        ("foreword", False),
        ("table-of-contents", False),
        ("1", True),
    ]


def test_restarting_numbering_is_prefixed_with_the_top_level_id() -> None:
    outline = [
        entry("a ltdirchk.dtx", 0, 0),
        entry("1 Introduction", 1, 0),
        entry("1.1 Detail", 2, 1),
        entry("b ltplain.dtx", 0, 2),
        entry("1 Introduction", 1, 2),
        entry("2 Unique", 1, 3),
    ]
    clauses, warnings = clauses_from_outline(outline, page_count=5)
    assert [c.id for c in clauses] == [
        "a-ltdirchk-dtx",
        "a-ltdirchk-dtx/1",
        "a-ltdirchk-dtx/1.1",
        "b-ltplain-dtx",
        "b-ltplain-dtx/1",
        "b-ltplain-dtx/2",
    ]
    assert "'1' x2" in warnings[0]


def test_repeated_top_level_ids_get_a_serial_suffix() -> None:
    clauses, warnings = clauses_from_outline([entry("Index", 0, 0), entry("Index", 0, 1)], page_count=2)
    assert [c.id for c in clauses] == ["1", "2"]  # unnumbered outline: positions
    clauses, warnings = clauses_from_outline(
        [entry("1 Scope", 0, 0), entry("Index", 0, 1), entry("Index", 0, 1)], page_count=2
    )
    assert [c.id for c in clauses] == ["1", "index", "index~2"]
    assert warnings


def test_bare_roman_parts_count_only_as_a_run_from_one() -> None:
    parts = [entry("I Introduction", 0, 0), entry("1 Intro", 1, 0), entry("II Bootstrapping", 0, 1)]
    clauses, _ = clauses_from_outline(parts, page_count=2)
    assert [(c.id, c.numbered) for c in clauses] == [("I", True), ("1", True), ("II", True)]
    letters = [entry("C ltoutput", 0, 0), entry("1 Intro", 1, 0), entry("D ltfinal", 0, 1)]
    clauses, _ = clauses_from_outline(letters, page_count=2)
    assert [(c.id, c.numbered) for c in clauses] == [("c-ltoutput", False), ("1", True), ("d-ltfinal", False)]


def placed(
    title: str, level: int, page: int, top: float, printed: list[str], left: float = 0.2
) -> OutlineEntry:
    return OutlineEntry(title=title, level=level, page_index=page, top=top, left=left, printed=printed)


@pytest.mark.parametrize(
    ("lines", "title", "number"),
    [
        (["1 Creating R packages", "Packages provide a mechanism"], "Creating R packages", "1"),
        (["Chapter 4", "Introduction"], "Introduction", "4"),
        (["CHAPTER 1", "Introduction"], "Introduction", "1"),
        (["Part II", "Bootstrapping"], "Bootstrapping", "Part-II"),
        (["Annex B", "(informative) Examples"], "(informative) Examples", "B"),
        (["Appendix A.1 Foo"], "Foo", "A.1"),
        (["1.1.3.1 Suggested packages"], "Suggested packages", "1.1.3.1"),
        (["7", "1 A Brief Introduction"], "A Brief Introduction", None),  # a page number over the heading
        (["12 Other words entirely"], "Creating R packages", None),  # body text at the destination
        (["CHAPTER 1"], "Introduction", "1"),  # the title set too far below to be read with it
        (["Chapter 4", "Something else"], "Introduction", None),
        (["7"], "Introduction", None),
        ([], "Introduction", None),
        # bjfuthesis: the destination a line high, the paragraph above's last line crossing it
        (
            ["的精神，将本 TEX 文档类开源于 https://github.com/bjfu-projects", "1.2 文档结构"],
            "文档结构",
            "1.2",
        ),
        (["the end of the paragraph above.", "3 Other words"], "Introduction", None),
        (["Introduction", "2 Scope of this part"], "Introduction", None),  # the title itself, unnumbered
        (["24.186 \\&", "This command writes the & character"], "\\&", "24.186"),  # a title of symbols
        (["24.186 \\&"], "\\$", None),
    ],
)
def test_the_number_printed_at_a_destination_counts_only_over_its_own_title(lines, title, number) -> None:
    assert printed_number(lines, title) == number


def test_ids_come_from_the_print_when_the_outline_has_no_numbers() -> None:
    outline = [
        placed("Acknowledgements", 0, 1, 0.1, ["Acknowledgements"]),
        placed("Creating R packages", 0, 2, 0.1, ["1 Creating R packages"]),
        placed("Package structure", 1, 3, 0.6, ["1.1 Package structure"]),
        placed("Writing R documentation", 0, 9, 0.1, ["Chapter 2", "Writing R documentation"]),
        placed("Index", 0, 12, 0.1, ["Index"]),
    ]
    clauses, warnings = clauses_from_outline(outline, 20)
    assert [c.id for c in clauses] == ["acknowledgements", "1", "1.1", "2", "index"]
    assert [c.number for c in clauses] == [None, "1", "1.1", "2", None]
    assert [c.top for c in clauses] == [0.1, 0.1, 0.6, 0.1, 0.1] and not warnings


def test_an_appendix_with_a_dotted_number_keeps_it_whole() -> None:
    assert clause_number("Appendix A.1 Creating an IRI") == "A.1"
    assert clause_number("Section 8.7 Limits") == "8.7"


def test_a_destination_above_the_previous_one_on_its_page_loses_its_position() -> None:
    outline = [
        placed("3.4 Profiling compiled code", 0, 116, 0.51, []),
        placed("3.4.1 Linux", 1, 116, 0.64, []),
        placed("sprof", 2, 116, 0.09, []),  # the generator's destination points at the page top
        placed("oprofile", 2, 117, 0.09, []),
    ]
    clauses, warnings = clauses_from_outline(outline, 200)
    assert [c.top for c in clauses] == [0.51, 0.64, None, 0.09]
    assert any("above the previous bookmark" in w and "'sprof'" in w for w in warnings)


def test_higher_on_the_page_in_another_column_is_not_backwards() -> None:
    outline = [placed("1 Left", 0, 3, 0.8, [], left=0.08), placed("2 Right", 0, 3, 0.1, [], left=0.55)]
    clauses, warnings = clauses_from_outline(outline, 10)
    assert [c.top for c in clauses] == [0.8, 0.1] and not warnings


def test_higher_in_the_next_column_of_a_three_column_index_is_not_backwards() -> None:
    """tl-achemso's index: `C` heads the third column, above `B` in the second, 0.20 page to the right."""
    outline = [
        placed("B", 0, 61, 0.765, [], left=0.442),
        placed("C", 0, 61, 0.522, [], left=0.646),
        placed("D", 0, 61, 0.40, [], left=0.66),  # above `C` in the same column: backwards
    ]
    clauses, _ = clauses_from_outline(outline, 70)
    assert [c.top for c in clauses] == [0.765, 0.522, None]


def test_a_clamped_page_keeps_no_position() -> None:
    outline = [placed("1 A", 0, 5, 0.5, []), placed("2 B", 0, 3, 0.2, [])]
    clauses, _ = clauses_from_outline(outline, 10)
    assert [(c.page_index, c.top) for c in clauses] == [(5, 0.5), (5, None)]


def test_ascii_fast_path_of_tokens_agrees_with_the_unicode_path() -> None:
    samples = [chr(code) * 2 + " x" + chr(code) + "7.1" for code in range(128)]
    samples += ["17 .4.2Foo-Bar", "ANNEX  B (informative)", "a\x02b", "Foo_Bar 2nd", "MiXeD Case IX"]
    for text in samples:
        slow = tuple(_TOKEN.findall(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()))
        assert tokens(text) == slow, repr(text)


def test_a_bookmark_given_twice_repeats_its_first_and_plans_nothing_backwards() -> None:
    """tl-savetrees-sample: pdfpages lists the four parts' /Fit bookmarks again, after the last one."""
    titles = [("Normal", 0), ("Subtle", 3), ("Moderate", 6), ("Extreme", 8)]
    outline = [entry(title, 0, page) for title, page in titles * 2]
    clauses, warnings = clauses_from_outline(outline, page_count=9)
    assert [(c.id, c.repeats) for c in clauses] == [
        ("1", None),
        ("2", None),
        ("3", None),
        ("4", None),
        ("5", "1"),
        ("6", "2"),
        ("7", "3"),
        ("8", "4"),
    ]
    assert [c.page_index for c in clauses] == [0, 3, 6, 8, 8, 8, 8, 8]  # never backwards, for the plan
    assert len(warnings) == 1 and "4 bookmarks repeat an earlier one" in warnings[0]


def test_a_repeated_numbered_bookmark_takes_a_suffix_and_prefixes_no_part() -> None:
    outline = [entry("1 Scope", 0, 0), entry("1.1 Aim", 1, 0), entry("2 Terms", 0, 1), entry("1 Scope", 0, 0)]
    clauses, _ = clauses_from_outline(outline, page_count=2)
    assert [(c.id, c.repeats) for c in clauses] == [("1", None), ("1.1", None), ("2", None), ("1~2", "1")]


def test_the_same_title_elsewhere_or_at_another_level_is_no_repeat() -> None:
    outline = [
        placed("Examples", 0, 2, 0.1, []),
        placed("Examples", 1, 2, 0.1, []),  # a section's only subsection, at its heading
        placed("Examples", 0, 2, 0.6, []),  # lower on the page
        placed("Examples", 0, 3, 0.6, []),  # on the next page
    ]
    clauses, _ = clauses_from_outline(outline, page_count=5)
    assert [c.repeats for c in clauses] == [None, None, None, None]


@pytest.mark.parametrize(
    ("title", "words"),
    [
        ("1.1 Paths", 2),
        ("Annex B (normative) Examples", 2),
        ("Chapter 4 Intro", 2),
        ("Part II Getting started", 2),
        ("A.1.2 Scope", 3),
        ("Introduction", 0),
        ("2022 in review", 0),
    ],
)
def test_the_words_of_a_titles_own_number_are_counted_with_its_label(title, words):
    assert number_words(title) == words


@pytest.mark.parametrize(
    ("lines", "title", "prints"),
    [
        (["4 Driver file", "Then we define"], "Dimensions, coordinates and angles", False),
        (["1 Arguments and delimiters", "Here is"], "Arguments and delimiters", True),
        (["I", "The Essentials"], "Part I The Essentials", True),  # a label line over its title
        (["preted relative to the point.", "22 For hackers only"], "For hackers only", True),
        (["Annex B (normative) Examples"], "Examples", True),
        (["12.1 Scope"], "12.1 Scope", True),
        ([], "Change log", None),  # no position, no text layer: nothing to tell
        (["4 Driver file"], "4", None),  # a title of its number alone
    ],
)
def test_prints_title_tells_whether_a_destination_prints_its_bookmark(lines, title, prints):
    assert prints_title(lines, title) is prints


def test_a_run_pointing_ahead_to_pages_without_its_titles_is_planned_before_the_next_right_bookmark() -> None:
    """tl-pstricks-doc: four sections of Part I and II point 220 pages ahead (anchors that clash with the
    appendix's), at headings that are not theirs; `Part II` and `Plots` print theirs."""
    outline = [
        placed("Color", 1, 10, 0.07, ["2 Color", "The grayscales"]),
        placed("Dimensions, coordinates and angles", 1, 236, 0.12, ["4 Driver file"]),
        placed("Basic graphics parameters", 1, 236, 0.73, ["5 pst-li3d wrapper"]),
        placed("Part II Basic graphics objects", 0, 15, 0.13, ["II", "Basic graphics objects"]),
        placed("Lines and polygons", 1, 237, 0.25, ["as when the code is generated.", "6 pst-li3d code"]),
        placed("Curves", 1, 253, 0.22, ["8 Color commands"]),
        placed("Plots", 1, 24, 0.76, ["11 Plots", "The plotting commands"]),
        placed("Part III More graphics parameters", 0, 29, 0.13, ["III", "More graphics parameters"]),
    ]
    clauses, warnings = clauses_from_outline(outline, page_count=338)
    assert [(c.page_index, c.top) for c in clauses] == [
        (10, 0.07),
        (10, None),
        (10, None),
        (15, 0.13),
        (15, None),
        (15, None),
        (24, 0.76),
        (29, 0.13),
    ]
    assert len(warnings) == 1 and warnings[0].startswith("4 bookmarks point ahead to pages that do not print")
    assert "'dimensions-coordinates-and-angles' page index 236 -> 10" in warnings[0]


def test_a_backward_bookmark_is_clamped_when_the_run_before_it_prints_its_titles() -> None:
    outline = [
        placed("1 Scope", 0, 0, 0.1, ["1 Scope"]),
        placed("2 Install", 0, 9, 0.1, ["2 Install"]),
        placed("3 Use", 0, 4, 0.1, ["3 Use"]),
    ]
    clauses, warnings = clauses_from_outline(outline, page_count=20)
    assert [(c.page_index, c.top) for c in clauses] == [(0, 0.1), (9, 0.1), (9, None)]
    assert len(warnings) == 1 and "'3' page index 4 -> 9" in warnings[0]


def test_a_run_without_positions_before_a_bookmark_printing_its_title_is_planned_before_it() -> None:
    """tl-hvfloat's capPos: five subsections of section 3 point to page 18 without a position; section 4
    prints its title on page 15."""
    outline = [
        placed("3 Examples for twocolumn mode", 0, 15, 0.1, ["3 Examples for twocolumn mode"]),
        entry("3.2 capPos=top", 1, 18),
        entry("3.3 capPos=inner", 1, 18),
        placed("4 Examples for capVPos", 0, 15, 0.13, ["4 Examples for capVPos and", "twocolumn mode"]),
    ]
    clauses, _ = clauses_from_outline(outline, page_count=20)
    assert [(c.page_index, c.top) for c in clauses] == [(15, 0.1), (15, None), (15, None), (15, 0.13)]


def test_a_backward_bookmark_that_does_not_print_its_title_is_clamped() -> None:
    """tl-comment: the change log's bookmarks have no position, page 0, after sections on pages 0-3."""
    outline = [
        placed("Purpose", 0, 0, 0.3, ["1 Purpose"]),
        placed("Basic approach", 0, 3, 0.2, ["5 Change log"]),
        entry("Change log", 0, 0),
    ]
    clauses, _ = clauses_from_outline(outline, page_count=4)
    assert [c.page_index for c in clauses] == [0, 3, 3]

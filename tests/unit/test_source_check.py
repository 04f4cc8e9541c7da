"""The source cross-check on the sample standard: clause files written from its own text layer are
clean, and planted misreads, dropped letters, lost lines and lost paragraphs are found on the right
clause and page."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from platform_assets.domain.pdf.pdf_facts import OutlineEntry, PdfError
from platform_assets.domain.pdf.pdf_text import PageWords, keys, words
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.verify.findings import CheckName, ClauseText, Severity
from platform_assets.domain.verify.near_miss import edit_distance
from platform_assets.domain.verify.source_check import (
    MIN_LINE_CHARS,
    MIN_LINE_KEYS,
    SHOWN_LINE,
    check_source_text,
    clause_words,
)
from tests.text_layer import text_layer_clauses


@pytest.fixture(scope="module")
def clean(sample) -> list[ClauseText]:
    entries = [
        OutlineEntry(title=title, level=level, page_index=page) for level, title, page in sample.outline
    ]
    clauses, _ = clauses_from_outline(entries, sample.page_count)
    return text_layer_clauses(sample.pdf, clauses)


@pytest.fixture
def pages(sample):
    with PageWords(sample.pdf) as opened:
        yield opened


def edited(texts: list[ClauseText], clause_id: str, old: str, new: str) -> list[ClauseText]:
    """The clause files with the first `old` of one clause replaced."""
    (target,) = [t for t in texts if t.clause_id == clause_id]
    assert old in target.markdown
    changed = dataclasses.replace(target, markdown=target.markdown.replace(old, new, 1))
    return [changed if t is target else t for t in texts]


def by_id(report, clause_id: str):
    return next(c for c in report.clauses if c.clause_id == clause_id)


def without(texts: list[ClauseText], clause_id: str, *lines: str) -> list[ClauseText]:
    """The clause files with consecutive lines (the first place they occur) deleted from one clause."""
    return edited(texts, clause_id, "\n" + "\n".join(lines) + "\n", "\n")


def is_checked(line: str) -> bool:
    found = keys(line)
    return len(found) >= MIN_LINE_KEYS and sum(map(len, found)) >= MIN_LINE_CHARS


def shown(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= SHOWN_LINE else line[: SHOWN_LINE - 1].rstrip() + "\u2026"


def lost_lines(report) -> list:
    return [f for f in report.findings if f.kind == "lost_line"]


def reflowed(markdown: str) -> str:
    """A file as a parser writes it: each paragraph of up to five lines on one line, line-end hyphens
    joined, a ligature and Markdown escapes."""
    title, body = markdown.split("\n\n", 1)
    lines = body.splitlines()
    paragraphs = []
    for start in range(0, len(lines), 5):
        text = re.sub(r"(\w)-\n(\w)", r"\1\2", "\n".join(lines[start : start + 5]))
        text = re.sub(r"([\\`*_\[\]#|])", r"\\\1", " ".join(text.split()))
        paragraphs.append(text.replace("fi", "\ufb01"))
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def test_keys_read_ligatures_soft_and_line_end_hyphens_entities_and_quotes_alike():
    assert keys("The \ufb01le encoun-\r\ntered x\u00adyz can\u2019t &amp; ST_Align") == [
        "the", "file", "encountered", "xyz", "can't", "st", "align",
    ]  # fmt: skip
    assert keys("Encoun\ufffetered") == ["encountered"]  # PDFium's own mark of a line-end hyphen
    assert keys("Part-\nTwo") == ["part", "two"]  # a capital after the break: a real hyphen


def test_words_keep_both_forms_of_a_word_broken_at_a_line_end():
    broken = words("user-\ninterface")
    assert broken.counts == {"userinterface": 1}
    assert broken.has("user") and broken.has("interface") and not broken.has("inter")
    assert words("An Align, an align").spelled("align") == "align"
    assert words("ST_Align only").spelled("align") == "Align"


def test_a_swap_is_one_edit():
    assert edit_distance("lable", "label") == 1
    assert edit_distance("algn", "align") == 1
    assert edit_distance("halign", "valign") == 1
    assert edit_distance("spacnig", "spacing") == 1
    assert edit_distance("widget", "gadget") == 2


def test_a_page_is_read_once_while_cached_and_the_cache_is_bounded(sample):
    with PageWords(sample.pdf, cache_pages=2) as pages:
        first = pages.page(10)
        assert pages.page(10) is first and pages.reads == 1
        pages.page(11), pages.page(12)
        assert pages.reads == 3
        pages.page(10)
        assert pages.reads == 4  # left the cache: read again


def test_a_file_that_is_not_a_pdf_is_refused_with_its_name(tmp_path):
    fake = tmp_path / "notes.pdf"
    fake.write_text("not a PDF")
    with pytest.raises(PdfError, match=r"notes\.pdf is not a PDF"):
        PageWords(fake)


def test_running_headers_and_footers_are_furniture_and_headings_are_not(pages):
    text = pages.page(10)
    furniture = pages.furniture(10)
    assert {text.lines[i] for i in furniture} == {
        "acme-1234:2024(e) widget markup language",
        "© acme standards 2024 – all rights reserved 7",
    }
    assert "7 processing model" in text.lines
    assert pages.furniture(0) == frozenset()  # the title page has none


def test_a_running_head_printed_on_one_page_only_is_furniture_by_its_page_number(tmp_path):
    """tkz-euclide: chapter 5 fits on page 34, whose head names it and ends with the page's number; no
    neighbour repeats it. A heading starting with its number on the page of that number is no head."""
    path = tmp_path / "heads.pdf"
    drawing = Canvas(str(path), pagesize=(400, 600))
    for lines in (
        ["1 Introduction", "This package draws Euclidean geometry."],
        ["5. First step: fixed points 2", "5. First step: fixed points", "The first step defines points."],
    ):
        for at, line in enumerate(lines):
            drawing.drawString(50, 560 - 40 * at, line)
        drawing.showPage()
    drawing.save()
    with PageWords(path) as pages:
        assert pages.furniture(0) == frozenset()
        assert [pages.page(1).lines[i] for i in pages.furniture(1)] == ["5. first step: fixed points 2"]


def test_clean_clause_files_give_no_findings_and_full_recall(clean, pages):
    report = check_source_text(clean, pages)
    assert report.findings == []
    assert all(c.recall == 1.0 and c.garbles == 0 and c.measured_with == () for c in report.clauses)
    assert all(c.lines_lost == 0 for c in report.clauses) and sum(c.lines for c in report.clauses) > 800
    assert pages.reads == pages.page_count  # one walk, every page read once
    assert report.note == f"{len(clean)} clauses, recall 1.000, 0 garbles"


def test_a_misread_that_spells_a_name_used_elsewhere_is_a_garble(clean, pages):
    # `name` is a word of the document (the schema listing, pages 33-34), never on pages 6-8
    assert pages.page(32).words.has("name")
    assert not any(pages.page(p).words.has("name") for p in range(5, 9))
    texts = edited(clean, "5.1.1", "the same widget element", "the name widget element")
    report = check_source_text(texts, pages)
    (finding,) = report.findings
    assert (finding.check, finding.kind, finding.severity) == (
        CheckName.SOURCE_TEXT,
        "garble",
        Severity.ERROR,
    )
    assert (finding.clause_id, finding.path, finding.subject, finding.expected) == (
        "5.1.1", "5.1.1.md", "name", "same",
    )  # fmt: skip
    assert 6 in finding.pages and all(5 <= p <= 8 for p in finding.pages)
    assert by_id(report, "5.1.1").garbles == 1


def test_a_dropped_letter_is_caught_with_its_clause_and_page(clean, pages):
    texts = edited(clean, "5.1.2.1", "The align attribute takes", "The algn attribute takes")
    report = check_source_text(texts, pages)
    (finding,) = report.findings
    assert (finding.clause_id, finding.subject, finding.expected) == ("5.1.2.1", "algn", "align")
    assert 7 in finding.pages  # 5.1.2.1 is on page 8 (index 7)
    assert "'algn' is on no page 7-9 of the PDF text" in finding.message


def test_short_words_numbers_and_code_values_are_not_garbles(clean, pages):
    texts = edited(clean, "5.1.1", 'width="220px"', 'width="230px"')
    texts = edited(texts, "5.1.1", 'id="w1"', 'id="w7"')
    texts = edited(texts, "5.1.1", "computed src", "computed scr")
    assert check_source_text(texts, pages).findings == []


def test_a_lost_paragraph_lowers_recall_of_that_clause_only(clean, pages):
    (layout,) = [t for t in clean if t.clause_id == "7.3"]
    lines = layout.markdown.splitlines()
    shortened = "\n".join(lines[:20] + lines[80:])
    texts = [dataclasses.replace(t, markdown=shortened) if t is layout else t for t in clean]
    report = check_source_text(texts, pages)
    finding, lost = report.findings
    assert (finding.kind, finding.severity, finding.clause_id) == ("low_recall", Severity.WARN, "7.3")
    assert finding.score is not None and finding.score < 0.85
    assert finding.pages == tuple(range(layout.first_page, layout.last_page + 1))
    # 7.2 ends and 7.4 starts on pages 7.3 shares: they are measured apart and stay whole
    assert by_id(report, "7.2").recall == by_id(report, "7.4").recall == 1.0
    # the lines themselves: one run of every checked line cut, page numbers and running heads aside
    cut = [line for line in lines[20:80] if is_checked(line) and "ACME" not in line]
    assert (lost.kind, lost.severity, lost.clause_id) == ("lost_line", Severity.ERROR, "7.3")
    assert lost.subject == shown(cut[0]) and lost.message.endswith(f"'{shown(cut[-1])}'")
    assert f"{len(cut)} consecutive lines of pages 20-23" in lost.message
    assert by_id(report, "7.3").lines_lost == len(cut) == 48
    assert by_id(report, "7.2").lines_lost == by_id(report, "7.4").lines_lost == 0


def test_clauses_sharing_a_page_are_measured_apart_at_their_heading_lines(clean, pages):
    report = check_source_text(clean, pages)
    on_page_5 = [c for c in report.clauses if c.pages == (4,)]
    assert [c.clause_id for c in on_page_5] == ["1", "2", "3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6"]
    assert all(c.measured_with == () and c.recall == 1.0 for c in on_page_5)
    # 3.2's own words: its heading and definition, the bare number aside
    assert by_id(report, "3.2").words == len(
        keys("panel container that arranges its children along one orientation")
    )


def test_without_a_heading_line_neighbours_are_measured_together(clean, pages):
    texts = [
        dataclasses.replace(t, title="3.2 Container (renamed)") if t.clause_id == "3.2" else t for t in clean
    ]
    report = check_source_text(texts, pages)
    assert by_id(report, "3.2").measured_with == ("3.1",)
    assert by_id(report, "3.1").measured_with == ("3.2",)
    assert by_id(report, "3.2").recall == 1.0 and report.findings == []


def test_contents_entries_do_not_count_against_recall(clean, pages):
    # the tree leaves the internal table of contents (page iii) out of the Foreword's file
    (foreword,) = [t for t in clean if t.clause_id == "foreword"]
    assert foreword.first_page == 1 and foreword.last_page == 3
    kept = foreword.markdown.split("\nForeword ii\n")[0]  # up to the heading `Contents`
    texts = [dataclasses.replace(t, markdown=kept) if t is foreword else t for t in clean]
    report = check_source_text(texts, pages)
    assert report.findings == []
    assert by_id(report, "foreword").recall == 1.0


def test_garbles_are_capped_per_clause_and_counted(clean, pages):
    texts = edited(clean, "5.1.2.1", "The align attribute takes", "The algn attribute takes")
    texts = edited(texts, "5.1.2.1", "values left, center or right", "values left, cnter or right")
    texts = edited(texts, "5.1.2.1", "The algn attribute", "The algn attribute algn")  # repeated: one finding
    report = check_source_text(texts, pages, max_garbles=1)
    assert [f.subject for f in report.findings] == ["algn"]
    assert by_id(report, "5.1.2.1").garbles == 2


def test_a_lost_prose_line_is_reported_with_its_clause_page_and_text(clean, pages):
    line = "inherited value. Unknown attributes on the label element are ignored, and a warning may be"
    report = check_source_text(without(clean, "5.1.2.1", line), pages)
    (finding,) = lost_lines(report)  # and a low recall (80%): a sixth of a short clause's words are gone
    assert [f.kind for f in report.findings] == ["low_recall", "lost_line"]
    assert (finding.check, finding.kind, finding.severity) == (
        CheckName.SOURCE_TEXT,
        "lost_line",
        Severity.WARN,
    )
    assert (finding.clause_id, finding.path, finding.pages) == ("5.1.2.1", "5.1.2.1.md", (7,))
    assert (
        finding.subject == shown(line) == "inherited value. Unknown attributes on the label element ar\u2026"
    )
    assert finding.message == (
        f"5.1.2.1.md: a line of page 8 is in neither this file nor its neighbours': '{shown(line)}'"
    )
    assert (by_id(report, "5.1.2.1").lines, by_id(report, "5.1.2.1").lines_lost) == (5, 1)  # heading, 4 lines


def test_a_code_line_lost_from_a_listing_is_found_missing_though_its_twin_is_there(clean, pages):
    # `<xs:element ref="label"/>` is in the listing twice (choices of widget and panel, both on page 33):
    # every word of the lost one is still on the page and in the file
    (listing,) = [t for t in clean if t.clause_id == "A.1"]
    assert listing.markdown.count(' <xs:element ref="label"/>') == 2
    report = check_source_text(without(clean, "A.1", ' <xs:element ref="label"/>'), pages)
    (finding,) = report.findings
    assert (finding.kind, finding.severity, finding.clause_id) == ("lost_line", Severity.WARN, "A.1")
    assert (finding.pages, finding.subject) == ((32,), '<xs:element ref="label"/>')
    assert by_id(report, "A.1").lines_lost == 1


def test_a_lost_line_is_told_from_a_near_twin_and_reported_on_its_own_page(clean, pages):
    # widget's `width` (page 33) differs from panel's `spacing` by one word; image's `width` is on page 34
    width = ' <xs:attribute name="width" type="ST_Length" default="auto"/>'
    report = check_source_text(without(clean, "A.1", width), pages)
    (finding,) = report.findings
    assert (finding.clause_id, finding.pages, finding.subject) == ("A.1", (32,), width.strip())


def test_a_run_of_lost_lines_is_one_error(clean, pages):
    run = [
        "may cache the computed src of each wml element between layout passes. When two rules apply to",
        "the same widget element, the rule given later in this clause takes precedence. Whitespace inside",
        "each panel element is collapsed as for xs:token unless stated otherwise.",
    ]
    listing = [
        ' <xs:enumeration value="push"/>',
        ' <xs:enumeration value="toggle"/>',
        ' <xs:enumeration value="radio"/>',
    ]
    texts = without(without(clean, "5.1.1", *run), "A.1", *listing)
    report = check_source_text(texts, pages)
    prose, code = lost_lines(report)
    assert (prose.kind, prose.severity, prose.clause_id, prose.pages) == (
        "lost_line",
        Severity.ERROR,
        "5.1.1",
        (6,),
    )
    assert prose.message == (
        "5.1.1.md: 3 consecutive lines of page 7 are in neither this file nor its neighbours': "
        f"'{shown(run[0])}' to '{shown(run[-1])}'"
    )
    assert (code.severity, code.clause_id, code.pages, code.subject) == (
        Severity.ERROR, "A.1", (32,), '<xs:enumeration value="push"/>',
    )  # fmt: skip
    assert by_id(report, "5.1.1").lines_lost == by_id(report, "A.1").lines_lost == 3
    assert report.note.endswith(f"0 garbles, 6 of {sum(c.lines for c in report.clauses)} lines lost")


def test_reflowed_reordered_and_misread_lines_are_not_lost(clean, pages):
    texts = [dataclasses.replace(t, markdown=reflowed(t.markdown)) for t in clean]
    (listing,) = [t for t in texts if t.clause_id == "7.1"]  # a paragraph moved to the end of its file
    title, first, rest = listing.markdown.split("\n\n", 2)
    moved = dataclasses.replace(listing, markdown=f"{title}\n\n{rest}\n{first}\n")
    texts = [moved if t is listing else t for t in texts]
    texts = edited(texts, "5.1.2.1", "The align attribute takes", "The algn attribute takes")
    report = check_source_text(texts, pages)
    assert [f.kind for f in report.findings] == ["garble"]
    assert all(c.lines_lost == 0 for c in report.clauses)


def test_a_line_the_file_sets_half_as_prose_half_as_code_is_not_lost(clean, pages):
    # MinerU on a docstrip listing: `294 <latexrelease>` as a paragraph, `{Final dot}%` opening a fence
    width = ' <xs:attribute name="width" type="ST_Length" default="auto"/>'
    split = '\n<xs:attribute name="width"\n\n```xml\ntype="ST_Length" default="auto"/>\n```\n\n'
    report = check_source_text(edited(clean, "A.1", f"\n{width}\n", split), pages)
    assert lost_lines(report) == [] and by_id(report, "A.1").lines_lost == 0


def test_a_line_written_into_the_neighbouring_file_is_not_lost(clean, pages):
    # a block the parser gave to the next clause: the page they share holds both
    line = "each panel element is collapsed as for xs:token unless stated otherwise."
    texts = edited(clean, "5.1.1", f"\n{line}\n", "\n")
    texts = edited(texts, "5.1.2", "# 5.1.2 Attributes\n\n", f"# 5.1.2 Attributes\n\n{line}\n")
    assert lost_lines(check_source_text(texts, pages)) == []


def test_lost_lines_are_capped_per_clause_and_counted(clean, pages):
    first = "The align attribute takes one of the values left, center or right of ST_Align, with the meaning "
    first += "given in"  # two runs: the line between them is kept
    second = "inherited value. Unknown attributes on the label element are ignored, and a warning may be"
    report = check_source_text(
        without(without(clean, "5.1.2.1", first), "5.1.2.1", second), pages, max_lost=1
    )
    assert [f.subject for f in lost_lines(report)] == [shown(first)]
    assert by_id(report, "5.1.2.1").lines_lost == 2


def test_the_child_links_of_a_barrel_are_not_compared():
    barrel = "# 5 Markup\n\nThis clause.\n\n## Contents\n\n- [5.1 The wdget element](5-1/5-1-0-index.md)\n"
    assert set(clause_words(barrel).counts) == {"5", "markup", "this", "clause"}


@pytest.fixture
def half_scanned(tmp_path):
    """Page 1 has a text layer; page 2 is an image without text, as a scan is."""
    path = tmp_path / "half-scanned.pdf"
    canvas = Canvas(str(path))
    canvas.drawString(72, 720, "The widget element is the unit of composition of every document.")
    canvas.showPage()
    image = io.BytesIO()
    Image.new("L", (40, 40), 128).save(image, format="PNG")
    canvas.drawImage(ImageReader(image), 72, 400, width=200, height=200)
    canvas.showPage()
    canvas.save()
    return path


def test_a_scanned_page_gives_unknown_recall_and_skips_the_garble_check(half_scanned):
    texts = [
        ClauseText(
            "1",
            "1.md",
            "1 Widgets",
            0,
            1,
            "# 1 Widgets\n\nThe wdget element is the unit of composition of every document.",
        ),
        ClauseText("2", "2.md", "2 Scan", 1, 1, "# 2 Scan\n\nText read from the scan.\n"),
    ]
    with PageWords(half_scanned) as pages:
        assert [pages.page(i).scanned for i in range(2)] == [False, True]
        report = check_source_text(texts, pages)
    first, scan = report.clauses
    assert first.scanned == (1,) and first.garbles is None and first.recall is not None
    assert scan.scanned == (1,) and scan.recall is None and scan.words == 0 and scan.garbles is None
    assert report.findings == []
    assert report.note.endswith("0 garbles, 2 not checked for garbles (scanned pages)")

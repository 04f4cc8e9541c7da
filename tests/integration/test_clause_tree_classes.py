"""The clause tree on real third-party PDFs, one small page range per failure class (tests/corpus/EXTRA.md):
real MinerU flash parses, the real outline, the real text layer.

On each range: every outline entry of the range opens a clause, no clause file is empty while its own
region of the PDF holds words, and every block is placed or dropped for a named reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gpu_image.worker.package import save_middle
from gpu_image.worker.parse import parse_pdf
from platform_assets.domain.parse.adapters import blocks_from_middle_json
from platform_assets.domain.pdf.pdf_facts import read_pdf_facts
from platform_assets.domain.pdf.pdf_text import keys
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.clause_regions import own_words
from platform_assets.domain.tree.clause_tree import ClauseTree, SourceBatch, body_text, build_clause_tree
from tests.markdown_figures import read_tree

pytestmark = pytest.mark.slow
MIN_OWN_WORDS = 3


def tree_of_pages(pdf: Path, first: int, last: int) -> tuple[ClauseTree, list]:
    """The tree of pages `first..last` (0-based) with the outline entries that start there."""
    facts = read_pdf_facts(pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    clauses = [clause for clause in clauses if first <= clause.page_index <= last]
    blocks = blocks_from_middle_json(parse_pdf(pdf, "flash", first, last).result.to_dict())
    tree = build_clause_tree(pdf.stem, pdf.stem, [SourceBatch("b001", blocks, pdf.parent)], clauses, pdf=pdf)
    return tree, clauses


def assert_whole(tree: ClauseTree, clauses: list, pdf: Path, last: int) -> None:
    manifest = tree.manifest
    assert clauses and manifest.unmatched == [], manifest.unmatched
    assert manifest.blocks_lost == 0
    assert manifest.blocks_assigned + manifest.blocks_dropped == manifest.blocks_total
    regions = own_words(pdf, clauses, end_page=last)
    empty = [
        (clause.id, words[:6])
        for clause, words in zip(clauses, regions, strict=True)
        if len(words) >= MIN_OWN_WORDS and not keys(body_text(tree.files[manifest.clauses[clause.id].path]))
    ]
    assert empty == []


def heading(tree: ClauseTree, clause_id: str) -> str:
    return tree.files[tree.manifest.clauses[clause_id].path].splitlines()[0]


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        (
            "deb-glpk.pdf",
            8,
            12,
        ),  # `Chapter 1` over `Introduction`; `1.1 LP problem` for bookmark `LP problem`
        ("tl-beameruserguide.pdf", 10, 12),  # `Part I` over `Getting Started`; bookmark `I Getting Started`
        ("deb-maximabook.pdf", 6, 9),  # `Part I` over a title wrapped on two lines; `CHAPTER 1` alone
        ("tl-memman.pdf", 36, 40),  # `One` over `Starting off`, blank page 37
        ("deb-gnuplot.pdf", 20, 23),  # no number in the outline nor in the print; sections mid-page
        ("r-R-exts.pdf", 7, 11),  # outline without numbers, the body numbered
        ("deb-debian-reference.pdf", 28, 31),  # destinations a line above their headings (DocBook)
        ("deb-reportlab-userguide.pdf", 5, 8),  # /Fit destinations: no position, headings matched
        ("tl-interface3.pdf", 26, 28),  # function signatures that flash returns as empty equations
        ("tl-csquotes.pdf", 39, 39),  # destinations a hair above the bottom of the entry before
        ("tl-csquotes.pdf", 46, 47),  # a change history typed as one index block: versions inside it
        ("tl-microtype-code.pdf", 244, 245),  # versions printed in the margin of a column-high paragraph
        ("tl-microtype-code.pdf", 259, 260),  # index letter groups balanced over two columns, merged
        ("deb-gpsbabel.pdf", 48, 48),  # a page the tier typed as one table of layout text
        ("tl-keyfloat.pdf", 113, 113),  # an index page the tier reads across its two columns
        ("tl-ragged2e.pdf", 18, 18),  # a heading under both columns read before the right column
        ("tl-interface3.pdf", 323, 325),  # an index page typed as one block, its columns merged by line
        ("tl-interface3.pdf", 330, 331),  # the same, destinations only in the right column
        ("tl-dbshow.pdf", 0, 72),  # versions anchored at their own lines, below the headings' offset
        ("tl-achemso.pdf", 61, 61),  # a three-column index read across; a letter higher in the next column
        ("tl-achemso.pdf", 64, 64),  # the first two of three index columns merged line by line
        ("erl-crypto.pdf", 37, 37),  # functions bookmarked `name/arity`, three entries in one code block
        ("erl-erl_interface.pdf", 14, 15),  # C signatures sharing one entry, run into one paragraph
        ("tl-hustthesis.pdf", 54, 56),  # two index columns run line by line into paragraphs
        ("tl-hustthesis.pdf", 59, 59),  # the same, `V` (left) and `X` (right) in one paragraph
        ("tl-ltnews.pdf", 28, 29),  # two columns: sections opened by a subsection, text level beside them
        ("tl-mplibapi.pdf", 4, 7),  # /Fit, unnumbered: `3.3.1 mp_filetype` as text, API signatures
        ("tl-mplibapi.pdf", 10, 10),  # signatures merged with their descriptions, several per page
        ("tl-xwatermark-guide.pdf", 7, 7),  # /FitB: `4.1 The \newwallpaper macro`, bookmark `4.1 The macro`
        ("tl-xwatermark-guide.pdf", 22, 22),  # `1.5.2a (2012/02/01)` printed `Version 1.5.2a[2012/02/01]`
        ("tl-savetrees-sample.pdf", 0, 8),  # /Fit bookmarks printed nowhere, then all of them again
        ("deb-maximabook.pdf", 126, 127),  # `CHAPTER 32` beside the title, read after `32.1 Requirements`
        ("tl-asmeconf-ode-example.pdf", 0, 1),  # destinations under headings run into the paragraph above
        ("tl-bjfuthesis.pdf", 3, 4),  # a centred chapter heading read after the first section's
        ("tl-minitoc.pdf", 0, 27),  # /Fit, headings run into paragraphs (parsed from p1) found on their lines
        ("tl-lua-widow-control.pdf", 14, 14),  # /Fit, side headings level with their paragraphs' first lines
        ("tl-lua-widow-control.pdf", 3, 3),  # a section's title read after the side heading below it
        ("tl-lua-widow-control.pdf", 17, 17),  # a side heading after a math letter outside the BMP (`𝜀-TEX`)
        ("tl-revtex-aipguide.pdf", 0, 0),  # contents lines and the right column's heading in one block
        ("deb-gnucash-guide-it.pdf", 22, 22),  # `File` (outdented) read before the paragraph above it
        ("tl-tkz-euclide.pdf", 103, 103),  # a heading set beside the figure before it, read into the figure
        ("deb-doxygen-manual.pdf", 218, 218),  # titles of symbols alone (`\\&`, `\\.`): no words to match
        ("erl-crypto.pdf", 12, 12),  # a heading, its line and a subsection run into a table's caption
        ("tl-tkz-euclide.pdf", 69, 71),  # examples beside their code: the code read after the next heading
        ("deb-gnucash-guide-it.pdf", 34, 34),  # a page typed as one table, its box a line above its title
        ("tl-unicode-math-code.pdf", 135, 135),  # index letters set in the gutter, left of their column
        ("tl-unicode-math-code.pdf", 142, 142),  # an index page as one block, its only blank strip at `V`'s
        ("tl-multicol.pdf", 34, 34),  # four index columns above a history in two, its heading read early
        ("tl-pdfscreen-manual.pdf", 4, 4),  # `1.4. Packages ... pdfscreen` for `... section1pdfscreen`
        ("tl-apnum.pdf", 30, 30),  # `\\apROLLa` marked over the last line of the paragraph before its own
        ("tl-glossaries-user.pdf", 238, 238),  # commands marked at the right end of the line before their box
    ],
)
def test_every_outline_entry_of_the_range_gets_its_own_text(extra_pdfs, real_pdfs, name, first, last) -> None:
    pdf = (extra_pdfs if (extra_pdfs / name).is_file() else real_pdfs) / name
    tree, clauses = tree_of_pages(pdf, first, last)
    assert_whole(tree, clauses, pdf, last)


def test_a_label_and_a_printed_number_give_the_id_and_the_title_line(extra_pdfs) -> None:
    tree, clauses = tree_of_pages(extra_pdfs / "deb-glpk.pdf", 8, 9)
    assert [c.id for c in clauses][:3] == ["1", "1.1", "1.2"]  # the bookmarks say only `Introduction` ...
    assert heading(tree, "1") == "# Chapter 1 Introduction"
    assert heading(tree, "1.1") == "# 1.1 LP problem"
    assert tree.manifest.clauses["1"].opened_at == "destination" and tree.manifest.heading_mismatch == []


def test_sections_bookmarked_at_their_pages_top_open_where_the_tier_ran_their_headings_into_text(
    extra_pdfs,
) -> None:
    """texinfo: every destination at its page's top, so the regions `assert_whole` measures are empty where
    two sections share a page; the tier typed some snippet titles as headings, ran others into their
    first paragraph (p19 `Applying note head styles ... The shapeNoteStyles property ...`)."""
    tree, _ = tree_of_pages(extra_pdfs / "deb-lily-snippets.pdf", 10, 24)
    manifest = tree.manifest
    assert not {"1.7", "1.8", "1.13", "1.14", "1.17"} & set(manifest.heading_mismatch)
    assert "Ambitus_engraver" in body_text(tree.files[manifest.clauses["1.7"].path])
    assert heading(tree, "1.8") == "# Applying note head styles depending on the step of the scale"
    assert "Ambitus" not in body_text(tree.files[manifest.clauses["1.8"].path])


def test_bookmarks_sent_ahead_are_planned_before_the_next_one_whose_page_prints_its_title(extra_pdfs) -> None:
    """tl-hvfloat-cappos: five `/Fit` bookmarks of section 3 point to the last page, which prints none of
    their titles; section 4's destination on p16 prints its own. Section 4 and its subsections open at
    their destinations; the five, printed nowhere, stay unmatched at p16 instead of clamping section 4."""
    tree, clauses = tree_of_pages(extra_pdfs / "tl-hvfloat-cappos.pdf", 15, 18)
    manifest = tree.manifest
    assert [c.id for c in clauses if c.page_index == 15 and c.top is None] == manifest.unmatched
    assert len(manifest.unmatched) == 5
    assert {manifest.clauses[id_].opened_at for id_ in ("4", "4.1", "4.2", "4.3", "4.4")} == {"destination"}
    assert heading(tree, "4").startswith("# 4 Examples for capVPos and")
    assert manifest.blocks_lost == 0


def test_frame_titles_alike_but_for_a_number_open_their_clauses(extra_pdfs) -> None:
    """tl-featpostbeamer: `/Fit` bookmarks to page 1, planned after `Moving on, slowly` (p20); the frame
    titles `Coming back to 3D from 2D` (p30) and `... from 1D` (p32), typed as page headers, are headings,
    not a running header. `Intersections` is printed nowhere. On p3 the tier reads the frame's first line
    before the frame's title above it: the line stays in the frame's clause."""
    pdf = extra_pdfs / "tl-featpostbeamer.pdf"
    first, _ = tree_of_pages(pdf, 2, 2)
    assert body_text(first.files[first.manifest.clauses["1"].path]) == "input featpost3Dplus2D;"
    tree, _ = tree_of_pages(pdf, 19, 31)
    manifest = tree.manifest
    assert manifest.clauses["2.4"].opened_at == manifest.clauses["2.5"].opened_at == "heading"
    assert heading(tree, "2.4") == "# Coming back to 3D from 2D"
    assert heading(tree, "2.5") == "# Coming back to 3D from 1D"
    assert "2.3" in manifest.unmatched and manifest.blocks_lost == 0


def test_blank_pages_are_pages_without_blocks(extra_pdfs) -> None:
    pdf = extra_pdfs / "tl-memman.pdf"
    assert read_pdf_facts(pdf).text_chars[37] == 0  # a truly empty page between two chapters
    tree, clauses = tree_of_pages(pdf, 36, 38)
    spans = [(c.first_page, c.last_page) for c in tree.manifest.clauses.values()]
    assert tree.manifest.blocks_total > 0 and not any(first == 37 for first, _ in spans)
    assert_whole(tree, clauses, pdf, 38)


def test_a_contents_clause_lists_its_entries_as_links_to_their_clauses(extra_pdfs) -> None:
    pdf = extra_pdfs / "tl-thumbs.pdf"
    facts = read_pdf_facts(pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)  # all of them: the contents list them
    blocks = blocks_from_middle_json(parse_pdf(pdf, "flash", 1, 3).result.to_dict())  # contents p2-3, then 1
    tree = build_clause_tree(pdf.stem, pdf.stem, [SourceBatch("b001", blocks, pdf.parent)], clauses, pdf=pdf)
    manifest = tree.manifest
    contents = tree.files[manifest.clauses["contents"].path]
    assert contents.startswith(
        "# Contents\n\n- [1 Introduction](1-introduction.md)\n- [2 Usage](2-usage/2-0-index.md)\n"
    )
    assert "  - [2.1 Loading](2-usage/2-1-loading.md)\n" in contents
    assert (
        "    - [2.2.19 pagecolor (obsolete)](2-usage/2-2-options/2-2-19-pagecolor-obsolete.md)\n" in contents
    )
    assert manifest.drops["toc"] == 0 and manifest.blocks_lost == 0  # placed under the clause they belong to


def body(tree: ClauseTree, clause_id: str) -> str:
    return tree.files[tree.manifest.clauses[clause_id].path]


def test_sections_sharing_their_page_top_destination_open_at_their_printed_headings(extra_pdfs) -> None:
    # `Creating a Matrix`, `Matrix Arithmetic` and `Solving Systems ...` all point at the top of page 23
    tree, clauses = tree_of_pages(extra_pdfs / "deb-octave.pdf", 22, 25)
    assert (
        len({(c.page_index, c.top) for c in clauses if c.page_index == 23})
        == 1
        < len([c for c in clauses if c.page_index == 23])
    )
    # their ids are the numbers printed at their headings, the bookmarks carry none
    assert [c.id for c in clauses if c.page_index == 23] == ["1.2.2", "1.2.3", "1.2.4"]
    assert heading(tree, "1.2.2") == "# 1.2.2 Creating a Matrix"
    assert heading(tree, "1.2.4") == "# 1.2.4 Solving Systems of Linear Equations"
    assert "natural logarithm" in body(tree, "1.2.1")  # carried over to the top of page 23
    assert "natural logarithm" not in body(tree, "1.2.4")
    assert "A = [ 1, 1, 2; 3, 5, 8; 13, 21, 34 ]" in body(tree, "1.2.2")
    assert "lsode" in body(tree, "1.2.5")  # its heading is mid-page 24
    assert "lsode" not in body(tree, "1.2.8")
    assert tree.manifest.heading_mismatch == []


def test_bookmarks_that_took_the_last_anchor_open_at_their_printed_headings(extra_pdfs) -> None:
    # `List of Figures` points at section 32.4's heading, `Index` and `Bibliography` both into the list
    tree, clauses = tree_of_pages(extra_pdfs / "deb-maximabook.pdf", 128, 132)
    assert [c.page_index for c in clauses][-3:] == [129, 130, 130]
    assert "Someone who has done it?" in body(tree, "32.4")
    assert "Maxima-mode" in body(tree, "list-of-figures")
    assert "Someone" not in body(tree, "list-of-figures")
    assert "Maxima-mode" not in body(tree, "index") and "Compiling" in body(tree, "index")
    assert "[AAC93]" in body(tree, "bibliography") and "[AAC93]" not in body(tree, "index")


def test_bookmarks_without_a_position_over_scanned_pages_open_at_their_pages(real_pdfs, tmp_path) -> None:
    # /Fit bookmarks over image pages that print no heading: the tier returns each page as one image,
    # packaged as the worker does (with its image file); each clause opens at its page's image
    pdf = real_pdfs / "ocrmypdf-multipage.pdf"
    facts = read_pdf_facts(pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    assert clauses and all(clause.top is None for clause in clauses)
    save_middle(parse_pdf(pdf, "flash", 0, facts.page_count - 1).result, tmp_path)
    blocks = blocks_from_middle_json(json.loads((tmp_path / "middle_json.json").read_text(encoding="utf-8")))
    tree = build_clause_tree(pdf.stem, pdf.stem, [SourceBatch("b001", blocks, tmp_path)], clauses, pdf=pdf)
    manifest = tree.manifest
    assert manifest.unmatched == [] and manifest.blocks_lost == 0
    assert [manifest.clauses[clause.id].opened_at for clause in clauses] == ["page"] * len(clauses)
    assert [manifest.clauses[clause.id].first_page for clause in clauses] == [c.page_index for c in clauses]
    assert all("![" in body(tree, clause.id) for clause in clauses)


def test_signatures_one_a_line_in_one_paragraph_each_open_their_clause(extra_pdfs, real_pdfs) -> None:
    # `\MakeOuterQuote{<character>}` and `\MakeInnerQuote{<character>}` on two lines the tier ran into one
    # paragraph; the second's destination lies a hair below the paragraph's top, on the first line's glyphs
    name = "tl-csquotes.pdf"
    tree, _ = tree_of_pages((extra_pdfs if (extra_pdfs / name).is_file() else real_pdfs) / name, 9, 9)
    outer, inner = body(tree, "4/makeouterquote"), body(tree, "4/makeinnerquote")
    assert "\\MakeOuterQuote{⟨character⟩}" in outer and "MakeInnerQuote{" not in outer
    assert "\\MakeInnerQuote{⟨character⟩}" in inner and "MakeOuterQuote{" not in inner


def test_macro_variants_bookmarked_one_a_line_each_open_their_clause_at_their_line(extra_pdfs) -> None:
    # etextools p26: six signatures of `\\csvloop` that differ only in their marks (`+`, `!`, `*`), a
    # bookmark each, run into the paragraph above them; each clause holds its own line and no other (p30:
    # `\\getcsvlistindex` and `\\getcsvlistindex*`). From p13: the document's offset calibrated on enough
    # headings, which the pieces cut at the destinations must not shift once more.
    pdf = extra_pdfs / "tl-etextools.pdf"
    tree, clauses = tree_of_pages(pdf, 12, 29)
    assert_whole(tree, clauses, pdf, 29)
    for suffix, mark in zip(
        ("", "~2", "~3", "~4", "~5", "~6"), ("[", "+[", "![", "*[", "*+[", "*!["), strict=True
    ):
        text = body(tree, f"9/csvloop{suffix}")
        lines = [line for line in text.splitlines() if re.match(r"\\csvloop[*+!]*\[", line)]
        assert len(lines) == 1 and lines[0].startswith(f"\\csvloop{mark}"), (suffix, lines)


def test_a_destination_a_line_high_still_reads_the_number_printed_under_it(extra_pdfs) -> None:
    # bjfuthesis p4: the bookmarks `绪论`, `研究背景`, `文档结构` carry no numbers; `文档结构`'s destination
    # sits a line high, on the tail of the paragraph above its heading `1.2 文档结构`
    tree, clauses = tree_of_pages(extra_pdfs / "tl-bjfuthesis.pdf", 3, 3)
    assert [c.id for c in clauses] == ["1", "1.1", "1.2"]
    assert heading(tree, "1.2") == "# 1.2 文档结构"


def test_listings_typed_as_images_are_fenced(extra_pdfs) -> None:
    # fancyvrb-doc p6-7: framed listings with line numbers, typed as images, their lines read into the text
    tree, _ = tree_of_pages(extra_pdfs / "tl-fancyvrb-doc.pdf", 5, 6)
    found = read_tree(tree.files, frozenset(tree.files) | frozenset(tree.images))
    assert found.code_lines_outside == [] and found.prose_fences == []
    assert any("2       A comment" in text for text in tree.files.values())


def test_a_macro_reference_in_columns_gives_each_name_its_own_row(extra_pdfs) -> None:
    # Circuit_macros section 19: name / `cct`, `gen`, `log` / description, a bookmark per name. The tier
    # merges names of two rows into one block, types descriptions as headings or running headers, reads a
    # row's cells before its name (p58), and takes a whole page of rows as one block (p64); `E`, `E__` and
    # `e_` print the same words
    pdf = extra_pdfs / "tl-Circuit_macros.pdf"
    for first, last, own in (
        (56, 57, {"19/down": "sets current direction to down", "19/e~3": ".e relative to current direction"}),
        (63, 63, {"19/mux-wid": "Mux width parameter", "19/mitre": "draws angle at intersection of lines"}),
    ):
        tree, clauses = tree_of_pages(pdf, first, last)
        assert_whole(tree, clauses, pdf, last)
        for clause_id, words in own.items():
            assert words in " ".join(body(tree, clause_id).split()), clause_id


def test_words_documented_inside_a_paragraph_open_their_clause_at_the_word(extra_pdfs) -> None:
    # docby p6: DocBy.TeX bookmarks `enc` and `NOenc` where a paragraph documents them, each destination at
    # the word's end, at the top of its line: each clause opens inside the paragraph, at its word
    tree, _ = tree_of_pages(extra_pdfs / "tl-docby.pdf", 5, 5)
    enc, noenc = (
        " ".join(body_text(body(tree, f"pro-uzivatele/{name}")).split()) for name in ("enc", "noenc")
    )
    assert enc.startswith("enc se zapne") and enc.endswith("přejde do")
    assert noenc.startswith("NOenc módu. V tomto módu")


def test_words_documented_on_one_line_and_at_a_lines_start_open_each_at_its_word(extra_pdfs) -> None:
    # docby-e p17: `\Blue` ... `\Yellow` documented on one line, `\Black` opening the next, which the line
    # above crosses; p35: `\partnum` inside a first line, `\thepart` opening the next line, `\part` and
    # `\iipart` on one first line. Each clause holds its word's text, none is empty.
    pdf = extra_pdfs / "tl-docby-e.pdf"
    for page, own in (
        (16, {"4/yellow": "\\Yellow a", "4/black": "\\Black. If you need other colors"}),
        (
            34,
            {
                "5/partnum": "\\partnum register to letters. It is implemented as",
                "5/thepart": "\\thepart macro.",
                "5/part": "\\part macro is implemented by",
                "5/iipart": "\\iipart and it is similar to",
            },
        ),
    ):
        tree, clauses = tree_of_pages(pdf, page, page)
        assert_whole(tree, clauses, pdf, page)
        for clause_id, words in own.items():
            text = " ".join(keys(body_text(body(tree, clause_id))))
            assert " ".join(keys(words)) in text, (clause_id, text)


def test_index_letters_printed_over_their_names_beside_big_initials_keep_their_names(extra_pdfs) -> None:
    """glossariesbegin p57: the tier ran the index's rows across both columns; the right column, split off
    from the text layer, prints `T` and `U` each on a line of their own over their names, and the tier
    gave their big initials, set beside the names, blocks of their own read after them. Each letter keeps
    its names (they went to the letter before), and no name is in the tree twice. (`X`, set above the
    page's last rows, which the tier ran across both columns, stays empty: no destination points into
    that block.)"""
    tree, _ = tree_of_pages(extra_pdfs / "tl-glossariesbegin.pdf", 56, 56)
    bodies = {cid: body_text(tree.files[clause.path]) for cid, clause in tree.manifest.clauses.items()}
    assert "texorpdfstring" in bodies["index/t"] and "textsc" in bodies["index/t"]
    assert "uppercase" in bodies["index/u"] and "uppercase" not in bodies["index/t"]
    assert "texorpdfstring" not in bodies["index/s"]
    names = [line for body in bodies.values() for line in body.splitlines() if ". . ." in line]
    assert len(names) == len(set(names))

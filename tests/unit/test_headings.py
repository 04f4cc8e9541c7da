"""Numbered headings from the text layer: synthetic pages and real PDFs without an outline."""

from __future__ import annotations

from pathlib import Path

from platform_assets.domain.pdf.headings import detect_numbered_headings, follows
from platform_assets.domain.pdf.pdf_facts import page_texts

ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"


def titles(texts: dict[int, str]) -> list[tuple[int, int, str]]:
    return [(e.page_index, e.level, e.title) for e in detect_numbered_headings(texts)]


def test_numbered_lines_become_headings_with_levels_from_the_number_depth() -> None:
    texts = {
        0: "Title page\n1 Scope\nThis standard defines things.",
        1: "2 Terms\n2.1 General\n2.1.1 Details\nbody",
        2: "Annex A (informative) Examples\nA.1 First example\nA.2 Second example",
    }
    assert titles(texts) == [
        (0, 0, "1 Scope"),
        (1, 0, "2 Terms"),
        (1, 1, "2.1 General"),
        (1, 2, "2.1.1 Details"),
        (2, 0, "Annex A (informative) Examples"),
        (2, 1, "A.1 First example"),
        (2, 1, "A.2 Second example"),
    ]


def test_table_of_contents_lines_are_rejected() -> None:
    texts = {
        0: "Contents\n1 Scope ........ 1\n2 Terms . . . . . 4\n3 Methods 7\n",
        1: "1 Scope\nbody",
    }
    assert titles(texts) == [(1, 0, "1 Scope")]


def test_numbers_in_running_text_and_code_are_rejected() -> None:
    texts = {
        0: "1 Scope\n12 \\def\\foo{bar}\n2 apples were counted here\n1998 was a year\n(3) Something",
        1: "2 Terms",
    }
    assert titles(texts) == [(0, 0, "1 Scope"), (1, 0, "2 Terms")]


def test_numbering_that_does_not_progress_is_rejected() -> None:
    texts = {0: "1 Scope\n7 Jumped Far Ahead\n1.3 Skipped Start\n2 Terms\n1 Scope Again\n2.1 General"}
    assert [t for _, _, t in titles(texts)] == ["1 Scope", "2 Terms", "2.1 General"]


def test_running_headers_with_page_numbers_are_rejected() -> None:
    texts = {page: f"{page + 1} THE DOCUMENT CLASSES\nbody" for page in range(1, 8)}
    texts[0] = "1 Introduction"
    texts[3] += "\n2 Implementation"
    assert titles(texts) == [(0, 0, "1 Introduction"), (3, 0, "2 Implementation")]


def test_headings_must_start_at_one() -> None:
    assert detect_numbered_headings({0: "5 Somewhere\n6 Later"}) == []


def test_follows_accepts_siblings_first_children_and_parent_successors() -> None:
    assert follows((0, 2), (0, 3))
    assert follows((0, 2), (0, 2, 1))
    assert follows((0, 2, 3, 4), (0, 3))
    assert follows((0, 9, 4), (1, 1))  # last clause -> Annex A
    assert follows((0, 2), (0, 4))  # one lost heading
    assert not follows((0, 2), (0, 5))
    assert not follows((0, 2), (0, 2, 2))
    assert not follows((0, 3), (0, 3))


def test_real_amsclass_without_outline_yields_its_sections(real_pdfs: Path) -> None:
    headings = detect_numbered_headings(page_texts(real_pdfs / "tl-amsclass.pdf"))
    numbers = [e.title.split()[0] for e in headings]
    assert numbers == ["1", "2", *(f"2.{n}" for n in range(1, 29))]
    assert [e.page_index for e in headings][:4] == [0, 0, 1, 3]
    assert all(e.page_index is not None and e.page_index < 81 for e in headings)


def test_real_ecma_part3_without_outline_yields_clauses_and_annexes(shared_corpus: Path) -> None:
    headings = detect_numbered_headings(page_texts(shared_corpus / ECMA / "ECMA-376-Part3-MCE.pdf"))
    numbers = [e.title.split()[0].rstrip(".") for e in headings]
    assert numbers[:7] == ["1", "2", "3", "4", "5", "6", "7"]
    assert {"9.4", "A.1.7", "A.2.7"} <= set(numbers)
    assert [e.title for e in headings if e.level == 0][-2:] == ["Annex A", "Annex B"]
    assert all(e.page_index >= 8 for e in headings)  # the table of contents (page 2) is skipped

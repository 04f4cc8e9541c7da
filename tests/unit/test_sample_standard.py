"""The sample standard: outline, labels, text and tables match its ground truth."""

from __future__ import annotations

from collections import Counter

import pdfplumber
import pypdfium2 as pdfium
import pytest

from samples.standard import xsd_names


@pytest.fixture(scope="module")
def texts(sample) -> list[str]:
    document = pdfium.PdfDocument(sample.pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _span(sample, title: str) -> tuple[int, int, list[str]]:
    """First page, length in pages and descendant titles of the outline entry `title`."""
    index = next(i for i, (_, entry, _) in enumerate(sample.outline) if entry == title)
    level, _, start = sample.outline[index]
    rest = sample.outline[index + 1 :]
    cut = next((i for i, (lvl, _, _) in enumerate(rest) if lvl <= level), len(rest))
    end = rest[cut][2] if cut < len(rest) else sample.page_count
    return start, end - start, [entry for _, entry, _ in rest[:cut]]


def test_outline_read_back_matches_the_ground_truth(sample) -> None:
    document = pdfium.PdfDocument(sample.pdf)
    try:
        assert len(document) == sample.page_count
        assert 45 <= sample.page_count <= 60
        toc = [(item.level, item.get_title(), item.get_dest().get_index()) for item in document.get_toc()]
    finally:
        document.close()
    assert toc == sample.outline
    assert max(level for level, _, _ in toc) >= 2  # depth >= 3
    titles = [title for _, title, _ in toc]
    assert {"Foreword", "Introduction", "5.1.2 Attributes", "A.1 Schema listing"} <= set(titles)
    assert "Annex A (normative) Schema" in titles and "Annex B (informative) Examples" in titles


def test_front_matter_is_roman_and_the_body_starts_at_label_1(sample) -> None:
    document = pdfium.PdfDocument(sample.pdf)
    try:
        labels = [document.get_page_label(i) for i in range(len(document))]
    finally:
        document.close()
    assert sample.first_body_page > 0
    assert labels[0] == "i" and labels[sample.first_body_page - 1] == "iv"
    assert labels[sample.first_body_page] == "1"
    assert labels[-1] == str(sample.page_count - sample.first_body_page)


def test_every_page_has_a_real_text_layer_with_running_header(texts) -> None:
    assert all(len(text.strip()) >= 100 for text in texts)
    assert all("ACME-1234:2024(E)" in text for text in texts[1:])


def test_clause_7_is_longer_than_20_pages_and_has_children_to_split_at(sample) -> None:
    start, pages, children = _span(sample, "7 Processing model")
    assert pages > 20
    assert [c.split()[0] for c in children] == ["7.1", "7.2", "7.3", "7.4", "7.5"]
    child_pages = [page for _, title, page in sample.outline if title.startswith("7.")]
    assert any(0 < page - start <= 20 for page in child_pages)


def test_annex_b_is_a_leaf_longer_than_20_pages(sample) -> None:
    _, pages, children = _span(sample, "Annex B (informative) Examples")
    assert pages > 20
    assert children == []


def test_several_clauses_start_on_one_page(sample) -> None:
    starts = Counter(page for _, _, page in sample.outline)
    assert max(starts.values()) >= 2


def test_xsd_vocabulary_is_used_in_the_prose_before_annex_a(sample, texts) -> None:
    annex_a = next(page for _, title, page in sample.outline if title.startswith("Annex A"))
    prose = "\n".join(texts[:annex_a])
    elements = xsd_names("element", sample.xsd.read_text())
    assert len(elements) >= 6
    assert [name for name in elements if name not in prose] == []
    assert [name for name in xsd_names("simpleType") if name not in prose] == []


def test_cross_references_and_code_examples_are_in_the_text(texts) -> None:
    text = "\n".join(texts)
    for reference in ("see §5.1.2", "§ 7.3", "as defined in 3.2", "see Annex A", "A.1"):
        assert reference in text
    assert "[Example:" in text and "end example]" in text
    assert '<widget id="w1"' in text


def test_table_5_is_a_ruled_grid_that_pdfplumber_finds(sample, texts) -> None:
    page = next(i for i, text in enumerate(texts) if "Table 5 — Attributes of widget" in text)
    with pdfplumber.open(sample.pdf, pages=[page + 1]) as pdf:
        tables = pdf.pages[0].extract_tables()
    widget = next(table for table in tables if table[0][0] == "Attribute")
    assert len(widget) >= 4
    assert widget[0] == ["Attribute", "Type", "Default", "Description"]
    assert [row[0] for row in widget[1:]] == ["id", "align", "width", "visible"]

"""Clause trees of real flash-tier output, read back with a CommonMark parser: code in fences, no heading
that is code, no link or HTML made from source text.

Page ranges of the LaTeX manuals and R-exts where the flash tier types macro lines as headings, joins
line-numbered listings, fences a paragraph and reads bracketed literal text (`\\framezoom<1><2>[border](0cm,
0cm)`); example listings whose lines read as prose alone inside an environment (tcolorbox's example
boxes, Asciidoctor PDF's line-by-line listings); and the whole sample standard (XML examples, references),
parsed as the platform batches it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from gpu_image.worker.parse import parse_pdf
from platform_assets.domain.parse.adapters import blocks_from_middle_json
from platform_assets.domain.pdf.pdf_facts import read_pdf_facts
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.clause_tree import ClauseTree, SourceBatch, build_clause_tree
from tests.markdown_figures import read_tree

pytestmark = pytest.mark.slow
BATCH = 15
"""Pages per flash call: each range below is one call."""
RANGES = {
    "tl-beameruserguide": [
        (13, 17),
        (104, 112),
    ],  # `\usepackage{...}` headings; `\framezoom<1><2>[border](...)`
    "tl-interface3": [
        (56, 63),
        (92, 94),
    ],  # `\c[XYZ]` in regex docs; `\msg_redirect_...` lines typed as headings
    "tl-source2e": [
        (299, 303)
    ],  # line-numbered documented source, pseudo-code split into `fi` / `END` headings
    "tl-memman": [(166, 176)],  # code blocks, a quotation fenced as `txt`, `\begin{...}` headings
    "r-R-exts": [(172, 176)],  # C listings typed as text and headings
}


def _tree(pdf: Path, ranges: list[tuple[int, int]]) -> ClauseTree:
    """The tree the platform builds from flash output of `ranges` (0-based, inclusive), one batch each."""
    facts = read_pdf_facts(pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    batches = [
        SourceBatch(
            f"b{first}",
            blocks_from_middle_json(parse_pdf(pdf, "flash", first, last).result.to_dict()),
            pdf.parent,
        )
        for first, last in ranges
    ]
    return build_clause_tree(pdf.stem, pdf.stem, batches, clauses, pdf=pdf)


def _assert_reads_back_clean(tree: ClauseTree) -> None:
    found = read_tree(tree.files, frozenset(tree.files) | frozenset(tree.images))
    assert found.foreign_links == []
    assert found.html == []
    assert found.code_headings == []
    assert found.code_lines_outside == []
    assert found.prose_fences == []
    linked = {r.href for entry in tree.manifest.clauses.values() for r in entry.references if r.href}
    assert linked or not tree.manifest.references_found


@pytest.mark.parametrize("name", sorted(RANGES))
def test_real_manual_pages_render_code_in_fences_and_no_foreign_link(real_pdfs: Path, name: str) -> None:
    tree = _tree(real_pdfs / f"{name}.pdf", RANGES[name])
    _assert_reads_back_clean(tree)
    assert read_tree(tree.files, frozenset(tree.files) | frozenset(tree.images)).fences > 0


def test_the_sample_standard_reads_back_clean(sample) -> None:
    ranges = [
        (first, min(first + BATCH, sample.page_count) - 1) for first in range(0, sample.page_count, BATCH)
    ]
    tree = _tree(sample.pdf, ranges)
    _assert_reads_back_clean(tree)
    markdown = "\n".join(tree.files.values())
    assert "```xml\n<wml " in markdown  # the flash tier's XML example lines, one fence
    assert tree.manifest.references_linked > 0


_CORNERS = (
    "\\begin{tcolorbox}[colback=red!5!white,\ncolframe=red!75!black,\nsharp corners=northwest ]\n"
    "This is a tcolorbox.\nThis is a \\textbf{tcolorbox}.\n\\end{tcolorbox}\n"
)
_ENUMERATE = "\\begin{enumerate}\n\\item Hey,\n\\item ho,\n\\item let's go!\n\\end{enumerate}\n"


@pytest.mark.parametrize(
    ("name", "first", "last", "listing"),
    [
        # example boxes, source beside output, typed as images and read row by row
        ("tl-tcolorbox", 52, 53, _CORNERS),
        # Asciidoctor PDF: `\item Hey,` lines typed one text block each
        ("tl-metanorma", 13, 13, _ENUMERATE),
    ],
)
def test_an_example_listing_is_one_fence_from_begin_to_end(
    real_pdfs: Path, name: str, first: int, last: int, listing: str
) -> None:
    """Lines that read as prose alone (`This is a tcolorbox.`, `\\item Hey,`) inside an environment stay in
    its listing: one fence holds it from its `\\begin` to its `\\end`, and none of its lines is prose."""
    tree = _tree(real_pdfs / f"{name}.pdf", [(first, last)])
    tokens = [token for page in tree.files.values() for token in MarkdownIt("commonmark").parse(page)]
    assert any(listing in token.content for token in tokens if token.type == "fence")
    prose = {line for token in tokens if token.type == "inline" for line in token.content.splitlines()}
    assert prose.isdisjoint(listing.splitlines()[1:])

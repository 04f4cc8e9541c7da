"""Cross-references of a real standard (ECMA-376 Part 2): every section reference resolves or is external."""

from __future__ import annotations

import re
from pathlib import Path

from platform_assets.domain.pdf.pdf_facts import page_texts, read_pdf_facts
from platform_assets.domain.plan.clauses import clauses_from_outline
from platform_assets.domain.tree.cross_references import EXTERNAL, INTERNAL, Reference, link_references

ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"


def test_every_section_reference_of_the_real_opc_standard_resolves_or_is_external(
    shared_corpus: Path,
) -> None:
    pdf = shared_corpus / ECMA / "ECMA-376-Part2-OPC.pdf"
    facts = read_pdf_facts(pdf)
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    ids = {clause.id for clause in clauses}
    references: list[Reference] = []
    for text in page_texts(pdf).values():
        page = text.replace("\r\n", "\n")
        _, found = link_references(page, lambda clause_id: f"{clause_id}.md" if clause_id in ids else None)
        references += found
        for sign in re.finditer(r"§\s?[\dA-Z][\d.]*", page):  # each one linked, or another document's
            following = page[sign.end() : sign.end() + 12]
            assert (
                any(r.text.startswith(sign.group().rstrip(".")) for r in found)
                or re.match(r"\s+of\s|\.\n", following)
                or "RFC" in page[sign.start() - 12 : sign.start()]
            ), page[sign.start() - 60 : sign.end() + 30]
    assert len(references) > 200
    internal = [
        r for r in references if r.kind == INTERNAL and not r.target.startswith(("Table ", "Figure "))
    ]
    assert all(reference.href for reference in internal)
    assert sum(r.kind == EXTERNAL for r in references) >= 20
    assert not any(reference.target.startswith(("X.", "3.")) for reference in internal)

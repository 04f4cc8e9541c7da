"""The vocabulary check on a real standard: ECMA-376 Part 2 (OPC), its XSDs and the full OOXML set."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from platform_assets.domain.pdf.pdf_facts import page_texts
from platform_assets.domain.verify.corrections import DocumentCorrections, apply_corrections
from platform_assets.domain.verify.findings import ClauseText
from platform_assets.domain.verify.vocabulary import (
    NameKind,
    Vocabulary,
    check_vocabulary,
    load_vocabulary,
    name_uses,
)

pytestmark = pytest.mark.slow
ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"
XML_EXAMPLE = re.compile(r"<(Relationships|Types)\b[\s\S]*?</\1>")


@pytest.fixture(scope="module")
def standard(shared_corpus: Path) -> Path:
    return shared_corpus / ECMA


@pytest.fixture(scope="module")
def opc(standard: Path) -> Vocabulary:
    return load_vocabulary([standard / "OpenPackagingConventions-XMLSchema"])


@pytest.fixture(scope="module")
def pages(standard: Path) -> dict[int, str]:
    return page_texts(standard / "ECMA-376-Part2-OPC.pdf")


def test_the_opc_schemas_give_their_names(opc, standard):
    assert len(opc) == 55
    assert {"Relationships", "Relationship", "Types", "Default", "Override", "coreProperties"} <= opc.names(
        NameKind.ELEMENT
    )
    assert {"TargetMode", "Target", "Type", "Id", "Extension", "ContentType", "PartName"} <= opc.names(
        NameKind.ATTRIBUTE
    )
    assert {"CT_Relationship", "ST_TargetMode", "CT_Default", "ST_Extension"} <= opc.names(NameKind.TYPE)
    assert opc.names(NameKind.ENUMERATION) == {"External", "Internal"}
    folder = standard / "OpenPackagingConventions-XMLSchema"
    assert opc.sources["TargetMode"] == (str(folder / "opc-relationships.xsd"),)
    assert opc.sources["Override"] == (str(folder / "opc-contentTypes.xsd"),)


def test_the_full_transitional_set_gives_thousands_of_names(standard):
    ooxml = load_vocabulary([standard / "OfficeOpenXML-XMLSchema-Transitional"])
    assert len(ooxml) > 7000
    assert len(ooxml.names(NameKind.ELEMENT)) > 2000 and len(ooxml.names(NameKind.ATTRIBUTE)) > 1500
    assert {"pPr", "rPr", "tbl", "tblGrid", "sz"} <= ooxml.names(NameKind.ELEMENT)
    assert {"CT_PPr", "ST_Jc", "ST_OnOff"} <= ooxml.names(NameKind.TYPE)
    assert "AG_Password" in ooxml.names(NameKind.ATTRIBUTE_GROUP)
    assert "EG_RunLevelElts" in ooxml.names(NameKind.GROUP)
    assert ooxml.nearest("tblGird") == "tblGrid" and ooxml.nearest("CT_PPR") == "CT_PPr"


def example_clauses(pages: dict[int, str]) -> list[ClauseText]:
    """The standard's own XML examples (relationships, content types) as code blocks, page by page."""
    return [
        ClauseText(f"p{page + 1}", f"p{page + 1}.md", "example", page, page, f"```xml\n{xml[0]}\n```")
        for page, text in pages.items()
        for xml in XML_EXAMPLE.finditer(text)
    ]


def test_the_standards_xml_examples_have_no_near_misses_until_garbled(opc, pages):
    examples = example_clauses(pages)
    assert len(examples) >= 3
    assert {"Relationship", "TargetMode", "Default", "Override"} <= {
        use.local for example in examples for use in name_uses(example.markdown)
    }
    assert check_vocabulary(examples, opc) == []

    table = "\n\n| Element | Attribute |\n| --- | --- |\n| Relatlonship | Targetmode |\n"
    garbled = [
        replace(
            c,
            markdown=c.markdown.replace("TargetMode=", "TargetMcde=").replace("<Override", "<Overrlde")
            + table,
        )
        for c in examples
        if "TargetMode=" in c.markdown or "<Override" in c.markdown
    ]
    findings = check_vocabulary(garbled, opc)
    found: dict[str | None, set[tuple[str, str | None]]] = {}
    for finding in findings:
        found.setdefault(finding.clause_id, set()).add((finding.subject, finding.expected))
    in_tables = {("Relatlonship", "Relationship"), ("Targetmode", "TargetMode")}
    assert found == {  # the relationships example (page 33) and the content types example (page 39)
        "p33": {("TargetMcde", "TargetMode"), *in_tables},
        "p39": {("Overrlde", "Override"), *in_tables},
    }
    assert {f.pages for f in findings} == {(c.first_page,) for c in garbled}

    corrections = DocumentCorrections({f.subject: f.expected for f in findings if f.expected})
    fixed = apply_corrections(garbled, corrections, lambda word, wanted: False, opc)
    assert check_vocabulary(fixed.clauses, opc) == []


def test_every_tagged_page_reads_clean_with_the_opc_and_the_ooxml_schemas(opc, standard, pages):
    """Read as XML code, the 18 pages with markup give no near miss against the OPC schemas, nor with the
    OOXML set added: XML-DSig's `Reference` and `Object` (a W3C schema OPC imports but does not ship)
    differ from OOXML's `reference` and `object` in their first letter only, a convention, not a garble."""
    tagged = [
        ClauseText(f"p{page + 1}", f"p{page + 1}.md", "page", page, page, f"```xml\n{text}\n```")
        for page, text in pages.items()
        if re.search(r"<[A-Za-z][\w:.-]*[^<>]*>", text)
    ]
    assert len(tagged) >= 15
    assert check_vocabulary(tagged, opc) == []

    both = load_vocabulary(
        [standard / "OpenPackagingConventions-XMLSchema", standard / "OfficeOpenXML-XMLSchema-Transitional"]
    )
    assert check_vocabulary(tagged, both) == []

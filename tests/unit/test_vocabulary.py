"""Schema vocabulary: names read from XSD and RELAX NG, near-miss names flagged in name contexts only."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from platform_assets.domain.pdf.pdf_facts import page_texts
from platform_assets.domain.verify.findings import CheckName, ClauseText, Severity
from platform_assets.domain.verify.near_miss import edit_distance
from platform_assets.domain.verify.vocabulary import (
    NameKind,
    Vocabulary,
    VocabularyError,
    allowed_distance,
    check_vocabulary,
    load_vocabulary,
    name_uses,
)
from samples.standard import XSD, xsd_names

XSD_PREFIXED = """<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:r="urn:rel" targetNamespace="urn:x">
  <xsd:element name="Relationships" type="CT_Relationships"/>
  <xsd:complexType name="CT_Relationships">
    <xsd:sequence><xsd:element ref="r:Relationship"/></xsd:sequence>
    <xsd:attribute name="TargetMode" type="ST_TargetMode"/>
    <xsd:attribute ref="xml:space"/>
    <xsd:attributeGroup ref="AG_Common"/>
  </xsd:complexType>
  <xsd:attributeGroup name="AG_Common"><xsd:attribute name="Id" type="xsd:ID"/></xsd:attributeGroup>
  <xsd:group name="EG_Content"><xsd:choice><xsd:element name="Override"/></xsd:choice></xsd:group>
  <xsd:simpleType name="ST_TargetMode">
    <xsd:restriction base="xsd:string">
      <xsd:enumeration value="External"/><xsd:enumeration value="Internal"/>
    </xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""
XSD_DEFAULT_NS = """<schema xmlns="http://www.w3.org/2001/XMLSchema">
  <element name="Default" type="string"/>
</schema>
"""
RNG = """<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><element name="w:document"><ref name="body"/></element></start>
  <define name="body">
    <element><name>paragraph</name>
      <attribute name="justification">
        <choice><value>both</value><value>distribute</value></choice>
      </attribute>
      <attribute><choice><name>w:rsidR</name><name>w:rsidP</name></choice></attribute>
    </element>
  </define>
</grammar>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def acme(tmp_path: Path) -> Vocabulary:
    """The sample standard's own schema (`samples/standard.py` writes it next to the PDF)."""
    return load_vocabulary([write(tmp_path / "acme-wml.xsd", XSD)])


def clause(markdown: str, clause_id: str = "5.1", first: int = 10, last: int = 11) -> ClauseText:
    return ClauseText(clause_id, f"5-markup/{clause_id}.md", "The widget element", first, last, markdown)


def flagged(findings) -> dict[str, str | None]:
    return {finding.subject: finding.expected for finding in findings}


def test_xsd_names_are_read_by_namespace_whatever_the_prefix(tmp_path):
    prefixed = write(tmp_path / "opc.xsd", XSD_PREFIXED)
    default = write(tmp_path / "plain.xsd", XSD_DEFAULT_NS)
    vocabulary = load_vocabulary([prefixed, default])

    assert vocabulary.names(NameKind.ELEMENT) == {"Relationships", "Relationship", "Override", "Default"}
    assert vocabulary.names(NameKind.ATTRIBUTE) == {"TargetMode", "Id", "space"}
    assert vocabulary.names(NameKind.TYPE) == {"CT_Relationships", "ST_TargetMode"}
    assert vocabulary.names(NameKind.GROUP) == {"EG_Content"}
    assert vocabulary.names(NameKind.ATTRIBUTE_GROUP) == {"AG_Common"}
    assert vocabulary.names(NameKind.ENUMERATION) == {"External", "Internal"}
    assert "string" not in vocabulary and "ID" not in vocabulary  # XML Schema's own types
    assert vocabulary.sources["Default"] == (str(default),)
    assert vocabulary.sources["TargetMode"] == (str(prefixed),)
    assert len(vocabulary) == 13


def test_relax_ng_names_come_from_name_attributes_name_children_and_values(tmp_path):
    vocabulary = load_vocabulary([write(tmp_path / "wml.rng", RNG)])
    assert vocabulary.names(NameKind.ELEMENT) == {"document", "paragraph"}
    assert vocabulary.names(NameKind.ATTRIBUTE) == {"justification", "rsidR", "rsidP"}
    assert vocabulary.names(NameKind.ENUMERATION) == {"both", "distribute"}
    assert "body" not in vocabulary  # a define is the grammar's own name, no document's


def test_directories_load_every_schema_file_below_them(tmp_path):
    write(tmp_path / "set" / "a.xsd", XSD_PREFIXED)
    write(tmp_path / "set" / "nested" / "b.rng", RNG)
    write(tmp_path / "set" / "README.md", "not a schema")
    vocabulary = load_vocabulary([tmp_path / "set"])
    assert {"Relationships", "paragraph"} <= vocabulary.names()
    assert vocabulary.sources["paragraph"] == (str(tmp_path / "set" / "nested" / "b.rng"),)


def test_the_same_schema_files_give_back_the_same_vocabulary_and_near_miss_index(tmp_path):
    """Verifying the next document against the same schemas rebuilds neither the names nor their index."""
    schema = write(tmp_path / "rels.xsd", XSD_PREFIXED)
    first = load_vocabulary([schema])
    assert first.nearest("Relationshps") == "Relationships"
    again = load_vocabulary([tmp_path])
    assert again is first
    assert again._index is first._index


def test_a_changed_schema_file_gives_a_new_vocabulary(tmp_path):
    schema = write(tmp_path / "rels.xsd", XSD_PREFIXED)
    first = load_vocabulary([schema])
    write(schema, XSD_PREFIXED.replace('name="Relationships"', 'name="Relations"'))
    changed = load_vocabulary([schema])
    assert changed is not first
    assert "Relations" in changed and "Relations" not in first
    assert changed.nearest("Relatons") == "Relations"


def test_the_same_content_under_another_path_is_another_vocabulary(tmp_path):
    """A name's sources are its files' paths, so equal content elsewhere is not the same vocabulary."""
    first = load_vocabulary([write(tmp_path / "a" / "rels.xsd", XSD_PREFIXED)])
    moved = load_vocabulary([write(tmp_path / "b" / "rels.xsd", XSD_PREFIXED)])
    assert moved is not first
    assert moved.sources["Relationships"] == (str(tmp_path / "b" / "rels.xsd"),)


def test_the_sample_standards_schema_gives_every_declared_name(acme):
    for kind, xsd_kind in ((NameKind.ELEMENT, "element"), (NameKind.ATTRIBUTE, "attribute")):
        assert acme.names(kind) == set(xsd_names(xsd_kind))
    assert acme.names(NameKind.TYPE) == set(xsd_names("simpleType"))
    assert acme.names(NameKind.ENUMERATION) == {"left", "center", "right", "horizontal", "vertical"} | {
        "push",
        "toggle",
        "radio",
    }


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE schema [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<schema xmlns="http://www.w3.org/2001/XMLSchema"><element name="&b;"/></schema>
"""


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("entities.xsd", BILLION_LAUGHS, "DOCTYPE"),
        ("external.xsd", '<!DOCTYPE schema SYSTEM "file:///etc/passwd"><schema/>', "DOCTYPE"),
        ("broken.xsd", '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element>', "well-formed"),
        ("page.xsd", "<html><body>not a schema</body></html>", "not an XML Schema or RELAX NG"),
        ("wrong-ns.xsd", '<schema xmlns="urn:not-xsd"><element name="a"/></schema>', "not an XML Schema"),
        ("empty.xsd", "", "well-formed"),
        ("compact.rnc", "element a { text }", "compact syntax"),
    ],
)
def test_unusable_schema_files_are_refused_with_the_file_named(tmp_path, name, text, message):
    path = write(tmp_path / name, text)
    with pytest.raises(VocabularyError, match=message) as error:
        load_vocabulary([path])
    assert str(path) in str(error.value)


def test_missing_files_and_empty_directories_are_refused(tmp_path):
    with pytest.raises(VocabularyError, match="cannot read"):
        load_vocabulary([tmp_path / "absent.xsd"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(VocabularyError, match=r"no \.xsd or \.rng files"):
        load_vocabulary([tmp_path / "empty"])


PLANTED = """# 5.1 The widget element

A widgit in prose is a prose word and is not read; nor is the `panel` code span, which is valid.

```xml
<wml xmlns="urn:acme:1234:wml" version="1.0">
  <widgit id="w1" aling="center" width="220px">
    <panel orientation="vertical" spacing="5pt"><label align="center">Settings Paqe</label></panel>
  </widgit>
</wml>
```

| Attribute | Type | Default |
| --- | --- | --- |
| orientaton | ST_Orientation | vertical |
| ST_ButonKind | xs:token | push |
"""


def test_planted_near_misses_in_code_and_table_cells_are_flagged_with_their_clause(acme):
    other = clause("| Element |\n| --- |\n| `<imagee/>` |", "5.5", 20, 20)
    findings = check_vocabulary([clause(PLANTED), other], acme)

    assert [(f.clause_id, f.subject, f.expected) for f in findings] == [
        ("5.1", "widgit", "widget"),
        ("5.1", "aling", "align"),
        ("5.1", "orientaton", "orientation"),
        ("5.1", "ST_ButonKind", "ST_ButtonKind"),
        ("5.5", "imagee", "image"),
    ]
    first = findings[0]
    assert (first.check, first.kind, first.severity) == (
        CheckName.VOCABULARY,
        "near_miss_name",
        Severity.WARN,
    )
    assert first.path == "5-markup/5.1.md" and first.pages == (10, 11) and first.actionable
    assert "`widgit` (code)" in first.message and "`widget`" in first.message
    assert findings[-1].pages == (20,)


def test_valid_names_prose_words_and_example_values_are_not_flagged(acme):
    valid = """# 6.1 Alignment

The widgit and the algin attribute in prose are never read; `align` and `<panel>` are valid names.

```xml
<widget id="w1" align="right" width="auto" visible="true">
  <label align="left">Rihgt alignd text</label>
</widget>
```

| Value | Meaning |
| --- | --- |
| left | Aligned to the start edge of the enclosing panel |
| xs:token | a built-in type, never a schema name |
"""
    assert check_vocabulary([clause(valid)], acme) == []


def test_each_name_is_flagged_once_per_clause(acme):
    twice = "```xml\n<widgit/><widgit/>\n```\n\n| A |\n| --- |\n| widgit |"
    findings = check_vocabulary([clause(twice), clause(twice, "5.2")], acme)
    assert [(f.clause_id, f.subject) for f in findings] == [("5.1", "widgit"), ("5.2", "widgit")]
    assert findings[0].key != findings[1].key


def test_case_differences_count_except_in_the_first_letter(tmp_path):
    """A first letter's case is sentence case or another namespace's convention (`Reference` of XML-DSig
    beside `reference`), not a garble; a capital inside a name is."""
    vocabulary = load_vocabulary([write(tmp_path / "opc.xsd", XSD_PREFIXED)])
    code = "```xml\n<relationships targetmode='External'><Override/></relationships>\n```"
    cells = "| Element |\n| --- |\n| relationships |\n| Targetmode |"
    found = check_vocabulary([clause(code), clause(cells, "9.2")], vocabulary)
    assert [(f.clause_id, f.subject, f.expected) for f in found] == [
        ("5.1", "targetmode", "TargetMode"),
        ("9.2", "Targetmode", "TargetMode"),
    ]
    assert "differs only in case" in found[0].message


def test_short_names_and_inflections_are_no_near_misses(tmp_path):
    vocabulary = load_vocabulary([write(tmp_path / "opc.xsd", XSD_PREFIXED)])
    assert vocabulary.nearest("ID") is None  # two letters: too short to tell a garble from a word
    assert vocabulary.nearest("Overrides") is None  # a plural
    registered = Vocabulary({NameKind.ELEMENT: frozenset({"registered"})}, {"registered": ("db.rng",)})
    assert registered.nearest("register") is None  # an inflection (DocBook's `registered`)
    assert registered.nearest("regstered") == "registered"
    assert vocabulary.nearest("Overide") == "Override"  # one edit from an 8-letter name
    assert vocabulary.nearest("Ovride") is None  # two edits: too many for it
    assert vocabulary.nearest("TargtMde") == "TargetMode"  # two edits from a 10-letter name
    assert vocabulary.nearest("Relationships") is None  # a name itself


def test_schema_listings_are_checked_by_the_names_they_declare(acme):
    listing = """```xml
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="widgit"><xs:complexType>
    <xs:attribute name="aling" type="ST_Algn" default="left"/>
    <xs:attribute name="kind" type="xs:token"/>
  </xs:complexType></xs:element>
  <xs:simpleType name="ST_Align"><xs:restriction base="xs:token">
    <xs:enumeration value="centre"/><xs:enumeration value="right"/>
  </xs:restriction></xs:simpleType>
</xs:schema>
```"""
    assert flagged(check_vocabulary([clause(listing)], acme)) == {
        "widgit": "widget",
        "aling": "align",
        "ST_Algn": "ST_Align",
        "centre": "center",
    }


def test_names_are_read_from_code_spans_tags_attributes_and_single_name_cells():
    markdown = """Use `w:pPr` and `<w:rPr w:val="x">` here; xs:token and w:body in prose are not read.

```
call setValue(w:tbl) // a comment
```

| Name | Description |
| --- | --- |
| <w:sz/> | font size in half points |
| xsd:string | built in |
"""
    uses = [(use.written, use.local, use.context) for use in name_uses(markdown)]
    assert uses == [
        ("call", "call", "code"),
        ("setValue", "setValue", "code"),
        ("w:tbl", "tbl", "code"),
        ("a", "a", "code"),
        ("comment", "comment", "code"),
        ("w:pPr", "pPr", "inline code"),
        ("w:rPr", "rPr", "inline code"),
        ("w:val", "val", "inline code"),
        ("Name", "Name", "table"),
        ("Description", "Description", "table"),
        ("w:sz", "sz", "table"),
    ]


def test_the_index_finds_what_a_scan_of_every_name_finds(acme):
    """The deletion index agrees with comparing each token against every name (random garbles)."""
    names = sorted(acme.names())
    rng = random.Random(4)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    tokens = []
    for _ in range(3000):
        word = list(rng.choice(names))
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(word) + 1)
            edit = rng.choice("sid")
            if edit == "i" or not word:
                word.insert(at, rng.choice(alphabet))
            elif at < len(word):
                word[at : at + 1] = [] if edit == "d" else [rng.choice(alphabet)]
        tokens.append("".join(word))

    def scan(token: str) -> str | None:
        if token in names or allowed_distance(token, token) < 0:
            return None
        folded = token.casefold()
        ranked = []
        for name in names:
            other, limit = name.casefold(), allowed_distance(token, name)
            shorter, longer = sorted((folded, other), key=len)
            if longer.startswith(shorter) and longer[len(shorter) :] in ("s", "es", "ed", "ing"):
                continue  # an inflection
            distance = edit_distance(folded, other, limit)
            if distance <= limit:
                cased = osa_distance(token, name)
                ranked.append((distance, cased, abs(len(name) - len(token)), name))
        return min(ranked)[-1] if ranked else None

    results = [(token, acme.nearest(token), scan(token)) for token in tokens]
    assert [r for r in results if r[1] != r[2]] == []
    assert sum(1 for r in results if r[1] is not None) > 500


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance, unbounded: the textbook table."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_edit_distance_counts_a_swap_once_and_stops_at_its_limit():
    assert edit_distance("aling", "align", 1) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("kitten", "sitting", 2) == 3  # limit + 1
    assert edit_distance("ca", "abc", 3) == 3  # no edit of a swapped pair
    rng = random.Random(7)
    for _ in range(2000):
        a, b = ("".join(rng.choices("abc", k=rng.randint(0, 7))) for _ in range(2))
        limit = rng.randint(0, 3)
        assert edit_distance(a, b, limit) == min(osa_distance(a, b), limit + 1), (a, b, limit)


def test_the_sample_pdfs_examples_have_no_near_misses_until_a_name_is_garbled(sample, acme):
    """The example XML as the PDF's text layer gives it: real text, no false positives, garbles caught."""
    texts = page_texts(sample.pdf)
    examples = [
        clause(f"```xml\n{xml}\n```", f"p{page}", page, page)
        for page, text in texts.items()
        for xml in re.findall(r"<wml[\s\S]*?</wml>", text)
    ]
    assert len(examples) >= 5
    assert sum(1 for example in examples for _ in name_uses(example.markdown)) > 100
    assert check_vocabulary(examples, acme) == []

    garbled = [replace(c, markdown=c.markdown.replace("orientation=", "orientatlon=")) for c in examples]
    findings = check_vocabulary(garbled, acme)
    assert findings and {(f.subject, f.expected) for f in findings} == {("orientatlon", "orientation")}
    assert {f.clause_id for f in findings} == {c.clause_id for c in examples if "orientation=" in c.markdown}


ODF_LIKE = """<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="urn:odf"
    xmlns:draw="urn:odf:draw">
  <start><element name="draw:stroke-linejoin">
    <choice><value>miter</value><value>round</value><value>bevel</value></choice>
  </element></start>
  <define name="functions"><element name="sum"><empty/></element></define>
  <define name="shape"><element name="draw:customShape"><attribute name="draw:textAreas"/></element></define>
</grammar>
"""


@pytest.fixture
def odf(tmp_path: Path) -> Vocabulary:
    """A RELAX NG vocabulary where `sum` and `miter` are names, as in the standard the issue measured."""
    return load_vocabulary([write(tmp_path / "odf.rng", ODF_LIKE)])


def test_function_names_units_and_words_are_not_schema_names(odf):
    """`SUM` vs `sum`, `Liter` vs `miter`: the false alarms of a real standard with a RELAX NG schema."""
    markdown = """The result of `SUM` is a number; one Liter is 1000 mL.

```
=SUM(A1:A3) * Liter / kHz
```

| Function | Unit |
| --- | --- |
| SUM | Liter |
| AVERAGE | Meter |
"""
    assert check_vocabulary([clause(markdown)], odf) == []


def test_schema_shaped_names_are_still_checked_wherever_names_are_read(odf):
    markdown = """Set `draw:customShap` or `mitter` (a code span holding one name), not the word mitter.

```
textAreos = 1; draw:strokeLinejoin
```

| Name | Kind |
| --- | --- |
| customShapes | plural, no garble |
| <bevell/> | tagged |
| draw:textAreaz | prefixed |
| textAres | camelCase |
"""
    assert flagged(check_vocabulary([clause(markdown)], odf)) == {
        "customShap": "customShape",
        "mitter": "miter",
        "textAreos": "textAreas",
        "strokeLinejoin": "stroke-linejoin",
        "bevell": "bevel",
        "textAreaz": "textAreas",
        "textAres": "textAreas",
    }


def test_a_column_of_names_reads_its_plain_words_too(odf):
    """Words in a cell are names where the header says so or most of the column are schema names."""
    headed = "| Element |\n| --- |\n| bevell |"
    listed = "| x | y |\n| --- | --- |\n| miter | a |\n| round | b |\n| bevell | c |"
    prose = "| Value | Meaning |\n| --- | --- |\n| bevell | c |\n| round | d |"
    findings = check_vocabulary([clause(headed), clause(listed, "5.2"), clause(prose, "5.3")], odf)
    assert [(f.clause_id, f.subject, f.expected) for f in findings] == [
        ("5.1", "bevell", "bevel"),
        ("5.2", "bevell", "bevel"),
    ]


def test_names_bound_to_a_namespace_the_schemas_do_not_name_in_are_left_alone(tmp_path):
    """XML-DSig's `<ds:Referense>` is another vocabulary's name, also where the prefix is bound in another
    listing of the document; OPC's own names are checked."""
    vocabulary = load_vocabulary([write(tmp_path / "opc.xsd", XSD_PREFIXED)])
    assert vocabulary.namespaces == {"urn:x"}
    bound = (
        '```xml\n<ds:Overide xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>\n<Overide xmlns="urn:x"/>\n```'
    )
    elsewhere = "```\nelement ds:Relationshp { text }\n```"
    compact = '```\nnamespace r = "urn:x"\nelement r:Relationshp { text }\n```'
    findings = check_vocabulary([clause(bound), clause(elsewhere, "5.2"), clause(compact, "5.3")], vocabulary)
    assert [(f.clause_id, f.subject) for f in findings] == [("5.1", "Overide"), ("5.3", "Relationshp")]


def test_schema_namespaces_come_from_target_namespaces_ns_attributes_and_bound_prefixes(odf):
    assert odf.namespaces == {"urn:odf", "urn:odf:draw"}


def test_relax_ng_listings_are_read_by_the_names_they_give_with_or_without_xmlns(acme):
    """RELAX NG patterns (`define`, `zeroOrMore`, compact `start =`, `inherit =`) are no document names."""
    xml = '```xml\n<define name="db.widget"><element name="widgit"><zeroOrMore><text/></zeroOrMore>'
    xml += "</element></define>\n```"
    compact = "```\nstart = widget\nwidgit = element widgit { attribute aling { text }, pattern }\n```"
    keywords = "```\ninherit = db {\n```"
    found = check_vocabulary([clause(xml), clause(compact, "5.2"), clause(keywords, "5.3")], acme)
    assert [(f.clause_id, f.subject) for f in found] == [
        ("5.1", "widgit"),
        ("5.2", "widgit"),
        ("5.2", "aling"),
    ]

"""The corrections loop: vetted fixes in name contexts only, proof for real names, patches, benign pairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from platform_assets.domain.tree.cross_references import DEFAULT_PATTERNS, ReferencePattern
from platform_assets.domain.verify.corrections import (
    Applied,
    BenignPair,
    CorrectionsError,
    DocumentCorrections,
    Patch,
    StalePatch,
    Unproven,
    apply_corrections,
    load_corrections,
    mark_benign,
    name_spans,
)
from platform_assets.domain.verify.findings import CheckName, ClauseText, Finding, Severity
from platform_assets.domain.verify.vocabulary import Vocabulary, check_vocabulary, load_vocabulary, name_uses
from samples.standard import XSD

CONFIG = """
[corrections]
"widgit" = "widget"
"aling" = "align"

[[patches."5.1"]]
find = "Settings Paqe"
replace = "Settings Page"

[[patches."5.1"]]
find = '(\\d+) px'
replace = '\\1px'
regex = true

[patches]
"6.2" = [{ find = "no longer there", replace = "x" }]

[[benign]]
subject = "SourceID"
expected = "SourceId"

[[benign]]
subject = "orientaton"
expected = "orientation"
clause = "6.2"
note = "as printed in the standard"
"""

CLAUSE = """# 5.1 The widget element

A widgit in prose stays as written, and so does the aling attribute. Use `widgit` with `aling="left"`.

```xml
<widgit id="w1" aling="center" width="220 px">
  <label align="center">Settings Paqe</label>
</widgit>
<w:widgit/> <widgits/> <a-widgit/> <widgit.b/> <widgit:x/>
```

| Element | Parent | Description |
| --- | --- | --- |
| widgit | wml | the widgit element |
| `<widgit>` | widgit, panel | nested |

<table><tr><td>widgit</td><td>a widgit row</td></tr></table>
"""


def never(word: str, pages: Sequence[int]) -> bool:
    return False


def text_layer(pages: Mapping[int, str]):
    """A stand-in for the PDF text layer: whole words per page."""

    def page_has(word: str, wanted: Sequence[int]) -> bool:
        return any(word in pages.get(page, "").split() for page in wanted)

    return page_has


def clause(markdown: str, clause_id: str = "5.1", first: int = 10, last: int = 11) -> ClauseText:
    return ClauseText(clause_id, f"{clause_id}.md", "title", first, last, markdown)


@pytest.fixture
def acme(tmp_path: Path) -> Vocabulary:
    path = tmp_path / "acme-wml.xsd"
    path.write_text(XSD, encoding="utf-8")
    return load_vocabulary([path])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corrections.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_corrections_file_gives_its_corrections_patches_and_benign_pairs(tmp_path):
    corrections = load_corrections(write(tmp_path, CONFIG))
    assert corrections.corrections == {"widgit": "widget", "aling": "align"}
    assert corrections.patches == {
        "5.1": (Patch("Settings Paqe", "Settings Page"), Patch(r"(\d+) px", r"\1px", regex=True)),
        "6.2": (Patch("no longer there", "x"),),
    }
    assert corrections.benign == (
        BenignPair("SourceID", "SourceId"),
        BenignPair("orientaton", "orientation", "6.2", "as printed in the standard"),
    )
    assert load_corrections(write(tmp_path, "")) == DocumentCorrections()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[corrections\n", "cannot read as TOML"),
        ("[fixes]\na = 'b'\n", r"unknown key\(s\) \['fixes'\]"),
        ('[corrections]\n"pPR" = 3\n', r'\[corrections\] "pPR": must be a non-empty string'),
        ('[corrections]\n"pPr" = "pPr"\n', r'\[corrections\] "pPr": garble and correction must differ'),
        (
            '[[patches."5.1"]]\nfind = "(unclosed"\nreplace = "x"\nregex = true\n',
            r'\[patches."5.1"\]\[1\]: bad',
        ),
        (
            '[[patches."5.1"]]\nfind = "(a)"\nreplace = "\\\\2"\nregex = true\n',
            r"\[1\]: bad regex or replacement",
        ),
        ('[[patches."5.1"]]\nreplace = "x"\n', r'\[patches."5.1"\]\[1\]: missing key\(s\) \[.find.\]'),
        ('[[patches."5.1"]]\nfind = "a"\nreplace = "b"\nregx = true\n', r"unknown key\(s\) \['regx'\]"),
        ('[[patches."5.1"]]\nfind = "a"\nreplace = "b"\nregex = "yes"\n', "regex: must be true or false"),
        ('[patches]\n"5.1" = "a"\n', "must be an array of tables"),
        ('[[benign]]\nsubject = "a"\n', r"\[\[benign\]\]\[1\]: missing key\(s\) \['expected'\]"),
        ('[benign]\nsubject = "a"\n', r"\[benign\]: must be an array of tables"),
        ('[references]\ndisable = ["nope"]\n', r"\[references\]: no default reference pattern named nope"),
        ('[references]\nnot_ours = "G"\n', r"\[references\] not_ours: must be an array of strings"),
        ("[references]\nlink = true\n", r"unknown key\(s\) \['link'\]"),
        ("[[references.patterns]]\nname = 'x'\nregex = '\\d+'\n", r"'x' has no named group 'id'"),
        ("[[references.patterns]]\nregex = '(?P<id>\\d+)'\n", r"patterns\[1\]: missing key\(s\) \['name'\]"),
    ],
)
def test_a_bad_corrections_file_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CorrectionsError, match=message) as error:
        load_corrections(path)
    assert str(path) in str(error.value)


def test_a_references_table_switches_patterns_adds_its_own_and_marks_quoted_clauses(tmp_path):
    text = (
        '[references]\ndisable = ["bare_dotted", "table"]\nnot_ours = ["G"]\n\n'
        "[[references.patterns]]\nname = 'article'\n"
        "regex = 'Art\\.\\s?(?P<id>\\d+)'\ntarget_prefix = 'Art-'\n"
    )
    references = load_corrections(write(tmp_path, text)).references
    names = [pattern.name for pattern in references.patterns]
    assert names[-1] == "article" and "bare_dotted" not in names and "table" not in names
    assert references.patterns[-1] == ReferencePattern("article", r"Art\.\s?(?P<id>\d+)", "Art-")
    assert references.not_ours == frozenset({"G"})
    assert load_corrections(write(tmp_path, "")).references.patterns == DEFAULT_PATTERNS


def test_corrections_apply_in_name_contexts_only_and_to_whole_names():
    corrections = DocumentCorrections({"widgit": "widget", "aling": "align"})
    result = apply_corrections([clause(CLAUSE)], corrections, never)
    text = result.clauses[0].markdown

    assert "A widgit in prose stays as written, and so does the aling attribute." in text
    assert 'Use `widget` with `align="left"`.' in text
    assert '<widget id="w1" align="center" width="220 px">' in text and "</widget>" in text
    assert "<w:widget/> <widgits/> <a-widgit/> <widgit.b/> <widgit:x/>" in text
    assert "| widget | wml | the widgit element |" in text  # a name cell, not a sentence cell
    assert "| `<widget>` | widgit, panel | nested |" in text
    assert "<td>widget</td><td>a widgit row</td>" in text
    assert result.applied == (
        Applied("5.1", "widgit", "widget", 7, "corrections"),
        Applied("5.1", "aling", "align", 2, "corrections"),
    )
    assert result.changed_files == {"5.1.md": text}
    assert result.unproven == () and result.stale_patches == ()


def test_name_spans_are_where_the_vocabulary_check_reads_names():
    spans = [CLAUSE[start:end] for start, end in name_spans(CLAUSE)]
    read = {use.written for use in name_uses(CLAUSE)}
    assert spans[0] == "widgit" and spans[1] == 'aling="left"'
    assert spans[2].startswith('<widgit id="w1"') and spans[2].endswith("<widgit:x/>\n")
    assert [span.strip() for span in spans[3:]] == [
        *("Element", "Parent", "Description", "widgit", "wml", "<widgit>", "nested", "widgit"),
    ]
    assert {"widgit", "aling", "w:widgit", "Element", "wml"} <= read


def test_a_garble_that_is_a_real_name_is_corrected_only_where_its_pages_prove_it(acme):
    """`label` is a schema name: a correction `label` -> `panel` needs the clause's pages to show
    `panel` and not `label`."""
    pages = {10: "the panel element", 20: "the label element", 30: "a label and a panel", 40: "other"}
    markdown = "```xml\n<label/>\n```"
    clauses = [clause(markdown, "A", 10, 10), clause(markdown, "B", 20, 20), clause(markdown, "C", 30, 30)]
    clauses.append(clause("`label` twice: `label`", "D", 40, 40))
    result = apply_corrections(clauses, DocumentCorrections({"label": "panel"}), text_layer(pages), acme)

    assert [c.markdown for c in result.clauses][:3] == ["```xml\n<panel/>\n```", markdown, markdown]
    assert result.applied == (Applied("A", "label", "panel", 1, "corrections"),)
    assert result.unproven == (
        Unproven(
            "B", "label", "panel", 1, "`label` is a real name and the clause's pages do not show `panel`"
        ),
        Unproven("C", "label", "panel", 1, "the clause's pages show `label` itself"),
        Unproven(
            "D", "label", "panel", 2, "`label` is a real name and the clause's pages do not show `panel`"
        ),
    )
    assert set(result.changed_files) == {"A.md"}


def test_a_garble_found_in_the_text_layer_needs_proof_too():
    """Not a schema name, but the PDF prints `SourceID` on page 5: only a clause whose pages show
    `SourceId` and not `SourceID` is corrected."""
    pages = {5: "SourceID", 6: "SourceId"}
    clauses = [clause("`SourceID`", "9.1", 5, 5), clause("`SourceID`", "9.2", 6, 6)]
    result = apply_corrections(clauses, DocumentCorrections({"SourceID": "SourceId"}), text_layer(pages))
    assert [c.markdown for c in result.clauses] == ["`SourceID`", "`SourceId`"]
    assert [u.clause_id for u in result.unproven] == ["9.1"]

    nowhere = apply_corrections(clauses, DocumentCorrections({"SourcelD": "SourceId"}), text_layer(pages))
    assert nowhere.applied == () and nowhere.unproven == ()  # no such garble in the clauses


def test_patches_apply_after_corrections_and_stale_ones_are_reported(tmp_path):
    corrections = load_corrections(write(tmp_path, CONFIG))
    clauses = [clause(CLAUSE), clause("| orientaton |", "6.2", 30, 31)]
    result = apply_corrections(clauses, corrections, never)

    assert '<widget id="w1" align="center" width="220px">' in result.clauses[0].markdown
    assert '<label align="center">Settings Page</label>' in result.clauses[0].markdown
    assert [a for a in result.applied if a.source == "patches"] == [
        Applied("5.1", "Settings Paqe", "Settings Page", 1, "patches"),
        Applied("5.1", r"(\d+) px", r"\1px", 1, "patches"),
    ]
    assert result.stale_patches == (
        StalePatch("6.2", "no longer there", "matches nothing in the clause's file"),
    )
    assert result.clauses[1].markdown == "| orientaton |"

    gone = apply_corrections([clause(CLAUSE, "5.9")], corrections, never)
    assert {(s.clause_id, s.reason) for s in gone.stale_patches} == {
        ("5.1", "no such clause in the tree"),
        ("6.2", "no such clause in the tree"),
    }
    assert len(gone.stale_patches) == 3


def test_a_patch_the_corrections_already_made_is_stale():
    corrections = DocumentCorrections({"widgit": "widget"}, {"5.1": (Patch("<widgit/>", "<widget/>"),)})
    result = apply_corrections([clause("```\n<widgit/>\n```")], corrections, never)
    assert result.clauses[0].markdown == "```\n<widget/>\n```"
    assert result.stale_patches == (StalePatch("5.1", "<widgit/>", "matches nothing in the clause's file"),)


def finding(subject: str, expected: str, clause_id: str) -> Finding:
    return Finding(
        check=CheckName.VOCABULARY,
        kind="near_miss_name",
        severity=Severity.WARN,
        message=f"`{subject}` is not in the schema",
        clause_id=clause_id,
        subject=subject,
        expected=expected,
    )


def test_benign_pairs_turn_matching_findings_to_info(tmp_path):
    corrections = load_corrections(write(tmp_path, CONFIG))
    findings = [
        finding("SourceID", "SourceId", "9.1"),
        finding("orientaton", "orientation", "6.2"),
        finding("orientaton", "orientation", "5.1"),  # the pair is benign in 6.2 only
        finding("widgit", "widget", "5.1"),
    ]
    marked = mark_benign(findings, corrections)
    assert [f.severity for f in marked] == [Severity.INFO, Severity.INFO, Severity.WARN, Severity.WARN]
    assert [f.actionable for f in marked] == [False, False, True, True]
    assert [f.key for f in marked] == [f.key for f in findings]
    assert marked[1].message.endswith("(reviewed as benign: as printed in the standard)")
    assert marked[2:] == findings[2:]


def test_after_the_corrections_the_check_has_nothing_actionable_left(acme):
    planted = """# 5.1 The widget element

```xml
<widgit id="w1" aling="center"><panle orientation="vertical"/></widgit>
```

| Attribute | Type |
| --- | --- |
| orientaton | ST_Orientaton |
| `visble` | xs:boolean |
"""
    clauses = [clause(planted), clause("The `widgit` span and <td>panle</td>", "5.2", 12, 12)]
    findings = check_vocabulary(clauses, acme)
    assert {(f.subject, f.expected) for f in findings} == {
        ("widgit", "widget"),
        ("aling", "align"),
        ("panle", "panel"),
        ("orientaton", "orientation"),
        ("ST_Orientaton", "ST_Orientation"),
        ("visble", "visible"),
    }
    reviewed = {f.subject: f.expected for f in findings if f.subject != "ST_Orientaton"}
    corrections = DocumentCorrections(
        reviewed, benign=(BenignPair("ST_Orientaton", "ST_Orientation", note="kept for the test"),)
    )
    result = apply_corrections(clauses, corrections, never, acme)

    after = mark_benign(check_vocabulary(result.clauses, acme), corrections)
    assert [f for f in after if f.actionable] == []
    assert [(f.subject, f.severity) for f in after] == [("ST_Orientaton", Severity.INFO)]
    assert sum(a.count for a in result.applied) == 7
    assert apply_corrections(clauses, corrections, never, acme) == result  # deterministic

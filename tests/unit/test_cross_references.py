"""Cross-references in clause Markdown -> relative links: what is linked, what is never touched, the cost."""

from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

from platform_assets.domain.tree import cross_references
from platform_assets.domain.tree.cross_references import (
    DEFAULT_PATTERNS,
    EXTERNAL,
    INTERNAL,
    Reference,
    ReferencePattern,
    after_words,
    configured_patterns,
    link_references,
)

ECMA = "fetched/standards/ecma-376_QtExcel-ecma-376-5th_6c1a7f9"
SVOLT = (
    "fetched/mineru/MinerU-fork_329770b_v2.7.6-pipeline/"
    "SVOLT-196Ah-3.2V-LiFePO4-Blade-Battery-Cell-SpecificationDatasheet"
)

KNOWN = frozenset(
    {"1", "2", "4", "5", "7", "7.3", "7.3.1", "9", "9.1.1", "10.1.3.4", "13", "13.2.4.1", "17.4.62"}
    | {"17.9.4", "17.9.5", "17.9.6", "A", "B", "B.2", "B.2.1", "C", "D", "Part-II"}
)
"""Clause ids of an imaginary document; `17.9.99` and `E` are missing on purpose."""


def resolve(clause_id: str) -> str | None:
    return f"../{clause_id}.md" if clause_id in KNOWN else None


def link(markdown: str) -> str:
    return link_references(markdown, resolve)[0]


def targets(markdown: str) -> list[str]:
    return [reference.target for reference in link_references(markdown, resolve)[1]]


def test_a_paragraph_from_a_standard_links_every_reference_and_nothing_else() -> None:
    paragraph = (
        "A producer shall write the part name as described in 17.9.4 (see also §§ 17.9.5 and 17.9.6). "
        "The grammar is given in Annex B, its derivation in B.2.1; Table 2 lists the 3.14 ways of "
        "version 1.0, and values of 0.5 pt are allowed under subclause 7.3.1. "
        "[Note: `§ 17.9.4` does not apply. end note]"
    )
    linked, references = link_references(paragraph, resolve)
    assert linked == (
        "A producer shall write the part name as described in [17.9.4](../17.9.4.md) (see also "
        "[§§ 17.9.5](../17.9.5.md) and [17.9.6](../17.9.6.md)). The grammar is given in [Annex B](../B.md), "
        "its derivation in [B.2.1](../B.2.1.md); Table 2 lists the 3.14 ways of version 1.0, and values "
        "of 0.5 pt are allowed under [subclause 7.3.1](../7.3.1.md). "
        "[Note: `§ 17.9.4` does not apply. end note]"
    )
    assert [(r.text, r.target) for r in references] == [
        ("17.9.4", "17.9.4"),
        ("§§ 17.9.5", "17.9.5"),
        ("17.9.6", "17.9.6"),
        ("Annex B", "B"),
        ("B.2.1", "B.2.1"),
        ("Table 2", "Table 2"),  # listed, unlinked: this resolver knows no tables
        ("subclause 7.3.1", "7.3.1"),
    ]


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("§17.9.4 applies", "[§17.9.4](../17.9.4.md) applies"),
        ("§ 17.9.4 applies", "[§ 17.9.4](../17.9.4.md) applies"),
        ("&sect;17.9.4 applies", "[&sect;17.9.4](../17.9.4.md) applies"),
        ("(§9.1.1)", "([§9.1.1](../9.1.1.md))"),
        ("given in §2.", "given in [§2](../2.md)."),
        ("see 17.9.4.", "see [17.9.4](../17.9.4.md)."),
        ("See 17.9.4, then", "See [17.9.4](../17.9.4.md), then"),
        ("described in 17.9.4;", "described in [17.9.4](../17.9.4.md);"),
        ("the rules of 17.9.4 hold", "the rules of [17.9.4](../17.9.4.md) hold"),
        ("refer to 17.9.4 and", "refer to [17.9.4](../17.9.4.md) and"),
        ("under 17.9.4", "under [17.9.4](../17.9.4.md)"),
        ("cf. 17.9.4", "cf. [17.9.4](../17.9.4.md)"),
        ("clause 7 says", "[clause 7](../7.md) says"),
        ("Clause 7.3 says", "[Clause 7.3](../7.3.md) says"),
        ("in subclause 7.3.1.", "in [subclause 7.3.1](../7.3.1.md)."),
        ("Annex B applies", "[Annex B](../B.md) applies"),
        ("see Annex B.2.", "see [Annex B.2](../B.2.md)."),
        ("as in B.2.1, ", "as in [B.2.1](../B.2.1.md), "),
        ("§B.2 defines", "[§B.2](../B.2.md) defines"),
    ],
)
def test_each_written_form_of_a_reference_is_linked(text: str, linked: str) -> None:
    assert link(text) == linked


@pytest.mark.parametrize(
    "math", ["$§17.4.62$", "$\\S 17.4.62$", "$\\S 1 7 . 4 . 6 2$", "$\\S17.4.62.$", "$\\S$ 17.4.62"]
)
def test_a_section_sign_that_survived_as_math_is_linked_as_plain_text(math: str) -> None:
    linked, references = link_references(f"The value ({math}) is", resolve)
    assert linked == "The value ([§17.4.62](../17.4.62.md)) is"
    assert references == [Reference(math, "17.4.62", "../17.4.62.md")]


def test_lists_after_a_reference_link_every_member() -> None:
    assert link("§§ 17.9.4 and 17.9.5 apply") == "[§§ 17.9.4](../17.9.4.md) and [17.9.5](../17.9.5.md) apply"
    assert link("see 17.9.4, 17.9.5 or 17.9.6") == (
        "see [17.9.4](../17.9.4.md), [17.9.5](../17.9.5.md) or [17.9.6](../17.9.6.md)"
    )
    assert link("Annexes A, B and D") == "[Annexes A](../A.md), [B](../B.md) and [D](../D.md)"
    assert targets("Annexes A, B, C, and D form a normative part") == ["A", "B", "C", "D"]
    assert link("clauses 4 and 5") == "[clauses 4](../4.md) and [5](../5.md)"


def test_a_single_level_number_or_letter_does_not_continue_a_deeper_reference() -> None:
    assert targets("see 17.9.4 and 5 more rows") == ["17.9.4"]
    assert targets("see Annex B, A producer shall") == ["B"]
    assert targets("in Annex C-3") == ["C"]


def test_ranges_link_both_ends_and_a_short_end_takes_the_leading_levels() -> None:
    assert link("see 17.9.4–17.9.6") == "see [17.9.4](../17.9.4.md)–[17.9.6](../17.9.6.md)"
    assert link("§§ 17.9.4-6 apply") == "[§§ 17.9.4](../17.9.4.md)-[6](../17.9.6.md) apply"
    assert targets("clauses 4 to 7") == ["4", "7"]
    assert targets("Annex A–Annex D") == ["A", "D"]
    assert link("Clauses 1–5, 7, and 9–13") == (
        "[Clauses 1](../1.md)–[5](../5.md), [7](../7.md), and [9](../9.md)–[13](../13.md)"
    )


def test_unresolved_references_are_listed_with_no_href_and_left_as_text() -> None:
    linked, references = link_references("see § 17.9.99 and Annex E, then §17.9.4", resolve)
    assert linked == "see § 17.9.99 and Annex E, then [§17.9.4](../17.9.4.md)"
    assert references == [
        Reference("§ 17.9.99", "17.9.99", None),
        Reference("Annex E", "E", None),
        Reference("§17.9.4", "17.9.4", "../17.9.4.md"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "defined in §3.2 of RFC 3987.",
        "as defined in §4.3.3 of the XML 1.0 specification",
        "is defined in §4.1 of XML-Signature Syntax and Processing",
        "media types as specified in RFC\n2616, §3.7.",
        "ECMA-376 Part 1, §17.4.62 says",
        "clause 7 of ISO 9000",
        "as in [RFC 3986] section 5.2 says",
        "as in \\[RFC 3986\\] section 5.2 says",
        "see section 4.4 of [some-spec]",
        "see section 4.4 of \\[some-spec\\]",
        "ISO 8601 clause 4 says",
        "the GNU Affero General Public License, section 13, applies",
    ],
)
def test_a_clause_of_another_document_is_listed_as_external_and_never_linked(text: str) -> None:
    linked, references = link_references(text, resolve)
    assert linked == text
    assert [r.kind for r in references] == [EXTERNAL]
    assert references[0].href is None


def test_a_reference_qualified_by_this_document_is_linked() -> None:
    assert targets("§17.9.4 of this Part and clause 7 of the present document") == ["17.9.4", "7"]


@pytest.mark.parametrize(
    "text",
    [
        'the attribute version="1.0" is required',
        "released 2024-06 and 2024.06.01",
        "pi is 3.14 and e is 2.72",
        "margins of 0.5 pt, widths in 2.5 mm, charge to 3.65V, 17.9 % of cells",
        "Equation 1.2 on page 17, Example 3, Note 2, Part 1",
        "Table 1.2: List of informative documentation packages",
        "Table C–1. Support for records",
        "Figure 3 — The package model",
        "B.1) first item\nC.1) second item",
        "a ratio of 1.41:1 and 17.9.4:2",
        "R 4.2.0 and version 1.1, ‘1.6’, libc-2.16.so, pkg 1.4-0, R (>= 2.10), x - 1.5",
        "name 7.3 1.44 9.1.1 0.92 17.9.4 17.9.5",
        "end note] 9.1.1 Growth Hint Sometimes",
        "Annex B (informative) Schemas and Annex D. (normative)",
        "the element Types and elements Default",
        "the LP problem (1.1)—(1.3) and condition (2.1) hold",
        "MiniSat E.4 zlib zlib version 1.2.5",
        "repeat this in 3 steps, up to 4 times",
        "values 17.9.4, 1.5 without a keyword",
        "the ITU-T X.509 certificate and H.264 video",
        "IPv4 address 192.168.1.1 and 10.0.0.1",
    ],
)
def test_numbers_that_are_no_references_are_left_alone(text: str) -> None:
    assert link_references(text, resolve) == (text, [])


def test_single_level_numbers_need_a_section_sign_or_a_clause_word() -> None:
    assert targets("see 7 and in 4 places") == []
    assert targets("see §7 and clause 4") == ["7", "4"]


@pytest.mark.parametrize(
    "markdown",
    [
        "```\nsee 17.9.4 and § 17.9.5\n```\n",
        "````markdown\n```\n§ 17.9.4\n```\n````\n",
        "~~~\n§ 17.9.4\n~~~~\n",
        "~~~~~\n§ 17.9.4\n~~~\nstill code § 17.9.5\n",  # unclosed: code to the end
        "Text:\n\n    § 17.9.4 in an indented code block\n",
        "`§ 17.9.4` and ``a ` § 17.9.5`` inline",
        "a span `across\n§ 17.9.4` lines",
        "[see § 17.9.4](https://example.org/17.9.4) and ![Annex B](figures/B.2.1.png)",
        '[see 17.9.4][ref] and [text](<a b.md> "§ 17.9.5")',
        "[ref]: https://example.org/§17.9.4\n",
        "<https://example.org/see/17.9.4> and <mail@example.org>",
        "at https://example.org/clause%207/B.2.1?x=§17.9.4 today",
        '<span title="see 17.9.4" data-ref="§ 17.9.5">x</span>',
        '<a href="../17.9.4.md">§ 17.9.4</a> and <code>§ 17.9.5</code>',
        "<!-- see § 17.9.4 -->",
        "<pre>\nsee § 17.9.4\n</pre>\n",
        "# 17.4 Clause 7 and Annex B\n## see 17.9.4\n",
        "---\ntitle: Annex B and § 17.9.4\n---\n",
        "$$\nx = \\S 17.9.4 + B.2.1\n$$\n",
        "the value $x_{B.2.1} + 17.9.4$ inline",
    ],
)
def test_code_links_urls_tags_headings_math_and_front_matter_are_never_touched(markdown: str) -> None:
    assert link_references(markdown, resolve) == (markdown, [])


def test_escaped_brackets_and_backticks_open_no_link_or_code_so_the_reference_inside_is_linked() -> None:
    assert link("\\[see 17.9.4\\](x)") == "\\[see [17.9.4](../17.9.4.md)\\](x)"
    assert link("\\` § 17.9.4 \\`") == "\\` [§ 17.9.4](../17.9.4.md) \\`"


def test_prose_around_skipped_blocks_is_still_linked() -> None:
    markdown = (
        "# 17.4 Part names\n\nSee §17.9.4.\n\n```xml\n<a v='§17.9.5'/>\n```\n\nThen Annex B.\n"
        "An indented line\n    continuing a paragraph names §17.9.6.\n"
    )
    assert link(markdown) == (
        "# 17.4 Part names\n\nSee [§17.9.4](../17.9.4.md).\n\n```xml\n<a v='§17.9.5'/>\n```\n\n"
        "Then [Annex B](../B.md).\nAn indented line\n"
        "    continuing a paragraph names [§17.9.6](../17.9.6.md).\n"
    )


def test_a_reference_in_an_html_table_cell_becomes_an_anchor_and_no_tag_changes() -> None:
    table = '<table><tr><td>see 17.9.4</td><td title="§ 17.9.5">Annex B</td></tr></table>\n\nAfter §7.\n'
    linked, references = link_references(table, lambda clause_id: f"a&b/{clause_id}.md")
    assert linked == (
        '<table><tr><td>see <a href="a&amp;b/17.9.4.md">17.9.4</a></td><td title="§ 17.9.5">'
        '<a href="a&amp;b/B.md">Annex B</a></td></tr></table>\n\nAfter [§7](a&b/7.md).\n'
    )
    assert [r.href for r in references] == ["a&b/17.9.4.md", "a&b/B.md", "a&b/7.md"]


def test_a_destination_with_spaces_or_parentheses_is_written_in_angle_brackets() -> None:
    assert (
        link_references("see §7", lambda _: "my clauses/7 (intro).md")[0]
        == "see [§7](<my clauses/7 (intro).md>)"
    )


def test_linking_linked_markdown_changes_nothing() -> None:
    markdown = (
        "# 17.9 Title\n\nSee §17.9.4, §§ 17.9.5–6, Annex B, B.2.1, clause 7, $\\S 17.4.62$ and § 17.9.99.\n\n"
        "<table><tr><td>see 17.9.4 and Annex B</td></tr></table>\n\n```\n§ 9\n```\n"
    )
    once, first = link_references(markdown, resolve)
    twice, second = link_references(once, resolve)
    assert once != markdown
    assert twice == once
    assert [r.target for r in first if r.href is None] == ["17.9.99"]
    assert second == [Reference("§ 17.9.99", "17.9.99", None)]


def test_a_caller_can_pass_its_own_patterns() -> None:
    sect = ReferencePattern("sect", r"Sect\.\s?(?P<id>\d+(?:\.\d+)*)(?!\w|\.\d)")
    text = "as shown in Sect. 4.2 and Sect.5, see 17.9.4"
    assert targets(text) == ["17.9.4"]  # the default patterns do not know `Sect.`
    linked, references = link_references(text, lambda clause_id: f"{clause_id}.md", [sect])
    assert linked == "as shown in [Sect. 4.2](4.2.md) and [Sect.5](5.md), see 17.9.4"
    assert [r.target for r in references] == ["4.2", "5"]


def test_a_custom_pattern_can_lead_with_a_lower_case_word_and_prefix_its_target() -> None:
    article = ReferencePattern("article", rf"{after_words(['art.', 'article'], lead=True)}(?P<id>\d+)\b")
    part = ReferencePattern("part", r"Part\s+(?P<id>[IVX]+)\b", target_prefix="Part-")
    linked, references = link_references(
        "see art. 4 and Article 5 in Part II", resolve, (*DEFAULT_PATTERNS, article, part)
    )
    assert linked == "see [art. 4](../4.md) and [Article 5](../5.md) in [Part II](../Part-II.md)"
    assert [r.target for r in references] == ["4", "5", "Part-II"]


def test_a_custom_pattern_reaches_back_to_a_non_latin_lead_with_a_lookbehind() -> None:
    chinese = ReferencePattern("chinese", r"(?<=第)(?P<id>\d+(?:\.\d+)*)(?=[条节])")
    linked, references = link_references("按照本标准第7.3.1条和第9条所列", resolve, [chinese])
    assert linked == "按照本标准第[7.3.1](../7.3.1.md)条和第[9](../9.md)条所列"
    assert [r.target for r in references] == ["7.3.1", "9"]


@pytest.mark.parametrize(
    ("regex", "message"),
    [
        (r"§\s*\d+", "no named group 'id'"),
        (r"(?P<q>')(?P<id>\d+)(?P=q)", "cannot join the scan"),
        (r"(?P<id>", "cannot"),
    ],
)
def test_a_pattern_the_scan_cannot_use_is_refused_by_name(regex: str, message: str) -> None:
    with pytest.raises(ValueError, match=rf"'broken'.*{message}"):
        link_references("§ 4", resolve, [ReferencePattern("broken", regex)])


def test_ten_thousand_calls_compile_the_patterns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraph = "A part name (§9.1.1) shall conform to 17.9.4; see Annex B and B.2.1 but not Table 2."
    patterns = (*DEFAULT_PATTERNS, ReferencePattern("sect", r"Sect\.\s?(?P<id>\d+(?:\.\d+)*)\b"))
    link_references(paragraph, resolve, patterns)
    before = cross_references._scanner.cache_info()

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a regex was compiled while linking")

    monkeypatch.setattr(re, "compile", no_compile)
    for _ in range(5_000):
        link_references(paragraph, resolve)
        link_references(paragraph, resolve, patterns)
    after = cross_references._scanner.cache_info()
    assert after.misses == before.misses
    assert after.currsize == before.currsize


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            self.tags.append(f"<{tag} {attrs}>")

    def handle_endtag(self, tag: str) -> None:
        if tag != "a":
            self.tags.append(f"</{tag}>")


def _tags(markdown: str) -> list[str]:
    parser = _Tags()
    parser.feed(markdown)
    return parser.tags


def test_a_real_mineru_table_gains_anchors_in_cell_text_only(shared_corpus: Path) -> None:
    markdown = next((shared_corpus / SVOLT).glob("*.md")).read_text(encoding="utf-8")
    ids = set(re.findall(r"^(\d(?:\.\d)*) ", markdown, re.MULTILINE))
    linked, references = link_references(
        markdown, lambda clause_id: f"{clause_id}.md" if clause_id in ids else None
    )
    assert _tags(linked) == _tags(markdown)
    assert 'described in <a href="1.2.1.md">section 1.2.1</a> of this specification' in linked
    assert sum(1 for r in references if r.href) >= 8
    unlinked = re.sub(r'<a href="[^"]*\.md">([^<]*)</a>', r"\1", linked)
    assert re.sub(r"\[([^\]]*)\]\([^)]*\.md\)", r"\1", unlinked) == markdown


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("see section 8.7 for", "see [section 8.7](../8.7.md) for"),
        ("in Sections 5.2 and 5.3", "in [Sections 5.2](../5.2.md) and [5.3](../5.3.md)"),
        ("see subsection 7.3.1", "see [subsection 7.3.1](../7.3.1.md)"),
        ("as in element 4.3, the", "as in [element 4.3](../4.3.md), the"),
        ("see Appendix A.1 for", "see [Appendix A.1](../A.1.md) for"),
        ("shown in Table 12.", "shown in [Table 12](<../Table 12.md>)."),
        ("(see Figure 3)", "(see [Figure 3](<../Figure 3.md>))"),
        ("in Table C–1, the", "in [Table C–1](<../Table C-1.md>), the"),
        ("See also SUM 6.16.19", "See also [SUM 6.16.19](../6.16.19.md)"),
        ("See also ROUND\\_UP 6.16.19.", "See also [ROUND\\_UP 6.16.19](../6.16.19.md)."),
        ("empty. 9.1.1, 17.4.62 × M1.2", "empty. [9.1.1](../9.1.1.md), [17.4.62](../17.4.62.md) × M1.2"),
        ("(see B.1) and", "(see [B.1](../B.1.md)) and"),
        ("see B.1 for details", "see [B.1](../B.1.md) for details"),
    ],
)
def test_the_forms_standards_and_manuals_use_are_linked(text: str, linked: str) -> None:
    known = KNOWN | {"8.7", "5.2", "5.3", "4.3", "A.1", "Table 12", "Figure 3", "Table C-1", "6.16.19", "B.1"}
    assert link_references(text, lambda t: f"../{t}.md" if t in known else None)[0] == linked


def test_a_bare_number_is_a_reference_only_where_its_clause_exists() -> None:
    assert link_references("x. 17.9.99, 9.1.1 ×", resolve)[1] == [Reference("9.1.1", "9.1.1", "../9.1.1.md")]


def test_each_reference_records_its_offset_in_the_markdown() -> None:
    text = "see §17.9.4 and Annex B"
    assert [(r.start, text[r.start : r.start + len(r.text)]) for r in link_references(text, resolve)[1]] == [
        (4, "§17.9.4"),
        (16, "Annex B"),
    ]


def test_references_in_a_quoted_document_are_all_external() -> None:
    text = "Sections 1 and 2 of this License; see clause 7"
    linked, references = link_references(text, resolve, external=True)
    assert linked == text
    assert [(r.target, r.kind) for r in references] == [("1", EXTERNAL), ("2", EXTERNAL), ("7", EXTERNAL)]


def test_text_without_a_digit_section_sign_or_annex_word_is_returned_as_it_is() -> None:
    text = "Plain prose with [brackets] and `code`."
    assert link_references(text, resolve) == (text, [])


def test_a_document_config_switches_default_patterns_off_and_adds_its_own() -> None:
    sect = ReferencePattern("sect", r"Sect\.\s?(?P<id>\d+(?:\.\d+)*)(?!\w|\.\d)")
    patterns = configured_patterns(disable=["bare_dotted", "table"], extra=[sect])
    assert [p.name for p in patterns][-1] == "sect"
    assert {"bare_dotted", "table"}.isdisjoint(p.name for p in patterns)
    linked, _ = link_references("x. 9.1.1 ×, Table 12 and Sect. 7", resolve, patterns)
    assert linked == "x. 9.1.1 ×, Table 12 and [Sect. 7](../7.md)"
    with pytest.raises(ValueError, match="no default reference pattern named nope"):
        configured_patterns(disable=["nope"])


@pytest.mark.parametrize(
    ("sample", "precision", "recall"),
    [
        ("sample.jsonl", None, None),  # the goals
        # texinfo and LaTeX manuals with running heads, quoted licences and other manuals: its floor as
        # measured (one licence section whose passage holds none of the licence's terms is linked)
        ("sample-texinfo.jsonl", 0.98, 0.97),
    ],
)
def test_the_labelled_sample_of_real_documents_meets_the_precision_and_recall_goals(
    sample: str, precision: float | None, recall: float | None
) -> None:
    bench = _load_benchmark()
    scores = bench.score_files([bench.SAMPLE.with_name(sample)])
    total = bench.Score()
    for score in scores.values():
        total.add(score)
    assert len(scores) >= 3
    assert sum(total.labels.values()) >= 200
    assert total.precision >= (precision or bench.PRECISION_GOAL), total.errors
    assert total.recall >= (recall or bench.RECALL_GOAL), total.errors


MANUAL = KNOWN | {"3", "3.1.2", "4.5", "6.3", "18.6.3", "2.4", "4.2", "4.2.3", "7.4.1", "8"}


def manual_references(text: str) -> list[tuple[str, str, str | None]]:
    """(text, kind, href) of each reference in `text`, against the ids of a texinfo-style manual."""
    references = link_references(text, lambda t: f"../{t}.md" if t in MANUAL else None)[1]
    return [(r.text, r.kind, r.href) for r in references]


@pytest.mark.parametrize(
    "text",
    [
        "Chapter 3: Making configure Scripts 11 If your configure script does its own option processing",
        "text of the page before. Chapter 7: Results of Tests 121 AC_OUTPUT replaces instances",
        "Appendix A: GNU Free Documentation License 367 titles to the list of Invariant Sections",
        "363 Appendix A GNU Free Documentation License Version 1.3, 3 November 2008",
        "2.4. The typeblock \\settrims{top}{foredge} The command",
        "6.3. Numbering Table 6.1: Division levels",
        "the style. Chapter 1 Demonstration of the default chapter style",
        "3.1.3 Standard configure.ac Layout The order in which",
    ],
)
def test_running_heads_and_headings_at_a_line_or_sentence_start_are_no_references(text: str) -> None:
    assert [r for r in manual_references(text) if r[2]] == []


def test_a_reference_at_a_sentence_start_or_before_texinfo_page_text_is_still_linked() -> None:
    assert manual_references("done. Section 4.2 describes it; see Section 4.5 [Output], page 24.") == [
        ("Section 4.2", INTERNAL, "../4.2.md"),
        ("Section 4.5", INTERNAL, "../4.5.md"),
    ]
    assert manual_references("3.1.2 [Autoconf Language], page 9, see") == [("3.1.2", INTERNAL, "../3.1.2.md")]


@pytest.mark.parametrize(
    "text",
    [
        "installing section 1 man pages and section 8 manual pages",
        "see the man section 8 for daemons",
        "Division Level \\book -2 \\chapter 0 \\section 1 \\subsection 2",
        "part -1 0 — 0 1.5 chapter 0 0 1.5 0 1.5 section 1 1.5 2.3 1.5 2.3",
        "as in bash 3.2: $ 18.6.3",
    ],
)
def test_man_page_sections_tex_macros_and_rows_of_values_are_no_references(text: str) -> None:
    assert manual_references(text) == []


@pytest.mark.parametrize(
    ("text", "external"),
    [
        ("RFC 5246 section 7.4.1 says", "section 7.4.1"),
        ("[RFC5246] section 7.4.1 says", "section 7.4.1"),
        ("as in RFC8446 (section 4.2.3)", "section 4.2.3"),
        ("See [rfc3023], Section 4.2.", "Section 4.2"),
        ("the security issues of RFC 2396, section 7, apply", "section 7"),
        ("see Section 4.2 [Invoking] in GNU Automake.", "Section 4.2"),
        ("see Section 4.2 “Invoking” in The GNU Coding Standards", "Section 4.2"),
        ("see the Bash Reference Manual, section 3.2", "section 3.2"),
    ],
)
def test_a_number_qualified_by_an_rfc_or_another_manual_is_external(text: str, external: str) -> None:
    assert manual_references(text) == [(external, EXTERNAL, None)]


def test_a_bare_number_right_after_an_rfc_is_not_linked() -> None:
    assert manual_references("RFC 8446 4.2.3 and [RFC8446] 4.2.3 say") == []


def test_a_texinfo_reference_to_another_manual_without_a_number_links_nothing() -> None:
    assert manual_references("(see Section “Configuration” in The GNU Coding Standards) and") == []


def test_a_texinfo_reference_in_this_manual_is_internal() -> None:
    assert manual_references("see Section 4.2 [Intro] in this manual") == [
        ("Section 4.2", INTERNAL, "../4.2.md")
    ]


def test_sections_of_a_quoted_licence_are_the_licences_own() -> None:
    text = (
        "You may copy and distribute a Modified Version of the Document under the conditions of sections 2 "
        "and 3 above, provided that you release the Modified Version under precisely this License."
    )
    assert manual_references(text) == [("sections 2", EXTERNAL, None), ("3", EXTERNAL, None)]
    assert manual_references("translations of the Document under the terms of section 4.") == [
        ("section 4", EXTERNAL, None)
    ]
    # outside the licence's paragraph the manual's own sections are linked again
    later = "x" * 400
    assert manual_references(f"under this License. {later} See section 8 for more.") == [
        ("section 8", INTERNAL, "../8.md")
    ]


def _load_benchmark() -> ModuleType:
    """`benchmarks/bench_references.py`, a script, loaded by path."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_references.py"
    spec = importlib.util.spec_from_file_location("bench_references", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module

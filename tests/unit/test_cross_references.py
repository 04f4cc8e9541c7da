"""Cross-references in clause Markdown -> relative links: what is linked, what is never touched, the cost."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from platform_assets.domain import cross_references
from platform_assets.domain.clauses import clauses_from_outline
from platform_assets.domain.cross_references import (
    DEFAULT_PATTERNS,
    Reference,
    ReferencePattern,
    after_words,
    link_references,
)
from platform_assets.domain.pdf_facts import page_texts, read_pdf_facts

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
        ("Annex B (informative)", "[Annex B](../B.md) (informative)"),
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
    ],
)
def test_a_clause_of_another_document_is_neither_linked_nor_listed(text: str) -> None:
    assert link_references(text, resolve) == (text, [])


def test_a_reference_qualified_by_this_document_is_linked() -> None:
    assert targets("§17.9.4 of this Part and clause 7 of the present document") == ["17.9.4", "7"]


@pytest.mark.parametrize(
    "text",
    [
        'the attribute version="1.0" is required',
        "released 2024-06 and 2024.06.01",
        "pi is 3.14 and e is 2.72",
        "margins of 0.5 pt, widths in 2.5 mm, charge to 3.65V, 17.9 % of cells",
        "Table 2 and Figure 3 and Tables B.2 and B.3",
        "Equation 1.2 in Figure 4.1.2 on page 17",
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
    assert all(reference.href for reference in references)
    assert not any(reference.target.startswith(("X.", "3.")) for reference in references)


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

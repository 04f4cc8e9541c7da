"""Draws ACME-1234 "Widget Markup Language", a 56-page synthetic standard PDF, and its XSD.

Invariant: the bytes depend only on this file and reportlab (invariant mode, no compression, built-in fonts).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from platform_assets.domain.common.atomic import write_bytes_atomic, write_text_atomic

PDF_NAME = "acme-1234-wml.pdf"
XSD_NAME = "acme-wml.xsd"
FRONT_PAGES = 4  # title, Foreword, Contents, Introduction: one page each, labelled i..iv
HEADER = ("ACME-1234:2024(E)", "Widget Markup Language")
FOOTER = "© ACME Standards 2024 – All rights reserved"

XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:acme:1234:wml" targetNamespace="urn:acme:1234:wml"
           elementFormDefault="qualified">
  <xs:simpleType name="ST_Align">
    <xs:restriction base="xs:token">
      <xs:enumeration value="left"/>
      <xs:enumeration value="center"/>
      <xs:enumeration value="right"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ST_Orientation">
    <xs:restriction base="xs:token">
      <xs:enumeration value="horizontal"/>
      <xs:enumeration value="vertical"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ST_ButtonKind">
    <xs:restriction base="xs:token">
      <xs:enumeration value="push"/>
      <xs:enumeration value="toggle"/>
      <xs:enumeration value="radio"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ST_Length">
    <xs:restriction base="xs:string">
      <xs:pattern value="auto|[0-9]+(px|pt|%)"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:element name="wml">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="widget" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="version" type="xs:string" fixed="1.0"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="widget">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element ref="panel"/>
        <xs:element ref="label"/>
        <xs:element ref="button"/>
        <xs:element ref="image"/>
      </xs:choice>
      <xs:attribute name="id" type="xs:ID" use="required"/>
      <xs:attribute name="align" type="ST_Align" default="left"/>
      <xs:attribute name="width" type="ST_Length" default="auto"/>
      <xs:attribute name="visible" type="xs:boolean" default="true"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="panel">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element ref="label"/>
        <xs:element ref="button"/>
        <xs:element ref="image"/>
      </xs:choice>
      <xs:attribute name="orientation" type="ST_Orientation" default="vertical"/>
      <xs:attribute name="spacing" type="ST_Length" default="auto"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="label">
    <xs:complexType>
      <xs:simpleContent>
        <xs:extension base="xs:string">
          <xs:attribute name="align" type="ST_Align" default="left"/>
        </xs:extension>
      </xs:simpleContent>
    </xs:complexType>
  </xs:element>
  <xs:element name="button">
    <xs:complexType>
      <xs:attribute name="kind" type="ST_ButtonKind" default="push"/>
      <xs:attribute name="action" type="xs:anyURI"/>
      <xs:attribute name="text" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="image">
    <xs:complexType>
      <xs:attribute name="src" type="xs:anyURI" use="required"/>
      <xs:attribute name="alt" type="xs:string"/>
      <xs:attribute name="width" type="ST_Length" default="auto"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

ELEMENTS = ("widget", "panel", "label", "button", "image", "wml")
ATTRIBUTES = ("align", "orientation", "kind", "width", "spacing", "visible", "action", "src")
REFERENCES = ("see §5.1.2", "§ 7.3", "as defined in 3.2", "see Annex A", "see A.1", "see §6.1", "§ 5.2")
SENTENCES = (
    "A consumer shall process each {el} element in document order ({ref}).",
    "The {attr} attribute of the {el} element is optional; when it is absent the default value applies.",
    "A producer should not emit any {el} element whose {attr} attribute repeats the inherited value.",
    "Implementations may cache the computed {attr} of each {el} element between layout passes.",
    "The effective value of {attr} is resolved before any child of the {el} element is measured ({ref}).",
    "Unknown attributes on the {el} element are ignored, and a warning may be reported to the user.",
    "When two rules apply to the same {el} element, the rule given later in this clause takes precedence.",
    "The schema constrains the lexical form of {attr}; this clause constrains its meaning ({ref}).",
    "Every {el} element that is not visible still takes part in identifier resolution.",
    "Whitespace inside each {el} element is collapsed as for xs:token unless stated otherwise.",
    "The order of attributes on the {el} element carries no meaning.",
)
APPS = (
    "login dialog",
    "settings page",
    "toolbar",
    "status bar",
    "wizard step",
    "print dialog",
    "search form",
)

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=6)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=9, leading=12, leftIndent=14)
CODE = ParagraphStyle("code", fontName="Courier", fontSize=8.5, leading=10.5, leftIndent=14, spaceAfter=4)
LISTING = ParagraphStyle("listing", parent=CODE, fontSize=7.5, leading=9)
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10.5)
HEAD_CELL = ParagraphStyle("head_cell", parent=CELL, fontName="Helvetica-Bold")
CAPTION = ParagraphStyle(
    "caption", fontName="Helvetica-Bold", fontSize=9.5, leading=12, alignment=TA_CENTER, spaceBefore=6
)
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=24, leading=30, spaceAfter=18)
HEADINGS = [
    ParagraphStyle(f"h{level}", fontName="Helvetica-Bold", fontSize=size, leading=size + 4, keepWithNext=1)
    for level, size in enumerate((13, 11.5, 10.5, 10))
]
for _style, _before in zip(HEADINGS, (14, 10, 8, 6), strict=True):
    _style.spaceBefore, _style.spaceAfter = _before, 5

Outline = list[tuple[int, str, int]]


@dataclass(frozen=True)
class SampleStandard:
    """The written files and the ground truth tests compare the PDF against."""

    pdf: Path
    xsd: Path
    page_count: int
    outline: Outline  # (level 0-based, title, 0-based PDF page index) per bookmark, in order
    first_body_page: int  # 0-based PDF index of the page labelled "1"


class Heading(Paragraph):
    """A clause heading that bookmarks itself and records (level, title, page) when drawn."""

    def __init__(self, title: str, level: int, record: Outline) -> None:
        super().__init__(title, HEADINGS[level])
        self.title, self.level, self.record = title, level, record

    def draw(self) -> None:
        super().draw()
        key = f"clause{len(self.record)}"
        self.canv.bookmarkHorizontal(key, 0, self.height)
        self.canv.addOutlineEntry(self.title, key, level=self.level)
        self.record.append((self.level, self.title, self.canv.getPageNumber() - 1))


def _level(number: str) -> int:
    return 0 if number.startswith("Annex") else number.count(".")


def _sentences(seed: int, count: int) -> str:
    """`count` deterministic sentences chosen by arithmetic on `seed` (no randomness)."""
    return " ".join(
        SENTENCES[(seed * 5 + i * 3) % len(SENTENCES)].format(
            el=ELEMENTS[(seed + i) % len(ELEMENTS)],
            attr=ATTRIBUTES[(seed * 3 + i) % len(ATTRIBUTES)],
            ref=REFERENCES[(seed + 2 * i) % len(REFERENCES)],
        )
        for i in range(count)
    )


def _example(intro: str, xml: str) -> Flowable:
    """An ECMA-style "[Example: ... end example]" block with the markup in Courier."""
    return KeepTogether(
        [
            Paragraph(f"[<i>Example</i>: {intro}", BODY),
            Preformatted(xml, CODE),
            Paragraph("<i>end example</i>]", BODY),
        ]
    )


def _table(caption: str, rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> Flowable:
    """A ruled grid table with a bold header row and its caption above it."""
    cells = [[Paragraph(text, HEAD_CELL if r == 0 else CELL) for text in row] for r, row in enumerate(rows)]
    grid = Table(cells, colWidths=[w * cm for w in widths], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return KeepTogether([Paragraph(caption, CAPTION), Spacer(1, 4), grid, Spacer(1, 8)])


def _widget_xml(n: int) -> str:
    """A small, valid WML document; `n` varies ids, orientation, alignment and button kinds."""
    orientation = ("horizontal", "vertical")[n % 2]
    align = ("left", "center", "right")[n % 3]
    kind = ("push", "toggle", "radio")[n % 3]
    app = APPS[n % len(APPS)]
    return (
        '<wml xmlns="urn:acme:1234:wml" version="1.0">\n'
        f'  <widget id="w{n}" align="{align}" width="{200 + 20 * (n % 10)}px">\n'
        f'    <panel orientation="{orientation}" spacing="{4 + n % 5}pt">\n'
        f'      <label align="{align}">{app.title()}</label>\n'
        f'      <image src="icons/{app.replace(" ", "-")}.png" alt="{app}"/>\n'
        f'      <button kind="{kind}" text="OK" action="app:{app.split()[0]}/ok"/>\n'
        "    </panel>\n"
        "  </widget>\n"
        "</wml>"
    )


# --- content: clauses 1..6 as data -------------------------------------------------------------

Block = tuple[str, ...]  # ("h", number, title) | ("p", text) | ("x", intro, xml) | ("t", caption) | ("brk",)

TABLES: dict[str, tuple[list[tuple[str, ...]], tuple[float, ...]]] = {
    "Table 1 — Conformance classes": (
        [
            ("Class", "Applies to", "Requirements"),
            ("WML Strict", "documents", "Clauses 5 and 6; Annex A"),
            ("WML Transitional", "documents", "Clause 5; unknown attributes allowed"),
            ("WML Consumer", "applications", "Clause 7"),
        ],
        (3.5, 3.0, 9.0),
    ),
    "Table 2 — Elements of WML": (
        [
            ("Element", "Parent", "Content", "Clause"),
            ("wml", "(root)", "widget+", "5"),
            ("widget", "wml", "panel | label | button | image", "5.1"),
            ("panel", "widget", "label | button | image", "5.2"),
            ("label", "widget, panel", "text", "5.3"),
            ("button", "widget, panel", "empty", "5.4"),
            ("image", "widget, panel", "empty", "5.5"),
        ],
        (2.5, 3.2, 7.3, 2.5),
    ),
    "Table 3 — Simple types": (
        [
            ("Type", "Base", "Values"),
            ("ST_Align", "xs:token", "left, center, right"),
            ("ST_Orientation", "xs:token", "horizontal, vertical"),
            ("ST_ButtonKind", "xs:token", "push, toggle, radio"),
            ("ST_Length", "xs:string", "auto, or a number followed by px, pt or %"),
        ],
        (3.5, 2.5, 9.5),
    ),
    "Table 4 — Content model of widget": (
        [("Child", "Occurs", "Notes"), ("panel", "0..n", "groups children"), ("label", "0..n", "text")],
        (3.0, 2.5, 10.0),
    ),
    "Table 5 — Attributes of widget": (
        [
            ("Attribute", "Type", "Default", "Description"),
            ("id", "xs:ID", "(required)", "Identifier unique within the wml document."),
            ("align", "ST_Align", "left", "Horizontal alignment of the content (see §6.1)."),
            ("width", "ST_Length", "auto", "Preferred width; auto sizes to the content (§ 6.3)."),
            ("visible", "xs:boolean", "true", "Whether the widget and its children are rendered."),
        ],
        (2.3, 2.5, 2.2, 8.5),
    ),
    "Table 6 — Attributes of panel": (
        [
            ("Attribute", "Type", "Default", "Description"),
            ("orientation", "ST_Orientation", "vertical", "Axis along which children are laid out."),
            ("spacing", "ST_Length", "auto", "Gap between adjacent children."),
        ],
        (2.5, 3.0, 2.2, 7.8),
    ),
    "Table 7 — Attributes of button": (
        [
            ("Attribute", "Type", "Default", "Description"),
            ("kind", "ST_ButtonKind", "push", "Behaviour when activated (see 7.4)."),
            ("action", "xs:anyURI", "(none)", "URI dispatched on activation."),
            ("text", "xs:string", "(required)", "Caption shown on the button."),
        ],
        (2.3, 3.0, 2.2, 8.0),
    ),
    "Table 8 — Enumerated values": (
        [
            ("Simple type", "Value", "Meaning"),
            ("ST_Align", "left", "content starts at the left edge"),
            ("ST_Align", "center", "content is centred"),
            ("ST_Align", "right", "content ends at the right edge"),
            ("ST_Orientation", "horizontal", "children in a row"),
            ("ST_Orientation", "vertical", "children in a column"),
            ("ST_ButtonKind", "push", "momentary activation"),
            ("ST_ButtonKind", "toggle", "two states"),
            ("ST_ButtonKind", "radio", "one of a group"),
        ],
        (3.5, 3.0, 9.0),
    ),
}

TERMS = (
    ("3.1", "widget", "element describing one interactive unit of a user interface"),
    ("3.2", "panel", "container that arranges its children along one orientation"),
    ("3.3", "label", "element carrying text that is displayed but not edited"),
    ("3.4", "consumer", "application that reads a WML document and renders it"),
    ("3.5", "producer", "application that writes a WML document"),
    ("3.6", "alignment", "placement of content along the horizontal axis, one of left, center or right"),
)

CLAUSES: tuple[Block, ...] = (
    ("h", "1", "Scope"),
    (
        "p",
        "This Standard defines the Widget Markup Language (WML), an XML vocabulary for describing "
        "user-interface widgets: the elements wml, widget, panel, label, button and image, their attributes, "
        "and the processing model of a consumer. The schema is given in Annex A (see A.1); examples are "
        "given in Annex B.",
    ),
    ("h", "2", "Normative references"),
    (
        "p",
        "W3C XML Schema Part 1: Structures, Second Edition. W3C XML Schema Part 2: Datatypes. "
        "IETF RFC 3986, Uniform Resource Identifier (URI): Generic Syntax.",
    ),
    ("h", "3", "Terms and definitions"),
    ("p", "For the purposes of this document, the following terms and definitions apply."),
    *(block for number, term, text in TERMS for block in (("h", number, term), ("p", f"{text}."))),
    ("h", "4", "Conformance"),
    (
        "p",
        "Conformance is defined for documents and for consumers, in the classes of Table 1. "
        + _sentences(1, 2),
    ),
    ("t", "Table 1 — Conformance classes"),
    ("h", "4.1", "Document conformance"),
    (
        "p",
        "A conforming document is valid against the schema of Annex A and meets the constraints of "
        "clauses 5 and 6 (see §5.1.2 for the widget attributes). " + _sentences(2, 2),
    ),
    ("h", "4.2", "Consumer conformance"),
    (
        "p",
        "A conforming consumer implements the processing model of clause 7, § 7.3 in particular. "
        + _sentences(3, 3),
    ),
    ("brk",),
    ("h", "5", "Markup"),
    (
        "p",
        "This clause defines the elements of WML (Table 2) and the simple types of their attributes "
        "(Table 3). All elements are in the namespace urn:acme:1234:wml. " + _sentences(4, 2),
    ),
    ("t", "Table 2 — Elements of WML"),
    ("t", "Table 3 — Simple types"),
    ("h", "5.1", "The widget element"),
    ("h", "5.1.1", "General"),
    (
        "p",
        "A widget element, as defined in 3.1, is the unit of composition: every wml document contains "
        "one or more widget elements, and every other element belongs to exactly one widget. "
        + _sentences(5, 3),
    ),
    ("t", "Table 4 — Content model of widget"),
    (
        "x",
        "The following wml document declares one widget with a panel of a label and a button:",
        _widget_xml(1),
    ),
    ("h", "5.1.2", "Attributes"),
    (
        "p",
        "The attributes of the widget element are listed in Table 5. Lengths use the simple type "
        "ST_Length; alignment uses ST_Align (see Annex A). " + _sentences(6, 2),
    ),
    ("t", "Table 5 — Attributes of widget"),
    ("h", "5.1.2.1", "The align attribute"),
    (
        "p",
        "The align attribute takes one of the values left, center or right of ST_Align, with the "
        "meaning given in 3.6 and § 6.1. " + _sentences(7, 3),
    ),
    ("h", "5.1.2.2", "The width attribute"),
    ("p", "The width attribute is either auto or a length in px, pt or %. " + _sentences(8, 3)),
    ("h", "5.1.3", "Visibility"),
    (
        "p",
        "A widget whose visible attribute is false is not rendered, and neither are its children "
        "(see §7.4 for events). " + _sentences(9, 3),
    ),
    ("h", "5.2", "The panel element"),
    (
        "p",
        "A panel element, as defined in 3.2, arranges its children along its orientation "
        "(Table 6). " + _sentences(10, 3),
    ),
    ("t", "Table 6 — Attributes of panel"),
    ("h", "5.2.1", "Orientation"),
    (
        "p",
        "The orientation attribute takes the values horizontal or vertical of ST_Orientation. "
        + _sentences(11, 3),
    ),
    (
        "x",
        "A horizontal panel with two buttons:",
        '<panel orientation="horizontal" spacing="6pt">\n  <button kind="push" text="OK"/>\n'
        '  <button kind="push" text="Cancel"/>\n</panel>',
    ),
    ("h", "5.3", "The label element"),
    (
        "p",
        "A label element carries text; its align attribute overrides the alignment of the enclosing "
        "widget (see §5.1.2). " + _sentences(12, 3),
    ),
    ("h", "5.4", "The button element"),
    (
        "p",
        "A button element is an empty element whose attributes are listed in Table 7. " + _sentences(13, 2),
    ),
    ("t", "Table 7 — Attributes of button"),
    ("h", "5.5", "The image element"),
    (
        "p",
        "An image element references a raster or vector image by the URI in its src attribute; alt "
        "gives a text alternative. " + _sentences(14, 3),
    ),
    ("h", "6", "Layout"),
    (
        "p",
        "This clause gives the layout rules that a consumer applies before rendering (see § 7.3). "
        + _sentences(15, 2),
    ),
    ("h", "6.1", "Alignment"),
    (
        "p",
        "Alignment is resolved from the nearest ancestor that specifies align, as defined in 3.6. "
        + _sentences(16, 4),
    ),
    ("h", "6.2", "Orientation"),
    ("p", "The children of a panel are placed in document order along its orientation. " + _sentences(17, 4)),
    ("h", "6.3", "Sizing"),
    ("p", "A width of auto is the sum of the widths of the children plus spacing. " + _sentences(18, 4)),
)

# Clause 7: (number, title, pages of text). Each sub-clause starts mid-page after the previous one.
CLAUSE_7 = (
    ("7", "Processing model", 1),
    ("7.1", "Parsing", 5),
    ("7.2", "Validation", 5),
    ("7.3", "Layout computation", 6),
    ("7.4", "Event dispatch", 5),
    ("7.5", "Error handling", 5),
)
ANNEX_B_PAGES = 22


# --- story assembly ------------------------------------------------------------------------------


def _blocks(blocks: tuple[Block, ...], record: Outline) -> Iterator[Flowable]:
    for kind, *args in blocks:
        if kind == "h":
            number, title = args
            yield Heading(f"{number} {title}", _level(number), record)
        elif kind == "p":
            yield Paragraph(args[0], BODY)
        elif kind == "x":
            yield _example(*args)
        elif kind == "t":
            yield _table(args[0], *TABLES[args[0]])
        else:
            yield PageBreak()


def _text_page(seed: int) -> list[Flowable]:
    """One page's worth of prose for the long clauses: three short paragraphs, a code example every third."""
    page: list[Flowable] = [Paragraph(_sentences(3 * seed + k, 4), BODY) for k in range(3)]
    if seed % 3 == 0:
        page.append(_example(f"A {APPS[seed % len(APPS)]}:", _widget_xml(seed)))
    return page


def _clause_7(record: Outline) -> Iterator[Flowable]:
    seed = 100
    for number, title, pages in CLAUSE_7:
        yield Heading(f"{number} {title}", _level(number), record)
        for page in range(pages):
            seed += 1
            yield from _text_page(seed)
            if page < pages - 1:
                yield PageBreak()


def _annex_a(record: Outline) -> Iterator[Flowable]:
    yield Heading("Annex A (normative) Schema", 0, record)
    yield Paragraph("This annex is normative. A conforming document is valid against this schema.", BODY)
    yield Heading("A.1 Schema listing", 1, record)
    yield Paragraph(f"The schema file {XSD_NAME} reads as follows.", BODY)
    yield Preformatted(XSD, LISTING)
    yield Heading("A.2 Enumerations", 1, record)
    yield Paragraph("Table 8 lists the enumerated values of the simple types defined in A.1.", BODY)
    yield _table("Table 8 — Enumerated values", *TABLES["Table 8 — Enumerated values"])


def _annex_b(record: Outline) -> Iterator[Flowable]:
    yield Heading("Annex B (informative) Examples", 0, record)
    for n in range(1, ANNEX_B_PAGES + 1):
        app = APPS[n % len(APPS)]
        yield Paragraph(f"<b>Example {n} — {app}</b>", BODY)
        yield Paragraph(
            f"This example shows a {app} built from the elements of clause 5. " + _sentences(n, 3), BODY
        )
        yield _example(f"The {app}, version {n}:", _widget_xml(n))
        yield Paragraph(_sentences(n + 50, 3), NOTE)
        if n < ANNEX_B_PAGES:
            yield PageBreak()


def _front_matter(record: Outline, contents: Outline) -> Iterator[Flowable]:
    yield Spacer(1, 5 * cm)
    yield Paragraph("ACME-1234", TITLE)
    yield Paragraph("Widget Markup Language", TITLE)
    yield Paragraph("First edition 2024-06 — Reference number ACME-1234:2024(E)", BODY)
    yield Spacer(1, 8 * cm)
    yield Paragraph(
        "This document is a fictional, synthetic standard generated for testing. It is not an ACME or "
        "ISO publication; any resemblance to a real specification is intended only as structure.",
        NOTE,
    )
    yield PageBreak()
    yield Heading("Foreword", 0, record)
    yield Paragraph(
        "ACME Standards prepares documents by consensus of its technical committees. This first edition "
        "was prepared by Technical Committee TC 99, User interfaces. " + _sentences(90, 3),
        BODY,
    )
    yield PageBreak()
    yield Paragraph("<b>Contents</b>", HEADINGS[0])
    rows = [[f"{'    ' * level}{title}", _label(page)] for level, title, page in contents if level <= 1]
    if rows:
        toc = Table(rows, colWidths=[13 * cm, 2 * cm], style=[("FONT", (0, 0), (-1, -1), "Helvetica", 9.5)])
        toc.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT")]))
        yield toc
    yield PageBreak()
    yield Heading("Introduction", 0, record)
    yield Paragraph(
        "User interfaces are often described in markup so that producers and consumers can exchange them. "
        "WML is a deliberately small vocabulary (see clause 5 and Annex A). " + _sentences(91, 4),
        BODY,
    )
    yield PageBreak()


def _story(record: Outline, contents: Outline) -> list[Flowable]:
    return [
        *_front_matter(record, contents),
        *_blocks(CLAUSES, record),
        PageBreak(),
        *_clause_7(record),
        PageBreak(),
        *_annex_a(record),
        PageBreak(),
        *_annex_b(record),
    ]


# --- page furniture and rendering ----------------------------------------------------------------


def _roman(n: int) -> str:
    numerals = (("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
    out = ""
    for numeral, value in numerals:
        count, n = divmod(n, value)
        out += numeral * count
    return out


def _label(index: int) -> str:
    """The printed page number of 0-based PDF page `index` (same scheme as the PDF page labels)."""
    return _roman(index + 1) if index < FRONT_PAGES else str(index - FRONT_PAGES + 1)


def _first_page(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
    """Title page: no furniture; declares the page labels (i.. for front matter, 1.. for the body)."""
    canvas.addPageLabel(0, "ROMAN_LOWER")
    canvas.addPageLabel(FRONT_PAGES, "ARABIC", 1)
    canvas.showOutline()


def _later_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Running header and footer with the printed page number: noise a parser must drop."""
    width, height = doc.pagesize
    canvas.saveState()
    canvas.setFont("Helvetica", 8.5)
    canvas.drawString(doc.leftMargin, height - 1.6 * cm, HEADER[0])
    canvas.drawRightString(width - doc.rightMargin, height - 1.6 * cm, HEADER[1])
    canvas.setLineWidth(0.4)
    canvas.line(doc.leftMargin, height - 1.75 * cm, width - doc.rightMargin, height - 1.75 * cm)
    canvas.drawString(doc.leftMargin, 1.3 * cm, FOOTER)
    canvas.drawRightString(width - doc.rightMargin, 1.3 * cm, _label(canvas.getPageNumber() - 1))
    canvas.restoreState()


def _render(contents: Outline) -> tuple[bytes, Outline, int]:
    """One layout pass: PDF bytes, the outline as drawn, and the page count."""
    buffer, record = io.BytesIO(), []
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.4 * cm,
        bottomMargin=2.2 * cm,
        invariant=1,
        pageCompression=0,
        title="ACME-1234 Widget Markup Language",
        author="ACME Standards (fictional)",
        subject="Synthetic technical standard for tests",
        creator="samples.standard",
    )
    doc.build(_story(record, contents), onFirstPage=_first_page, onLaterPages=_later_page)
    return buffer.getvalue(), record, doc.page


def build_sample_standard(out_dir: Path) -> SampleStandard:
    """Write the PDF and XSD into `out_dir` (atomically) and return them with their ground truth.

    Two layout passes: the first finds the clause pages, the second prints them in Contents.
    """
    _, outline, _ = _render([])
    data, second, page_count = _render(outline)
    body = next(page for _, title, page in outline if title == "1 Scope")
    if second != outline or body != FRONT_PAGES:
        raise RuntimeError(f"layout drifted between passes or front matter overflowed ('1 Scope' on {body})")
    pdf, xsd = Path(out_dir) / PDF_NAME, Path(out_dir) / XSD_NAME
    write_bytes_atomic(pdf, data)
    write_text_atomic(xsd, XSD)
    return SampleStandard(pdf=pdf, xsd=xsd, page_count=page_count, outline=outline, first_body_page=body)


def xsd_names(kind: str, xsd: str = XSD) -> list[str]:
    """Names declared in the schema for `kind` ("element", "attribute", "simpleType"), in order."""
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    return list(
        dict.fromkeys(
            node.get("name") for node in ET.fromstring(xsd.encode()).iterfind(f".//xs:{kind}[@name]", ns)
        )
    )

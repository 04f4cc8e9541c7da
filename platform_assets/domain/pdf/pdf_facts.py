"""Facts read once from a source PDF with pypdfium2: pages, outline, labels, text-layer density.

Every page index here is absolute and 0-based; an outline entry whose destination resolves to no
page (or past the end) keeps `page_index=None` and never points outside the document.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections import defaultdict
from pathlib import Path

import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pydantic import BaseModel, Field

from platform_assets.domain.common.file_names import display_name
from platform_assets.domain.pdf.page_geometry import PageBox

SCANNED_PAGE_MAX_CHARS = 20
"""A page with fewer text-layer characters than this (and at least one image) counts as scanned."""
FACTS_SCHEMA_VERSION = 4
"""2: outline entries carry their destination's position and the lines printed there. 3: bookmarks that
leave the document (another file, a URL) are listed apart (`external_bookmarks`), not outline entries.
4: where the lines at a destination do not print its title, `printed` is the heading line further down
its page."""
PRINTED_LINES = 2
"""Text-layer lines read below a bookmark's destination: a label (`Chapter 4`) and the title."""
LINE_ABOVE = 2.0
"""A heading found in the text layer is anchored this many points above its first character's top."""
LINE_GAP = 3.0
"""The second printed line counts only within this many line heights of the first."""
HEADING_PREFIX_WORDS = 2
"""Words a heading line may print before its bookmark's title further down a page (`1.2.2`, `Chapter 4`)."""
LINE_CHARS = 200
"""Characters of the text layer read before and after a title found on a page, for its line."""


class PdfError(ValueError):
    """The bytes are not a PDF we can read; the message says why and what to do."""


class EncryptedPdfError(PdfError):
    """The PDF is password-protected and no password was given."""


class WrongPasswordError(EncryptedPdfError):
    """The PDF is password-protected and the password given does not open it."""


class OutlineEntry(BaseModel):
    """One bookmark, in document order."""

    title: str
    level: int = Field(ge=0, description="0 = top level")
    page_index: int | None = Field(default=None, description="0-based destination page, None if none")
    top: float | None = Field(
        default=None, ge=0, le=1, description="destination's top as a top-down fraction of the page"
    )
    left: float | None = Field(default=None, ge=0, le=1, description="destination's left, a fraction")
    printed: list[str] = Field(
        default_factory=list,
        description="the text-layer lines just below the destination (at most 2); where they do not hold "
        "the title, the heading line further down the page that does",
    )


class PdfFacts(BaseModel):
    """What the platform knows about a PDF without parsing it."""

    schema_version: int = Field(default=1, description=f"{FACTS_SCHEMA_VERSION} for facts read now")
    sha256: str
    size_bytes: int
    page_count: int
    encrypted: bool = False
    title: str = Field(default="", description="the document information Title, if any")
    outline: list[OutlineEntry] = Field(default_factory=list)
    external_bookmarks: list[str] = Field(
        default_factory=list,
        description="titles of bookmarks that open another file, a URL or an application: links, not clauses",
    )
    page_labels: list[str] = Field(default_factory=list)
    text_chars: list[int] = Field(default_factory=list, description="text-layer characters per page")
    scanned_pages: list[int] = Field(default_factory=list)

    @property
    def outline_depth(self) -> int:
        return max((e.level for e in self.outline), default=-1) + 1

    @property
    def bookmarks_without_destination(self) -> int:
        return sum(1 for e in self.outline if e.page_index is None)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def open_pdf(path: Path, password: str | None = None) -> pdfium.PdfDocument:
    """Open with clear errors for non-PDF, truncated, encrypted and empty files."""
    name = display_name(path.name)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise PdfError(f"{name} is not a PDF (no %PDF- header in its first 1024 bytes)")
    try:
        document = pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError as err:
        # PDFium's last-error code is process-global and not reset when a load fails without one
        # (an empty page tree), so a "password" error is trusted only if the file has /Encrypt.
        message = str(err).lower()
        if "password" in message and _contains(path, b"/Encrypt"):
            if password:
                raise WrongPasswordError(
                    f"{name} is encrypted and the password given does not open it: check it "
                    "(`--password` or PLATFORM_PDF_PASSWORD)"
                ) from err
            raise EncryptedPdfError(
                f"{name} is encrypted: register it with a password "
                "(`python -m platform_assets ingest FILE --password ...` or PLATFORM_PDF_PASSWORD)"
            ) from err
        if _structural_page_count(path) == 0:
            raise PdfError(f"{name} has zero pages (its page tree is empty)") from err
        raise PdfError(f"{name} cannot be read as a PDF (truncated or damaged?): {err}") from err
    if len(document) == 0:
        document.close()
        raise PdfError(f"{name} has zero pages")
    return document


def _structural_page_count(path: Path) -> int | None:
    """Pages in the page tree as pdfminer reads it, None when it cannot read the file either.

    PDFium refuses an empty page tree without an error code of its own, so its message cannot tell
    an empty document from a damaged one.
    """
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in PDFPage.create_pages(PDFDocument(PDFParser(handle))))
    except Exception:  # any pdfminer failure means "cannot tell": the caller reports damage
        return None


def _contains(path: Path, token: bytes, chunk: int = 1 << 20) -> bool:
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            if token in tail + block:
                return True
            tail = block[-len(token) :]
    return False


def read_outline(document: pdfium.PdfDocument, page_count: int) -> list[OutlineEntry]:
    """Bookmarks in document order, each with its destination page and, where it has one, position;
    those that leave the document (`leaves_document`) are not among them.

    The position is converted through the page's crop box and rotation into the block model's
    top-down fractions; the lines printed just below it are read from the text layer (upright pages).
    """
    marks: list[tuple[str, int, int | None, tuple[float | None, float] | None]] = []
    for item in document.get_toc(max_depth=64):
        if leaves_document(item):
            continue
        dest = item.get_dest()  # pypdfium2 5.x: bookmarks expose get_title()/get_dest(), not attributes
        page = dest.get_index() if dest is not None else None
        if page is not None and not 0 <= page < page_count:
            page = None
        title = " ".join(item.get_title().split())
        marks.append((title, item.level, page, destination_point(dest) if page is not None else None))
    positions: dict[int, dict] = {}
    by_page: dict[int, list[int]] = defaultdict(list)
    for index, (_, _, page, point) in enumerate(marks):
        if page is not None and point is not None:
            by_page[page].append(index)
    for page_index, indexes in by_page.items():
        page = document[page_index]
        textpage = None
        try:
            box = PageBox.of(page)
            textpage = page.get_textpage() if box.rotation == 0 else None
            for index in indexes:
                x, y = marks[index][3]  # type: ignore[misc]  # indexes hold positioned marks only
                fx, fy = box.to_fraction(box.left if x is None else x, y)
                printed = _printed_lines(textpage, marks[index][0], x, y) if textpage is not None else []
                positions[index] = {"top": fy, "left": None if x is None else fx, "printed": printed}
        finally:
            if textpage is not None:
                textpage.close()
            page.close()
    return [
        OutlineEntry(title=title, level=level, page_index=page, **positions.get(index, {}))
        for index, (title, level, page, _) in enumerate(marks)
    ]


_LEAVING = frozenset(
    {
        pdfium.raw.PDFACTION_REMOTEGOTO,
        pdfium.raw.PDFACTION_EMBEDDEDGOTO,
        pdfium.raw.PDFACTION_URI,
        pdfium.raw.PDFACTION_LAUNCH,
    }
)


def leaves_document(bookmark: pdfium.PdfBookmark) -> bool:
    """A bookmark whose action opens another file (`/GoToR`, `/GoToE`), a URL or an application: PDFium
    gives the other file's page as its destination (often 0), which is no place in this document."""
    action = pdfium.raw.FPDFBookmark_GetAction(bookmark.raw)
    return bool(action) and pdfium.raw.FPDFAction_GetType(action) in _LEAVING


def read_external_bookmarks(document: pdfium.PdfDocument) -> list[str]:
    """Titles of the bookmarks that leave the document, in document order."""
    return [
        " ".join(item.get_title().split()) for item in document.get_toc(max_depth=64) if leaves_document(item)
    ]


def destination_point(dest: pdfium.PdfDest) -> tuple[float | None, float] | None:
    """(left, top) in user space of a destination that has a top (/XYZ, /FitH, /FitBH, /FitR), else None.

    A null or missing coordinate is no position: /Fit, /FitV and `/XYZ left null zoom` give None.
    """
    mode, view = dest.get_view()
    if mode == pdfium.raw.PDFDEST_VIEW_XYZ:
        has_x, has_y, has_zoom = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        x, y, zoom = ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        found = pdfium.raw.FPDFDest_GetLocationInPage(dest, has_x, has_y, has_zoom, x, y, zoom)
        if not found or not has_y.value:
            return None
        return (x.value if has_x.value else None), y.value
    if mode in (pdfium.raw.PDFDEST_VIEW_FITH, pdfium.raw.PDFDEST_VIEW_FITBH) and view:
        return None, view[0]
    if mode == pdfium.raw.PDFDEST_VIEW_FITR and len(view) == 4:
        return view[0], max(view[1], view[3])
    return None


def _printed_lines(textpage: pdfium.PdfTextPage, title: str, x: float | None, y: float) -> list[str]:
    """The lines that print a bookmark's heading: those just below its destination (`_lines_below`); where
    none of them prints its title (a destination shared by several bookmarks, at the top of a page whose
    section starts mid-page), the first line of the text layer further down the page that prints it after
    one to `HEADING_PREFIX_WORDS` words (`1.2.2 Creating a Matrix`)."""
    lines = _lines_below(textpage, x, y)
    wanted = _folded(title)
    if not wanted or any(_words_before(line, wanted) is not None for line in lines):
        return lines
    search = textpage.search(title, match_case=False)
    try:
        while (found := search.get_next()) is not None:
            start = max(found[0] - LINE_CHARS, 0)
            head = textpage.get_text_range(start, found[0] - start).rpartition("\n")[2]
            if (
                not _words_before(head + title, wanted)
                or "\n" in textpage.get_text_range(*found)
                or textpage.get_charbox(found[0])[3] >= y
            ):
                continue  # in a sentence, without a number, over two lines, or above the destination
            return [
                " ".join((head + textpage.get_text_range(found[0], LINE_CHARS).partition("\n")[0]).split())
            ]
    finally:
        search.close()
    return lines


def _words_before(line: str, title: str) -> int | None:
    """How many words a line prints before `title` (casefolded, spaces collapsed), if at most
    `HEADING_PREFIX_WORDS`; None when it does not print it so."""
    before, found, _ = _folded(line).partition(title)
    words = len(before.split())
    return words if found and words <= HEADING_PREFIX_WORDS and (not before or before.endswith(" ")) else None


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _lines_below(textpage: pdfium.PdfTextPage, x: float | None, y: float) -> list[str]:
    """The first `PRINTED_LINES` text lines at or below user-space height `y` (and right of `x`).

    A line whose baseline sits on `y` counts (some generators put the destination there): a text run
    belongs when its bottom is below `y` plus a third of its height.
    """
    runs = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        height = top - bottom
        if height > 0 and bottom < y + height / 3 and (x is None or right > x - 2):
            runs.append((left, bottom, right, top))
    runs.sort(key=lambda run: (-run[3], run[0]))
    lines: list[str] = []
    previous_bottom: float | None = None
    while runs and len(lines) < PRINTED_LINES:
        first = runs[0]
        height = first[3] - first[1]
        if previous_bottom is not None and previous_bottom - first[3] > LINE_GAP * height:
            break
        same = [run for run in runs if min(run[3], first[3]) - max(run[1], first[1]) > height / 2]
        text = " ".join(" ".join(textpage.get_text_bounded(*run).split()) for run in sorted(same))
        runs = [run for run in runs if run not in same]
        previous_bottom = min(run[1] for run in same)
        if text.strip():
            lines.append(text.strip())
    return lines


def locate_lines(path: Path, entries: list[OutlineEntry], password: str | None = None) -> list[OutlineEntry]:
    """Headings found in the text layer (title = the printed line) with the position of that line on its
    page, as an outline destination would give it: just above the line's first character.

    An entry whose line cannot be found again keeps no position (its heading is then matched by text).
    """
    document = open_pdf(path, password)
    located = []
    try:
        for entry in entries:
            page = document[entry.page_index] if entry.page_index is not None else None
            if page is None:
                located.append(entry)
                continue
            try:
                box = PageBox.of(page)
                textpage = page.get_textpage()
                try:
                    found = textpage.search(entry.title, match_case=True).get_next()
                    if found is None or box.rotation:
                        located.append(entry)
                        continue
                    left, _, _, top = textpage.get_charbox(found[0])
                finally:
                    textpage.close()
            finally:
                page.close()
            fx, fy = box.to_fraction(left, top + LINE_ABOVE)
            located.append(entry.model_copy(update={"top": fy, "left": fx, "printed": [entry.title]}))
    finally:
        document.close()
    return located


def read_page_labels(document: pdfium.PdfDocument, page_count: int) -> list[str]:
    return [page_label(document, index) for index in range(page_count)]


def page_label(document: pdfium.PdfDocument, index: int) -> str:
    """The page's printed number: its page label, else its position counted from 1."""
    try:
        label = document.get_page_label(index)
    except pdfium.PdfiumError:
        label = ""
    return label or str(index + 1)


def _has_image(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2))


def page_text(page: pdfium.PdfPage) -> str:
    """The text layer of one open page (its text page closed again)."""
    textpage = page.get_textpage()
    try:
        return textpage.get_text_range()
    finally:
        textpage.close()


def looks_scanned(page: pdfium.PdfPage, text: str) -> bool:
    """Images and (almost) no text layer: a scan."""
    return len(text.strip()) < SCANNED_PAGE_MAX_CHARS and _has_image(page)


def read_text_density(document: pdfium.PdfDocument) -> tuple[list[int], list[int]]:
    """Characters of text layer per page, and the pages that look scanned (images, no text)."""
    chars, scanned = [], []
    for index in range(len(document)):
        page = document[index]
        try:
            text = page_text(page)
            chars.append(len(text.strip()))
            if looks_scanned(page, text):
                scanned.append(index)
        finally:
            page.close()
    return chars, scanned


def page_texts(path: Path, pages: list[int] | None = None, password: str | None = None) -> dict[int, str]:
    """Text layer of the given pages (all when None)."""
    document = open_pdf(path, password)
    try:
        wanted = range(len(document)) if pages is None else pages
        texts = {}
        for index in wanted:
            page = document[index]
            try:
                texts[index] = page_text(page)
            finally:
                page.close()
        return texts
    finally:
        document.close()


def read_pdf_facts(path: Path, password: str | None = None, sha256: str | None = None) -> PdfFacts:
    """Read every fact the planner and the UI need, in one pass over the file."""
    digest = sha256 or sha256_file(path)
    document = open_pdf(path, password)
    try:
        page_count = len(document)
        chars, scanned = read_text_density(document)
        return PdfFacts(
            schema_version=FACTS_SCHEMA_VERSION,
            sha256=digest,
            size_bytes=path.stat().st_size,
            page_count=page_count,
            encrypted=is_encrypted(document),
            title=" ".join(str(document.get_metadata_dict().get("Title", "")).split()),
            outline=read_outline(document, page_count),
            external_bookmarks=read_external_bookmarks(document),
            page_labels=read_page_labels(document, page_count),
            text_chars=chars,
            scanned_pages=scanned,
        )
    finally:
        document.close()


def is_encrypted(document: pdfium.PdfDocument) -> bool:
    """True when the document has a security handler (also for an empty user password)."""
    return pdfium.raw.FPDF_GetSecurityHandlerRevision(document) != -1

"""Registration: content identity, deduplication, clear refusals, nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platform_assets.domain.intake.intake import landing_path, register_pdf
from platform_assets.domain.intake.registry import Registry, is_doc_id, make_doc_id, slugify
from platform_assets.domain.pdf.pdf_facts import EncryptedPdfError, PdfError, read_pdf_facts, sha256_file
from tests.raw_pdf import pdf_bytes


def test_doc_id_is_slug_plus_twelve_hex_of_sha256_and_dagster_safe():
    doc_id = make_doc_id("ECMA-376 Part 1 [5th ed], final|draft~x.pdf", "ab" * 32)
    assert doc_id == "ecma-376-part-1-5th-ed-final-dra-abababababab"
    assert is_doc_id(doc_id)
    assert not set("|,[]~ ") & set(doc_id)
    assert slugify("....pdf") == "doc"


def test_same_bytes_twice_register_once_even_under_another_name(tmp_path, sample_pdf):
    registry = Registry(tmp_path / "registry")
    first = register_pdf(sample_pdf, registry, tmp_path / "landing", "cli")
    renamed = tmp_path / "renamed copy.pdf"
    shutil.copyfile(sample_pdf, renamed)
    second = register_pdf(renamed, registry, tmp_path / "landing", "inbox")
    assert not first.duplicate and second.duplicate
    assert second.record.doc_id == first.record.doc_id
    assert [r.doc_id for r in registry.documents()] == [first.record.doc_id]
    assert sha256_file(landing_path(tmp_path / "landing", first.record.sha256)) == first.record.sha256


def test_registry_files_are_append_only(tmp_path, sample_pdf):
    registry = Registry(tmp_path / "registry")
    record = register_pdf(sample_pdf, registry, tmp_path / "landing", "cli").record
    stored = tmp_path / "registry" / "documents" / f"{record.doc_id}.json"
    before = stored.read_bytes()
    other = record.model_copy(update={"filename": "other.pdf", "doc_id": "other-" + record.sha256[:12]})
    assert registry.add_document(other) == record  # same bytes: the registered record wins
    assert stored.read_bytes() == before
    assert [r.doc_id for r in registry.documents()] == [record.doc_id]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not a pdf at all", "not a PDF"),
        (b"%PDF-1.7\n1 0 obj\n<<", "cannot be read as a PDF"),
    ],
)
def test_non_pdf_and_truncated_bytes_are_refused_with_a_clear_error_and_nothing_registered(
    tmp_path, content, message
):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    registry = Registry(tmp_path / "registry")
    with pytest.raises(PdfError, match=message):
        register_pdf(bad, registry, tmp_path / "landing", "cli")
    assert registry.documents() == []
    assert not (tmp_path / "landing").exists() or not any((tmp_path / "landing").iterdir())
    assert bad.read_bytes() == content  # the input is never touched


def test_truncated_real_pdf_is_refused(tmp_path, sample_pdf):
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(sample_pdf.read_bytes()[: sample_pdf.stat().st_size // 3])
    with pytest.raises(PdfError):
        register_pdf(truncated, Registry(tmp_path / "registry"), tmp_path / "landing", "cli")


def test_encrypted_pdf_needs_a_password_and_is_stored_decrypted(tmp_path, real_pdfs):
    encrypted = real_pdfs / "pikepdf-graph-encrypted.pdf"
    registry = Registry(tmp_path / "registry")
    with pytest.raises(EncryptedPdfError, match="--password"):
        register_pdf(encrypted, registry, tmp_path / "landing", "cli")
    assert registry.documents() == []
    intake = register_pdf(encrypted, registry, tmp_path / "landing", "cli", password="user")
    assert intake.record.decrypted and intake.record.sha256 == sha256_file(encrypted)
    facts = read_pdf_facts(landing_path(tmp_path / "landing", intake.record.sha256))
    assert facts.page_count == 1 and not facts.encrypted


def test_zero_page_pdf_is_refused(tmp_path):
    import pypdfium2 as pdfium

    empty = tmp_path / "empty.pdf"
    document = pdfium.PdfDocument.new()
    document.save(empty)
    with pytest.raises(PdfError, match="zero pages"):
        register_pdf(empty, Registry(tmp_path / "registry"), tmp_path / "landing", "cli")


def test_scanned_pages_are_flagged_in_the_facts(real_pdfs):
    facts = read_pdf_facts(real_pdfs / "ocrmypdf-multipage.pdf")
    assert facts.page_count == 6
    assert 4 <= len(facts.scanned_pages) <= 5
    scanned = read_pdf_facts(real_pdfs / "ocrmypdf-c03-29.pdf")
    assert scanned.scanned_pages == [0]


def test_bookmarks_without_destination_are_counted(shared_corpus: Path):
    pdf = next(shared_corpus.glob("fetched/standards/*/ECMA-376-Part2-OPC.pdf"))
    facts = read_pdf_facts(pdf)
    assert facts.page_count == 137 and len(facts.outline) == 231
    assert facts.bookmarks_without_destination == 66  # 65 Word junk bookmarks + their parent
    assert facts.outline_depth >= 5


def minimal_pdf_with_outline(dest_pages: list[int], page_count: int = 2) -> bytes:
    """A hand-built PDF whose bookmarks point at page numbers given as integers (may be past the end)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(page_count))
    first_item = 3 + page_count + 1
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R /Outlines {first_item - 1} 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>",
        *["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"] * page_count,
        f"<< /Type /Outlines /First {first_item} 0 R /Last {first_item + len(dest_pages) - 1} 0 R "
        f"/Count {len(dest_pages)} >>",
    ]
    for i, page in enumerate(dest_pages):
        links = f"/Prev {first_item + i - 1} 0 R " if i else ""
        links += f"/Next {first_item + i + 1} 0 R " if i < len(dest_pages) - 1 else ""
        objects.append(
            f"<< /Title (Clause {i + 1}) /Parent {first_item - 1} 0 R {links}/Dest [{page} /Fit] >>"
        )
    return pdf_bytes(objects)


def test_outline_pointing_past_the_end_keeps_no_destination(tmp_path):
    pdf = tmp_path / "past-the-end.pdf"
    pdf.write_bytes(minimal_pdf_with_outline([0, 1, 7]))
    facts = read_pdf_facts(pdf)
    assert facts.page_count == 2
    assert [(e.title, e.page_index) for e in facts.outline] == [
        ("Clause 1", 0),
        ("Clause 2", 1),
        ("Clause 3", None),
    ]


def test_a_registration_interrupted_after_its_content_index_is_completed_by_the_next_arrival(
    tmp_path, sample_pdf
):
    registry = Registry(tmp_path / "registry")
    record = register_pdf(sample_pdf, registry, tmp_path / "landing", "cli").record
    (tmp_path / "registry" / "documents" / f"{record.doc_id}.json").unlink()  # as if it died in between
    assert registry.documents() == []
    again = register_pdf(sample_pdf, registry, tmp_path / "landing", "inbox")
    assert again.duplicate and again.record == record
    assert registry.documents() == [record]


def test_documents_registered_before_the_content_index_are_indexed_once_and_still_deduplicated(
    tmp_path, sample_pdf
):
    registry = Registry(tmp_path / "registry")
    record = register_pdf(sample_pdf, registry, tmp_path / "landing", "cli").record
    index = tmp_path / "registry" / "sha256" / f"{record.sha256}.json"
    index.unlink()  # as an older version left it: documents/ only
    renamed = tmp_path / "renamed.pdf"
    shutil.copyfile(sample_pdf, renamed)
    again = register_pdf(renamed, registry, tmp_path / "landing", "inbox")
    assert again.duplicate and again.record == record
    assert index.is_file() and registry.documents() == [record]

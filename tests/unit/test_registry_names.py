"""Registry records always read back: hostile file names, corrupt records, files that are not files."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pypdfium2 as pdfium
import pytest

from platform_assets.domain.common.file_names import display_name
from platform_assets.domain.intake.intake import NotAFileError, register_pdf
from platform_assets.domain.intake.registry import DocumentRecord, Registry, is_doc_id
from platform_assets.domain.pdf.pdf_facts import EncryptedPdfError, WrongPasswordError


def tiny_pdf(path: Path, width: float = 200) -> Path:
    """A one-page PDF; a different `width` gives different bytes."""
    document = pdfium.PdfDocument.new()
    document.new_page(width, 300)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    path.write_bytes(buffer.getvalue())
    return path


HOSTILE_NAMES = [
    os.fsdecode(b"bad\xff\xfe.pdf"),  # not UTF-8: lone surrogates in the str
    "line\nbreak\r.pdf",
    "..evil.pdf",
    "\u202eevil\u200ffdp.pdf",  # RTL override and RTL mark
    "bell\x07tab\tesc\x1b.pdf",
    "x" * 251 + ".pdf",  # 255 bytes, the longest a Linux name can be
    "caf\u00e9 \u00fcber 100%.pdf",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_names_register_losslessly_and_every_listing_reads_back(tmp_path, name):
    source = tiny_pdf(tmp_path / name)
    registry = Registry(tmp_path / "registry")
    intake = register_pdf(source, registry, tmp_path / "landing", "cli")
    assert not intake.duplicate and is_doc_id(intake.record.doc_id)

    (listed,) = registry.documents()
    assert registry.unreadable == {}
    assert unquote_to_bytes(listed.filename_raw) == os.fsencode(name)  # exact bytes back
    assert listed.filename == display_name(name)
    assert all(c.isprintable() for c in listed.filename)
    assert registry.document(listed.doc_id) == listed == intake.record
    file = tmp_path / "registry" / "documents" / f"{listed.doc_id}.json"
    assert file.read_bytes().isascii() and "\n" not in json.loads(file.read_bytes())["filename"]


def test_a_non_utf8_name_shows_replacement_characters_and_keeps_its_bytes():
    record = DocumentRecord.for_file(
        os.fsdecode(b"bad\xff\xfe.pdf"),
        doc_id="bad-000000000000",
        sha256="0" * 64,
        size_bytes=1,
        source="cli",
        registered_at="2026-01-01T00:00:00",
    )
    assert record.filename == "bad\ufffd\ufffd.pdf"
    assert record.filename_raw == "bad%FF%FE.pdf"
    assert display_name("a\nb\u202ec.pdf") == "a\\u000ab\\u202ec.pdf"


def test_a_record_written_by_an_older_version_with_lone_surrogates_reads_back(tmp_path):
    """The record that bricked `documents()`: `"filename": "bad\\udcff\\udcfe.pdf"` in its JSON."""
    registry = Registry(tmp_path / "registry")
    (tmp_path / "registry" / "documents").mkdir(parents=True)
    legacy = {
        "doc_id": "bad-0123456789ab",
        "sha256": "0123456789ab" + "0" * 52,
        "filename": os.fsdecode(b"bad\xff\xfe.pdf"),
        "size_bytes": 10,
        "source": "cli",
        "registered_at": "2026-01-01T00:00:00+00:00",
    }
    (tmp_path / "registry" / "documents" / "bad-0123456789ab.json").write_text(json.dumps(legacy))
    (record,) = registry.documents()
    assert record.filename == "bad\ufffd\ufffd.pdf"
    assert unquote_to_bytes(record.filename_raw) == b"bad\xff\xfe.pdf"
    assert registry.unreadable == {}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b'{"doc_id": "x"}', b"\xff\xfe\x00garbage", b'{"doc_id": "\\ud800"}'],
    ids=["broken-json", "empty", "missing-fields", "binary", "surrogate-only"],
)
def test_one_corrupt_record_is_skipped_and_named_and_the_others_still_list(tmp_path, caplog, content):
    registry = Registry(tmp_path / "registry")
    good = register_pdf(tiny_pdf(tmp_path / "good.pdf"), registry, tmp_path / "landing", "cli").record
    corrupt = tmp_path / "registry" / "documents" / "corrupt-000000000000.json"
    corrupt.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="platform_assets.domain.intake.registry"):
        assert [r.doc_id for r in registry.documents()] == [good.doc_id]
    key = "registry/documents/corrupt-000000000000.json"
    assert list(registry.unreadable) == [key]
    assert "corrupt-000000000000.json" in registry.unreadable[key]
    assert any("corrupt-000000000000.json" in m and "skipping" in m for m in caplog.messages)
    corrupt.unlink()
    registry.documents()
    assert registry.unreadable == {}  # a repaired registry reports nothing


def test_a_corrupt_plan_is_skipped_and_reported_too(tmp_path):
    registry = Registry(tmp_path / "registry")
    (tmp_path / "registry" / "plans").mkdir(parents=True)
    (tmp_path / "registry" / "plans" / "x-000000000000.json").write_text("{}")
    assert registry.plans() == {}
    assert list(registry.unreadable) == ["registry/plans/x-000000000000.json"]


def test_a_folder_named_like_a_record_is_not_a_record(tmp_path):
    registry = Registry(tmp_path / "registry")
    register_pdf(tiny_pdf(tmp_path / "good.pdf"), registry, tmp_path / "landing", "cli")
    (tmp_path / "registry" / "documents" / "dir-000000000000.json").mkdir()
    assert len(registry.documents()) == 1 and registry.unreadable == {}


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: p.mkdir() or p, "directory"),
        (lambda p: os.mkfifo(p) or p, "FIFO"),
        (lambda _: Path("/dev/zero"), "character device"),
    ],
    ids=["directory", "fifo", "dev-zero"],
)
def test_a_path_that_is_not_a_regular_file_is_refused_without_opening_it(tmp_path, make, kind):
    path = make(tmp_path / "input.pdf")
    registry = Registry(tmp_path / "registry")
    with pytest.raises(NotAFileError, match=f"is a {kind}.*not a regular file"):
        register_pdf(path, registry, tmp_path / "landing", "cli")  # a FIFO opened for reading would hang
    assert registry.documents() == []


def test_a_wrong_password_reads_differently_from_a_missing_one(tmp_path, real_pdfs):
    encrypted = real_pdfs / "pikepdf-graph-encrypted.pdf"
    registry = Registry(tmp_path / "registry")
    with pytest.raises(EncryptedPdfError, match="register it with a password") as missing:
        register_pdf(encrypted, registry, tmp_path / "landing", "cli")
    assert not isinstance(missing.value, WrongPasswordError)
    with pytest.raises(WrongPasswordError, match="the password given does not open it"):
        register_pdf(encrypted, registry, tmp_path / "landing", "cli", password="not-the-password")
    assert registry.documents() == []

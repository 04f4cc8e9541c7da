"""Storing a worker's result: blank pages count as produced, and every refusal says where and why."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.batch_store import (
    BatchFingerprint,
    BatchStoreError,
    batch_dir,
    read_blocks,
    store_batch,
)
from platform_assets.domain.parse.failures import StepFailed, batch_label, describe_error
from tests.blank_pages import FIXTURE, FIXTURE_PAGES


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def middle_archive(middle: dict[str, Any]) -> bytes:
    return tar_gz({"markdown.md": b"# x\n", "middle_json.json": json.dumps(middle).encode()})


def blank_pages_middle() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def store(tmp_path: Path, archive: bytes, first: int = FIXTURE_PAGES[0], last: int = FIXTURE_PAGES[1]):
    fingerprint = BatchFingerprint(
        pdf_sha256="0" * 64, first_page=first, last_page=last, engine_version="4.0.12", tier="flash"
    )
    folder = batch_dir(tmp_path / "batches", "doc", "doc~b001")
    return folder, store_batch(
        folder,
        key="doc~b001",
        doc_id="doc",
        fingerprint=fingerprint,
        archive=archive,
        archive_format="tar.gz",
    )


def test_blank_pages_of_a_real_parse_are_produced_pages_without_blocks(tmp_path: Path) -> None:
    folder, (manifest, phases) = store(tmp_path, middle_archive(blank_pages_middle()))
    assert manifest.produced_pages == [1, 2, 3] and manifest.missing_pages == []
    assert manifest.block_count == 2 and {b.page_index for b in read_blocks(folder)} == {2}
    assert set(phases) == {"download_extract", "normalize"}


def test_an_unreadable_middle_json_names_the_adapter_and_is_not_retried(tmp_path: Path) -> None:
    middle = blank_pages_middle()
    del middle["pages"][1]["page_idx"]  # required by MinerU's schema
    with pytest.raises(BatchStoreError) as caught:
        store(tmp_path, middle_archive(middle))
    assert str(caught.value) == "KeyError 'page_idx' in the MinerU adapter"
    assert caught.value.transient is False and isinstance(caught.value.__cause__, KeyError)
    assert set(caught.value.phases) == {"download_extract"}
    assert not (tmp_path / "batches" / "doc").exists() or not any((tmp_path / "batches" / "doc").iterdir())


def test_an_unsafe_archive_is_refused_for_good(tmp_path: Path) -> None:
    with pytest.raises(
        BatchStoreError, match=r"^UnsafeArchiveError: .*'\.\.'.* in the worker's result archive$"
    ) as caught:
        store(tmp_path, tar_gz({"markdown.md": b"# ok\n", "../escaped.txt": b"pwned"}))
    assert caught.value.transient is False and caught.value.phases == {}
    assert not (tmp_path / "escaped.txt").exists()


def test_a_truncated_archive_is_worth_another_parse(tmp_path: Path) -> None:
    archive = middle_archive(blank_pages_middle())
    with pytest.raises(BatchStoreError, match=r"while extracting the worker's result archive$") as caught:
        store(tmp_path, archive[: len(archive) // 2])
    assert caught.value.transient is True


def test_pages_outside_the_batch_name_the_page_range_check(tmp_path: Path) -> None:
    with pytest.raises(
        BatchStoreError, match=r"outside the requested range 2\.\.3 .* in the page range check$"
    ):
        store(tmp_path, middle_archive(blank_pages_middle()), first=2, last=3)


def test_errors_are_described_in_one_redacted_line() -> None:
    assert describe_error(KeyError("blocks")) == "KeyError 'blocks'"
    assert describe_error(RuntimeError()) == "RuntimeError"
    described = describe_error(
        ConnectionError(
            "reset by https://bucket.example.com/out/b001.tar.gz?X-Amz-Signature=SECRET\nat /srv/x/y.py"
        )
    )
    assert described == "ConnectionError: reset by https://bucket.example.com/out/b001.tar.gz at y.py"


def test_a_failed_batch_is_named_with_the_pages_a_person_reads() -> None:
    failure = StepFailed(batch_label("doc~b001", 0, 13), "KeyError 'blocks' in the MinerU adapter", "run-1")
    assert str(failure) == (
        "batch doc~b001 (pages 1-14, 1-based) failed: KeyError 'blocks' in the MinerU adapter "
        "(traceback in the event log of Dagster run run-1)"
    )

"""Adopting a local worker's result folder: a rename on one filesystem, a checked copy across two, and
nothing adopted when an entry is a link, a special file or has an unsafe name."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from platform_assets.domain.parse.archive import ArchiveLimits
from platform_assets.domain.parse.batch_store import (
    BatchFingerprint,
    BatchStoreError,
    batch_dir,
    read_blocks,
    store_batch,
)
from platform_assets.domain.parse.result_folder import UnsafeResultError, adopt_result_folder
from tests.blank_pages import FIXTURE, FIXTURE_PAGES
from tests.unit.test_batch_run import Finished, Handle, Ports, Store, Worker
from worker_contract.contract import JobInputError, Transport, parse_job_input

SHM = Path("/dev/shm")


def result_folder(root: Path) -> Path:
    """What a local worker leaves: markdown, middle JSON and an image in a subfolder."""
    (root / "images").mkdir(parents=True)
    (root / "markdown.md").write_text("# x\n")
    (root / "middle_json.json").write_text(FIXTURE.read_text(encoding="utf-8"))
    (root / "images" / "a1b2.jpg").write_bytes(b"\xff\xd8jpeg")
    return root


def test_a_folder_on_the_same_filesystem_is_adopted_by_rename(tmp_path: Path) -> None:
    source = result_folder(tmp_path / "handoff" / "result-1")
    inode = (source / "middle_json.json").stat().st_ino
    dest = tmp_path / "stage" / "raw"
    dest.parent.mkdir()
    assert adopt_result_folder(source, dest) == ["images/a1b2.jpg", "markdown.md", "middle_json.json"]
    assert not source.exists() and (dest / "middle_json.json").stat().st_ino == inode  # moved, not copied


@pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm to stand for another filesystem")
def test_a_folder_on_another_filesystem_is_copied_file_by_file(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir=SHM) as other:
        source = result_folder(Path(other) / "result-1")
        if source.stat().st_dev == tmp_path.stat().st_dev:
            pytest.skip("/dev/shm is on the test's filesystem here")
        dest = tmp_path / "raw"
        names = adopt_result_folder(source, dest)
        assert names == ["images/a1b2.jpg", "markdown.md", "middle_json.json"]
        assert [(dest / n).read_bytes() for n in names] == [(source / n).read_bytes() for n in names]
        assert dest.stat().st_dev != source.stat().st_dev


@pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm to stand for another filesystem")
def test_a_copy_across_filesystems_is_checked_first(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir=SHM) as other:
        source = result_folder(Path(other) / "result-1")
        (source / "images" / "leak.jpg").symlink_to("/etc/hostname")
        with pytest.raises(UnsafeResultError, match=r"'images/leak\.jpg' is a link"):
            adopt_result_folder(source, tmp_path / "raw")
        assert not (tmp_path / "raw").exists()


def _symlink_out(root: Path) -> None:
    (root / "images" / "escape").symlink_to(root.parent.parent)  # a way out of the folder


def _symlinked_file(root: Path) -> None:
    (root / "content_list.json").symlink_to("/etc/passwd")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "images" / "pipe")


def _hard_link(root: Path) -> None:
    outside = root.parent / "outside.txt"
    outside.write_text("not the worker's")
    os.link(outside, root / "images" / "outside.txt")


def _backslash_name(root: Path) -> None:
    (root / "images" / "..\\..\\x.jpg").write_bytes(b"x")


@pytest.mark.parametrize(
    ("plant", "message"),
    [
        (_symlink_out, "'images/escape' is a link"),
        (_symlinked_file, "'content_list.json' is a link"),
        (_fifo, "'images/pipe' is a device, fifo or other special file"),
        (_hard_link, "'images/outside.txt' is a hard link"),
        (_backslash_name, "has an empty or unsupported name"),
    ],
)
def test_a_folder_with_anything_but_safe_regular_files_is_refused_whole(
    tmp_path: Path, plant, message: str
) -> None:
    source = result_folder(tmp_path / "handoff" / "result-1")
    plant(source)
    dest = tmp_path / "raw"
    with pytest.raises(UnsafeResultError, match=re.escape(message)):
        adopt_result_folder(source, dest)
    assert not dest.exists()


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    source = result_folder(tmp_path / "result-1")
    try:
        os.mknod(source / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    with pytest.raises(UnsafeResultError, match="'null' is a device"):
        adopt_result_folder(source, tmp_path / "raw")


def test_a_linked_result_folder_is_refused_before_anything_moves(tmp_path: Path) -> None:
    real = result_folder(tmp_path / "elsewhere")
    (tmp_path / "result-1").symlink_to(real)
    with pytest.raises(UnsafeResultError, match="not a folder of this user"):
        adopt_result_folder(tmp_path / "result-1", tmp_path / "raw")
    assert (real / "markdown.md").is_file() and not (tmp_path / "raw").exists()


def test_a_folder_past_the_member_cap_is_refused(tmp_path: Path) -> None:
    source = result_folder(tmp_path / "result-1")
    with pytest.raises(UnsafeResultError, match="more than 3 members"):
        adopt_result_folder(source, tmp_path / "raw", ArchiveLimits(max_members=3))


def store(tmp_path: Path, source: Path):
    fingerprint = BatchFingerprint(
        pdf_sha256="0" * 64,
        first_page=FIXTURE_PAGES[0],
        last_page=FIXTURE_PAGES[1],
        engine_version="4.0.12",
        tier="flash",
    )
    folder = batch_dir(tmp_path / "batches", "doc", "doc~b001")
    return folder, store_batch(
        folder, key="doc~b001", doc_id="doc", fingerprint=fingerprint, result_dir=source
    )


def test_a_stored_batch_adopts_the_folder_and_times_the_adoption_as_extraction(tmp_path: Path) -> None:
    source = result_folder(tmp_path / "handoff" / "result-1")
    folder, (manifest, phases) = store(tmp_path, source)
    assert manifest.produced_pages == [1, 2, 3] and manifest.archive_members == 3
    assert {b.page_index for b in read_blocks(folder)} == {2}
    assert json.loads((folder / "raw" / "middle_json.json").read_bytes()) == json.loads(FIXTURE.read_bytes())
    assert set(phases) == {"download_extract", "normalize"} and not source.exists()


def test_an_unsafe_folder_is_refused_for_good_and_nothing_is_stored(tmp_path: Path) -> None:
    source = result_folder(tmp_path / "handoff" / "result-1")
    _symlinked_file(source)
    with pytest.raises(
        BatchStoreError, match=r"^UnsafeResultError: .*is a link in the worker's result folder$"
    ) as caught:
        store(tmp_path, source)
    assert caught.value.transient is False and caught.value.phases == {}
    assert not (tmp_path / "batches" / "doc" / "doc~b001").exists()


def test_a_vanished_folder_is_worth_another_parse(tmp_path: Path) -> None:
    with pytest.raises(BatchStoreError, match=r"while adopting the worker's result folder$") as caught:
        store(tmp_path, tmp_path / "handoff" / "gone")
    assert caught.value.transient is True


@dataclass
class FolderWorker(Worker):
    """The scripted worker of `test_batch_run`, leaving each result as a folder on this machine."""

    handoff: Path = Path()

    @property
    def transport(self) -> Transport:
        return "local_dir"

    def wait(self, handle: Handle, timeout_s: float) -> Finished:
        finished = super().wait(handle, timeout_s)
        return replace(finished, archive=b"", result_dir=result_folder(self.handoff / handle.job_id))


@dataclass
class FolderStore(Store):
    """The in-memory store of `test_batch_run`, remembering which folders it was handed."""

    adopted: list[Path] = field(default_factory=list)

    def store_batch(self, key: str, fingerprint: BatchFingerprint, **result: Any):
        assert result["result_dir"].is_dir(), "the folder is there while the store adopts it"
        self.adopted.append(result["result_dir"])
        return super().store_batch(key, fingerprint, **result)


@pytest.mark.parametrize("fault", ["", "degraded"])
def test_a_result_folder_never_outlives_its_attempt(tmp_path: Path, fault: str) -> None:
    ports = Ports(fault=fault)
    ports.worker = FolderWorker(ports.clock, fault, handoff=tmp_path)
    ports.store = FolderStore(ports.clock)
    outcome = ports.run()
    [job] = ports.worker.jobs
    assert job.transport == "local_dir"
    assert (outcome.failure is None) == (fault == "")
    assert ports.store.adopted == ([tmp_path / "job-1"] if not fault else [])
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"result_dir": "/handoff/r"}, "result_dir is only for the local_dir transport"),
        ({"transport": "local_dir", "result_dir": "handoff/r"}, "result_dir must be an absolute path"),
    ],
)
def test_a_result_dir_is_absolute_and_only_for_the_local_dir_transport(
    fields: dict[str, str], expected: str
) -> None:
    with pytest.raises(JobInputError, match=expected):
        parse_job_input({"volume_path": "/a.pdf", **fields})
    job = parse_job_input({"volume_path": "/a.pdf", "transport": "local_dir", "result_dir": "/handoff/r"})
    assert (job.transport, job.result_dir) == ("local_dir", "/handoff/r")

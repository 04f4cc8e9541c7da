"""Result archives are extracted only when every member is a safe regular file; dest is never half-written."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from platform_assets.domain.parse.archive import (
    ArchiveLimits,
    CorruptArchiveError,
    UnsafeArchiveError,
    extract_archive,
)


def _tar(*members: tuple[str, bytes | None, bytes]) -> bytes:
    """A tar.gz of (name, type, data) members; type None means a regular file. The same bytes on every
    call (gzip's header time 0): they are test ids, which must not change from one collection to the next."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as packed,
        tarfile.open(fileobj=packed, mode="w") as archive,
    ):
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind is None:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                info.type = kind
                info.linkname = data.decode()
                archive.addfile(info)
    return buffer.getvalue()


def _zip(*members: tuple[str, int, bytes]) -> bytes:
    """A zip of (name, unix mode, data) members."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate names are deliberate here
        for name, mode, data in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


GOOD = [("markdown.md", b"# Title\n"), ("images/page_0_image_1.jpg", b"\xff\xd8jpeg")]
REGULAR = stat.S_IFREG | 0o644


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """An existing result directory that a rejected archive must leave untouched."""
    target = tmp_path / "result"
    target.mkdir()
    (target / "old.md").write_text("previous run")
    return target


def _untouched(dest: Path) -> bool:
    siblings = sorted(p.name for p in dest.parent.iterdir())
    return [p.name for p in dest.iterdir()] == ["old.md"] and siblings == ["result"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_tar(("../evil", None, b"x")), "contains '..'"),
        (_tar(("a/../../evil", None, b"x")), "contains '..'"),
        (_tar(("/etc/evil", None, b"x")), "absolute path"),
        (_tar(("link", tarfile.SYMTYPE, b"/etc/passwd")), "is a link"),
        (_tar(("hard", tarfile.LNKTYPE, b"markdown.md")), "is a link"),
        (_tar(("dev", tarfile.CHRTYPE, b"")), "device, fifo"),
        (_tar(("blk", tarfile.BLKTYPE, b"")), "device, fifo"),
        (_tar(("pipe", tarfile.FIFOTYPE, b"")), "device, fifo"),
        (_tar(("a.md", None, b"1"), ("a.md", None, b"2")), "appears twice"),
        (_tar(("big.bin", None, b"0" * 2048)), "expands past 1024 bytes"),
        (_tar(*[(f"f{i}", None, b"") for i in range(11)]), "more than 10 members"),
    ],
)
def test_unsafe_tar_members_are_rejected_and_dest_untouched(data: bytes, match: str, dest: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match=match):
        extract_archive(data, dest, "tar.gz", ArchiveLimits(max_members=10, max_total_bytes=1024))
    assert _untouched(dest)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_zip(("../evil", REGULAR, b"x")), "contains '..'"),
        (_zip(("/etc/evil", REGULAR, b"x")), "absolute path"),
        (_zip(("C:/evil", REGULAR, b"x")), "absolute path"),
        (_zip(("a\\..\\evil", REGULAR, b"x")), "unsupported name"),
        (_zip(("link", stat.S_IFLNK | 0o777, b"/etc/passwd")), "is a link"),
        (_zip(("pipe", stat.S_IFIFO | 0o644, b"")), "device, fifo"),
        (_zip(("dev", stat.S_IFCHR | 0o644, b"")), "device, fifo"),
        (_zip(("a.md", REGULAR, b"1"), ("a.md", REGULAR, b"2")), "appears twice"),
        (_zip(("bomb.bin", REGULAR, b"0" * 100_000)), "expands past 1024 bytes"),
    ],
)
def test_unsafe_zip_members_are_rejected_and_dest_untouched(data: bytes, match: str, dest: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match=match):
        extract_archive(data, dest, "zip", ArchiveLimits(max_members=10, max_total_bytes=1024))
    assert _untouched(dest)


@pytest.mark.parametrize(
    ("data", "archive_format"),
    [
        (b"not an archive at all", "tar.gz"),
        (b"not an archive at all", "zip"),
        (_tar(*[(n, None, d) for n, d in GOOD])[:40], "tar.gz"),
        (_zip(*[(n, REGULAR, d) for n, d in GOOD])[:-30], "zip"),
        (_zip(*[(n, REGULAR, d) for n, d in GOOD]), "tar.gz"),
    ],
)
def test_corrupt_or_mislabelled_archives_are_rejected(data: bytes, archive_format: str, dest: Path) -> None:
    with pytest.raises(CorruptArchiveError, match=f"not a valid {archive_format} archive"):
        extract_archive(data, dest, archive_format)
    assert _untouched(dest)


@pytest.mark.parametrize("archive_format", ["tar.gz", "zip"])
def test_valid_archive_replaces_dest_whole(archive_format: str, dest: Path, tmp_path: Path) -> None:
    if archive_format == "zip":
        data = _zip(*[(n, REGULAR, d) for n, d in GOOD])
    else:
        data = _tar(*[(n, None, d) for n, d in GOOD])
    source = tmp_path / f"result.{archive_format}"
    source.write_bytes(data)

    names = extract_archive(source, dest, archive_format)

    assert names == ["images/page_0_image_1.jpg", "markdown.md"]
    assert not (dest / "old.md").exists()
    assert (dest / "markdown.md").read_bytes() == b"# Title\n"
    assert (dest / "images" / "page_0_image_1.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result", f"result.{archive_format}"]


def test_fresh_dest_is_created(tmp_path: Path) -> None:
    dest = tmp_path / "nested" / "batch-0001"
    assert extract_archive(_tar(("markdown.md", None, b"x")), dest, "tar.gz") == ["markdown.md"]
    assert (dest / "markdown.md").read_text() == "x"


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="archive_format must be one of"):
        extract_archive(b"", tmp_path / "x", "rar")


def _zip_writestr(*members: tuple[str, bytes]) -> bytes:
    """A zip written the everyday way: `writestr(name, data)` sets permission bits but no file type."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_written_by_writestr_are_regular_files(tmp_path: Path) -> None:
    data = _zip_writestr(("images/", b""), *GOOD)
    assert {info.external_attr >> 16 for info in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {
        0o600,
        stat.S_IFDIR | 0o775,
    }
    assert extract_archive(data, tmp_path / "out", "zip") == ["images/page_0_image_1.jpg", "markdown.md"]


@pytest.mark.parametrize(
    ("data", "archive_format"),
    [
        (_tar((".", tarfile.DIRTYPE, b""), ("./markdown.md", None, b"# Title\n")), "tar.gz"),
        (_tar(("./", tarfile.DIRTYPE, b""), ("markdown.md", None, b"# Title\n")), "tar.gz"),
        (_zip(("./", stat.S_IFDIR | 0o755, b""), ("markdown.md", REGULAR, b"# Title\n")), "zip"),
        (_zip((".", stat.S_IFDIR | 0o755, b""), ("./markdown.md", REGULAR, b"# Title\n")), "zip"),
    ],
    ids=["tar-dot", "tar-dot-slash", "zip-dot-slash", "zip-dot-dir"],
)
def test_a_member_naming_the_destination_itself_is_skipped(
    data: bytes, archive_format: str, tmp_path: Path
) -> None:
    assert extract_archive(data, tmp_path / "out", archive_format) == ["markdown.md"]
    assert (tmp_path / "out" / "markdown.md").read_bytes() == b"# Title\n"


@pytest.mark.parametrize(
    ("data", "archive_format"),
    [(_tar((".", None, b"x")), "tar.gz"), (_zip_writestr((".", b"x")), "zip")],
    ids=["tar", "zip"],
)
def test_a_file_member_named_dot_is_refused_cleanly(data: bytes, archive_format: str, dest: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="named like the destination itself"):
        extract_archive(data, dest, archive_format)
    assert _untouched(dest)

"""`staged_directory` replaces a folder in one step: a reader in another process never finds it missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from platform_assets.domain.common.atomic import exchange_paths, staged_directory


def can_exchange(tmp_path: Path) -> bool:
    """Whether this kernel and the filesystem of `tmp_path` swap paths in one step."""
    probe = [tmp_path / ".probe-a", tmp_path / ".probe-b"]
    for folder in probe:
        folder.mkdir()
    swapped = exchange_paths(*probe)
    for folder in probe:
        folder.rmdir()
    return swapped


READER = """
import os, sys
dest, stop = sys.argv[1], sys.argv[2]
seen = misses = 0
print("ready", flush=True)
while not os.path.exists(stop):
    seen += 1
    if not os.path.exists(os.path.join(dest, "blocks.json")):
        misses += 1
print(seen, misses, flush=True)
"""


def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    if not can_exchange(tmp_path):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here: staged_directory falls back to two renames")
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (first / "which").write_text("a")
    (second / "which").write_text("b")
    assert exchange_paths(first, second)
    assert ((first / "which").read_text(), (second / "which").read_text()) == ("b", "a")
    with pytest.raises(FileNotFoundError):
        exchange_paths(first, tmp_path / "missing")


def test_a_reader_never_finds_the_folder_missing_while_it_is_replaced(tmp_path: Path) -> None:
    if not can_exchange(tmp_path):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here: staged_directory falls back to two renames")
    dest, stop = tmp_path / "batch", tmp_path / "stop"
    with staged_directory(dest) as stage:
        (stage / "blocks.json").write_text("0")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(dest), str(stop)], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    for version in range(1, 301):
        with staged_directory(dest) as stage:
            (stage / "blocks.json").write_text(str(version))
    stop.touch()
    seen, misses = map(int, reader.stdout.readline().split())
    reader.wait(timeout=30)
    assert seen > 300 and misses == 0
    assert (dest / "blocks.json").read_text() == "300"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch", "stop"]  # no stage or old folder left

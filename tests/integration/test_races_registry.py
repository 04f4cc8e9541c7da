"""Races between real processes: registration is atomic per sha256; a fresh Dagster instance starts once.

Each case starts its processes together (a barrier, or one `Popen` after another) and asserts the exact
outcome every time: one document, one record file, no traceback.
"""

from __future__ import annotations

import io
import multiprocessing
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
ROUNDS = 20


def tiny_pdf(path: Path) -> Path:
    document = pdfium.PdfDocument.new()
    for _ in range(3):
        document.new_page(612, 792)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    path.write_bytes(buffer.getvalue())
    return path


def _register(barrier, path: str, root: str, results) -> None:
    barrier.wait()
    intake = register_pdf(Path(path), Registry(Path(root) / "registry"), Path(root) / "landing", "race")
    results.put((intake.record.doc_id, intake.duplicate))


def test_the_same_bytes_under_two_names_at_once_are_one_document_every_time(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        root = tmp_path / f"round-{round_}"
        root.mkdir()
        first = tiny_pdf(root / "copya.pdf")
        second = root / "copyb.pdf"
        second.write_bytes(first.read_bytes())
        barrier, results = context.Barrier(2), context.Queue()
        procs = [
            context.Process(target=_register, args=(barrier, str(p), str(root), results))
            for p in (first, second)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [p.exitcode for p in procs] == [0, 0], f"round {round_}"
        got = sorted(results.get(timeout=5) for _ in procs)
        documents = Registry(root / "registry").documents()
        assert len(documents) == 1, f"round {round_}: {[d.doc_id for d in documents]}"
        assert {doc_id for doc_id, _ in got} == {documents[0].doc_id}
        assert sorted(dup for _, dup in got) == [False, True]  # one registered it, the other saw a duplicate
        assert list((root / "registry" / "locks").iterdir()) == []  # lock files do not pile up

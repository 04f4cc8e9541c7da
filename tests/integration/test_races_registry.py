"""Races between real processes: registration is atomic per sha256 (in the data folder and in an S3
bucket, by conditional writes); a fresh Dagster instance starts once.

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
from platform_assets.edges.s3_data_store import S3DataStore
from tests.s3_server import S3Server

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


def _registry(root: Path, s3: S3Server | None) -> Registry:
    """The folder registry under `root`, or one in the S3 test bucket under a prefix of its own."""
    if s3 is None:
        return Registry(root / "registry")
    return Registry(S3DataStore(s3.client(), s3.bucket, f"{root.name}/"))


def _register(barrier, path: str, root: str, s3: S3Server | None, results) -> None:
    registry = _registry(Path(root), s3)  # each process its own client, made before the start signal
    barrier.wait()
    intake = register_pdf(Path(path), registry, Path(root) / f"landing-{Path(path).stem}", "race")
    results.put((intake.record.doc_id, intake.duplicate))


@pytest.mark.parametrize("backend", ["folder", "s3"])
def test_the_same_bytes_under_two_names_at_once_are_one_document_every_time(tmp_path, backend, request):
    s3 = request.getfixturevalue("s3_bucket") if backend == "s3" else None
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        root = tmp_path / f"round-{round_}"
        root.mkdir()
        first = tiny_pdf(root / "copya.pdf")
        second = root / "copyb.pdf"
        second.write_bytes(first.read_bytes())
        barrier, results = context.Barrier(2), context.Queue()
        procs = [
            context.Process(target=_register, args=(barrier, str(p), str(root), s3, results))
            for p in (first, second)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [p.exitcode for p in procs] == [0, 0], f"round {round_}"
        got = sorted(results.get(timeout=5) for _ in procs)
        registry = _registry(root, s3)
        documents = registry.documents()
        assert len(documents) == 1, f"round {round_}: {[d.doc_id for d in documents]}"
        assert {doc_id for doc_id, _ in got} == {documents[0].doc_id}
        assert sorted(dup for _, dup in got) == [False, True]  # one registered it, the other saw a duplicate
        assert [o.key for o in registry.store.listing(registry.prefix)] == [
            f"registry/documents/{documents[0].doc_id}.json",
            f"registry/sha256/{documents[0].sha256}.json",
        ]

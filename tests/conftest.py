"""Shared fixtures: where the real sample documents live, skipping cleanly when they are absent."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (S3 protocol server fixtures)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PLATFORM_SHARED_DIR", REPO.parent / "shared"))
REAL_PDFS = Path(os.environ.get("PLATFORM_REAL_PDFS", REPO / ".cache" / "corpus"))


@pytest.fixture(scope="session", autouse=True)
def private_worker_spools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Warm parse workers started by tests (in-process or via `dagster dev`) spool under this session's
    temp dir, never beside a developer's own workers, and are killed when the session ends."""
    base = tmp_path_factory.mktemp("tmpdir")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(base))
        patch.setattr(tempfile, "tempdir", None)
        yield base
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if proc.name.isdigit() and str(base).encode() in (proc / "cmdline").read_bytes():
                os.killpg(int(proc.name), signal.SIGKILL)


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """`../shared/corpus` (real MinerU outputs, standards); skip when this checkout has none beside it."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is absent")
    return corpus


@pytest.fixture(scope="session")
def real_pdfs() -> Path:
    """PDFs fetched by `../shared/corpus/fetch_real_pdfs.sh` (`make corpus`); skip when not fetched."""
    if not (REAL_PDFS / "MANIFEST.tsv").is_file():
        pytest.skip(f"real PDFs not fetched into {REAL_PDFS} (make corpus needs ../shared and registries)")
    return REAL_PDFS


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The deterministic synthetic standard (samples/), built once per session."""
    from samples.standard import build_sample_standard

    return build_sample_standard(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_pdf(sample) -> Path:
    return sample.pdf

"""Shared fixtures: where the real sample documents live, skipping cleanly when they are absent."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from resources.parse_worker import LocalWorker

from tests.otlp_receiver import OtlpReceiver
from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (S3 protocol server fixtures)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PLATFORM_SHARED_DIR", REPO.parent / "shared"))
REAL_PDFS = Path(os.environ.get("PLATFORM_REAL_PDFS", REPO / ".cache" / "corpus"))


def pytest_configure(config: pytest.Config) -> None:
    """SIGINT and SIGTERM as a terminal gives them. A shell starts a background job (`make test &`, a CI
    script under `nohup`) with SIGINT ignored, and every Dagster CLI process (`dagster dev`, the daemon, a
    code server) and each in-process run map SIGTERM to SIGINT's handler: the servers and workers the
    tests start would ignore the SIGTERM that stops them (`tests/live/processes.py` then waits out its 30 s
    grace for each) and the runs' own children would inherit it ignored."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The live tests before the others. Under `make test`, xdist queues the files with the most tests
    first; among the files of one test, this puts the live ones (minutes each, mostly waiting on a
    daemon) before the short ones, which then fill the other worker's time instead of ending the run."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/live/"))


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
def extra_pdfs() -> Path:
    """PDFs fetched by `tests/corpus/fetch_more_pdfs.sh` (`make corpus`): the clause-tree failure classes of
    `tests/corpus/EXTRA.md`; skip when not fetched."""
    if not (REAL_PDFS / "MANIFEST-extra.tsv").is_file():
        pytest.skip(f"extra real PDFs not fetched into {REAL_PDFS} (make corpus needs the apt registry)")
    return REAL_PDFS


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The deterministic synthetic standard (samples/), built once per session."""
    from samples.standard import build_sample_standard

    return build_sample_standard(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_pdf(sample) -> Path:
    return sample.pdf


AXIOM_TOKEN = "xaat-0123456789abcdef-test"


def axiom_env(endpoint: str) -> dict[str, str]:
    """Telemetry configured the way docs/telemetry.md configures Axiom: environment variables only."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {AXIOM_TOKEN},x-axiom-dataset=platform-events",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS": f"Authorization=Bearer {AXIOM_TOKEN},"
        "x-axiom-metrics-dataset=platform-metrics",
        # short export intervals, so long-lived workers export while the test waits
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "200",
        "no_proxy": "127.0.0.1,localhost",
    }


@pytest.fixture
def otlp(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A loopback OTLP/HTTP collector; this process and the workers it starts export to it (Axiom-style
    env). This process's telemetry is shut down afterwards, so later tests run with it off."""
    import telemetry

    with OtlpReceiver() as receiver:
        for name, value in axiom_env(receiver.endpoint).items():
            monkeypatch.setenv(name, value)
        try:
            yield receiver
        finally:
            telemetry.shutdown()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[LocalWorker]:
    """A LocalWorker on this test's own spool, hand-off folder `data/handoff`; its workers stopped after."""
    from resources.parse_worker import LocalWorker

    worker = LocalWorker(
        spool_dir=str(tmp_path / "spool"), handoff_dir=str(tmp_path / "data" / "handoff"), kill_grace_s=5.0
    )
    yield worker
    worker.stop_workers()

"""Failed batches through Dagster: every attempt a `parse_runs` row, the CLI one line and a non-zero exit.

A canned worker hands each job back at once with MinerU 4's real blank-page shape on the job's pages,
or with a broken result a real worker can return (an unreadable middle json, an unsafe archive, a page
missing) or an error of its own; the rest is the real asset code on a real Dagster instance.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from platform_assets import parsed_batch as batch_asset
from platform_assets.__main__ import main
from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.parse.batch_store import batch_dir
from platform_assets.domain.parse.failures import StepFailed
from platform_assets.local_run import materialize_document
from resources.parse_worker import JobHandle, ParseWorker, WorkerRun
from resources.settings import PlatformSettings
from tests.blank_pages import FIXTURE, build_blank_pages_pdf
from worker_contract.contract import JobDebug, JobInput, JobOutput, JobResult, PhaseMs

pytestmark = pytest.mark.slow
SECRET = "X-Amz-Signature=SECRET"


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class CannedWorker(ParseWorker):
    """Finishes every job at once: blank pages in MinerU 4's real middle json shape, or `fault`."""

    fault: str = ""
    """"" | "unreadable_middle" (a page without its required `page_idx`) | "unsafe_archive" |
    "missing_page" (the last page absent from the output) | "wait_raises" (an error of the worker's own)."""

    @property
    def engine_identity(self) -> tuple[str, str]:
        return "4.0.12", "flash"

    def submit(self, job: JobInput) -> JobHandle:
        pages = (job.start_page, job.end_page)
        return JobHandle(
            job_id=f"canned-{uuid.uuid4().hex[:8]}", submitted_at=time.monotonic(), state={"pages": pages}
        )

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        if self.fault == "wait_raises":
            raise RuntimeError(f"connection reset by https://api.example.com/v2/e/status/j?{SECRET}")
        first, last = handle.state["pages"]
        pages: list[dict] = [{"page_idx": page} for page in range(first, last + 1)]
        if self.fault == "unreadable_middle":
            del pages[-1]["page_idx"]
        if self.fault == "missing_page":
            pages.pop()
        middle = {**json.loads(FIXTURE.read_text(encoding="utf-8")), "pages": pages}
        members = {"markdown.md": b"\n", "middle_json.json": json.dumps(middle).encode()}
        if self.fault == "unsafe_archive":
            members["../escaped.txt"] = b"pwned"
        result = JobResult(
            basename="canned",
            source="volume_path",
            pages_requested=[first, last],
            page_count_parsed=last - first + 1,
            archive_format="tar.gz",
        )
        debug = JobDebug(
            phase_ms=PhaseMs(mineru_parse=10), tier="flash", worker_id="canned-1", cold_start=False
        )
        output = JobOutput(elapsed_seconds=0.01, mineru_version="4.0.12", results=[result], debug=debug)
        return WorkerRun(handle.job_id, output, queue_wait_s=0.0, execution_s=0.01, archive=tar_gz(members))

    def cancel(self, handle: JobHandle) -> None:
        pass


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production retry policy without its 5 s and 10 s back-off delays."""
    monkeypatch.setattr(batch_asset, "RETRY_POLICY", dg.RetryPolicy(max_retries=2))


@pytest.fixture
def document(tmp_path: Path) -> tuple[PlatformPaths, str, Path]:
    """The four-page PDF with blank pages, registered in this test's data folder (one batch: pages 0-3)."""
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    paths = PlatformPaths(tmp_path / "data")
    return paths, register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id, pdf


def parse_runs(paths: PlatformPaths) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(
            "SELECT attempt, status, job_id, worker_id, error FROM parse_runs ORDER BY attempt"
        ).fetchall()


def fail(paths: PlatformPaths, doc_id: str, instance: dg.DagsterInstance, fault: str) -> StepFailed:
    resources = {**default_resources(PlatformSettings(paths)), "worker": CannedWorker(fault=fault)}
    with pytest.raises(StepFailed) as caught:
        materialize_document(doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None)
    return caught.value


def test_canned_blank_pages_go_through_every_asset(document) -> None:
    paths, doc_id, _ = document
    resources = {**default_resources(PlatformSettings(paths)), "worker": CannedWorker()}
    with dg.instance_for_test() as instance:
        report = materialize_document(
            doc_id, PlatformSettings(paths), instance, resources, log=lambda _: None
        )
    assert report.contiguity_passed and report.blocks == 0
    assert [(status, error) for _, status, _, _, error in parse_runs(paths)] == [("succeeded", None)]


def test_an_adapter_crash_is_one_failed_attempt_one_row_and_one_line(document) -> None:
    paths, doc_id, _ = document
    with dg.instance_for_test() as instance:
        failure = fail(paths, doc_id, instance, "unreadable_middle")
        logs = instance.all_logs(failure.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    assert str(failure) == (
        f"batch {doc_id}~b001 (pages 1-4, 1-based) failed: KeyError 'page_idx' in the MinerU adapter "
        f"(traceback in the event log of Dagster run {failure.run_id})"
    )
    [(attempt, status, job_id, worker_id, error)] = parse_runs(
        paths
    )  # not retried: the output stays the same
    assert (attempt, status, worker_id, error) == (
        0,
        "failed",
        "canned-1",
        "KeyError 'page_idx' in the MinerU adapter",
    )
    assert job_id.startswith("canned-")
    [event] = logs
    trace = event.dagster_event.step_failure_data.error.to_string()
    assert "KeyError: 'page_idx'" in trace and "_produced_pages" in trace  # where it happened
    assert not (batch_dir(paths.batches, doc_id, f"{doc_id}~b001") / "batch.json").exists()


def test_an_unsafe_archive_is_a_failed_row_naming_the_archive(document) -> None:
    paths, doc_id, _ = document
    with dg.instance_for_test() as instance:
        failure = fail(paths, doc_id, instance, "unsafe_archive")
    assert (
        failure.cause
        == "UnsafeArchiveError: member '../escaped.txt' contains '..' in the worker's result archive"
    )
    assert [(status, error) for _, status, _, _, error in parse_runs(paths)] == [("failed", failure.cause)]
    assert not (paths.root / "escaped.txt").exists() and not (paths.batches / "escaped.txt").exists()


def test_every_attempt_of_a_retried_failure_is_a_row_with_the_redacted_error(document) -> None:
    paths, doc_id, _ = document
    with dg.instance_for_test() as instance:
        failure = fail(paths, doc_id, instance, "wait_raises")
    expected = "RuntimeError: connection reset by https://api.example.com/v2/e/status/j"
    assert failure.cause == expected
    rows = parse_runs(paths)
    assert [(attempt, status, error) for attempt, status, _, _, error in rows] == [
        (0, "failed", expected),
        (1, "failed", expected),
        (2, "failed", expected),
    ]
    assert all(job_id.startswith("canned-") for _, _, job_id, _, _ in rows)


def test_a_failed_document_step_names_the_step_and_the_document(document) -> None:
    paths, doc_id, _ = document
    with dg.instance_for_test() as instance:
        failure = fail(paths, doc_id, instance, "missing_page")
    assert failure.what == f"step parsed_document of document {doc_id}"
    assert failure.cause == "blocking check failed (contiguity: 1 page(s) missing)"


def test_a_missing_landing_copy_fails_the_source_step(document) -> None:
    paths, doc_id, _ = document
    for landed in paths.landing.iterdir():
        landed.unlink()
    with dg.instance_for_test() as instance:
        failure = fail(paths, doc_id, instance, "")
    assert failure.what == f"step source_pdf of document {doc_id}"
    assert failure.cause.startswith(f"landing copy of {doc_id} is missing: ")
    assert str(paths.landing) not in str(failure)  # directories dropped, as in every error that leaves


def test_the_cli_prints_one_line_without_a_traceback_and_exits_non_zero(
    document, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths, doc_id, pdf = document
    dagster_home = paths.root.parent / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(paths.root))
    monkeypatch.setattr(
        "platform_assets.definitions.parse_worker_for",
        lambda _settings: CannedWorker(fault="unreadable_middle"),
    )

    assert main(["ingest", str(pdf), "--wait"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "Stack Trace" not in out + err
    [line] = [line for line in (out + err).splitlines() if "failed" in line]
    match = re.fullmatch(
        rf"error: batch {re.escape(doc_id)}~b001 \(pages 1-4, 1-based\) failed: KeyError 'page_idx' in the "
        r"MinerU adapter \(traceback in the event log of Dagster run ([0-9a-f-]+)\)",
        line,
    )
    assert match, line
    assert line in err.splitlines()
    with dg.DagsterInstance.get() as instance:
        [event] = instance.all_logs(match.group(1), of_type=dg.DagsterEventType.STEP_FAILURE)
        assert "KeyError: 'page_idx'" in event.dagster_event.step_failure_data.error.to_string()
    assert [status for _, status, _, _, _ in parse_runs(paths)] == ["failed"]

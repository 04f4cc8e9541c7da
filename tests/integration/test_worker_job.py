"""The worker's child-process entry parses real pages with MinerU flash and returns safe archives."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import tarfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gpu_image.worker.job import run_job

REPO = Path(__file__).resolve().parents[2]
DEMO1 = "fetched/mineru/opendatalab-MinerU_demo1_b1adde8/demo1.pdf"
DEMO1_PAGES = 13

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo1(shared_corpus: Path) -> Path:
    return shared_corpus / DEMO1


def run_local(payload: dict[str, Any], tmp_path: Path, **env: str) -> dict[str, Any]:
    """Run `python -m gpu_image.worker.local` as the LocalWorker does and read its output file."""
    output = tmp_path / "output.json"
    completed = subprocess.run(
        [sys.executable, "-m", "gpu_image.worker.local", "--output", str(output)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **env},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    events = [json.loads(line)["event"] for line in completed.stderr.splitlines() if line.startswith("{")]
    assert events[-1] in ("done", "job failed")
    return json.loads(output.read_text())


def _members(result: dict[str, Any]) -> dict[str, bytes]:
    data = base64.b64decode(result["tarball_b64"])
    if result["archive_format"] == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}  # type: ignore[union-attr]


def _page_indices(middle_json: dict[str, Any]) -> list[int]:
    return [page["page_idx"] for page in middle_json["pages"]]


@pytest.mark.parametrize("archive_format", ["tar.gz", "zip"])
def test_volume_path_job_returns_an_archive_of_the_requested_pages(
    demo1: Path, tmp_path: Path, archive_format: str
) -> None:
    payload = {
        "input": {
            "volume_path": str(demo1),
            "start_page": 1,
            "end_page": 2,
            "tier": "flash",
            "basename": "demo1-b0001",
            "archive_format": archive_format,
        }
    }
    output = run_local(payload, tmp_path)

    assert output["ok"] is True and output["mineru_version"] == "4.0.12"
    assert set(output["debug"]["phase_ms"]) == {"fetch_input", "mineru_parse", "package"}
    assert output["debug"]["tier"] == "flash" and output["debug"]["cold_start"] is True
    (result,) = output["results"]
    assert result["basename"] == "demo1-b0001" and result["source"] == "volume_path"
    assert result["pages_requested"] == [1, 2] and result["page_count_parsed"] == 2
    assert "degraded" not in result
    members = _members(result)
    assert {"markdown.md", "middle_json.json", "content_list.json"} <= set(members)
    assert any(name.startswith("images/") for name in members)
    assert _page_indices(json.loads(members["middle_json.json"])) == [1, 2]
    content_list = json.loads(members["content_list.json"])
    assert content_list and {block["page_idx"] for block in content_list} <= {1, 2}
    assert str(demo1.parent) not in json.dumps(output)


def test_inline_transport_over_a_loopback_url(demo1: Path, tmp_path: Path) -> None:
    handler = partial(SimpleHTTPRequestHandler, directory=str(demo1.parent))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/{demo1.name}?sig=TOPSECRET"
        payload = {"file_url": url, "start_page": 11, "end_page": -1, "tier": "flash", "transport": "inline"}
        output = run_local(payload, tmp_path, ALLOW_PRIVATE_URLS="1")
    finally:
        httpd.shutdown()
        httpd.server_close()

    (result,) = output["results"]
    assert result["source"] == "file_url" and result["pages_requested"] == [11, DEMO1_PAGES - 1]
    assert result["markdown"].strip()
    assert _page_indices(result["middle_json"]) == [11, 12]
    assert {block["page_idx"] for block in result["content_list"]} <= {11, 12}
    assert "tarball_b64" not in result
    assert "TOPSECRET" not in json.dumps(output)


def test_private_url_without_opt_in_fails_without_leaking_the_query(tmp_path: Path) -> None:
    output = run_local({"file_url": "http://127.0.0.1:9/a.pdf?sig=TOPSECRET", "tier": "flash"}, tmp_path)
    assert output["error"].startswith("FetchError: host '127.0.0.1' resolves to a non-public address")
    assert "TOPSECRET" not in output["error"]


@pytest.fixture
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR")


@pytest.mark.usefixtures("_quiet_logs")
def test_end_page_past_the_document_is_a_clear_error(demo1: Path) -> None:
    output = run_job({"input": {"volume_path": str(demo1), "start_page": 5, "end_page": 40, "tier": "flash"}})
    assert output == {"error": "PageRangeError: end_page 40 is past the last page 12 (13 pages)"}


@pytest.mark.usefixtures("_quiet_logs")
def test_non_pdf_input_is_a_clear_error_without_paths(tmp_path: Path) -> None:
    fake = tmp_path / "private-dir" / "notes.pdf"
    fake.parent.mkdir()
    fake.write_text("just text")
    output = run_job({"volume_path": str(fake), "tier": "flash"})
    assert output == {"error": "FetchError: notes.pdf is not a PDF (bytes do not start with %PDF-)"}
    b64 = run_job({"file_b64": base64.b64encode(b"<html>").decode(), "tier": "flash"})
    assert b64 == {"error": "FetchError: file_b64 is not a PDF (bytes do not start with %PDF-)"}
    missing = run_job({"volume_path": str(tmp_path / "private-dir" / "gone.pdf")})
    assert missing == {"error": "FetchError: volume_path 'gone.pdf' does not exist"}
    assert str(tmp_path) not in json.dumps([output, b64, missing])


@pytest.mark.usefixtures("_quiet_logs")
def test_s3_transport_without_bucket_settings_fails_before_any_work(
    demo1: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUCKET_NAME", raising=False)
    output = run_job({"volume_path": str(demo1), "transport": "s3", "tier": "flash"})
    assert output["error"].startswith(
        "PackageError: transport 's3' needs the S3 bucket settings (BUCKET_ENDPOINT_URL"
    )


def test_invalid_payload_is_a_job_error_not_a_crash(tmp_path: Path) -> None:
    output = run_local({"input": {"volume_path": "a.pdf", "file_url": "https://x.org/a.pdf"}}, tmp_path)
    assert output == {
        "error": "JobInputError: exactly one of file_url, file_b64, volume_path is required (got 2)"
    }

"""Input guards against a loopback HTTP server: private addresses on every redirect hop, size caps,
non-PDF bytes, errors without secrets."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gpu_image.worker.fetch import FetchError, download_url, fetch_input
from worker_contract.contract import parse_job_input
from worker_contract.redaction import redact_url

PDF_BYTES = b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/redirect-to-ip"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/doc.pdf")
            self.end_headers()
            return
        if path == "/redirect-to-6to4":  # 2002:7f00:1:: carries 127.0.0.1
            self.send_response(302)
            self.send_header("Location", f"http://[2002:7f00:1::]:{self.server.server_port}/doc.pdf")
            self.end_headers()
            return
        if path == "/redirect-to-bad-port":
            self.send_response(302)
            self.send_header("Location", "http://localhost:70000/doc.pdf")
            self.end_headers()
            return
        if path == "/relative-redirect":
            self.send_response(301)
            self.send_header("Location", "/doc.pdf?token=abc")
            self.end_headers()
            return
        body = {"/doc.pdf": PDF_BYTES, "/page.html": b"<html>nope</html>"}.get(path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A loopback HTTP server; yields its `localhost:port`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"localhost:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLOW_PRIVATE_URLS", "ALLOWED_URL_HOSTS", "VOLUME_ROOT", "MAX_INPUT_BYTES"):
        monkeypatch.delenv(name, raising=False)


def test_loopback_url_is_rejected_by_default(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        download_url(f"http://{server}/doc.pdf?sig=secret", tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()


def test_redirect_hop_to_a_private_ip_is_rejected(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=re.escape("'127.0.0.1' resolves to a non-public address")):
        download_url(
            f"http://{server}/redirect-to-ip", tmp_path / "a.pdf", allowed_hosts=frozenset({"localhost"})
        )


def test_private_urls_are_fetched_with_the_opt_in(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    download_url(f"http://{server}/relative-redirect", tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == PDF_BYTES
    job = parse_job_input({"file_url": f"http://{server}/doc.pdf?x=1"})
    assert fetch_input(job, tmp_path).read_bytes() == PDF_BYTES


def test_size_cap_and_non_pdf_bytes_are_rejected(server: str, tmp_path: Path) -> None:
    allow = {"allow_private": True}
    with pytest.raises(FetchError, match="larger than the 100 byte cap"):
        download_url(f"http://{server}/doc.pdf", tmp_path / "a.pdf", max_bytes=100, **allow)
    with pytest.raises(FetchError, match="is not a PDF"):
        download_url(f"http://{server}/page.html", tmp_path / "a.pdf", **allow)
    with pytest.raises(FetchError, match="HTTP 404"):
        download_url(f"http://{server}/missing.pdf", tmp_path / "a.pdf", **allow)


def test_errors_never_carry_queries_or_credentials(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        download_url(
            f"http://user:pw@{server}/missing.pdf?sig=SECRET", tmp_path / "a.pdf", allow_private=True
        )
    assert "SECRET" not in str(caught.value) and "pw" not in str(caught.value)
    assert redact_url("https://u:p@h.org:8443/a/b.pdf?sig=1#f") == "https://h.org:8443/a/b.pdf"


def test_a_redirect_to_6to4_loopback_is_refused(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=re.escape("host '2002:7f00:1::' resolves to a non-public address")):
        download_url(
            f"http://{server}/redirect-to-6to4", tmp_path / "a.pdf", allowed_hosts=frozenset({"localhost"})
        )


def test_a_redirect_to_an_invalid_port_is_a_clear_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(
        FetchError, match=re.escape("port is not a number from 1 to 65535: http://localhost/doc.pdf")
    ):
        download_url(
            f"http://{server}/redirect-to-bad-port",
            tmp_path / "a.pdf",
            allowed_hosts=frozenset({"localhost"}),
        )

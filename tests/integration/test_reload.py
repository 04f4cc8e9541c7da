"""`reload_code_location` against real loopback sockets: a failed reload says where and why in one line."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from platform_assets.sensors import reload_code_location

HINT = "set DAGSTER_WEBSERVER_URL to the URL the UI runs at"


def closed_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nobody listens there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def webserver(status: int, body: dict | None = None) -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server answering every POST with `status` (and `body` as JSON); yields port, paths."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            payload = json.dumps(body or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()


def test_a_closed_port_is_named_with_connection_refused_and_the_variable_to_set():
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(RuntimeError) as raised:
        reload_code_location("document_platform", url)
    assert str(raised.value) == (
        f"could not reload code location 'document_platform' via the webserver at "
        f"http://127.0.0.1:{port}: connection refused; {HINT}"
    )


def test_a_server_answering_with_an_error_is_named_with_its_status_and_no_credentials():
    with webserver(500) as (port, paths):
        url = f"http://ops:s3cret@127.0.0.1:{port}/?token=abc"
        with pytest.raises(RuntimeError) as raised:
            reload_code_location("document_platform", url)
    assert str(raised.value) == (
        f"could not reload code location 'document_platform' via the webserver at "
        f"http://127.0.0.1:{port}/: HTTP 500 Internal Server Error; {HINT}"
    )
    assert paths == ["/graphql"]


def test_a_webserver_that_refuses_the_reload_passes_its_reason_on():
    refusal = {"__typename": "RepositoryLocationNotFound", "message": "Location other does not exist."}
    with webserver(200, {"data": {"reloadRepositoryLocation": refusal}}) as (port, paths):
        url = f"http://127.0.0.1:{port}/dagster"
        with pytest.raises(RuntimeError) as raised:
            reload_code_location("other", url)
    assert str(raised.value) == (
        f"could not reload code location 'other' via the webserver at http://127.0.0.1:{port}/dagster: "
        "RepositoryLocationNotFound: Location other does not exist."
    )
    assert paths == ["/dagster/graphql"]  # a path prefix (UI behind a proxy) is kept


def test_a_successful_reload_returns_quietly():
    answer = {
        "__typename": "WorkspaceLocationEntry",
        "locationOrLoadError": {"__typename": "RepositoryLocation"},
    }
    with webserver(200, {"data": {"reloadRepositoryLocation": answer}}) as (port, paths):
        url = f"http://127.0.0.1:{port}"
        reload_code_location("document_platform", url)
    assert paths == ["/graphql"]


@pytest.mark.parametrize("url", ["127.0.0.1:3000", "ftp://127.0.0.1:3000", "http://127.0.0.1:99999"])
def test_a_url_that_is_not_http_with_a_host_is_refused_before_any_request(url):
    with pytest.raises(RuntimeError, match="DAGSTER_WEBSERVER_URL is not an http"):
        reload_code_location("document_platform", url)

"""An S3 protocol server on loopback for tests: moto's S3 backend, with presigned URLs checked like S3 does.

moto accepts any presigned URL (it checks neither the SigV4 query signature nor `X-Amz-Expires`), so a
small WSGI layer in front of it verifies both and answers 403 the way S3 and R2 do.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest

ACCESS_KEY_ID = "AKIATESTS3SERVER0001"
SECRET_ACCESS_KEY = "test-secret-key-that-must-never-leak-0001"
REGION = "us-east-1"
BUCKET = "platform-test-bucket"

_Environ = dict[str, Any]
_StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class S3Server:
    """Where the test server listens, its (dummy) credentials and the bucket made for each test."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str
    bucket: str

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(signature_version="s3v4"),
        )

    def bucket_env(self, prefix: str = "") -> dict[str, str]:
        """The worker's `BUCKET_*` settings for the `s3` transport."""
        return {
            "BUCKET_ENDPOINT_URL": self.endpoint_url,
            "BUCKET_NAME": self.bucket,
            "BUCKET_ACCESS_KEY_ID": self.access_key_id,
            "BUCKET_SECRET_ACCESS_KEY": self.secret_access_key,
            "BUCKET_REGION": self.region,
            "BUCKET_PREFIX": prefix,
        }

    def reset(self) -> None:
        """Forget every bucket and object, then create an empty test bucket."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        self.client().create_bucket(Bucket=self.bucket)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _error(start_response: _StartResponse, code: str, message: str) -> Iterable[bytes]:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    return [body.encode("utf-8")]


class PresignChecker:
    """WSGI middleware: a request carrying `X-Amz-Signature` must be signed with the known key and unexpired.

    Implements the SigV4 query-string check (canonical request over the raw path, the sorted re-encoded
    query without the signature, the signed `host` header and `UNSIGNED-PAYLOAD`).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], secrets: dict[str, str]) -> None:
        self.app = app
        self.secrets = secrets

    def __call__(self, environ: _Environ, start_response: _StartResponse) -> Iterable[bytes]:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(pairs)
        if "X-Amz-Signature" not in params:
            return self.app(environ, start_response)
        try:
            access_key, date, region, service, _ = params["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires_s = int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            return _error(start_response, "AuthorizationQueryParametersError", "Malformed presigned query")
        secret = self.secrets.get(access_key)
        if secret is None:
            return _error(start_response, "InvalidAccessKeyId", "Unknown access key")
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires_s):
            return _error(start_response, "AccessDenied", "Request has expired")
        if params.get("X-Amz-SignedHeaders") != "host":
            return _error(start_response, "AccessDenied", "Only presigned URLs signing `host` are served")
        raw_path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"])
        query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, v in sorted(pairs)
            if k != "X-Amz-Signature"
        )
        canonical = "\n".join(
            [
                environ["REQUEST_METHOD"],
                raw_path.split("?", 1)[0],
                query,
                f"host:{environ['HTTP_HOST']}\n",
                "host",
                "UNSIGNED-PAYLOAD",
            ]
        )
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                params["X-Amz-Date"],
                scope,
                hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            ]
        )
        key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
        expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return _error(start_response, "SignatureDoesNotMatch", "The request signature does not match")
        return self.app(environ, start_response)


def start_s3_server() -> tuple[S3Server, Callable[[], None]]:
    """Start the server on 127.0.0.1 (a free port) in a daemon thread; returns it and its stop function."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = PresignChecker(DomainDispatcherApplication(create_backend_app), {ACCESS_KEY_ID: SECRET_ACCESS_KEY})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="s3-test-server", daemon=True)
    thread.start()
    s3 = S3Server(
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
        region=REGION,
        bucket=BUCKET,
    )

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return s3, stop


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3 protocol server for the session (loopback, dummy credentials, the test bucket created)."""
    s3, stop = start_s3_server()
    try:
        s3.reset()
        yield s3
    finally:
        stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> S3Server:
    """The session's server with everything deleted and an empty test bucket: use it when a test counts
    or lists objects."""
    s3_server.reset()
    return s3_server

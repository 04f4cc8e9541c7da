"""S3/R2 end to end against a real S3 protocol server on loopback: the object store, presigned URLs that
expire, and the worker's `s3` transport and `file_url` input (MinerU flash on two sample pages)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gpu_image.worker.job import run_job
from gpu_image.worker.local import OFFLINE_ENV
from resources.object_store import ObjectStoreError, S3ObjectStore
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow

PAGES = (4, 5)
"""Two body pages of the sample standard (0-based, inclusive)."""


def make_store(s3: S3Server, **overrides: Any) -> S3ObjectStore:
    fields: dict[str, Any] = {
        "bucket": s3.bucket,
        "prefix": "platform/",
        "endpoint_url": s3.endpoint_url,
        "region": s3.region,
        "access_key_id": s3.access_key_id,
        "secret_access_key": s3.secret_access_key,
        **overrides,
    }
    return S3ObjectStore(**fields)


def count_calls(store: S3ObjectStore) -> dict[str, int]:
    """Count the S3 operations the store's client sends (PutObject, CreateMultipartUpload, ...)."""
    counts: dict[str, int] = {}

    def record(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    store.client().meta.events.register("before-call.s3", record)
    return counts


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def test_put_file_stores_once_and_reports_size_and_location(s3_bucket: S3Server, sample_pdf: Path) -> None:
    store = make_store(s3_bucket)
    calls = count_calls(store)
    key = "pdfs/ab/sample.pdf"
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError) as missing:
        store.size(key)
    assert str(missing.value) == "no object at s3://platform-test-bucket/platform/pdfs/ab/sample.pdf"

    store.put_file(key, sample_pdf)
    assert store.exists(key) and store.size(key) == sample_pdf.stat().st_size
    head = s3_bucket.client().head_object(Bucket=s3_bucket.bucket, Key=f"platform/{key}")
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["sha256"] == hashlib.sha256(sample_pdf.read_bytes()).hexdigest()
    assert store.describe(key) == "s3://platform-test-bucket/platform/pdfs/ab/sample.pdf"

    store.put_file(key, sample_pdf)  # a re-materialization (or a re-run after a crash) uploads nothing
    assert calls.get("PutObject") == 1


def test_put_file_replaces_an_object_whose_bytes_differ(
    s3_bucket: S3Server, sample_pdf: Path, tmp_path: Path
) -> None:
    store = make_store(s3_bucket)
    key = "pdfs/cd/doc.pdf"
    same_size = tmp_path / "same-size.pdf"
    same_size.write_bytes(b"%PDF-" + b"x" * (sample_pdf.stat().st_size - 5))
    store.put_file(key, same_size)
    store.put_file(key, sample_pdf)  # same size, other sha256: replaced
    fetched = tmp_path / "fetched" / "doc.pdf"
    store.download(key, fetched)
    assert fetched.read_bytes() == sample_pdf.read_bytes()

    # An object written by someone else (no sha256 metadata) of the right size is kept.
    foreign = "pdfs/ef/foreign.pdf"
    s3_bucket.client().put_object(Bucket=s3_bucket.bucket, Key=f"platform/{foreign}", Body=b"%PDF-12345")
    (tmp_path / "ten.pdf").write_bytes(b"%PDF-abcde")
    calls = count_calls(store)
    store.put_file(foreign, tmp_path / "ten.pdf")
    assert "PutObject" not in calls


def test_big_files_go_up_in_multipart_chunks(s3_bucket: S3Server, tmp_path: Path) -> None:
    store = make_store(s3_bucket, multipart_threshold_mb=5)
    calls = count_calls(store)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-" + bytes(range(256)) * (11 * 4096))  # ~11 MB: three parts
    store.put_file("pdfs/00/big.pdf", big)
    assert calls.get("CreateMultipartUpload") == 1 and calls.get("CompleteMultipartUpload") == 1
    assert calls.get("UploadPart") == 3
    assert store.size("pdfs/00/big.pdf") == big.stat().st_size
    store.put_file("pdfs/00/big.pdf", big)
    assert calls.get("CreateMultipartUpload") == 1


def test_worker_source_is_a_presigned_url_that_expires(s3_bucket: S3Server, sample_pdf: Path) -> None:
    store = make_store(s3_bucket)
    key = "pdfs/12/sample.pdf"
    store.put_file(key, sample_pdf)
    source = store.worker_source(key)
    assert list(source) == ["file_url"]
    assert source["file_url"].startswith(f"{s3_bucket.endpoint_url}/platform-test-bucket/platform/{key}?")
    assert f"X-Amz-Expires={store.presign_ttl_s}" in source["file_url"]
    assert http_get(source["file_url"]) == (200, sample_pdf.read_bytes())

    tampered = source["file_url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    status, body = http_get(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body

    # X-Amz-Date has whole seconds, so a URL lives between ttl_s - 1 and ttl_s seconds.
    short = store.presigned_url(key, ttl_s=3)
    assert http_get(short)[0] == 200
    deadline = time.monotonic() + 30
    while (status := http_get(short)[0]) == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status == 403
    assert b"Request has expired" in http_get(short)[1]


def test_credentials_never_appear_in_repr_description_or_errors(
    s3_bucket: S3Server, sample_pdf: Path, tmp_path: Path
) -> None:
    store = make_store(s3_bucket, bucket="no-such-bucket")
    with pytest.raises(ObjectStoreError) as upload:
        store.put_file("pdfs/34/sample.pdf", sample_pdf)
    with pytest.raises(ObjectStoreError) as download:
        make_store(s3_bucket).download("pdfs/34/missing.pdf", tmp_path / "missing.pdf")
    assert (
        str(upload.value)
        == "S3 upload of s3://no-such-bucket/platform/pdfs/34/sample.pdf failed: NoSuchBucket"
    )
    assert str(download.value).startswith(
        "S3 download of s3://platform-test-bucket/platform/pdfs/34/missing.pdf"
    )
    assert not (tmp_path / "missing.pdf").exists() and not list(tmp_path.iterdir())
    texts = [repr(store), str(store), store.describe("k"), str(upload.value), str(download.value)]
    for text in texts:
        assert s3_bucket.secret_access_key not in text and s3_bucket.access_key_id not in text
        assert "?" not in text and "X-Amz" not in text
    with pytest.raises(ValueError, match="invalid object key"):
        make_store(s3_bucket).describe("../etc/passwd")


@pytest.fixture
def worker_env(s3_bucket: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The worker's environment: MinerU offline, the `BUCKET_*` settings pointing at the test server."""
    for name, value in {
        **OFFLINE_ENV,
        **s3_bucket.bucket_env(prefix="results/"),
        "BUCKET_URL_TTL": "600",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("ALLOW_PRIVATE_URLS", "ALLOWED_URL_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    return s3_bucket


def assert_s3_result(result: dict[str, Any], s3: S3Server, basename: str) -> None:
    assert result["tarball_url_expires_in"] == 600 and "tarball_b64" not in result
    assert result["bucket_key"].startswith(f"results/{basename}-") and result["bucket_key"].endswith(
        ".tar.gz"
    )
    assert result["tarball_url"].startswith(f"{s3.endpoint_url}/{s3.bucket}/{result['bucket_key']}?")
    status, archive = http_get(result["tarball_url"])
    assert status == 200 and len(archive) == result["bucket_bytes"]
    files = members(archive)
    assert files["markdown.md"].strip()
    pages = [page["page_idx"] for page in json.loads(files["middle_json.json"])["pages"]]
    assert pages == list(PAGES)
    head = s3.client().head_object(Bucket=s3.bucket, Key=result["bucket_key"])
    assert head["ContentType"] == "application/gzip"


def test_s3_transport_uploads_the_archive_and_returns_a_presigned_url(
    worker_env: S3Server, sample_pdf: Path
) -> None:
    payload = {
        "input": {
            "volume_path": str(sample_pdf),
            "start_page": PAGES[0],
            "end_page": PAGES[1],
            "tier": "flash",
            "transport": "s3",
            "basename": "acme-b0001",
        }
    }
    output = run_job(payload, worker_id="s3-test")
    assert "error" not in output, output["error"]
    (result,) = output["results"]
    assert result["pages_requested"] == list(PAGES) and result["source"] == "volume_path"
    assert_s3_result(result, worker_env, "acme-b0001")
    assert worker_env.secret_access_key not in json.dumps(output)


def test_file_url_from_a_presigned_s3_url_runs_when_the_host_is_allowed(
    worker_env: S3Server, sample_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remote path in full: the orchestrator uploads once and presigns, the worker fetches by URL,
    parses and uploads its archive to the bucket."""
    store = make_store(worker_env)
    store.put_file("pdfs/56/sample.pdf", sample_pdf)
    monkeypatch.setenv("ALLOWED_URL_HOSTS", "127.0.0.1")
    payload = {
        **store.worker_source("pdfs/56/sample.pdf"),
        "start_page": PAGES[0],
        "end_page": PAGES[1],
        "tier": "flash",
        "transport": "s3",
        "basename": "acme-b0002",
    }
    output = run_job(payload)
    assert "error" not in output, output["error"]
    (result,) = output["results"]
    assert result["source"] == "file_url"
    assert_s3_result(result, worker_env, "acme-b0002")


@pytest.mark.usefixtures("_quiet_logs")
def test_loopback_presigned_url_is_refused_without_opt_in_and_errors_carry_no_query(
    worker_env: S3Server, sample_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(worker_env)
    store.put_file("pdfs/78/sample.pdf", sample_pdf)
    refused = run_job({**store.worker_source("pdfs/78/sample.pdf"), "tier": "flash", "transport": "s3"})
    assert refused["error"] == (
        "FetchError: host '127.0.0.1' resolves to a non-public address (ALLOW_PRIVATE_URLS=1 allows it)"
    )

    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    tampered = store.worker_source("pdfs/78/sample.pdf")["file_url"].replace("Signature=", "Signature=0")
    denied = run_job({"file_url": tampered, "tier": "flash", "transport": "s3"})
    where = f"{worker_env.endpoint_url}/platform-test-bucket/platform/pdfs/78/sample.pdf"
    assert denied == {"error": f"FetchError: HTTP 403 from {where}"}
    listed = worker_env.client().list_objects_v2(Bucket=worker_env.bucket, Prefix="results/")
    assert listed["KeyCount"] == 0


@pytest.mark.usefixtures("_quiet_logs")
def test_s3_transport_without_bucket_settings_fails_before_fetching(
    worker_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUCKET_NAME")
    monkeypatch.delenv("BUCKET_ENDPOINT_URL")
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    # Nothing listens on port 9: fetching first would have failed with a FetchError.
    output = run_job({"file_url": "http://127.0.0.1:9/a.pdf", "tier": "flash", "transport": "s3"})
    assert output["error"].startswith("PackageError: transport 's3' needs the S3 bucket settings")
    assert output["error"].endswith("missing: BUCKET_ENDPOINT_URL, BUCKET_NAME")
    assert worker_env.secret_access_key not in output["error"]


@pytest.fixture
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR")

"""S3ObjectStore without a server: locations, key checks, secrets kept out of reprs, offline presigning."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest

from resources.object_store import S3ObjectStore, pdf_object_key

SECRET = "unit-secret-access-key-never-shown"


def r2_store(**overrides: object) -> S3ObjectStore:
    fields: dict[str, object] = {
        "bucket": "standards",
        "prefix": "platform/",
        "endpoint_url": "https://0123456789abcdef.r2.cloudflarestorage.com",
        "region": "auto",
        "access_key_id": "AKIAUNITTEST",
        "secret_access_key": SECRET,
        **overrides,
    }
    return S3ObjectStore(**fields)  # type: ignore[arg-type]


def test_describe_is_an_s3_uri_without_credentials() -> None:
    store = r2_store()
    key = pdf_object_key("ab" * 32)
    assert store.describe(key) == f"s3://standards/platform/{key}"
    assert SECRET not in repr(store) and "AKIAUNITTEST" not in repr(store)


@pytest.mark.parametrize("key", ["", "/abs.pdf", "a/../b.pdf", "a//b.pdf", "./a.pdf", "a/"])
def test_keys_that_could_escape_or_alias_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        r2_store().describe(key)


def test_worker_source_is_a_sigv4_presigned_get_signed_offline() -> None:
    url = r2_store(presign_ttl_s=900).worker_source("pdfs/ab/doc.pdf")["file_url"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://0123456789abcdef.r2.cloudflarestorage.com/standards/platform/pdfs/ab/doc.pdf"
    )
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    assert (
        query["X-Amz-Credential"][0].startswith("AKIAUNITTEST/")
        and "/auto/s3/" in query["X-Amz-Credential"][0]
    )
    assert SECRET not in url


def test_credentials_come_from_env_vars_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNIT_R2_KEY_ID", "AKIAFROMENV")
    monkeypatch.setenv("UNIT_R2_SECRET", SECRET)
    store = r2_store(access_key_id=dg.EnvVar("UNIT_R2_KEY_ID"), secret_access_key=dg.EnvVar("UNIT_R2_SECRET"))
    assert SECRET not in repr(store)

    @dg.asset
    def presigned(object_store: S3ObjectStore) -> str:
        return object_store.presigned_url("k.pdf")

    result = dg.materialize([presigned], resources={"object_store": store})
    url = result.output_for_node("presigned")
    assert "X-Amz-Credential=AKIAFROMENV" in url and SECRET not in url

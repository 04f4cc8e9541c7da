"""Live: the deployment of test_postgres_instance (webserver, daemon and a separate code server on
PostgreSQL) with the platform's data in a bucket: a PDF uploaded to the bucket's inbox prefix goes
through to verification, every step in an empty folder of its own, nothing passed on through local disk.

The bucket is the S3 protocol server on loopback (tests/s3_server.py, conditional writes included).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from platform_assets.edges.s3_data_store import S3DataStore
from tests.live.postgres_server import (  # noqa: F401  (the fixtures, by their names)
    postgres_database_fixture,
    postgres_server_fixture,
)
from tests.live.test_inbox_to_batches import partition_stats, wait_for
from tests.live.test_postgres_instance import (  # noqa: F401  (the deployment fixture)
    DEADLINE_S,
    DagsterOnPostgres,
    dagster_on_postgres_fixture,
    through_verification,
)
from tests.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.live]
PREFIX = "team/"


@pytest.fixture(name="platform_env")
def platform_env_fixture(tmp_path: Path, s3_bucket: S3Server) -> dict[str, str]:
    """The data and the PDFs in the test bucket; `PLATFORM_DATA_DIR` only holds the steps' own folders."""
    return {
        "PLATFORM_DATA_DIR": str(tmp_path / "scratch"),
        "PLATFORM_DATA_STORE": "s3",
        "PLATFORM_OBJECT_STORE": "s3",
        "PLATFORM_S3_BUCKET": s3_bucket.bucket,
        "PLATFORM_S3_PREFIX": PREFIX,
        "PLATFORM_S3_ENDPOINT_URL": s3_bucket.endpoint_url,
        "PLATFORM_S3_REGION": s3_bucket.region,
        "PLATFORM_S3_ACCESS_KEY_ID": s3_bucket.access_key_id,
        "PLATFORM_S3_SECRET_ACCESS_KEY": s3_bucket.secret_access_key,
        "ALLOW_PRIVATE_URLS": "1",  # the local worker fetches the PDF from the loopback server
        "PLATFORM_BATCH_TARGET_PAGES": "10",
        "PLATFORM_BATCH_MAX_PAGES": "20",
    }


def test_a_pdf_uploaded_to_the_bucket_inbox_is_verified_with_every_step_in_an_empty_folder(
    dagster_on_postgres: DagsterOnPostgres,
    s3_bucket: S3Server,
    sample_pdf: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dagster = dagster_on_postgres
    deadline = time.monotonic() + DEADLINE_S
    wait_for(
        "the webserver to load the code server's location",
        lambda: partition_stats(dagster.port, "parsed_batch") is not None,
        dagster.processes,
        dagster.log,
        deadline,
    )
    store = S3DataStore(s3_bucket.client(), s3_bucket.bucket, f"{PREFIX}data/")
    store.put("inbox/standard.pdf", sample_pdf.read_bytes())
    through_verification(dagster, deadline, monkeypatch)

    [record] = [r for r in store.listing("registry/documents/")]
    doc_id = record.key.removeprefix("registry/documents/").removesuffix(".json")
    keys = {o.key for o in store.listing("")}
    assert {f"trees/{doc_id}.json", f"verification/{doc_id}/latest.json", "warehouse-snapshot.duckdb"} <= keys
    assert any(k.startswith(f"tree-versions/{doc_id}/") and k.endswith("/index.md") for k in keys)
    pdfs = {o.key for o in S3DataStore(s3_bucket.client(), s3_bucket.bucket, PREFIX).listing("pdfs/")}
    assert len(pdfs) == 1
    # Every step's folder was made empty under PLATFORM_DATA_DIR and removed when the step ended; nothing
    # of the data is on local disk outside them (the parse worker's hand-off folder is empty again).
    scratch = tmp_path / "scratch"
    left = [p.relative_to(scratch).as_posix() for p in scratch.rglob("*") if p.is_file()]
    assert not [p for p in left if not p.startswith("handoff/")], left
    assert not [p for p in scratch.iterdir() if p.name.startswith("step-")]
    assert not list((tmp_path / "work").rglob("*.json")), "no data in the processes' working folders"

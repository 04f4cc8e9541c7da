"""Platform data in a bucket: the `DataStore` contract on both backends (the data folder and the S3
protocol server on loopback), then one document taken through every asset with its data in the bucket
and each step in an empty folder of its own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.domain.common.data_store import DataStore, FolderStore, pull, push
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.verify.verification_store import read_latest
from platform_assets.edges.s3_data_store import DataStoreError, S3DataStore
from platform_assets.local_run import materialize_document
from resources.platform_data import data_store_for
from resources.settings import PlatformSettings
from tests.s3_server import S3Server


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path) -> DataStore:
    if request.param == "folder":
        return FolderStore(tmp_path / "store")
    s3: S3Server = request.getfixturevalue("s3_bucket")
    return S3DataStore(s3.client(), s3.bucket, "platform/data/")


def test_create_writes_once_and_put_replaces(store: DataStore) -> None:
    assert store.read("registry/plans/a.json") is None
    assert store.create("registry/plans/a.json", b"first") is True
    assert store.create("registry/plans/a.json", b"second") is False
    assert store.read("registry/plans/a.json") == b"first"
    store.put("registry/plans/a.json", b"third")
    assert store.read("registry/plans/a.json") == b"third"
    store.delete("registry/plans/a.json")
    store.delete("registry/plans/a.json")  # already gone: no error
    assert store.read("registry/plans/a.json") is None


def test_listing_is_by_prefix_sorted_and_sized(store: DataStore) -> None:
    for key in ("b/2.json", "b/1.json", "bb/3.json", "c.json"):
        store.put(key, key.encode())
    assert [(o.key, o.size) for o in store.listing("b/")] == [("b/1.json", 8), ("b/2.json", 8)]
    assert [o.key for o in store.listing("b")] == ["b/1.json", "b/2.json", "bb/3.json"]
    assert store.listing("nothing/") == []


def test_keys_that_climb_out_are_refused(store: DataStore) -> None:
    for key in ("../x", "/abs", "a//b", "a/./b", ""):
        with pytest.raises(ValueError, match="invalid data key"):
            store.put(key, b"x")


def test_pull_and_push_copy_only_what_differs(store: DataStore, tmp_path: Path) -> None:
    work = tmp_path / "step"
    (work / "batches" / "d" / "raw").mkdir(parents=True)
    (work / "batches" / "d" / "blocks.json").write_text("[1]")
    (work / "batches" / "d" / "raw" / "p1.png").write_bytes(b"\x89PNG")
    (work / "batches" / "d" / ".claims").mkdir()
    (work / "batches" / "d" / ".claims" / "x.lock").write_text("held")  # local only
    assert push(store, work, "batches/d/") == 2
    assert push(store, work, "batches/d/") == 0  # unchanged: nothing copied again
    (work / "batches" / "d" / "blocks.json").write_text("[2]")  # same size, other bytes
    expected = 1 if isinstance(store, S3DataStore) else 0  # S3 compares MD5s; the folder sizes only
    assert push(store, work, "batches/d/") == expected
    fresh = tmp_path / "other-step"
    assert pull(store, fresh, "batches/d/") == 2
    assert sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()) == [
        "batches/d/blocks.json",
        "batches/d/raw/p1.png",
    ]
    assert pull(store, fresh, "batches/d/") == 0
    assert pull(store, fresh, "batches/d/", into="copy/") == 2
    assert (fresh / "copy" / "raw" / "p1.png").read_bytes() == b"\x89PNG"


def test_an_s3_failure_names_the_object_and_the_code_only(s3_bucket: S3Server, tmp_path: Path) -> None:
    missing = S3DataStore(s3_bucket.client(), "no-such-bucket", "p/")
    with pytest.raises(
        DataStoreError, match=r"^S3 write of s3://no-such-bucket/p/a.json failed: NoSuchBucket$"
    ):
        missing.put("a.json", b"x")
    with pytest.raises(FileNotFoundError, match="no object at s3://platform-test-bucket/p/absent"):
        S3DataStore(s3_bucket.client(), s3_bucket.bucket, "p/").download("absent", tmp_path / "x")


@pytest.mark.slow
def test_a_document_goes_through_every_asset_with_its_data_in_the_bucket(
    s3_bucket: S3Server, sample_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_S3_ACCESS_KEY_ID", s3_bucket.access_key_id)
    monkeypatch.setenv("PLATFORM_S3_SECRET_ACCESS_KEY", s3_bucket.secret_access_key)
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")  # the worker fetches the PDF from the loopback server
    scratch = tmp_path / "scratch"
    settings = PlatformSettings.from_env(
        {
            "PLATFORM_DATA_DIR": str(scratch),
            "PLATFORM_DATA_STORE": "s3",
            "PLATFORM_OBJECT_STORE": "s3",
            "PLATFORM_S3_BUCKET": s3_bucket.bucket,
            "PLATFORM_S3_PREFIX": "team/",
            "PLATFORM_S3_ENDPOINT_URL": s3_bucket.endpoint_url,
            "PLATFORM_S3_REGION": s3_bucket.region,
            "PLATFORM_BATCH_TARGET_PAGES": "20",
            "PLATFORM_BATCH_MAX_PAGES": "40",
        }
    )
    store = data_store_for(settings)
    registry = Registry(store)
    intake = register_pdf(sample_pdf, registry, tmp_path / "arrivals", "test")
    doc_id = intake.record.doc_id
    with dg.instance_for_test() as instance:
        report = materialize_document(doc_id, settings, instance, log=lambda _: None)

    assert report.contiguity_passed and report.tree_complete
    keys = {o.key for o in store.listing("")}
    plan = registry.plan(doc_id)
    assert plan is not None and len(plan.batches) >= 2
    assert {
        f"landing/{intake.record.sha256}.pdf",
        f"documents/{doc_id}/facts.json",
        "warehouse.duckdb",
    } <= keys
    assert all(f"batches/{doc_id}/{b.key}/blocks.json" in keys for b in plan.batches)
    assert f"trees/{doc_id}.json" in keys and f"verification/{doc_id}/latest.json" in keys
    assert {"warehouse-snapshot.duckdb", "reports/platform_report.md"} <= keys
    # Every step worked in a folder of its own, removed when it ended: only the summary's copies remain.
    assert not [p for p in scratch.iterdir() if p.name.startswith("step-")]

    # The same document through the data folder gives the same tree, byte for byte.
    local = PlatformPaths(tmp_path / "local")
    register_pdf(sample_pdf, Registry(local.registry), local.landing, "test")
    local_settings = PlatformSettings(local, batch_target_pages=20, batch_max_pages=40)
    with dg.instance_for_test() as instance:
        materialize_document(doc_id, local_settings, instance, log=lambda _: None)
    assert digest(scratch / "trees" / doc_id) == digest(local.trees / doc_id)
    in_bucket, in_folder = (
        read_latest(root, doc_id) for root in (scratch / "verification", local.verification)
    )
    assert in_bucket is not None and in_folder is not None
    assert in_bucket.findings == in_folder.findings  # the same inputs: batches, tree, attempts, PDF


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }

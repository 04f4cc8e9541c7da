"""Sensors against a real Dagster instance: inbox registration, duplicates, refusals, reload trigger."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from platform_assets.partitions import build_partition_scheme
from resources.platform_data import data_store_for
from resources.settings import PlatformSettings


@pytest.fixture
def paths(tmp_path) -> PlatformPaths:
    return PlatformPaths(tmp_path / "data", inbox_folder=tmp_path / "inbox")


def sensor(defs: dg.Definitions, name: str) -> dg.SensorDefinition:
    return next(s for s in defs.sensors if s.name == name)


def tick(defs, name, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return sensor(defs, name).evaluate_tick(context)


def test_inbox_sensor_registers_new_pdfs_once_and_reports_duplicates(paths, sample_pdf, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(sample_pdf, inbox / "standard.pdf")
    (inbox / "notes.txt").write_text("not a pdf")
    with dg.instance_for_test() as instance:
        defs = build_definitions(PlatformSettings(paths))
        first = tick(defs, "inbox_sensor", instance)
        registry = Registry(paths.registry)
        [record] = registry.documents()
        assert record.filename == "standard.pdf" and record.source == "inbox"
        cursor = json.loads(first.cursor)
        assert cursor["standard.pdf"][2] == record.doc_id
        assert first.skip_message == (  # what the tick shows in the UI
            f"refused notes.txt: notes.txt is not a PDF (no %PDF- header in its first 1024 bytes); "
            f"registered standard.pdf as {record.doc_id}"
        )
        assert cursor["notes.txt"][2].startswith("error: notes.txt is not a PDF")
        assert (inbox / "notes.txt").exists()  # refused input is left where it was

        quiet = tick(defs, "inbox_sensor", instance, cursor=first.cursor)
        assert quiet.skip_message and "no new PDFs" in quiet.skip_message

        shutil.copyfile(sample_pdf, inbox / "same-bytes-again.pdf")
        again = tick(defs, "inbox_sensor", instance, cursor=first.cursor)
        assert len(registry.documents()) == 1
        [observation] = again.asset_events
        assert observation.partition == record.doc_id
        assert observation.metadata["duplicate_arrival"].value == "same-bytes-again.pdf"
        assert again.skip_message == (
            f"duplicate: same-bytes-again.pdf has the same bytes as {record.doc_id}; not registered again"
        )


def test_inbox_sensor_refuses_encrypted_pdfs_without_password_and_accepts_them_with_one(
    paths, real_pdfs, tmp_path, monkeypatch
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(real_pdfs / "pikepdf-graph-encrypted.pdf", inbox / "locked.pdf")
    with dg.instance_for_test() as instance:
        defs = build_definitions(PlatformSettings(paths))
        result = tick(defs, "inbox_sensor", instance)
        assert "PLATFORM_PDF_PASSWORD" in json.loads(result.cursor)["locked.pdf"][2]
        assert Registry(paths.registry).documents() == []
        monkeypatch.setenv("PLATFORM_PDF_PASSWORD", "user")
        (inbox / "locked.pdf").touch()  # a changed mtime makes the sensor look again
        tick(defs, "inbox_sensor", instance, cursor=result.cursor)
        [record] = Registry(paths.registry).documents()
        assert record.decrypted


def test_registry_sensor_is_quiet_while_partitions_match_and_reloads_when_the_registry_changes(
    paths, sample_pdf
):
    from platform_assets.domain.intake.intake import register_pdf

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with dg.instance_for_test() as instance:
        defs = build_definitions(PlatformSettings(paths, webserver_url=f"http://127.0.0.1:{port}"))
        quiet = tick(defs, "registry_reload_sensor", instance)
        assert "match the registry" in quiet.skip_message
        register_pdf(sample_pdf, Registry(paths.registry), paths.landing, "cli")
        with pytest.raises(Exception) as raised:
            tick(defs, "registry_reload_sensor", instance)
        assert (
            "could not reload code location 'document_platform' via the webserver at "
            f"http://127.0.0.1:{port}: connection refused; "
            "set DAGSTER_WEBSERVER_URL to the URL the UI runs at"
        ) in str(raised.value)
        reloaded = build_definitions(PlatformSettings(paths))  # what the reload gives the code server
        assert "match the registry" in tick(reloaded, "registry_reload_sensor", instance).skip_message


def test_hostile_names_in_the_inbox_and_a_corrupt_record_never_break_the_code_location(
    paths, sample_pdf, tmp_path, caplog
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bad = Path(os.fsdecode(os.fsencode(inbox) + b"/bad\xff\xfe.pdf"))  # not UTF-8
    shutil.copyfile(sample_pdf, bad)
    shutil.copyfile(sample_pdf, inbox / "two\nlines\u202e.pdf")  # same bytes: a duplicate arrival
    registry = Registry(paths.registry)
    (paths.registry / "documents").mkdir(parents=True)
    (paths.registry / "documents" / "broken-000000000000.json").write_text('{"doc_id": ')
    with dg.instance_for_test() as instance, caplog.at_level(logging.WARNING):
        defs = build_definitions(
            PlatformSettings(paths)
        )  # the code location loads despite the corrupt record
        assert "broken-000000000000.json" in caplog.text
        result = tick(defs, "inbox_sensor", instance)
        [record] = registry.documents()
        assert record.filename == "bad\ufffd\ufffd.pdf" and record.filename_raw == "bad%FF%FE.pdf"
        [observation] = result.asset_events
        assert observation.metadata["duplicate_arrival"].value == "two\\u000alines\\u202e.pdf"
        instance.report_runless_asset_event(observation)  # storable in the event log as it is
        assert build_partition_scheme(registry).documents.get_partition_keys() == [record.doc_id]
        assert set(json.loads(result.cursor)) == {bad.name, "two\nlines\u202e.pdf"}
        assert tick(defs, "inbox_sensor", instance, cursor=result.cursor).skip_message


def test_with_the_data_in_a_bucket_the_inbox_is_its_prefix_and_a_changed_object_is_seen_again(
    s3_bucket, sample_pdf, tmp_path, monkeypatch
):
    monkeypatch.setenv("PLATFORM_S3_ACCESS_KEY_ID", s3_bucket.access_key_id)
    monkeypatch.setenv("PLATFORM_S3_SECRET_ACCESS_KEY", s3_bucket.secret_access_key)
    settings = PlatformSettings(
        PlatformPaths(tmp_path / "scratch"),
        data_store="s3",
        object_store="s3",
        s3_bucket=s3_bucket.bucket,
        s3_endpoint_url=s3_bucket.endpoint_url,
        s3_region=s3_bucket.region,
    )
    store = data_store_for(settings)
    store.put("inbox/standard.pdf", sample_pdf.read_bytes())
    store.put("inbox/notes.txt", b"not a pdf")
    with dg.instance_for_test() as instance:
        defs = build_definitions(settings)
        first = tick(defs, "inbox_sensor", instance)
        [record] = Registry(store).documents()
        assert record.filename == "standard.pdf" and record.source == "inbox"
        assert store.read(f"landing/{record.sha256}.pdf") == sample_pdf.read_bytes()
        assert "refused notes.txt" in first.skip_message
        assert "no new PDFs in the bucket" in tick(defs, "inbox_sensor", instance, first.cursor).skip_message
        store.put("inbox/notes.txt", b"%PDF-1.7 still not one")  # changed: fetched and judged again
        again = tick(defs, "inbox_sensor", instance, first.cursor)
        assert "refused notes.txt" in again.skip_message and "standard.pdf" not in again.skip_message

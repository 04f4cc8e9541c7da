"""The local hand-off (`local_dir`): real MinerU flash in a warm LocalWorker leaves each result as a folder
in the hand-off directory, the batch store adopts it by rename, and a re-run reuses the stored batch."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

import dagster as dg
import pytest
from mineru.parser import ParseResult
from mineru.parser.writer import FileBasedDataWriter

from gpu_image.worker.job import run_job
from gpu_image.worker.package import package_result, write_safe_files
from platform_assets.definitions import default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import load_records
from platform_assets.domain.parse.batch_store import BatchFingerprint, batch_dir, read_blocks, store_batch
from platform_assets.local_run import _run, materialize_document
from resources.parse_worker import LocalWorker, WorkerError
from resources.platform_data import PlannerSettings
from resources.settings import PlatformSettings
from tests.blank_pages import FIXTURE, build_blank_pages_pdf
from worker_contract.contract import JobInput, Transport

pytestmark = pytest.mark.slow


def job_for(pdf: Path, transport: Transport) -> JobInput:
    return JobInput(
        volume_path=str(pdf), start_page=2, end_page=4, tier="flash", basename="t", transport=transport
    )


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def store(folder: Path, mineru_version: str, **result) -> tuple:
    fingerprint = BatchFingerprint(
        pdf_sha256="0" * 64, first_page=2, last_page=4, engine_version=mineru_version, tier="flash"
    )
    return store_batch(folder, key="doc~b001", doc_id="doc", fingerprint=fingerprint, **result)


def test_the_worker_leaves_a_private_folder_that_the_store_adopts_by_rename(
    worker: LocalWorker, sample_pdf: Path, tmp_path: Path
) -> None:
    handoff = tmp_path / "data" / "handoff"
    run = worker.wait(worker.submit(job_for(sample_pdf, "local_dir")), timeout_s=300)
    [result] = run.output.results
    assert result.tarball_b64 is None and run.archive == b"" and not result.degraded
    assert run.result_dir is not None and run.result_dir.parent == handoff
    assert result.result_dir == str(run.result_dir)
    assert (handoff.stat().st_mode & 0o777, run.result_dir.stat().st_mode & 0o777) == (0o700, 0o700)
    names = files_under(run.result_dir)
    # what the orchestrator reads: the middle JSON and its images, no renderings for other clients
    assert [name for name in names if not name.startswith("images/")] == ["middle_json.json"]
    assert len(names) > 1
    inode = (run.result_dir / "middle_json.json").stat().st_ino

    folder = batch_dir(tmp_path / "data" / "batches", "doc", "doc~b001")
    manifest, phases = store(folder, run.output.mineru_version, result_dir=run.result_dir)
    assert manifest.produced_pages == [2, 3, 4] and manifest.archive_members == len(names)
    assert (folder / "raw" / "middle_json.json").stat().st_ino == inode  # renamed, not copied
    assert not any(handoff.iterdir()) and phases["download_extract"] < 1.0

    # the archive path, on the same warm worker, carries the renderings too, and the same middle JSON
    archived = worker.wait(worker.submit(job_for(sample_pdf, "tarball_b64")), timeout_s=300)
    other = batch_dir(tmp_path / "archived", "doc", "doc~b001")
    store(other, run.output.mineru_version, archive=archived.archive, archive_format="tar.gz")
    assert {*names, "markdown.md", "content_list.json"} <= set(files_under(other / "raw"))
    middle = [json.loads((f / "raw" / "middle_json.json").read_bytes()) for f in (folder, other)]
    assert middle[0] == middle[1]
    assert read_blocks(other) == read_blocks(folder)


def test_a_failed_local_dir_job_leaves_nothing_in_the_handoff_folder(
    worker: LocalWorker, sample_pdf: Path, tmp_path: Path
) -> None:
    job = job_for(sample_pdf, "local_dir").model_copy(update={"start_page": 900, "end_page": 901})
    handle = worker.submit(job)
    with pytest.raises(WorkerError, match="past the last page") as caught:
        worker.wait(handle, timeout_s=300)
    assert caught.value.transient is False
    assert not any((tmp_path / "data" / "handoff").iterdir())


def test_a_document_parses_through_the_handoff_and_a_rerun_redoes_nothing(tmp_path: Path) -> None:
    pdf = build_blank_pages_pdf(tmp_path / "blank-pages.pdf")
    paths = PlatformPaths(tmp_path / "data")
    settings = PlatformSettings(paths)
    resources = {**default_resources(settings), "planner": PlannerSettings(target_pages=2, max_pages=3)}
    assert resources["worker"].transport == "local_dir"
    doc_id = register_pdf(pdf, Registry(paths.registry), paths.landing, "test").record.doc_id
    with dg.instance_for_test() as instance:
        report = materialize_document(doc_id, settings, instance, resources, log=lambda _: None)
        assert report.batches == 2 and report.contiguity_passed and report.tree_complete
        keys = [b.key for b in Registry(paths.registry).plan(doc_id).batches]
        raw = {key: batch_dir(paths.batches, doc_id, key) / "raw" / "middle_json.json" for key in keys}
        stored = {key: path.stat() for key, path in raw.items()}
        for key in keys:
            _run(settings, instance, resources, dg.AssetSelection.assets("parsed_batch"), key)
    resources["worker"].stop_workers()

    records = sorted(load_records(paths.timings), key=lambda r: (r.batch_key, r.started_at))
    assert [(r.batch_key, r.status) for r in records] == [
        (key, status) for key in keys for status in ("succeeded", "reused")
    ]
    for record in records[::2]:  # the parses: the hand-off phases are there, and next to nothing
        assert {"package", "extract"} <= set(record.phases)
        assert record.phases["extract"] < 1.0
    for key, before in stored.items():
        after = raw[key].stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not any((paths.root / "handoff").iterdir())


def test_only_a_local_worker_serves_local_dir_and_only_with_a_folder(tmp_path: Path) -> None:
    payload = {"volume_path": str(tmp_path / "a.pdf"), "transport": "local_dir"}
    remote = run_job({**payload, "result_dir": str(tmp_path / "r")})
    assert "served only by a worker on the caller's machine" in remote["error"]
    assert "needs result_dir" in run_job(payload, local=True)["error"]
    assert not (tmp_path / "r").exists()


def test_a_left_folder_holds_minerus_middle_json_and_never_an_unsafe_name(tmp_path: Path) -> None:
    job = JobInput(volume_path="/x.pdf", transport="local_dir", result_dir=str(tmp_path / "result"))
    parsed = ParseResult.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    assert package_result(parsed, job, tmp_path) == {"result_dir": str(tmp_path / "result")}
    assert files_under(tmp_path / "result") == ["middle_json.json"]
    with TemporaryDirectory() as saved:  # MinerU's own save writes the same middle JSON, indented
        parsed.save(FileBasedDataWriter(saved))
        expected = json.loads((Path(saved) / "middle_json.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "result" / "middle_json.json").read_text(encoding="utf-8")) == expected

    files = {"images/a.jpg": b"jpeg", "../escaped.jpg": b"x", "/abs.jpg": b"x", ".hidden": b"x"}
    assert write_safe_files(tmp_path / "other", files) == [
        "../escaped.jpg: unsafe member name",
        ".hidden: unsafe member name",
        "/abs.jpg: unsafe member name",
    ]
    assert files_under(tmp_path) == ["other/images/a.jpg", "result/middle_json.json"]

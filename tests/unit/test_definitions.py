"""The whole graph as a snapshot: assets, partitions, mappings, checks, pools, sensors.

An accidental change of the graph shows up here as a diff.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions, default_resources
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import DocumentRecord, Registry
from platform_assets.domain.plan.batch_plan import (
    Batch,
    BatchPlan,
    BatchReason,
    PlanConfig,
    PlanMethod,
    batch_key,
)
from platform_assets.gpu_pool_sensor import build_gpu_pool_sensor
from resources.object_store import S3ObjectStore
from resources.parse_worker import LocalWorker
from resources.platform_data import data_store_for
from resources.runpod_worker import RunPodWorker
from resources.settings import PlatformSettings

DOC_A = "alpha-0123456789ab"
DOC_B = "beta-ba9876543210"
DOC_C = "gamma-00000000000c"  # registered, not planned yet


def register(registry: Registry, doc_id: str, at: str, batches: int | None) -> None:
    registry.add_document(
        DocumentRecord(
            doc_id=doc_id,
            sha256=doc_id[-12:] * 5 + "abcd",
            filename=f"{doc_id}.pdf",
            size_bytes=1,
            source="test",
            registered_at=at,
        )
    )
    if batches:
        add_plan(registry, doc_id, batches)


def add_plan(registry: Registry, doc_id: str, batches: int) -> None:
    """Register a fixed plan of `batches` batches of 10 pages for `doc_id`."""
    registry.add_plan(
        BatchPlan(
            doc_id=doc_id,
            page_count=batches * 10,
            method=PlanMethod.FIXED,
            config=PlanConfig(),
            batches=[
                Batch(
                    index=i,
                    key=batch_key(doc_id, i),
                    first_page=(i - 1) * 10,
                    last_page=i * 10 - 1,
                    reason=BatchReason.FIXED,
                )
                for i in range(1, batches + 1)
            ],
        )
    )


@pytest.fixture
def defs(tmp_path) -> dg.Definitions:
    paths = PlatformPaths(tmp_path)
    registry = Registry(paths.registry)
    register(registry, DOC_A, "2026-01-01T00:00:00", 2)
    register(registry, DOC_B, "2026-01-02T00:00:00", 3)
    register(registry, DOC_C, "2026-01-03T00:00:00", None)
    return build_definitions(PlatformSettings(paths))


def test_graph_snapshot(defs):
    graph = defs.get_repository_def().asset_graph
    snapshot = {
        key.to_user_string(): {
            "deps": sorted(d.to_user_string() for d in graph.get(key).parent_keys),
            "partitions": type(graph.get(key).partitions_def).__name__
            if graph.get(key).partitions_def
            else None,
            "pool": next(iter(graph.get(key).assets_def.node_def.pools), None),
            "automation": graph.get(key).automation_condition.label
            if graph.get(key).automation_condition
            else None,
            "checks": sorted(c.name for c in graph.get(key).check_keys),
        }
        for key in graph.get_all_asset_keys()
    }
    assert snapshot == {
        "source_pdf": {
            "deps": [],
            "partitions": "StaticPartitionsDefinition",
            "pool": None,
            "automation": "eager",
            "checks": [],
        },
        "batch_plan": {
            "deps": ["source_pdf"],
            "partitions": "StaticPartitionsDefinition",
            "pool": None,
            "automation": "eager",
            "checks": [],
        },
        "parsed_batch": {
            "deps": ["batch_plan"],
            "partitions": "StaticPartitionsDefinition",
            "pool": "runpod_gpu",
            "automation": "eager",
            "checks": [],
        },
        "parsed_document": {
            "deps": ["batch_plan", "parsed_batch"],
            "partitions": "StaticPartitionsDefinition",
            "pool": None,
            "automation": "eager_after_all_batches",
            "checks": ["contiguity"],
        },
        "clause_tree": {
            "deps": ["batch_plan", "parsed_batch", "parsed_document"],
            "partitions": "StaticPartitionsDefinition",
            "pool": None,
            "automation": "eager_on_changed_batches",
            "checks": ["tree_complete"],
        },
        "parse_timings": {
            "deps": ["parsed_batch"],
            "partitions": None,
            "pool": "duckdb_writer",
            "automation": "eager_allowing_missing_batches",
            "checks": [],
        },
        "platform_report": {
            "deps": ["parse_timings"],
            "partitions": None,
            "pool": "duckdb_writer",
            "automation": "eager",
            "checks": [],
        },
        "verification": {
            "deps": ["clause_tree"],
            "partitions": "StaticPartitionsDefinition",
            "pool": None,
            "automation": "eager",
            "checks": ["corrections", "coverage", "degraded", "links", "source_text", "tables", "vocabulary"],
        },
        "verification_tables": {
            "deps": ["verification"],
            "partitions": None,
            "pool": "duckdb_writer",
            "automation": "eager_allowing_missing_documents",
            "checks": [],
        },
    }


def test_partitions_come_from_the_registry_in_registration_order(defs):
    graph = defs.get_repository_def().asset_graph
    documents = graph.get(dg.AssetKey("source_pdf")).partitions_def
    batches = graph.get(dg.AssetKey("parsed_batch")).partitions_def
    assert documents.get_partition_keys() == [DOC_A, DOC_B, DOC_C]
    assert batches.get_partition_keys() == [
        f"{DOC_A}~b001",
        f"{DOC_A}~b002",
        f"{DOC_B}~b001",
        f"{DOC_B}~b002",
        f"{DOC_B}~b003",
    ]


def test_lineage_between_documents_and_batches_is_exact_both_ways(defs):
    graph = defs.get_repository_def().asset_graph
    down = graph.get(dg.AssetKey("parsed_batch"))
    to_batches = down.partition_mappings[dg.AssetKey("batch_plan")]
    assert isinstance(to_batches, dg.StaticPartitionMapping)
    batches_def = down.partitions_def
    docs_def = graph.get(dg.AssetKey("batch_plan")).partitions_def
    result = to_batches.get_downstream_partitions_for_partitions(
        docs_def.subset_with_partition_keys([DOC_B]), docs_def, batches_def
    )
    assert sorted(result.get_partition_keys()) == [f"{DOC_B}~b001", f"{DOC_B}~b002", f"{DOC_B}~b003"]

    to_doc = graph.get(dg.AssetKey("parsed_document")).partition_mappings[dg.AssetKey("parsed_batch")]
    assert isinstance(to_doc, dg.StaticPartitionMapping)
    upstream = to_doc.get_upstream_mapped_partitions_result_for_partitions(
        docs_def.subset_with_partition_keys([DOC_A]), docs_def, batches_def
    )
    assert sorted(upstream.partitions_subset.get_partition_keys()) == [f"{DOC_A}~b001", f"{DOC_A}~b002"]

    tree = graph.get(dg.AssetKey("clause_tree")).partition_mappings[dg.AssetKey("parsed_batch")]
    assert tree == to_doc  # the clause tree reads exactly its own document's batches


def test_every_check_is_partitioned_by_document_like_its_asset(defs):
    graph = defs.get_repository_def().asset_graph
    documents = graph.get(dg.AssetKey("source_pdf")).partitions_def
    checks = graph.asset_check_keys
    assert len(checks) == 9  # contiguity, tree_complete and the seven verification checks
    assert all(
        graph.get(k).partitions_def == graph.get(k.asset_key).partitions_def == documents for k in checks
    ), "a check not partitioned by document shows one result for all documents"


def test_parse_asset_runs_one_batch_per_run_with_retries(defs):
    graph = defs.get_repository_def().asset_graph
    parse = graph.get(dg.AssetKey("parsed_batch")).assets_def
    assert parse.backfill_policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    assert parse.node_def.retry_policy.max_retries >= 1


def test_sensors_are_declared_running(defs):
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {
        "inbox_sensor",
        "registry_reload_sensor",
        "platform_automation",
        "gpu_pool_sensor",
        "batch_resume_sensor",
    }
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    assert isinstance(sensors["platform_automation"], dg.AutomationConditionSensorDefinition)


def test_a_running_schedule_reverifies_every_document_with_a_tree_nightly(defs, tmp_path):
    repository = defs.get_repository_def()
    [schedule] = repository.schedule_defs
    assert schedule.name == "nightly_reverification" and schedule.cron_schedule == "0 3 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job = repository.get_job(schedule.job_name)
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {
        "clause_tree",
        "verification",
    }
    tree = PlatformPaths(tmp_path).trees / DOC_B
    tree.mkdir(parents=True)
    (tree / "manifest.json").write_text("{}")
    moment = datetime(2026, 11, 23, 3, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=moment, repository_def=repository) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert [(r.partition_key, r.run_key) for r in requests] == [(DOC_B, f"2026-11-23:{DOC_B}")]


def test_the_gpu_pool_follows_the_parse_worker_capacity(defs):
    sensor = next(s for s in defs.sensors if s.name == "gpu_pool_sensor")
    with dg.instance_for_test() as instance:
        for capacity in (3, 3, 1):
            context = dg.build_sensor_context(
                instance=instance, resources={"worker": LocalWorker(max_workers=capacity)}
            )
            sensor.evaluate_tick(context)
            info = instance.event_log_storage.get_concurrency_info("runpod_gpu")
            assert (info.slot_count, info.using_default_limit) == (capacity, False)


def test_a_prefetch_lets_that_many_more_parse_runs_wait_in_the_backends_queue():
    sensor = build_gpu_pool_sensor(prefetch=1)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"worker": LocalWorker(max_workers=3)})
        sensor.evaluate_tick(context)
        assert instance.event_log_storage.get_concurrency_info("runpod_gpu").slot_count == 4
    assert PlatformSettings.from_env({"PLATFORM_GPU_PREFETCH": "2"}).gpu_prefetch == 2
    assert PlatformSettings.from_env({"PLATFORM_GPU_PREFETCH": "workers"}).gpu_prefetch == "workers"
    for wrong in ("-1", "auto"):
        with pytest.raises(
            ValueError, match="PLATFORM_GPU_PREFETCH must be a whole number >= 0 or 'workers'"
        ):
            PlatformSettings.from_env({"PLATFORM_GPU_PREFETCH": wrong})


def test_a_prefetch_of_one_per_worker_doubles_the_pool_and_asks_for_the_runs_it_needs():
    sensor = build_gpu_pool_sensor(prefetch="workers")
    queued = {
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"max_concurrent_runs": 6},
        }
    }
    with dg.instance_for_test(overrides=queued) as instance:
        context = dg.build_sensor_context(instance=instance, resources={"worker": LocalWorker(max_workers=3)})
        skip = sensor.evaluate_tick(context).skip_message
        assert instance.event_log_storage.get_concurrency_info("runpod_gpu").slot_count == 6
        assert skip == (
            "runpod_gpu set to 6; concurrency.runs.max_concurrent_runs 6 leaves no room for 6 parse runs"
            " (runpod_gpu) and one downstream of them: raise it to at least 7"
        )
        context = dg.build_sensor_context(instance=instance, resources={"worker": LocalWorker(max_workers=2)})
        assert sensor.evaluate_tick(context).skip_message == "runpod_gpu set to 4"


def test_the_environment_chooses_runpod_and_s3_without_reading_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLATFORM_WORKER", "runpod")
    monkeypatch.setenv("RUNPOD_ENDPOINT_ID", "ep123")
    monkeypatch.setenv("PLATFORM_OBJECT_STORE", "s3")
    monkeypatch.setenv("PLATFORM_S3_BUCKET", "docs")
    monkeypatch.delenv("RUNPOD_RESULT_TRANSPORT", raising=False)
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    resources = default_resources(PlatformSettings.from_env())
    assert isinstance(resources["worker"], RunPodWorker) and resources["worker"].endpoint_id == "ep123"
    assert resources["worker"].transport == "s3"
    assert isinstance(resources["object_store"], S3ObjectStore) and resources["object_store"].bucket == "docs"
    monkeypatch.setenv("PLATFORM_WORKER", "local")
    monkeypatch.setenv("PLATFORM_LOCAL_WORKERS", "3")
    assert default_resources(PlatformSettings.from_env())["worker"].capacity() == 3
    monkeypatch.setenv("PLATFORM_WORKER", "modal")
    with pytest.raises(ValueError, match="PLATFORM_WORKER must be"):
        PlatformSettings.from_env()


def test_the_data_in_a_bucket_reads_its_keys_at_run_time_and_needs_the_pdfs_there_too(monkeypatch, tmp_path):
    env = {"PLATFORM_DATA_DIR": str(tmp_path), "PLATFORM_DATA_STORE": "s3", "PLATFORM_S3_BUCKET": "docs"}
    with pytest.raises(ValueError, match="PLATFORM_DATA_STORE=s3 needs PLATFORM_OBJECT_STORE=s3"):
        PlatformSettings.from_env(env)
    settings = PlatformSettings.from_env(
        {**env, "PLATFORM_OBJECT_STORE": "s3", "PLATFORM_S3_PREFIX": "team/"}
    )
    monkeypatch.delenv("PLATFORM_S3_ACCESS_KEY_ID", raising=False)
    data = default_resources(settings)["data"]
    assert data.bucket is not None and data.bucket.bucket == "docs"
    assert isinstance(data.bucket.access_key_id, dg.EnvVar)  # a name, resolved when a step starts
    monkeypatch.setenv("PLATFORM_S3_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT")
    monkeypatch.setenv("PLATFORM_S3_SECRET_ACCESS_KEY", "secret-from-the-environment")
    store = data_store_for(settings)  # outside a step (partitions, sensors): resolved now
    assert store.prefix == "team/data/" and store.folder is None
    assert store.client._request_signer._credentials.access_key == "AKIAFROMTHEENVIRONMENT"
    with pytest.raises(ValueError, match="PLATFORM_DATA_STORE must be"):
        PlatformSettings.from_env({**env, "PLATFORM_DATA_STORE": "gcs"})


def test_the_settings_defaults_are_the_documented_ones_and_the_resources_share_them(tmp_path):
    settings = PlatformSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path)})
    assert settings == PlatformSettings(PlatformPaths(tmp_path.resolve()))
    assert (settings.worker, settings.object_store, settings.runpod_result_transport) == (
        "local",
        "local",
        "s3",
    )
    assert (settings.batch_target_pages, settings.batch_max_pages, settings.batch_deadline_s) == (
        100,
        200,
        3600,
    )
    assert settings.paths.inbox == tmp_path.resolve() / "inbox"
    resources = default_resources(settings)
    assert resources["data"].paths == settings.paths
    assert RunPodWorker(endpoint_id="e", api_key="k").transport == settings.runpod_result_transport
    assert (resources["planner"].target_pages, resources["parse_settings"].batch_deadline_s) == (100, 3600)
    configs = tmp_path / "configs"
    moved = PlatformSettings.from_env(
        {"PLATFORM_DATA_DIR": str(tmp_path), "PLATFORM_VERIFICATION_CONFIG": str(configs)}
    )
    assert default_resources(moved)["data"].paths.verification_config == configs.resolve()


def test_no_dagster_tool_table_overrides_workspace_yaml():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert not {"dagster", "dg"} & set(pyproject.get("tool", {}))

"""The loaded Definitions against a committed snapshot: assets, partitions, checks, sensors, schedules, jobs,
resources. An intended change of the graph is one `UPDATE_SNAPSHOTS=1` run and a reviewed JSON diff."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from resources.settings import PlatformSettings
from tests.unit.test_definitions import DOC_A, DOC_C, register

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def describe(defs: dg.Definitions) -> dict[str, Any]:
    """What the graph declares, sorted and free of paths, hashes and timestamps."""
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    assets = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        partitions, op = node.partitions_def, node.assets_def.node_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": {
                parent.to_user_string(): type(node.partition_mappings[parent]).__name__
                if parent in node.partition_mappings
                else "default"
                for parent in node.parent_keys
            },
            "partitions": {"kind": type(partitions).__name__, "keys": partitions.get_partition_keys()}
            if partitions
            else None,
            "automation_condition": node.automation_condition.label if node.automation_condition else None,
            "pools": sorted(op.pools),
            "backfill_max_partitions_per_run": node.assets_def.backfill_policy.max_partitions_per_run
            if node.assets_def.backfill_policy
            else None,
            "max_retries": op.retry_policy.max_retries if op.retry_policy else 0,
        }
    checks = [
        {
            "name": key.name,
            "asset": key.asset_key.to_user_string(),
            "partitioned": graph.get(key).partitions_def is not None,
            "blocking": graph.get(key).blocking,
        }
        for key in graph.asset_check_keys
    ]
    sensors = {
        sensor.name: {
            "kind": type(sensor).__name__,
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "default_status": sensor.default_status.value,
            "target": str(sensor.asset_selection)
            if isinstance(sensor, dg.AutomationConditionSensorDefinition)
            else sorted(target.job_name for target in sensor.targets),
        }
        for sensor in repository.sensor_defs
    }
    schedules = {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "default_status": schedule.default_status.value,
            "job": schedule.job_name,
        }
        for schedule in repository.schedule_defs
    }
    jobs = {
        job.name: sorted(key.to_user_string() for key in job.asset_layer.selected_asset_keys)
        for job in repository.get_all_jobs()
    }
    resources = {name: type(resource).__name__ for name, resource in (defs.resources or {}).items()}
    return {
        "assets": assets,
        "asset_checks": sorted(checks, key=lambda check: (check["asset"], check["name"])),
        "sensors": sensors,
        "schedules": schedules,
        "jobs": jobs,
        "resources": resources,
    }


def canonical(description: dict[str, Any]) -> str:
    return json.dumps(description, indent=2, sort_keys=True) + "\n"


def test_the_definitions_match_the_committed_snapshot(tmp_path: Path) -> None:
    registry = Registry(PlatformPaths(tmp_path).registry)
    register(registry, DOC_A, "2026-01-01T00:00:00", 2)
    register(registry, DOC_C, "2026-01-03T00:00:00", None)  # registered, not planned yet
    settings = PlatformSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path)})
    actual = canonical(describe(build_definitions(settings)))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(actual, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.is_file() else ""
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            str(SNAPSHOT.relative_to(REPO)),
            "loaded",
        )
    )
    command = f"UPDATE_SNAPSHOTS=1 .venv/bin/pytest {Path(__file__).resolve().relative_to(REPO)}"
    if diff:
        pytest.fail(
            f"the Definitions differ from {SNAPSHOT.name}; if the change is intended, regenerate it with "
            f"`{command}` and review the diff:\n{diff}",
            pytrace=False,
        )

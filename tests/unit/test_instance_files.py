"""The Postgres instance file (deploy/instance/) is the repository's dagster.yaml with another storage.

Both files are loaded as Dagster loads them: everything but where the instance keeps its records is
equal, SQLite stays the default, and the Postgres connection comes only from the DAGSTER_PG_* environment.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config
from sqlalchemy import create_engine

REPO = Path(__file__).resolve().parents[2]
POSTGRES_HOME = REPO / "deploy" / "instance"
PG_ENV = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")
WHERE_IT_STORES = {"storage", "local_artifact_storage", "compute_logs"}


def _config(home: Path) -> dict[str, Any]:
    config, custom_class = dagster_instance_config(str(home))  # raises on what Dagster's schema refuses
    assert custom_class is None
    return config


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every value of the storage section that is not `{env: NAME}` or a mapping of further values."""
    if isinstance(node, dict) and set(node) != {"env"}:
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, node


def test_the_postgres_instance_differs_from_the_repositorys_only_in_where_it_stores() -> None:
    repo, postgres = _config(REPO), _config(POSTGRES_HOME)
    assert set(repo["storage"]) == {"sqlite"}, "make dev / make demo stay on SQLite"
    assert set(postgres["storage"]) == {"postgres"}
    shared = set(repo) - WHERE_IT_STORES
    assert set(postgres) - WHERE_IT_STORES == shared
    assert {"run_coordinator", "concurrency", "run_retries", "run_monitoring", "telemetry", "nux"} <= shared
    for section in shared:
        assert postgres[section] == repo[section], section


def test_the_postgres_connection_comes_only_from_the_dagster_pg_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage = _config(POSTGRES_HOME)["storage"]["postgres"]
    fields = dict(_leaves(storage))
    assert fields.pop(("postgres_db", "scheme")) == "postgresql+psycopg2"  # a driver, not a secret
    assert all(isinstance(value, dict) for value in fields.values()), f"literal values: {fields}"
    assert {path[-1]: value["env"] for path, value in fields.items()} == {
        "hostname": "DAGSTER_PG_HOST",
        "port": "DAGSTER_PG_PORT",
        "username": "DAGSTER_PG_USER",
        "password": "DAGSTER_PG_PASSWORD",
        "db_name": "DAGSTER_PG_DB",
    }
    values = dict(zip(PG_ENV, ("db.internal", "6543", "platform", "s3cr/t@", "dagster_runs"), strict=True))
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    resolved = process_config(resolve_to_config_type(DagsterPostgresStorage.config_type()), storage)
    assert resolved.success, resolved.errors
    url = pg_url_from_config(resolved.value)
    assert url == "postgresql+psycopg2://platform:s3cr/t%40@db.internal:6543/dagster_runs"
    create_engine(url).dispose()  # imports the URL's driver (connects to nothing): it is installed


def test_the_postgres_instance_keeps_its_local_files_under_its_own_dagster_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(POSTGRES_HOME / "dagster.yaml", home / "dagster.yaml")
    ref = InstanceRef.from_dir(str(home))
    assert ref.storage_data.module_name == "dagster_postgres"
    for data in (ref.local_artifact_storage_data, ref.compute_logs_data):
        assert Path(data.config_dict["base_dir"]).is_relative_to(home), data

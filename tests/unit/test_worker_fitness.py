"""Boot fitness checks and handler settings: each problem is one sentence naming what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpu_image.handler import SettingsError, WorkerSettings
from gpu_image.worker import fitness


@pytest.fixture(autouse=True)
def _no_bucket_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in fitness.BUCKET_ALL:
        monkeypatch.delenv(name, raising=False)


def test_cpu_tiers_are_fit_without_a_gpu_or_bucket_settings() -> None:
    assert fitness.check_gpu_visible("flash") is None and fitness.check_gpu_visible("basic") is None
    assert fitness.check_engine_importable("flash") is None
    assert fitness.check_bucket_settings() is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BUCKET_NAME": "b"}, "incomplete: BUCKET_NAME set but BUCKET_ENDPOINT_URL, BUCKET_ACCESS_KEY_ID"),
        ({"BUCKET_ENDPOINT_URL": "s3.example.com"}, "BUCKET_ENDPOINT_URL must be an http(s) URL"),
        ({"BUCKET_URL_TTL": "604801"}, "BUCKET_URL_TTL must be whole seconds from 1 to 604800"),
        ({"BUCKET_PREFIX": "/parses/"}, "BUCKET_PREFIX must not start with '/'"),
    ],
)
def test_bucket_settings_are_complete_and_well_formed(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete = {
        "BUCKET_ENDPOINT_URL": "https://s3.example.com",
        "BUCKET_NAME": "b",
        "BUCKET_ACCESS_KEY_ID": "k",
        "BUCKET_SECRET_ACCESS_KEY": "s",
    }
    for name, value in ({} if "BUCKET_NAME" in env and len(env) == 1 else complete).items():
        monkeypatch.setenv(name, value)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    problem = fitness.check_bucket_settings()
    assert problem is not None and message in problem


def test_disk_space_below_the_floor_is_reported(tmp_path: Path) -> None:
    assert fitness.check_disk_space(tmp_path, min_free_gb=0) is None
    problem = fitness.check_disk_space(tmp_path, min_free_gb=1e9)
    assert problem is not None and "WORKER_MIN_FREE_DISK_GB" in problem


def test_settings_parse_defaults_and_name_the_bad_variable() -> None:
    settings = WorkerSettings.from_env({"RUNPOD_POD_ID": "pod-1", "MINERU_SKIP_WARMUP": "1"})
    assert settings.tier == "standard" and settings.concurrency == 1 and settings.max_jobs == 0
    assert settings.skip_warmup and settings.worker_id == "pod-1"
    for env, name in [
        ({"WORKER_TIER": "turbo"}, "WORKER_TIER"),
        ({"WORKER_CONCURRENCY": "0"}, "WORKER_CONCURRENCY"),
        ({"WORKER_MAX_RSS_MB": "lots"}, "WORKER_MAX_RSS_MB"),
    ]:
        with pytest.raises(SettingsError, match=name):
            WorkerSettings.from_env(env)

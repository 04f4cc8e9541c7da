"""Every job of the platform executes its steps in its run's process: a process per step would add about
2 s to every run, on the GPU path an idle endpoint worker between two batches (docs/gpu.md)."""

from pathlib import Path

from platform_assets.definitions import build_definitions
from resources.settings import PlatformSettings


def test_every_job_runs_its_steps_in_the_run_process(tmp_path: Path) -> None:
    settings = PlatformSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path)})
    jobs = build_definitions(settings).get_repository_def().get_all_jobs()
    executors = {job.name: job.executor_def.name for job in jobs}
    assert "__ASSET_JOB" in executors
    assert executors == dict.fromkeys(executors, "in_process")

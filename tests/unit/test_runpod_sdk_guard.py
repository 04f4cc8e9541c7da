"""Pins the runpod SDK internals that `gpu_image/handler.py` composes, so an SDK upgrade fails here, not live.

The handler runs JobScaler's three loops itself (one asyncio loop with the warmup, a drain that cancels
the job-take long poll), so it depends on more than the public `runpod.serverless.start`.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
import runpod
from runpod.http_client import AsyncClientSession
from runpod.serverless.modules import rp_fitness, rp_http, rp_job, rp_ping, rp_scale, worker_state

from gpu_image import handler as gpu_handler

SDK_ROOT = Path(runpod.__file__).parent


def test_the_sdk_is_the_pinned_version() -> None:
    # Upgrading: re-read rp_scale.JobScaler.run/get_jobs/run_jobs and rp_job.run_job, then bump this.
    assert runpod.__version__ == "1.10.0"


def test_jobscaler_reads_the_config_keys_the_handler_passes() -> None:
    assert list(inspect.signature(rp_scale.JobScaler.__init__).parameters) == ["self", "config"]
    source = inspect.getsource(rp_scale.JobScaler.__init__)
    assert 'config.get("concurrency_modifier")' in source
    run_job_source = inspect.getsource(rp_job.handle_job) + inspect.getsource(rp_job.run_job)
    assert 'config["handler"]' in run_job_source


def test_jobscaler_has_the_loops_and_controls_the_handler_composes() -> None:
    for name in ("get_jobs", "run_jobs", "monitor_stop_signals"):
        method = getattr(rp_scale.JobScaler, name)
        assert inspect.iscoroutinefunction(method), name
        assert list(inspect.signature(method).parameters) == ["self", "session"], name
    for name in ("kill_worker", "is_alive", "current_occupancy"):
        assert callable(getattr(rp_scale.JobScaler, name)), name
    # JobScaler.run() is exactly these three loops in one AsyncClientSession (what serve_jobs mirrors).
    run_source = inspect.getsource(rp_scale.JobScaler.run)
    assert "AsyncClientSession()" in run_source
    for loop in ("self.get_jobs(session)", "self.run_jobs(session)", "self.monitor_stop_signals(session)"):
        assert loop in run_source, loop
    assert callable(AsyncClientSession)


def test_kill_worker_stops_taking_and_run_jobs_drains_jobs_already_taken() -> None:
    run_jobs = inspect.getsource(rp_scale.JobScaler.run_jobs)
    assert "while self.is_alive() or not self.jobs_queue.empty()" in run_jobs
    assert "asyncio.gather(*tasks" in run_jobs  # in-flight jobs are awaited after the loop ends
    assert "while self.is_alive()" in inspect.getsource(rp_scale.JobScaler.get_jobs)

    async def kill() -> bool:
        scaler = rp_scale.JobScaler({"handler": lambda job: job})
        assert scaler.is_alive()
        scaler.kill_worker()
        return scaler.is_alive()

    assert asyncio.run(kill()) is False


def test_concurrency_modifier_is_consulted_with_the_current_concurrency() -> None:
    calls: list[int] = []

    def modifier(current: int) -> int:
        calls.append(current)
        return 3

    async def scale() -> int:
        scaler = rp_scale.JobScaler({"handler": lambda job: job, "concurrency_modifier": modifier})
        await scaler.set_scale()
        return scaler.jobs_queue.maxsize

    assert asyncio.run(scale()) == 3 and calls == [1]


@pytest.mark.parametrize(
    ("handler_output", "posted"),
    [
        ({"ok": True, "refresh_worker": True}, {"output": {"ok": True}, "stopPod": True}),
        (
            {"error": "PageRangeError: x", "refresh_worker": True},
            {"error": "PageRangeError: x", "stopPod": True},
        ),
        ({"error": "FetchError: y"}, {"error": "FetchError: y"}),
        ({"ok": True}, {"output": {"ok": True}}),
    ],
)
def test_run_job_maps_error_and_refresh_worker_as_the_handler_expects(
    handler_output: dict[str, object], posted: dict[str, object]
) -> None:
    async def handler(job: dict[str, object]) -> dict[str, object]:
        return dict(handler_output)

    assert asyncio.run(rp_job.run_job(handler, {"id": "j1", "input": {}})) == posted


def test_an_async_handler_is_awaited_not_streamed() -> None:
    from runpod.serverless.modules.rp_handler import is_generator

    runtime = gpu_handler.WorkerRuntime.__new__(gpu_handler.WorkerRuntime)
    assert not is_generator(runtime.handler)
    assert "inspect.isawaitable(handler_return)" in inspect.getsource(rp_job.run_job)


def test_worker_environment_variables_the_deployment_relies_on() -> None:
    sources = {
        "RUNPOD_WEBHOOK_GET_JOB": inspect.getsource(rp_job) + inspect.getsource(worker_state),
        "RUNPOD_WEBHOOK_POST_OUTPUT": inspect.getsource(rp_http),
        "RUNPOD_WEBHOOK_PING": inspect.getsource(rp_ping),
        "RUNPOD_PING_INTERVAL": inspect.getsource(rp_ping),
        "RUNPOD_POD_ID": inspect.getsource(worker_state),
        "RUNPOD_AI_API_KEY": inspect.getsource(rp_ping),
    }
    for name, source in sources.items():
        assert f'"{name}"' in source, name
    assert '"/job-take/"' in inspect.getsource(rp_job._job_stop_url)
    assert "RUNPOD_SKIP_AUTO_SYSTEM_CHECKS" in inspect.getsource(rp_fitness)
    # on_runpod() uses the SDK's own test for "deployed": a job-take URL is configured.
    assert 'os.environ.get("RUNPOD_WEBHOOK_GET_JOB", None) is None' in inspect.getsource(worker_state)


def test_heartbeat_forks_a_ping_process_so_it_starts_before_the_loop_signal_handlers() -> None:
    start_ping = inspect.getsource(rp_ping.Heartbeat.start_ping)
    assert "Process(target=Heartbeat.process_loop" in start_ping
    assert (
        'os.environ.get("RUNPOD_AI_API_KEY")' in start_ping
        and 'os.environ.get("RUNPOD_POD_ID")' in start_ping
    )


def test_sdk_fitness_checks_are_an_awaitable_run_on_our_loop() -> None:
    assert inspect.iscoroutinefunction(rp_fitness.run_fitness_checks)
    assert list(inspect.signature(rp_fitness.run_fitness_checks).parameters) == []


def test_the_job_progress_file_lives_in_the_working_directory() -> None:
    # The Dockerfile's WORKDIR must be writable by the worker user for this file.
    assert "os.getcwd()" in inspect.getsource(worker_state.JobsProgress)
    assert (SDK_ROOT / "serverless" / "modules" / "worker_state.py").is_file()

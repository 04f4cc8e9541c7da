"""The code location `bench_runpod_makespan.py --through-dagster` serves to its daemon: the platform's own
definitions with the parse worker pointed at the emulated RunPod endpoint (`BENCH_RUNPOD_URL`)."""

import os

import dagster as dg

from platform_assets.definitions import build_definitions, default_resources
from resources.runpod_worker import RunPodWorker
from resources.settings import PlatformSettings

settings = PlatformSettings.from_env()
root_url = os.environ["BENCH_RUNPOD_URL"]
worker = RunPodWorker(
    endpoint_id=settings.runpod_endpoint_id,
    api_key=dg.EnvVar("RUNPOD_API_KEY"),
    base_url=f"{root_url}/v2",
    rest_url=f"{root_url}/v1",
    tier="flash",
    result_transport="tarball_b64",
)
defs = build_definitions(settings, {**default_resources(settings), "worker": worker})

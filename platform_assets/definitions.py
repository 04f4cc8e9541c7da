"""Assembles the platform: partitions from the registry, assets, checks, sensors and resources.

Loaded by `workspace.yaml` with the settings read once from the environment; `build_definitions(settings)`
lets tests and the CLI build the same graph over other settings (another data folder).
"""

from __future__ import annotations

import gc
import warnings

import dagster as dg

from platform_assets.batch_plan import build_batch_plan
from platform_assets.batch_resume_sensor import build_resume_sensor
from platform_assets.clause_tree import build_clause_tree_asset
from platform_assets.domain.intake.registry import Registry
from platform_assets.gpu_pool_sensor import build_gpu_pool_sensor
from platform_assets.parse_timings import build_parse_timings
from platform_assets.parsed_batch import build_parsed_batch
from platform_assets.parsed_document import build_parsed_document
from platform_assets.partitions import build_partition_scheme
from platform_assets.platform_report import build_platform_report
from platform_assets.sensors import build_automation_sensor, build_inbox_sensor, build_registry_sensor
from platform_assets.source_pdf import build_source_pdf
from platform_assets.verification import (
    build_nightly_reverification,
    build_verification,
    build_verification_tables,
)
from resources.object_store import LocalObjectStore, ObjectStore, bucket_for
from resources.parse_worker import LocalWorker, ParseWorker
from resources.platform_data import CostSettings, ParseSettings, PlannerSettings, PlatformData, data_store_for
from resources.settings import PlatformSettings

# Pools on assets, backfill policies and partitioned checks are marked beta/preview in 1.13; we rely
# on them deliberately (docs/design.md §1), so their warnings would only bury real messages in run logs.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)


def parse_worker_for(settings: PlatformSettings) -> ParseWorker:
    """The RunPod endpoint (its key `RUNPOD_API_KEY` read at run time) or the embedded LocalWorker."""
    if settings.worker == "local":
        return LocalWorker(
            tier=settings.local_tier,
            max_workers=settings.local_workers,
            result_transport=settings.local_transport,
            handoff_dir=str(settings.paths.root / "handoff"),  # the data folder's filesystem: a rename
        )
    from resources.runpod_worker import RunPodWorker  # httpx: not loaded on the embedded default

    return RunPodWorker(
        endpoint_id=settings.runpod_endpoint_id,
        api_key=dg.EnvVar("RUNPOD_API_KEY"),
        result_transport=settings.runpod_result_transport,
    )


def object_store_for(settings: PlatformSettings) -> ObjectStore:
    """An S3/R2 bucket (keys `PLATFORM_S3_ACCESS_KEY_ID`/`_SECRET_ACCESS_KEY` read at run time), or
    files under the data folder."""
    if settings.object_store == "local":
        return LocalObjectStore(root=str(settings.paths.objects))
    return bucket_for(settings)


def default_resources(settings: PlatformSettings) -> dict[str, dg.ConfigurableResource]:
    """The embedded default (local object store, MinerU flash on this CPU) unless the settings name
    RunPod and S3/R2."""
    return {
        "data": PlatformData.at(
            settings.paths, bucket_for(settings) if settings.data_store == "s3" else None
        ),
        "object_store": object_store_for(settings),
        "worker": parse_worker_for(settings),
        "planner": PlannerSettings(
            target_pages=settings.batch_target_pages, max_pages=settings.batch_max_pages
        ),
        "parse_settings": ParseSettings(batch_deadline_s=settings.batch_deadline_s),
        "cost_settings": CostSettings(),
    }


def build_definitions(settings: PlatformSettings, resources: dict | None = None) -> dg.Definitions:
    paths = settings.paths
    scheme = build_partition_scheme(Registry(data_store_for(settings)))
    source_pdf = build_source_pdf(scheme)
    batch_plan = build_batch_plan(scheme, source_pdf)
    parsed_batch = build_parsed_batch(scheme, batch_plan)
    parse_timings = build_parse_timings(parsed_batch)
    platform_report = build_platform_report(parse_timings)
    parsed_document = build_parsed_document(scheme, batch_plan, parsed_batch)
    clause_tree = build_clause_tree_asset(scheme, batch_plan, parsed_batch, parsed_document)
    verification = build_verification(scheme, clause_tree)
    verification_tables = build_verification_tables(verification)
    nightly = build_nightly_reverification(
        scheme, clause_tree, verification, lambda: data_store_for(settings)
    )
    return dg.Definitions(
        assets=[
            source_pdf,
            batch_plan,
            parsed_batch,
            parsed_document,
            clause_tree,
            verification,
            parse_timings,
            platform_report,
            verification_tables,
        ],
        schedules=[nightly],
        sensors=[
            build_inbox_sensor(paths, lambda: data_store_for(settings)),
            build_registry_sensor(lambda: data_store_for(settings), scheme, settings.webserver_url),
            build_automation_sensor(),
            build_gpu_pool_sensor(settings.gpu_prefetch),
            build_resume_sensor(scheme, parsed_batch),
        ],
        resources=resources or default_resources(settings),
        # Steps run in their run's process: a process per step costs ~2 s a run (a GPU worker idle
        # between two batches, docs/gpu.md); terminating a run still interrupts its step, which cancels
        # its parse job.
        executor=dg.in_process_executor,
    )


defs = build_definitions(PlatformSettings.from_env())
# What the code location has loaded lives as long as the process: frozen, it is out of every later
# collection's scan, so a step's own allocations (the OTel SDK's, a parse's) no longer set off full
# collections over Dagster's whole heap.
gc.freeze()

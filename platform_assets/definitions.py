"""Assembles the platform: partitions from the registry, assets, checks, sensors and resources.

Loaded by `workspace.yaml`; `build_definitions(paths)` lets tests and the CLI build the same graph
over another data folder.
"""

from __future__ import annotations

import os
import warnings

import dagster as dg

from platform_assets.assembly import build_parsed_document
from platform_assets.documents import build_source_pdf
from platform_assets.domain.registry import Registry
from platform_assets.parsing import build_parsed_batch
from platform_assets.partitions import build_partition_scheme
from platform_assets.planning import build_batch_plan
from platform_assets.pools import build_gpu_pool_sensor
from platform_assets.report import build_platform_report
from platform_assets.resume import build_resume_sensor
from platform_assets.sensors import build_automation_sensor, build_inbox_sensor, build_registry_sensor
from platform_assets.settings import PlatformPaths, platform_paths
from platform_assets.timings import build_parse_timings
from platform_assets.trees import build_clause_tree_asset
from platform_assets.verification import (
    build_nightly_reverification,
    build_verification,
    build_verification_tables,
)
from resources.object_store import LocalObjectStore, ObjectStore, S3ObjectStore
from resources.parse_worker import LocalWorker, ParseWorker
from resources.platform_data import CostSettings, ParseSettings, PlannerSettings, PlatformData
from resources.runpod_worker import RunPodWorker

# Pools on assets, backfill policies and partitioned checks are marked beta/preview in 1.13; we rely
# on them deliberately (DESIGN.md 1), so their warnings would only bury real messages in run logs.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)


def parse_worker_from_env() -> ParseWorker:
    """`PLATFORM_WORKER=runpod`: the RunPod endpoint `RUNPOD_ENDPOINT_ID` (key `RUNPOD_API_KEY`, read at
    run time); otherwise the embedded LocalWorker (MinerU `PLATFORM_LOCAL_TIER` on this CPU, in
    `PLATFORM_LOCAL_WORKERS` warm processes)."""
    kind = os.environ.get("PLATFORM_WORKER", "local")
    if kind == "local":
        return LocalWorker(
            tier=os.environ.get("PLATFORM_LOCAL_TIER", "flash"),
            max_workers=int(os.environ.get("PLATFORM_LOCAL_WORKERS", "1")),
        )
    if kind != "runpod":
        raise ValueError(f"PLATFORM_WORKER must be 'local' or 'runpod', not {kind!r}")
    return RunPodWorker(
        endpoint_id=os.environ.get("RUNPOD_ENDPOINT_ID", ""),
        api_key=dg.EnvVar("RUNPOD_API_KEY"),
        result_transport=os.environ.get("RUNPOD_RESULT_TRANSPORT", "s3"),
    )


def object_store_from_env(paths: PlatformPaths) -> ObjectStore:
    """`PLATFORM_OBJECT_STORE=s3`: bucket `PLATFORM_S3_BUCKET` (S3 or R2 via `PLATFORM_S3_ENDPOINT_URL`,
    keys `PLATFORM_S3_ACCESS_KEY_ID`/`PLATFORM_S3_SECRET_ACCESS_KEY` read at run time); else local files."""
    kind = os.environ.get("PLATFORM_OBJECT_STORE", "local")
    if kind == "local":
        return LocalObjectStore(root=str(paths.objects))
    if kind != "s3":
        raise ValueError(f"PLATFORM_OBJECT_STORE must be 'local' or 's3', not {kind!r}")
    return S3ObjectStore(
        bucket=os.environ.get("PLATFORM_S3_BUCKET", ""),
        prefix=os.environ.get("PLATFORM_S3_PREFIX", ""),
        endpoint_url=os.environ.get("PLATFORM_S3_ENDPOINT_URL") or None,
        region=os.environ.get("PLATFORM_S3_REGION") or None,
        access_key_id=dg.EnvVar("PLATFORM_S3_ACCESS_KEY_ID"),
        secret_access_key=dg.EnvVar("PLATFORM_S3_SECRET_ACCESS_KEY"),
    )


def default_resources(paths: PlatformPaths) -> dict[str, dg.ConfigurableResource]:
    """The embedded default (local object store, MinerU flash on this CPU) unless the environment
    names RunPod and S3/R2; sizes from the environment."""
    return {
        "data": PlatformData(root=str(paths.root)),
        "object_store": object_store_from_env(paths),
        "worker": parse_worker_from_env(),
        "planner": PlannerSettings(
            target_pages=int(os.environ.get("PLATFORM_BATCH_TARGET_PAGES", "100")),
            max_pages=int(os.environ.get("PLATFORM_BATCH_MAX_PAGES", "200")),
        ),
        "parse_settings": ParseSettings(
            batch_deadline_s=float(os.environ.get("PLATFORM_BATCH_DEADLINE_S", "3600"))
        ),
        "cost_settings": CostSettings(),
    }


def build_definitions(paths: PlatformPaths, resources: dict | None = None) -> dg.Definitions:
    scheme = build_partition_scheme(Registry(paths.registry))
    source_pdf = build_source_pdf(scheme)
    batch_plan = build_batch_plan(scheme, source_pdf)
    parsed_batch = build_parsed_batch(scheme, batch_plan)
    parse_timings = build_parse_timings(parsed_batch)
    platform_report = build_platform_report(parse_timings)
    parsed_document = build_parsed_document(scheme, batch_plan, parsed_batch)
    clause_tree = build_clause_tree_asset(scheme, batch_plan, parsed_batch, parsed_document)
    verification = build_verification(scheme, clause_tree)
    verification_tables = build_verification_tables(verification)
    nightly = build_nightly_reverification(scheme, clause_tree, verification, paths)
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
            build_inbox_sensor(paths),
            build_registry_sensor(paths, scheme),
            build_automation_sensor(),
            build_gpu_pool_sensor(),
            build_resume_sensor(scheme, parsed_batch),
        ],
        resources=resources or default_resources(paths),
    )


defs = build_definitions(platform_paths())

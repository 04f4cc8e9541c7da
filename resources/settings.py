"""The platform's settings: every environment variable it reads, read once into one typed, frozen object.

Definitions and the CLI call `PlatformSettings.from_env()` once and hand the object down; the resources
take their defaults from the class. Secrets are not part of it: resources read them at run time through
`dg.EnvVar`, and `pdf_password()` reads the PDF password where it is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Literal, get_args

from platform_assets.domain.common.platform_paths import PlatformPaths

MINERU_VERSION = version("mineru")
"""The MinerU this project pins in pyproject.toml; the GPU image pins the same (test_gpu_image_files)."""

WorkerKind = Literal["local", "runpod"]
ObjectStoreKind = Literal["local", "s3"]
DataStoreKind = Literal["local", "s3"]
ResultTransport = Literal["tarball_b64", "s3"]
LocalTransport = Literal["local_dir", "tarball_b64"]


@dataclass(frozen=True)
class PlatformSettings:
    """What the environment configures (docs/operations.md, "Configuration"), with the documented defaults."""

    paths: PlatformPaths
    """`PLATFORM_DATA_DIR` (default `.data`), `PLATFORM_INBOX`, `PLATFORM_VERIFICATION_CONFIG`."""
    worker: WorkerKind = "local"
    """`PLATFORM_WORKER`: the embedded LocalWorker, or a RunPod endpoint."""
    local_tier: str = "flash"
    """`PLATFORM_LOCAL_TIER`: the LocalWorker's MinerU tier (others need model weights)."""
    local_workers: int = 1
    """`PLATFORM_LOCAL_WORKERS`: warm LocalWorker processes."""
    local_transport: LocalTransport = "local_dir"
    """`PLATFORM_LOCAL_TRANSPORT`: result folders adopted by rename, or `tarball_b64` archives (a LocalWorker
    on another machine sharing only the spool)."""
    runpod_endpoint_id: str = ""
    """`RUNPOD_ENDPOINT_ID` (its key, `RUNPOD_API_KEY`, is read at run time)."""
    runpod_result_transport: ResultTransport = "s3"
    """`RUNPOD_RESULT_TRANSPORT`: `s3` (presigned URL, any size) or `tarball_b64` (~20 MB response cap)."""
    gpu_prefetch: int | Literal["workers"] = 0
    """`PLATFORM_GPU_PREFETCH`: parse runs allowed beyond the worker's capacity (`runpod_gpu` = workersMax
    + N): their jobs wait in RunPod's own queue, so a freed GPU worker starts the next batch at once, not
    after a Dagster run launch. `workers`: one per worker (N = the capacity), so no worker waits for one."""
    read_ahead: int = 1
    """`PLATFORM_READ_AHEAD`: batches `ingest --wait` queues on the LocalWorker ahead of their runs, so the
    worker parses the next batch while Dagster finishes the last one's run and starts the next (0: none)."""
    object_store: ObjectStoreKind = "local"
    """`PLATFORM_OBJECT_STORE`: files under the data folder, or an S3/R2 bucket."""
    data_store: DataStoreKind = "local"
    """`PLATFORM_DATA_STORE`: the platform's data (registry, batches, trees, records, warehouse) in the data
    folder, or in the S3/R2 bucket under `<PLATFORM_S3_PREFIX>data/` with each step in an empty folder of
    its own (`PLATFORM_DATA_DIR` then only holds those steps' scratch folders)."""
    s3_bucket: str = ""
    """`PLATFORM_S3_BUCKET` (keys `PLATFORM_S3_ACCESS_KEY_ID`/`_SECRET_ACCESS_KEY`, read at run time)."""
    s3_prefix: str = ""
    """`PLATFORM_S3_PREFIX`."""
    s3_endpoint_url: str | None = None
    """`PLATFORM_S3_ENDPOINT_URL` (R2: `https://<account>.r2.cloudflarestorage.com`); None: AWS S3."""
    s3_region: str | None = None
    """`PLATFORM_S3_REGION`."""
    batch_target_pages: int = 100
    """`PLATFORM_BATCH_TARGET_PAGES`: planner target (docs/design.md §3)."""
    batch_max_pages: int = 200
    """`PLATFORM_BATCH_MAX_PAGES`: planner maximum."""
    batch_deadline_s: float = 3600.0
    """`PLATFORM_BATCH_DEADLINE_S`: total time for one batch across retries."""
    webserver_url: str = "http://127.0.0.1:3000"
    """`DAGSTER_WEBSERVER_URL`: the webserver the reload sensor asks (`make dev` sets it)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PlatformSettings:
        """Read every setting; an unknown worker, store or transport raises ValueError, and so does the
        data in a bucket with the PDFs on local disk (a step on another machine could not read them)."""
        root = Path(environ.get("PLATFORM_DATA_DIR", ".data")).resolve()
        inbox, configs = environ.get("PLATFORM_INBOX"), environ.get("PLATFORM_VERIFICATION_CONFIG")
        settings = cls(
            paths=PlatformPaths(
                root,
                inbox_folder=Path(inbox).resolve() if inbox else None,
                verification_config_folder=Path(configs).resolve() if configs else None,
            ),
            worker=_choice(environ, "PLATFORM_WORKER", cls.worker, WorkerKind),
            local_tier=environ.get("PLATFORM_LOCAL_TIER", cls.local_tier),
            local_workers=int(environ.get("PLATFORM_LOCAL_WORKERS", cls.local_workers)),
            local_transport=_choice(environ, "PLATFORM_LOCAL_TRANSPORT", cls.local_transport, LocalTransport),
            runpod_endpoint_id=environ.get("RUNPOD_ENDPOINT_ID", cls.runpod_endpoint_id),
            runpod_result_transport=_choice(
                environ, "RUNPOD_RESULT_TRANSPORT", cls.runpod_result_transport, ResultTransport
            ),
            gpu_prefetch=_prefetch(environ.get("PLATFORM_GPU_PREFETCH", str(cls.gpu_prefetch))),
            read_ahead=_count(environ, "PLATFORM_READ_AHEAD", cls.read_ahead),
            object_store=_choice(environ, "PLATFORM_OBJECT_STORE", cls.object_store, ObjectStoreKind),
            data_store=_choice(environ, "PLATFORM_DATA_STORE", cls.data_store, DataStoreKind),
            s3_bucket=environ.get("PLATFORM_S3_BUCKET", cls.s3_bucket),
            s3_prefix=environ.get("PLATFORM_S3_PREFIX", cls.s3_prefix),
            s3_endpoint_url=environ.get("PLATFORM_S3_ENDPOINT_URL") or None,
            s3_region=environ.get("PLATFORM_S3_REGION") or None,
            batch_target_pages=int(environ.get("PLATFORM_BATCH_TARGET_PAGES", cls.batch_target_pages)),
            batch_max_pages=int(environ.get("PLATFORM_BATCH_MAX_PAGES", cls.batch_max_pages)),
            batch_deadline_s=float(environ.get("PLATFORM_BATCH_DEADLINE_S", cls.batch_deadline_s)),
            webserver_url=environ.get("DAGSTER_WEBSERVER_URL", cls.webserver_url),
        )
        if settings.data_store == "s3" and settings.object_store != "s3":
            raise ValueError(
                "PLATFORM_DATA_STORE=s3 needs PLATFORM_OBJECT_STORE=s3 (the PDFs in the bucket too)"
            )
        return settings


def pdf_password(environ: Mapping[str, str] = os.environ) -> str | None:
    """`PLATFORM_PDF_PASSWORD`, read where it is used (a secret: kept out of the settings object)."""
    return environ.get("PLATFORM_PDF_PASSWORD") or None


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, str(default))
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return int(value)


def _prefetch(value: str) -> int | Literal["workers"]:
    if value == "workers" or value.isdigit():
        return "workers" if value == "workers" else int(value)
    raise ValueError(f"PLATFORM_GPU_PREFETCH must be a whole number >= 0 or 'workers', not {value!r}")


def _choice(environ: Mapping[str, str], name: str, default: str, choices: object) -> str:
    value = environ.get(name, default)
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be {' or '.join(map(repr, allowed))}, not {value!r}")
    return value

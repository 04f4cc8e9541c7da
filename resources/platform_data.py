"""The platform's data as a resource: registry, landing copies, batch outputs, trees, records.

With `PLATFORM_DATA_STORE=local` (the default) the data folder is the store and every step works in it.
With `s3` the data lives in the bucket under `<PLATFORM_S3_PREFIX>data/`; each step works in a fresh
empty folder of its own, pulls what it reads and pushes what it writes (docs/storage.md).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field, PrivateAttr

from platform_assets.domain.common.atomic import write_bytes_atomic
from platform_assets.domain.common.data_store import DataStore, FolderStore, pull, pull_file, push
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import landing_key
from platform_assets.domain.intake.registry import DocumentRecord, Registry
from platform_assets.domain.observe.cost_model import (
    DEFAULT_COLD_START_USD,
    DEFAULT_GPU,
    DEFAULT_GPU_HOURLY_USD,
    CostModel,
)
from platform_assets.domain.parse.batch_store import batch_files
from platform_assets.domain.pdf.pdf_facts import PdfFacts
from platform_assets.domain.plan.batch_plan import BatchPlan, PlanConfig
from platform_assets.domain.tree.clause_tree import MANIFEST as TREE_MANIFEST
from platform_assets.domain.verify.corrections import CorrectionsError
from platform_assets.domain.verify.verification_config import (
    VerificationConfig,
    find_config,
    load_verification_config,
)
from platform_assets.domain.verify.vocabulary import VocabularyError
from platform_assets.edges.warehouse import publish_snapshot
from resources.object_store import S3ObjectStore, bucket_for
from resources.settings import PlatformSettings

DATA_PREFIX = "data/"
"""Where the platform's data lives in the bucket, under `PLATFORM_S3_PREFIX` (beside `pdfs/`)."""
WAREHOUSE = "warehouse.duckdb"
WAREHOUSE_SNAPSHOT = "warehouse-snapshot.duckdb"
TREE_VERSIONS = "tree-versions"
"""S3 backend: `tree-versions/<doc>/<version>/...` holds each published tree; `trees/<doc>.json` names
the current one (a tree is switched by one PUT of that pointer, never seen half-written)."""


class PlatformData(dg.ConfigurableResource):
    """Where the registry and every file the assets write live (`PLATFORM_DATA_DIR`, or an S3/R2 bucket)."""

    root: str = Field(description="absolute path of the data folder (with a bucket: steps work under it)")
    verification_config: str | None = Field(
        default=None,
        description="folder of per-document verification configs (`PLATFORM_VERIFICATION_CONFIG`); "
        "None: `verification-config` in the data",
    )
    bucket: S3ObjectStore | None = Field(
        default=None, description="`PLATFORM_DATA_STORE=s3`: the bucket with the data; None: the folder"
    )

    _workspace: Path | None = PrivateAttr(default=None)

    @classmethod
    def at(cls, paths: PlatformPaths, bucket: S3ObjectStore | None = None) -> PlatformData:
        folder = paths.verification_config_folder
        return cls(root=str(paths.root), verification_config=str(folder) if folder else None, bucket=bucket)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """With a bucket, each step gets a fresh empty working folder: nothing passes through local disk."""
        if self.bucket is not None:
            Path(self.root).mkdir(parents=True, exist_ok=True)
            self._workspace = Path(tempfile.mkdtemp(prefix="step-", dir=self.root))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._workspace is not None:
            shutil.rmtree(self._workspace, ignore_errors=True)
            self._workspace = None

    @property
    def paths(self) -> PlatformPaths:
        folder = self.verification_config
        return PlatformPaths(
            self._workspace or Path(self.root), verification_config_folder=Path(folder) if folder else None
        )

    @property
    def store(self) -> DataStore:
        return data_store(Path(self.root), self.bucket)

    @property
    def registry(self) -> Registry:
        return Registry(self.store)

    def pull(self, prefix: str) -> None:
        """Bring the data under `prefix` into this step's folder (a no-op on the data folder itself)."""
        pull(self.store, self.paths.root, prefix)

    def push(self, prefix: str) -> None:
        """Publish what this step wrote under `prefix` (a no-op on the data folder itself)."""
        push(self.store, self.paths.root, prefix)

    def pull_batches(self, doc_id: str, *, blocks: bool = True, images: bool = False) -> None:
        """Bring what a step reads of the document's parsed batches into its folder (`batch_files`)."""
        keep = batch_files(blocks=blocks, images=images)
        pull(self.store, self.paths.root, f"batches/{doc_id}/", keep=keep)

    def pull_timings(self, doc_id: str) -> None:
        """Bring the document's timing records (its own phases and its batches' attempts)."""
        prefix = f"timings/{doc_id}"  # then `/` (phases) or `~bNNN/` (batch attempts)
        pull(self.store, self.paths.root, prefix, keep=lambda key: key[len(prefix)] in "/~")

    def push_file(self, path: Path) -> None:
        """Publish one file this step wrote in its folder."""
        self.push(path.relative_to(self.paths.root).as_posix())

    @contextlib.contextmanager
    def updating_warehouse(self) -> Iterator[Path]:
        """The DuckDB file to update (with a bucket, this step's copy of the published one); when the body
        returns, the readers' snapshot is republished (one writer at a time: the `duckdb_writer` pool)."""
        self.pull(WAREHOUSE)
        yield self.paths.warehouse
        publish_snapshot(self.paths.warehouse, self.paths.warehouse_snapshot)
        self.push(WAREHOUSE)
        self.push(WAREHOUSE_SNAPSHOT)

    def warehouse_snapshot(self) -> Path:
        """The readers' copy of the DuckDB file, as its last load published it (no writer's lock)."""
        self.pull(WAREHOUSE_SNAPSHOT)
        return self.paths.warehouse_snapshot

    def landing_pdf(self, record: DocumentRecord) -> Path:
        """The document's landing copy as a local file; a missing one fails the run (no retry)."""
        key = landing_key(record.sha256)
        try:
            return pull_file(self.store, self.paths.root, key)
        except FileNotFoundError:
            message = f"landing copy of {record.doc_id} is missing: {key}"
            raise dg.Failure(message, allow_retries=False) from None

    def publish_tree(self, doc_id: str) -> None:
        """Make the tree written to `trees/<doc_id>` the one every step reads (bucket: new version, then
        the pointer; the data folder's tree was already swapped in atomically)."""
        store = self.store
        if store.folder is not None:
            return
        version = f"{TREE_VERSIONS}/{doc_id}/{uuid.uuid4().hex}"
        push(store, self.paths.root, f"trees/{doc_id}/", to=f"{version}/")
        store.put(f"trees/{doc_id}.json", json.dumps({"version": version}).encode())

    def pull_tree(self, doc_id: str) -> bool:
        """Bring the document's current tree into `trees/<doc_id>`; False when it has none yet."""
        return pull_tree(self.store, self.paths.root, doc_id)

    def registered_plan(self, doc_id: str) -> BatchPlan:
        """`doc_id`'s plan; without one the run fails for good (a retry cannot register it)."""
        plan = self.registry.plan(doc_id)
        if plan is None:
            raise dg.Failure(f"{doc_id} has no registered plan", allow_retries=False)
        return plan

    def facts(self, doc_id: str) -> PdfFacts:
        """The document's PDF facts, as `source_pdf` read them once (`documents/<doc>/facts.json`)."""
        path = pull_file(self.store, self.paths.root, f"documents/{doc_id}/facts.json")
        return PdfFacts.model_validate_json(path.read_bytes())

    def write(self, key: str, data: bytes) -> Path:
        """Write `key` in this step's folder and publish it; returns the local file."""
        path = self.paths.root / key
        write_bytes_atomic(path, data)
        self.push(key)
        return path

    def document_config(self, doc_id: str, filename: str) -> VerificationConfig | None:
        """The document's verification config, if it has one; a broken one fails the run (no retry)."""
        if self.verification_config is None:
            self.pull("verification-config/")
        path = find_config(self.paths.verification_config, doc_id, filename)
        if path is None:
            return None
        try:
            return load_verification_config(path)
        except (CorrectionsError, VocabularyError) as error:
            raise dg.Failure(f"verification config: {error}", allow_retries=False) from None

    def document_dir(self, doc_id: str) -> Path:
        return self.paths.root / "documents" / doc_id


def pull_tree(store: DataStore, root: Path, doc_id: str) -> bool:
    """Copy the document's current tree into `root/trees/<doc_id>` (no copy when `root` is the store's
    folder); False when it has none yet."""
    if store.folder is not None:
        return (store.folder / "trees" / doc_id).is_dir()
    pointer = store.read(f"trees/{doc_id}.json")
    if pointer is None:
        return False
    pull(store, root, f"{json.loads(pointer)['version']}/", into=f"trees/{doc_id}/")
    return True


def has_tree(store: DataStore, doc_id: str) -> bool:
    """Whether the document has a published clause tree (its manifest, or the bucket's pointer)."""
    if store.folder is not None:
        return (store.folder / "trees" / doc_id / TREE_MANIFEST).is_file()
    return store.read(f"trees/{doc_id}.json") is not None


def data_store_for(settings: PlatformSettings) -> DataStore:
    """The store of the platform's data outside a step: the data folder, or the bucket's `data/`."""
    bucket = bucket_for(settings, resolved=True) if settings.data_store == "s3" else None
    return data_store(settings.paths.root, bucket)


def data_store(root: Path, bucket: S3ObjectStore | None) -> DataStore:
    """The data folder `root`, or the bucket's `data/` prefix."""
    if bucket is None:
        return FolderStore(root)
    from platform_assets.edges.s3_data_store import S3DataStore

    return S3DataStore(bucket.client(), bucket.bucket, f"{bucket.prefix}{DATA_PREFIX}")


class PlannerSettings(dg.ConfigurableResource):
    """Batch sizes for new plans (docs/design.md §3): ~100 pages target, ~200 maximum."""

    target_pages: int = PlatformSettings.batch_target_pages
    max_pages: int = PlatformSettings.batch_max_pages

    def config(self) -> PlanConfig:
        return PlanConfig(target_pages=self.target_pages, max_pages=self.max_pages)


class ParseSettings(dg.ConfigurableResource):
    """Limits around one batch parse."""

    batch_deadline_s: float = Field(
        default=PlatformSettings.batch_deadline_s,
        description="total wall time for a batch across all its retries",
    )


class CostSettings(dg.ConfigurableResource):
    """GPU prices for the cost columns of the DuckDB tables. The defaults are approximate RunPod
    serverless prices per GPU hour: edit to your contract. Runs without a GPU (local CPU) cost 0."""

    gpu_hourly_usd: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_GPU_HOURLY_USD),
        description="USD per GPU hour by GPU name (matched as a substring of the reported GPU)",
    )
    default_gpu: str = Field(default=DEFAULT_GPU, description="price used for a GPU not in the table")
    cold_start_usd: float = Field(default=DEFAULT_COLD_START_USD, description="USD per cold start")
    cold_start_s: float | None = Field(
        default=None, description="when set, a cold start costs these seconds at the GPU's price instead"
    )

    def model(self) -> CostModel:
        return CostModel(
            gpu_hourly_usd=dict(self.gpu_hourly_usd),
            default_gpu=self.default_gpu,
            cold_start_usd=self.cold_start_usd,
            cold_start_s=self.cold_start_s,
        )

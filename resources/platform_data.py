"""The platform's data folder as a resource: registry, landing copies, batch outputs, records."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.cost_model import (
    DEFAULT_COLD_START_USD,
    DEFAULT_GPU,
    DEFAULT_GPU_HOURLY_USD,
    CostModel,
)
from platform_assets.domain.pdf.pdf_facts import PdfFacts
from platform_assets.domain.plan.batch_plan import BatchPlan, PlanConfig
from platform_assets.domain.verify.corrections import CorrectionsError
from platform_assets.domain.verify.verification_config import (
    VerificationConfig,
    find_config,
    load_verification_config,
)
from platform_assets.domain.verify.vocabulary import VocabularyError
from resources.settings import PlatformSettings


class PlatformData(dg.ConfigurableResource):
    """Where the registry and every file the assets write live (`PLATFORM_DATA_DIR`)."""

    root: str = Field(description="absolute path of the data folder")
    verification_config: str | None = Field(
        default=None,
        description="folder of per-document verification configs (`PLATFORM_VERIFICATION_CONFIG`); "
        "None: `verification-config` in the data folder",
    )

    @classmethod
    def at(cls, paths: PlatformPaths) -> PlatformData:
        folder = paths.verification_config_folder
        return cls(root=str(paths.root), verification_config=str(folder) if folder else None)

    @property
    def paths(self) -> PlatformPaths:
        folder = self.verification_config
        return PlatformPaths(Path(self.root), verification_config_folder=Path(folder) if folder else None)

    @property
    def registry(self) -> Registry:
        return Registry(self.paths.registry)

    def registered_plan(self, doc_id: str) -> BatchPlan:
        """`doc_id`'s plan; without one the run fails for good (a retry cannot register it)."""
        plan = self.registry.plan(doc_id)
        if plan is None:
            raise dg.Failure(f"{doc_id} has no registered plan", allow_retries=False)
        return plan

    def facts_path(self, doc_id: str) -> Path:
        """Where `source_pdf` keeps the document's PDF facts, read once."""
        return self.document_dir(doc_id) / "facts.json"

    def facts(self, doc_id: str) -> PdfFacts:
        return PdfFacts.model_validate_json(self.facts_path(doc_id).read_bytes())

    def document_config(self, doc_id: str, filename: str) -> VerificationConfig | None:
        """The document's verification config, if it has one; a broken one fails the run (no retry)."""
        path = find_config(self.paths.verification_config, doc_id, filename)
        if path is None:
            return None
        try:
            return load_verification_config(path)
        except (CorrectionsError, VocabularyError) as error:
            raise dg.Failure(f"verification config: {error}", allow_retries=False) from None

    def document_dir(self, doc_id: str) -> Path:
        return Path(self.root) / "documents" / doc_id


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

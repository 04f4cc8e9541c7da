"""The platform's data folder as a resource: registry, landing copies, batch outputs, records."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from platform_assets.domain.batch_plan import PlanConfig
from platform_assets.domain.registry import Registry
from platform_assets.settings import PlatformPaths


class PlatformData(dg.ConfigurableResource):
    """Where the registry and every file the assets write live (`PLATFORM_DATA_DIR`)."""

    root: str = Field(description="absolute path of the data folder")

    @property
    def paths(self) -> PlatformPaths:
        return PlatformPaths(Path(self.root))

    @property
    def registry(self) -> Registry:
        return Registry(self.paths.registry)

    def document_dir(self, doc_id: str) -> Path:
        return Path(self.root) / "documents" / doc_id


class PlannerSettings(dg.ConfigurableResource):
    """Batch sizes for new plans (DESIGN.md 3): ~100 pages target, ~200 maximum."""

    target_pages: int = 100
    max_pages: int = 200

    def config(self) -> PlanConfig:
        return PlanConfig(target_pages=self.target_pages, max_pages=self.max_pages)


class ParseSettings(dg.ConfigurableResource):
    """Limits around one batch parse."""

    batch_deadline_s: float = Field(
        default=3600.0, description="total wall time for a batch across all its retries"
    )

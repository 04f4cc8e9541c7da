"""The platform's data folder: where the registry, landing copies, batches, trees, records and the DuckDB
file live. A value, not a lookup: nothing here reads the environment (`resources.settings` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlatformPaths:
    root: Path
    inbox_folder: Path | None = None
    """The folder the inbox sensor watches; None: `<root>/inbox`."""
    verification_config_folder: Path | None = None
    """Per-document verification configs; None: `<root>/verification-config`."""

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def batches(self) -> Path:
        return self.root / "batches"

    @property
    def trees(self) -> Path:
        return self.root / "trees"

    @property
    def timings(self) -> Path:
        return self.root / "timings"

    @property
    def verification(self) -> Path:
        """Verification reports: `<doc>/<time>.json` per run (history) and `<doc>/latest.json`."""
        return self.root / "verification"

    @property
    def verification_config(self) -> Path:
        """Per-document verification config (`<doc_id>.toml` or `<pdf stem>.toml`): schemas, corrections."""
        return self.verification_config_folder or self.root / "verification-config"

    @property
    def reports(self) -> Path:
        """`platform_report`'s plots and Markdown."""
        return self.root / "reports"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def warehouse_snapshot(self) -> Path:
        """The copy of `warehouse` that readers (the report, people) open; its writer republishes it."""
        return self.root / "warehouse-snapshot.duckdb"

    @property
    def inbox(self) -> Path:
        return self.inbox_folder or self.root / "inbox"

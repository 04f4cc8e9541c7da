"""Where the platform keeps its data, from the environment (read when definitions load).

`PLATFORM_DATA_DIR` (default `.data` under the working directory) holds the registry, landing
copies, the local object store, batch outputs, clause trees, timing records and the DuckDB file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlatformPaths:
    root: Path

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
        return Path(
            os.environ.get("PLATFORM_VERIFICATION_CONFIG", self.root / "verification-config")
        ).resolve()

    @property
    def reports(self) -> Path:
        """`platform_report`'s plots and Markdown."""
        return self.root / "reports"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def inbox(self) -> Path:
        return Path(os.environ.get("PLATFORM_INBOX", self.root / "inbox")).resolve()


def platform_paths() -> PlatformPaths:
    return PlatformPaths(Path(os.environ.get("PLATFORM_DATA_DIR", ".data")).resolve())

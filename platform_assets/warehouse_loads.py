"""A DuckDB load that another process's lock prevented, reported as pending."""

from pathlib import Path

import dagster as dg

from platform_assets.edges.warehouse import WarehouseLocked
from resources.platform_data import PlatformData


def warehouse_pending(
    context: dg.AssetExecutionContext, data: PlatformData, locked: WarehouseLocked, records: Path
) -> dg.MaterializeResult:
    """A load the DuckDB lock prevented: a warning, never a failure (the parse or verification is done);
    the record files stay under `records` and the next load of this asset rebuilds the tables."""
    context.log.warning(
        f"DuckDB tables not updated: {locked}. The records stay in {records.name}/ and load with the "
        f"next {context.asset_key.to_user_string()} (readers: connect with read_only=True briefly, or "
        "query a copy of the file)"
    )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(data.paths.warehouse)),
            "pending": dg.MetadataValue.bool(True),
            "pending_reason": dg.MetadataValue.text(str(locked)),
        }
    )

"""`platform_report` in Dagster: over a data folder of registered documents and timing record files,
`parse_timings` then `platform_report` materialize, and the report's metadata carries the figures
(to plot over time) and the plots, inline and as files."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import pytest
from PIL import Image

from platform_assets.definitions import build_definitions
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.observe.timing_records import write_record
from platform_assets.edges.report_markdown import NO_RUNS_TEXT
from platform_assets.edges.report_plots import SIZE_PX
from resources.settings import PlatformSettings
from tests.unit.test_definitions import register
from tests.unit.test_report_figures import ALPHA, BETA, COLD, GAMMA, PRICE_S, fleet_records
from tests.unit.test_report_markdown import INLINE_PNG


def materialize_report(paths: PlatformPaths, instance: dg.DagsterInstance) -> Mapping[str, dg.MetadataValue]:
    """Load the timings and render the report in one run; the report's materialization metadata."""
    defs = build_definitions(PlatformSettings(paths))
    result = dg.materialize(
        list(defs.assets or []),
        instance=instance,
        resources=defs.resources,
        selection=dg.AssetSelection.assets("parse_timings", "platform_report"),
    )
    assert result.success
    [event] = result.asset_materializations_for_node("platform_report")
    return event.metadata


@pytest.fixture
def data_folder(tmp_path) -> PlatformPaths:
    paths = PlatformPaths(tmp_path / "data")
    registry = Registry(paths.registry)
    for day, (doc_id, batches) in enumerate(((ALPHA, 3), (BETA, 1), (GAMMA, 1)), start=1):
        register(registry, doc_id, f"2026-11-{day:02d}T00:00:00", batches)
    records, phases, _ = fleet_records()
    for record in [*records, *phases]:
        write_record(paths.timings, record)
    return paths


def test_the_report_carries_figures_and_plots_after_the_timings_load(data_folder):
    with dg.instance_for_test() as instance:
        metadata = materialize_report(data_folder, instance)
        latest = instance.get_latest_materialization_event(dg.AssetKey("platform_report"))
    execution = 36 + 360 + 330 + 200 + 10
    assert metadata["total_pages_parsed"].value == 350
    assert metadata["cold_starts"].value == 3
    assert metadata["failed_attempts"].value == 2
    assert metadata["total_cost_usd"].value == pytest.approx(execution * PRICE_S + 3 * COLD)
    assert metadata["fleet_pages_per_s"].value == pytest.approx(300 / 175)
    assert metadata["cost_per_page_usd"].value == pytest.approx((execution * PRICE_S + 3 * COLD) / 350)

    report = metadata["report"].value
    assert f"`{ALPHA}`" in report and f"`{GAMMA}`" in report
    inline = INLINE_PNG.findall(report)
    assert [alt for alt, _ in inline] == ["pages per second", "phase breakdown", "cost per page"]
    for (_, b64), name in zip(inline, ("pages_per_second", "phase_breakdown", "cost_per_page"), strict=True):
        png = base64.b64decode(b64)
        assert Image.open(io.BytesIO(png)).size == SIZE_PX
        path = metadata[f"{name}_file"].value
        assert path == str(data_folder.root / "reports" / f"{name}.png")
        assert Path(path).read_bytes() == png
    assert latest.asset_materialization.metadata["total_pages_parsed"].value == 350  # stored, plottable


def test_before_any_parse_the_report_says_no_runs_yet(tmp_path):
    paths = PlatformPaths(tmp_path / "data")
    register(Registry(paths.registry), ALPHA, "2026-11-01T00:00:00", 3)
    with dg.instance_for_test() as instance:
        metadata = materialize_report(paths, instance)
    assert NO_RUNS_TEXT in metadata["report"].value
    assert (metadata["total_pages_parsed"].value, metadata["total_cost_usd"].value) == (0, 0.0)
    assert "fleet_pages_per_s" not in metadata and "pages_per_second_file" not in metadata

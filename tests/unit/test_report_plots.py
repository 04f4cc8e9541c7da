"""The report's PNGs: they decode to the fixed size, re-render byte-identical, stay small and readable
for a large fleet, and are left out where there is nothing to draw."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from platform_assets.domain.observe.cost_model import CostModel
from platform_assets.edges.report_figures import (
    NO_RUNS,
    BatchThroughput,
    DocumentFigures,
    PhaseSeconds,
    ReportFigures,
    read_report_figures,
)
from platform_assets.edges.report_plots import (
    MAX_BATCH_BARS,
    PLOT_ALTS,
    SIZE_PX,
    _cost_per_page,
    document_labels,
    render_plots,
    slowest_batches,
)
from platform_assets.edges.timing_tables import load_into_duckdb
from tests.unit.test_report_figures import ALPHA, BETA, GAMMA, attempt, fleet_records


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def large_fleet(documents: int = 120, batches_each: int = 10) -> ReportFigures:
    """Many documents of many batches, built directly (figures only, no database)."""
    doc_ids = [f"standard-part-{i:03d}-{i:012x}" for i in range(documents)]
    batches = [
        BatchThroughput(d, f"{d}~b{b:03d}", pages=100, parse_s=50.0 + (i * 7 + b * 13) % 90)
        for i, d in enumerate(doc_ids)
        for b in range(1, batches_each + 1)
    ]
    docs = [
        DocumentFigures(d, None, 1000, batches_each, 1000, batches_each, 0, 1.2, 2, 500.0,
                        1.0 + i / 100, 0.0009, 0.001 + i / 1e5)
        for i, d in enumerate(doc_ids)
    ]  # fmt: skip
    phases = [
        PhaseSeconds(d, phase, source, 10.0 + i)
        for i, d in enumerate(doc_ids)
        for phase, source in (("queue", "orchestrator"), ("parse", "worker"), ("plan", "orchestrator"))
    ]
    fleet = replace(NO_RUNS.fleet, documents=documents, attempts=len(batches), pages_per_s=1.2)
    return ReportFigures(documents=docs, fleet=fleet, batches=batches, phases=phases)


def test_the_three_plots_decode_to_the_fixed_size_and_rerender_byte_identical(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load_into_duckdb(db, *fleet_records(), CostModel())
    first = render_plots(read_report_figures(db))
    second = render_plots(read_report_figures(db))
    assert list(first) == list(PLOT_ALTS)
    assert first == second
    for png in first.values():
        image = decoded(png)
        assert (image.format, image.size) == ("PNG", SIZE_PX)
        assert "Software" not in image.info and b"tIME" not in png  # no version, no timestamp


def test_plots_without_data_are_left_out(tmp_path):
    assert render_plots(NO_RUNS) == {}
    db = tmp_path / "warehouse.duckdb"  # one reused batch: pages and $0/page, no parse to time
    load_into_duckdb(db, [attempt(BETA, 1, 0, "reused", pages=50)])
    assert list(render_plots(read_report_figures(db))) == ["cost_per_page"]


def test_a_large_fleet_draws_only_the_slowest_batches_in_small_pngs():
    fleet = large_fleet()
    shown = slowest_batches(fleet.batches)
    assert len(shown) == MAX_BATCH_BARS < len(fleet.batches)
    assert max(b.pages_per_s for b in shown) <= min(b.pages_per_s for b in fleet.batches if b not in shown)
    assert [b.batch_key for b in shown] == sorted(b.batch_key for b in shown)  # grouped by document
    plots = render_plots(fleet)
    assert set(plots) == set(PLOT_ALTS)
    assert all(decoded(png).size == SIZE_PX and len(png) < 150_000 for png in plots.values())


def test_document_labels_drop_the_hash_cut_long_slugs_and_stay_distinct():
    long = "iso-iec-29500-1-office-open-xml-0123456789ab"
    twin_a, twin_b = "spec-aaaaaaaaaaaa", "spec-bbbbbbbbbbbb"
    labels = document_labels([ALPHA, GAMMA, long, twin_a, twin_b, "no-hash"])
    assert labels[ALPHA] == "alpha-spec"
    assert labels[GAMMA] == "gamma"
    assert labels[long] == "iso-iec-29500-1-off…" and len(labels[long]) == 20
    assert (labels[twin_a], labels[twin_b]) == ("spec·aaaa", "spec·bbbb")
    assert labels["no-hash"] == "no-hash"


def test_a_fleet_that_cost_nothing_gets_a_zero_based_axis_and_says_why():
    fleet = large_fleet(documents=2, batches_each=1)
    free = replace(
        fleet,
        documents=[replace(d, cost_usd=0.0, warm_cost_per_page_usd=0.0, cost_per_page_usd=0.0)
                   for d in fleet.documents],
    )  # fmt: skip
    axes = _cost_per_page(free).axes[0]
    assert axes.get_xlim() == (0.0, 1.0) and "nothing billed" in axes.get_title()
    assert _cost_per_page(fleet).axes[0].get_xlim()[0] == 0.0

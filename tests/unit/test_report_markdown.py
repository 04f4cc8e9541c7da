"""The report's Markdown (key figures, document and phase tables, inline PNGs) and its files on disk."""

from __future__ import annotations

import base64
import re

import pytest

from platform_assets.domain.observe.cost_model import CostModel
from platform_assets.edges.report_figures import NO_RUNS, ReportFigures, read_report_figures
from platform_assets.edges.report_markdown import (
    MAX_MARKDOWN_BYTES,
    MAX_TABLE_DOCUMENTS,
    NO_RUNS_TEXT,
    REPORT_FILE,
    data_uri,
    report_markdown,
    write_report,
)
from platform_assets.edges.report_plots import render_plots
from platform_assets.edges.timing_tables import load_into_duckdb
from tests.unit.test_report_figures import ALPHA, BETA, GAMMA, fleet_records
from tests.unit.test_report_plots import large_fleet

INLINE_PNG = re.compile(r"!\[([^\]]+)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)")


@pytest.fixture
def fleet(tmp_path) -> ReportFigures:
    db = tmp_path / "warehouse.duckdb"
    load_into_duckdb(db, *fleet_records(), CostModel())
    return read_report_figures(db)


def table_row(markdown: str, first_cell: str) -> list[str]:
    [line] = [line for line in markdown.splitlines() if line.startswith(f"| {first_cell} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_report_shows_key_figures_documents_phases_and_three_inline_pngs(fleet):
    images = render_plots(fleet)
    markdown = report_markdown(fleet, images, data_uri)
    assert table_row(markdown, "pages parsed") == ["pages parsed", "350 in 4 batches"]
    assert table_row(markdown, "attempts") == ["attempts", "5 (2 failed)"]
    assert table_row(markdown, "pages/s (MinerU parse, per worker)")[1] == "1.71"
    assert table_row(markdown, "cold starts") == ["cold starts", "3"]
    assert table_row(markdown, f"`{ALPHA}`") == [
        f"`{ALPHA}`", "300", "3", "300", "4 (1)", "1.71", "2", "150", "$0.3429", "$0.00094", "$0.00114",
    ]  # fmt: skip
    assert table_row(markdown, f"`{GAMMA}`")[-6:] == ["—", "1", "0", "$0.0331", "—", "—"]
    assert table_row(markdown, f"`{BETA}`")[-3:] == ["$0.0000", "$0.00000", "$0.00000"]
    assert table_row(markdown, "parse") == ["parse", "worker", "175.0", "81.8%"]  # of 214 s
    inline = INLINE_PNG.findall(markdown)
    assert [alt for alt, _ in inline] == ["pages per second", "phase breakdown", "cost per page"]
    assert [base64.b64decode(b64) for _, b64 in inline] == list(images.values())
    assert len(markdown.encode()) < MAX_MARKDOWN_BYTES


def test_without_parse_runs_the_report_says_so():
    markdown = report_markdown(NO_RUNS, render_plots(NO_RUNS), data_uri)
    assert NO_RUNS_TEXT in markdown and "![" not in markdown and "|" not in markdown


def test_a_large_fleet_keeps_the_report_under_a_megabyte():
    figures = large_fleet(documents=400, batches_each=10)
    markdown = report_markdown(figures, render_plots(figures), data_uri)
    rows = [line for line in markdown.splitlines() if line.startswith("| `")]
    assert len(rows) == MAX_TABLE_DOCUMENTS
    assert f"{400 - MAX_TABLE_DOCUMENTS} cheaper documents left out" in markdown
    assert len(INLINE_PNG.findall(markdown)) == 3
    assert len(markdown.encode()) < MAX_MARKDOWN_BYTES / 2


def test_the_files_are_the_pngs_and_a_markdown_copy_that_links_them(fleet, tmp_path):
    folder = tmp_path / "reports"
    images = render_plots(fleet)
    written = write_report(folder, fleet, images)
    assert written == {
        "pages_per_second": folder / "pages_per_second.png",
        "phase_breakdown": folder / "phase_breakdown.png",
        "cost_per_page": folder / "cost_per_page.png",
        "report": folder / REPORT_FILE,
    }
    assert all(written[name].read_bytes() == png for name, png in images.items())
    text = written["report"].read_text(encoding="utf-8")
    assert "![pages per second](pages_per_second.png)" in text and "data:" not in text
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written.values())  # no temp

    assert write_report(folder, NO_RUNS, {}) == {"report": folder / REPORT_FILE}
    assert [p.name for p in folder.iterdir()] == [REPORT_FILE]  # stale plots are not left behind
    assert NO_RUNS_TEXT in (folder / REPORT_FILE).read_text(encoding="utf-8")

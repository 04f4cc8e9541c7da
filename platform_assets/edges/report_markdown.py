"""The parse report as Markdown (key figures, a table per document, time per phase, the plots) and its
files on disk (the PNGs and a Markdown copy that links them).

Invariant: the text stays far below `MAX_MARKDOWN_BYTES` whatever the fleet size: table rows are
capped here and the plots' bars in `report_plots`.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path

from platform_assets.domain.common.atomic import write_bytes_atomic, write_text_atomic
from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.edges.report_figures import PLOT_ALTS, ReportFigures

MAX_MARKDOWN_BYTES = 1_000_000
MAX_TABLE_DOCUMENTS = 50
"""Documents beyond this (the cheapest) are left out of the table; the `documents` table has them all."""
REPORT_FILE = "platform_report.md"
NO_RUNS_TEXT = "No parse runs yet: this report fills in once `parse_timings` has loaded timing records."

ImageSource = Callable[[str, bytes], str]
"""(plot name, PNG bytes) -> the image URL written into the Markdown."""


def data_uri(_name: str, png: bytes) -> str:
    """The PNG inline, as Dagster's UI renders it in Markdown metadata."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_file_name(name: str, _png: bytes = b"") -> str:
    return f"{name}.png"


def _value(value: float | int | None, spec: str = "", prefix: str = "") -> str:
    return "—" if value is None else f"{prefix}{value:{spec}}"


def _key_figures(figures: ReportFigures) -> str:
    f = figures.fleet
    rows = [
        ["documents with parse runs", f.documents],
        ["pages parsed", f"{f.parsed_pages:,} in {f.batches_parsed} batches"],
        ["pages/s (MinerU parse, per worker)", _value(f.pages_per_s, ".2f")],
        ["attempts", f"{f.attempts} ({f.failed_attempts} failed)"],
        ["execution", f"{f.execution_s:,.0f} s"],
        ["cold starts", f.cold_starts],
        ["pages per cold start", _value(f.pages_per_cold_start, ",.0f")],
        ["cost", f"${f.cost_usd:,.4f}"],
        ["$/page amortized", _value(f.cost_per_page_usd, ".5f", "$")],
        ["$/page warm", _value(f.warm_cost_per_page_usd, ".5f", "$")],
    ]
    return markdown_table(["figure", "value"], rows, align="lr")


def _documents(figures: ReportFigures) -> list[str]:
    headers = ["document", "pages", "batches", "parsed pages", "attempts (failed)", "pages/s", "cold starts",
               "pages/cold start", "cost", "$/page warm", "$/page amortized"]  # fmt: skip
    rows = [
        [f"`{d.doc_id}`", _value(d.pages), d.batches, d.parsed_pages, f"{d.attempts} ({d.failed_attempts})",
         _value(d.pages_per_s, ".2f"), d.cold_starts, _value(d.pages_per_cold_start, ",.0f"),
         f"${d.cost_usd:.4f}", _value(d.warm_cost_per_page_usd, ".5f", "$"),
         _value(d.cost_per_page_usd, ".5f", "$")]
        for d in figures.documents[:MAX_TABLE_DOCUMENTS]
    ]  # fmt: skip
    lines = [markdown_table(headers, rows, align="l" + "r" * 10)]
    left_out = len(figures.documents) - MAX_TABLE_DOCUMENTS
    if left_out > 0:
        lines += ["", f"{left_out} cheaper documents left out: query the `documents` table for all."]
    return lines


def _phases(figures: ReportFigures) -> str:
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    for p in figures.phases:
        seconds[(p.phase, p.source)] += p.seconds
    total = sum(seconds.values())
    rows = [
        [phase, source, f"{s:,.1f}", f"{100 * s / total:.1f}%" if total else "—"]
        for (phase, source), s in sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
    ]
    return markdown_table(["phase", "source", "seconds", "share"], rows, align="llrr")


def report_markdown(figures: ReportFigures, images: Mapping[str, bytes], image_src: ImageSource) -> str:
    """The report; `images` (plot name -> PNG, from `render_plots`) are linked through `image_src`."""
    if figures.empty:
        return f"## Parse report\n\n{NO_RUNS_TEXT}\n"
    parts = ["## Parse report", "", _key_figures(figures), "", "### By document", "", *_documents(figures)]
    if figures.phases:
        parts += ["", "### Time per phase (all documents)", "", _phases(figures)]
    for name in (n for n in PLOT_ALTS if n in images):
        parts += ["", f"![{PLOT_ALTS[name]}]({image_src(name, images[name])})"]
    return "\n".join(parts) + "\n"


def write_report(folder: Path, figures: ReportFigures, images: Mapping[str, bytes]) -> dict[str, Path]:
    """Write each PNG and the Markdown (linking the PNGs beside it) atomically into `folder`; PNGs of
    plots that no longer have data are removed. Returns the paths by plot name, and "report"."""
    written = {}
    for name in PLOT_ALTS:
        path = folder / png_file_name(name)
        if name in images:
            write_bytes_atomic(path, images[name])
            written[name] = path
        else:
            path.unlink(missing_ok=True)
    written["report"] = folder / REPORT_FILE
    write_text_atomic(written["report"], report_markdown(figures, images, png_file_name))
    return written

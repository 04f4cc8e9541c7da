"""The parse report's plots as PNG bytes: matplotlib's object API on the Agg canvas, no pyplot state.

Invariant: the same figures render to the same bytes (fixed size and dpi, no version or time in the
PNG metadata), and bars are capped so a fleet of any size stays readable and small.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from platform_assets.domain.observe.timing_records import DOCUMENT_PHASES, ORCHESTRATOR_PHASES, WORKER_PHASES
from platform_assets.edges.report_figures import PLOT_ALTS, BatchThroughput, ReportFigures

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 4.5, 100
SIZE_PX = (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))
MAX_BATCH_BARS = 40
"""Batches beyond this: only the slowest are drawn."""
MAX_DOCUMENT_BARS = 15
"""Documents beyond this: only those with the most seconds (phases) or highest $/page are drawn."""
LEGEND_DOCUMENTS = 10
"""More documents than this among the drawn batches: tick labels name the document, no legend."""
LABEL_CHARS = 20
PHASE_ORDER = (*DOCUMENT_PHASES, *ORCHESTRATOR_PHASES, *WORKER_PHASES.values(), "warmup")
_DOC_HASH = re.compile(r"^(?P<slug>.+)-(?P<hash>[0-9a-f]{12})$")


def document_labels(doc_ids: list[str]) -> dict[str, str]:
    """Short axis labels: the slug without its hash, cut to `LABEL_CHARS`; the hash's first four hex
    are added where two documents would otherwise share a label."""
    short = {}
    for doc_id in doc_ids:
        match = _DOC_HASH.match(doc_id)
        slug = match["slug"] if match else doc_id
        short[doc_id] = slug if len(slug) <= LABEL_CHARS else slug[: LABEL_CHARS - 1] + "…"
    seen = Counter(short.values())
    return {
        d: f"{label}·{d[-12:-8]}" if seen[label] > 1 and _DOC_HASH.match(d) else label
        for d, label in short.items()
    }


def _figure() -> Figure:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def slowest_batches(batches: list[BatchThroughput]) -> list[BatchThroughput]:
    """The `MAX_BATCH_BARS` slowest batches, in batch key order (grouped by document)."""
    slowest = sorted(batches, key=lambda b: (b.pages_per_s, b.batch_key))[:MAX_BATCH_BARS]
    return sorted(slowest, key=lambda b: b.batch_key)


def _pages_per_second(figures: ReportFigures) -> Figure | None:
    if not figures.batches:
        return None
    shown = slowest_batches(figures.batches)
    docs = sorted({b.doc_id for b in shown})
    labels, palette = document_labels(docs), colormaps["tab10"]
    colors = {d: palette(i % palette.N) for i, d in enumerate(docs)}
    in_legend = len(docs) <= LEGEND_DOCUMENTS  # else each tick names its document
    ticks = [b.batch_key.rpartition("~")[2] for b in shown]
    if not in_legend:
        ticks = [f"{labels[b.doc_id]}~{tick}" for b, tick in zip(shown, ticks, strict=True)]
    figure = _figure()
    ax = figure.add_subplot()
    ax.bar(range(len(shown)), [b.pages_per_s for b in shown], color=[colors[b.doc_id] for b in shown])
    rotate = len(shown) > 16 or not in_legend
    ax.set_xticks(range(len(shown)), ticks, rotation=90 if rotate else 0, fontsize=7)
    handles = [Patch(color=colors[d], label=labels[d]) for d in docs] if in_legend else []
    if figures.fleet.pages_per_s:
        fleet = figures.fleet.pages_per_s
        handles.append(ax.axhline(fleet, linestyle="--", color="0.3", label=f"fleet {fleet:.2f}"))
    if handles:
        figure.legend(handles=handles, loc="outside right upper", fontsize=7)
    capped = f": slowest {len(shown)} of {len(figures.batches)}" if len(shown) < len(figures.batches) else ""
    ax.set_title(f"Pages per second per batch (MinerU parse phase, latest parse){capped}", fontsize=10)
    ax.set_ylabel("pages/s")
    return figure


def _phase_key(phase_source: tuple[str, str]) -> tuple[bool, int, str]:
    phase, source = phase_source
    order = PHASE_ORDER.index(phase) if phase in PHASE_ORDER else len(PHASE_ORDER)
    return source == "worker", order, phase


def _shades(keys: list[tuple[str, str]], colormap: str) -> dict[tuple[str, str], tuple]:
    """Light to dark shades of one colormap, one per key."""
    return {k: colormaps[colormap](0.3 + 0.6 * i / max(len(keys) - 1, 1)) for i, k in enumerate(keys)}


def _phase_breakdown(figures: ReportFigures) -> Figure | None:
    if not figures.phases:
        return None
    seconds: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    totals: dict[str, float] = defaultdict(float)
    for p in figures.phases:
        seconds[(p.phase, p.source)][p.doc_id] = p.seconds
        totals[p.doc_id] += p.seconds
    docs = sorted(totals, key=lambda d: (-totals[d], d))[:MAX_DOCUMENT_BARS]
    keys = sorted(seconds, key=_phase_key)
    shades = _shades([k for k in keys if k[1] != "worker"], "Oranges")
    shades |= _shades([k for k in keys if k[1] == "worker"], "Blues")
    labels = document_labels(docs)
    figure = _figure()
    ax = figure.add_subplot()
    left = [0.0] * len(docs)
    for key in keys:
        widths = [seconds[key].get(d, 0.0) for d in docs]
        ax.barh(
            range(len(docs)),
            widths,
            left=left,
            color=shades[key],
            hatch="//" if key[1] == "worker" else None,
            edgecolor="white",
            linewidth=0.5,
            label=f"{key[0]} ({key[1]})",
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(range(len(docs)), [labels[d] for d in docs], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds, summed over batches and attempts")
    capped = f": top {len(docs)} of {len(totals)} by time" if len(docs) < len(totals) else ""
    ax.set_title(f"Time per phase per document (orange: orchestrator, blue: worker){capped}", fontsize=10)
    figure.legend(loc="outside right upper", fontsize=7)
    return figure


def _cost_per_page(figures: ReportFigures) -> Figure | None:
    priced = [d for d in figures.documents if d.cost_per_page_usd is not None]
    if not priced:
        return None
    docs = sorted(priced, key=lambda d: (-d.cost_per_page_usd, d.doc_id))[:MAX_DOCUMENT_BARS]
    labels = document_labels([d.doc_id for d in docs])
    figure = _figure()
    ax = figure.add_subplot()
    rows, height, top = range(len(docs)), 0.4, 0.0
    for offset, name, values, color in (
        (-height / 2, "warm (execution only)", [d.warm_cost_per_page_usd or 0.0 for d in docs], "#9ecae1"),
        (height / 2, "amortized (with cold starts)", [d.cost_per_page_usd or 0.0 for d in docs], "#3182bd"),
    ):
        bars = ax.barh([r + offset for r in rows], [v * 1e3 for v in values], height, label=name, color=color)
        ax.bar_label(bars, fmt="$%.3f", fontsize=7, padding=2)
        top = max(top, *(v * 1e3 for v in values))
    ax.set_yticks(rows, [labels[d.doc_id] for d in docs], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.2 if top > 0 else 1.0)  # costs are never negative; all-zero (CPU) gets a scale
    ax.set_xlabel("USD per 1,000 pages parsed")
    capped = f": top {len(docs)} of {len(priced)}" if len(docs) < len(priced) else ""
    unbilled = " (nothing billed: local CPU parses cost 0)" if top == 0 else ""
    ax.set_title(f"Cost per 1,000 pages per document{capped}{unbilled}", fontsize=10)
    figure.legend(loc="outside right upper", fontsize=7)
    return figure


def render_plots(figures: ReportFigures) -> dict[str, bytes]:
    """PNG bytes by plot name (`PLOT_ALTS` order), for the plots that have data."""
    drawn = {
        "pages_per_second": _pages_per_second(figures),
        "phase_breakdown": _phase_breakdown(figures),
        "cost_per_page": _cost_per_page(figures),
    }
    return {name: _png(figure) for name in PLOT_ALTS if (figure := drawn[name]) is not None}

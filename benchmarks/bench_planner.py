"""Benchmark: outline reading and batch planning on the largest real PDF at hand.

Times the outline-only parts of `read_pdf_facts` (open, outline, page labels) and `plan_batches`
separately, over a few repetitions, and says whether planning meets the < 1 s goal.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script from any directory

from platform_assets.domain.pdf.pdf_facts import (  # noqa: E402
    PdfFacts,
    open_pdf,
    read_outline,
    read_page_labels,
    sha256_file,
)
from platform_assets.domain.plan.batch_plan import PlanConfig  # noqa: E402
from platform_assets.domain.plan.planning import plan_batches  # noqa: E402

T = TypeVar("T")
DEFAULT_PDF = REPO / ".cache" / "corpus" / "tl-source2e.pdf"
REPETITIONS = 5
GOAL_SECONDS = 1.0


def best_of(work: Callable[[], T]) -> tuple[float, float, T]:
    """Best and median wall seconds of `work` over REPETITIONS runs, and its last result."""
    seconds = []
    for _ in range(REPETITIONS):
        began = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - began)
    return min(seconds), statistics.median(seconds), result


def read_structure(path: Path) -> PdfFacts:
    """The outline-only part of `read_pdf_facts`: page count, outline, page labels (no text layer)."""
    document = open_pdf(path)
    try:
        page_count = len(document)
        return PdfFacts(
            sha256=sha256_file(path),
            size_bytes=path.stat().st_size,
            page_count=page_count,
            outline=read_outline(document, page_count),
            page_labels=read_page_labels(document, page_count),
        )
    finally:
        document.close()


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PDF
    if not path.is_file():
        print(f"no PDF at {path}: run `make corpus` or pass a path", file=sys.stderr)
        return 2
    read_best, read_median, facts = best_of(lambda: read_structure(path))
    plan_best, plan_median, plan = best_of(lambda: plan_batches("bench", facts, PlanConfig()))
    print(f"file            {path.name}")
    print(f"pages           {facts.page_count}")
    print(f"bookmarks       {len(facts.outline)}")
    print(f"batches         {len(plan.batches)} ({plan.method.value})")
    print(f"read structure  best {read_best:.4f} s, median {read_median:.4f} s")
    print(f"plan_batches    best {plan_best:.4f} s, median {plan_median:.4f} s")
    holds = plan_median < GOAL_SECONDS
    print(f"goal < {GOAL_SECONDS:.0f} s for planning: {'holds' if holds else 'MISSED'}")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

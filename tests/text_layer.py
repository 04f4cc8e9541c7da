"""Clause files written from a PDF's own text layer: what a faithful parser would produce, to plant
defects in for the source cross-check tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from platform_assets.domain.pdf.pdf_facts import page_texts
from platform_assets.domain.pdf.pdf_text import keys
from platform_assets.domain.plan.batch_plan import Clause
from platform_assets.domain.verify.findings import ClauseText


def heading_line(lines: Sequence[str], title: str, after: int = 0) -> int | None:
    """The line from `after` on that is the title or begins it (a long title wraps)."""
    wanted = "".join(keys(title))
    for index in range(after, len(lines)):
        found = keys(lines[index])
        if found and ("".join(found) == wanted or (len(found) > 1 and wanted.startswith("".join(found)))):
            return index
    return None


def text_layer_clauses(pdf: Path, clauses: Sequence[Clause]) -> list[ClauseText]:
    """Each clause's text-layer lines from its heading line to the next clause's, under its title.

    A heading not found on its page starts the clause where the previous one started (same page) or
    at the top of the page.
    """
    lines = {index: text.splitlines() for index, text in page_texts(pdf).items()}
    starts: list[tuple[int, int]] = []
    for clause in clauses:
        page = clause.page_index
        after = starts[-1][1] + 1 if starts and starts[-1][0] == page else 0
        found = heading_line(lines[page], clause.title, after)
        starts.append((page, found if found is not None else max(after - 1, 0)))
    ends = [*starts[1:], (len(lines) - 1, len(lines[len(lines) - 1]))]
    texts = []
    for clause, (first, begin), (last, end) in zip(clauses, starts, ends, strict=True):
        body = []
        for page in range(first, last + 1):
            page_lines = lines[page]
            body += page_lines[begin if page == first else 0 : end if page == last else len(page_lines)]
        last_page = last - 1 if end == 0 and last > first else last
        path = f"{clause.id}.md"
        texts.append(
            ClauseText(
                clause.id, path, clause.title, first, last_page, f"# {clause.title}\n\n" + "\n".join(body)
            )
        )
    return texts

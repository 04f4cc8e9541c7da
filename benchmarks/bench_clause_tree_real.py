"""The clause tree on whole real PDFs: is every outline entry a clause with its own text, is every block
placed or dropped for a reason?

For each PDF with an outline in the given folders (default `.cache/corpus`, fetched by `make corpus`),
parses it with MinerU's flash tier in 100-page calls (saved under `.cache/parsed/` as the worker saves
a batch, images included, so a re-run only rebuilds the tree), builds the tree as `clause_tree` does, one
source batch per call, and prints per document:
- opened: outline entries that got a clause opened where their text starts (goal >= 99%), and how many
  of those at their bookmark's destination; `mismatch`: opened there, no printed heading matched; an entry
  whose bookmark repeats an earlier one counts as opened (its file links to that clause; listed below);
- empty: clause files with no text of their own while the PDF's region of that clause (from its start, at
  its line or, for a word documented inside a line, at its word, to the next clause's start in the text
  layer's order, so a column's clause stops at its column; less its title with the number printed
  before it, the next heading's number, and running headers and footers) holds words (goal 0); a clause
  never opened has no region of its own (its bookmark's place held no heading of it) and counts under
  `opened` only;
- dropped, per reason, and lost (dropped without a reason, goal 0); blocks filled from the text layer;
- build blocks/s (one core);
- code, read back from the Markdown with a CommonMark parser (markdown-it-py): headings whose text is a code
  line, but for each file's title, its bookmark's (goal 0), prose lines that are code lines, outside any
  fence (goal 0), fences, fences whose every line is prose (goal 0), and links whose target is no file of
  the tree (made from source text, goal 0).

Usage: `.venv/bin/python benchmarks/bench_clause_tree_real.py [FOLDER_OR_PDF ...]`.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gpu_image.worker.package import save_middle  # noqa: E402
from gpu_image.worker.parse import parse_pdf  # noqa: E402
from platform_assets.domain.common.atomic import staged_directory  # noqa: E402
from platform_assets.domain.parse.adapters import load_blocks  # noqa: E402
from platform_assets.domain.pdf.pdf_facts import PdfError, read_pdf_facts  # noqa: E402
from platform_assets.domain.pdf.pdf_text import keys  # noqa: E402
from platform_assets.domain.plan.clauses import clauses_from_outline  # noqa: E402
from platform_assets.domain.tree.clause_regions import own_words  # noqa: E402
from platform_assets.domain.tree.clause_tree import SourceBatch, body_text, build_clause_tree  # noqa: E402
from tests.markdown_figures import code_figures  # noqa: E402

CACHE = REPO / ".cache" / "parsed"
CHUNK = 100
MIN_OWN_WORDS = 3
"""A clause region holding at least this many words of its own should not render empty."""


def parsed_batches(pdf: Path, sha256: str, page_count: int) -> list[SourceBatch]:
    """The document parsed in `CHUNK`-page calls, each call saved as the worker saves a batch (its
    `middle_json.json` and the images it references, `save_middle`), so image-only pages keep their blocks."""
    folder = CACHE / f"{pdf.stem}-{sha256[:12]}"
    batches = []
    for first in range(0, page_count, CHUNK):
        last = min(first + CHUNK - 1, page_count - 1)
        saved = folder / f"{first:05d}-{last:05d}"
        if not (saved / "middle_json.json").is_file():
            with staged_directory(saved) as stage:
                save_middle(parse_pdf(pdf, "flash", first, last).result, stage)
        batches.append(SourceBatch(saved.name, load_blocks(saved, first), saved))
    return batches


def parsed_blocks(pdf: Path, sha256: str, page_count: int) -> list:
    """All the document's blocks (`parsed_batches`), in page order."""
    return [block for batch in parsed_batches(pdf, sha256, page_count) for block in batch.blocks]


def measure(pdf: Path) -> dict | None:
    try:
        facts = read_pdf_facts(pdf)
    except PdfError as err:
        print(f"{pdf.name}: skipped ({err})")
        return None
    clauses, _ = clauses_from_outline(facts.outline, facts.page_count)
    if not clauses:
        return None
    digest = facts.sha256 or hashlib.sha256(pdf.read_bytes()).hexdigest()
    batches = parsed_batches(pdf, digest, facts.page_count)
    began = time.perf_counter()
    tree = build_clause_tree(pdf.stem, pdf.stem, batches, clauses, pdf=pdf)
    elapsed = time.perf_counter() - began
    m = tree.manifest
    regions = own_words(pdf, clauses)
    empty = [
        (clause.id, len(words))
        for clause, words in zip(clauses, regions, strict=True)
        if len(words) >= MIN_OWN_WORDS
        and m.clauses[clause.id].opened_at != "none"
        and not keys(body_text(tree.files[m.clauses[clause.id].path]))
    ]
    return {
        "doc": pdf.name,
        "pages": facts.page_count,
        "clauses": m.outline_entries,
        "opened": m.clauses_matched + len(m.repeated),
        "repeated": m.repeated,
        "at_destination": sum(1 for c in m.clauses.values() if c.opened_at == "destination"),
        "mismatch": len(m.heading_mismatch),
        "empty": empty,
        "blocks": m.blocks_total,
        "drops": m.drops,
        "lost": m.blocks_lost,
        "from_text_layer": m.from_text_layer,
        "blocks_per_s": m.blocks_total / elapsed if elapsed else 0.0,
        **code_figures(tree.files, frozenset(tree.files) | frozenset(tree.images)),
    }


def main(arguments: list[str]) -> int:
    targets = [Path(a) for a in arguments] or [REPO / ".cache" / "corpus"]
    pdfs = sorted(p for t in targets for p in ([t] if t.is_file() else t.glob("*.pdf")))
    header = (
        f"{'document':<30} {'pages':>5} {'clauses':>7} {'opened':>7} {'at dest':>7} {'mismatch':>8} "
        f"{'empty':>5} {'blocks':>6} {'dropped (reason: n)':<44} {'lost':>4} {'filled':>6} {'blocks/s':>8} "
        f"{'code #':>6} {'code ¶':>6} {'fences':>6} {'prose ```':>9} {'foreign links':>13}"
    )
    print(header)
    rows = []
    for pdf in pdfs:
        row = measure(pdf)
        if row is None:
            continue
        rows.append(row)
        drops = ", ".join(f"{reason} {n}" for reason, n in row["drops"].items() if n)
        opened, at_destination = (100 * row[key] / row["clauses"] for key in ("opened", "at_destination"))
        print(
            f"{row['doc'][:30]:<30} {row['pages']:>5} {row['clauses']:>7} "
            f"{opened:>6.1f}% {at_destination:>6.1f}% "
            f"{row['mismatch']:>8} {len(row['empty']):>5} {row['blocks']:>6} {drops[:44]:<44} "
            f"{row['lost']:>4} {row['from_text_layer']:>6} {row['blocks_per_s']:>8.0f} "
            f"{row['code_headings']:>6} {row['code_lines_outside']:>6} {row['fences']:>6} "
            f"{row['prose_fences']:>9} {row['foreign_links']:>13}",
            flush=True,
        )
    for row in rows:
        if row["repeated"]:
            print(f"bookmarks repeating an earlier one in {row['doc']}: {', '.join(row['repeated'][:8])}")
        if row["empty"]:
            shown = ", ".join(f"{cid} ({n} words)" for cid, n in row["empty"][:8])
            print(f"empty with text of their own in {row['doc']}: {shown}")
    if rows:
        clauses = sum(r["clauses"] for r in rows)
        print(
            f"all: {len(rows)} documents, {clauses} clauses, "
            f"{100 * sum(r['opened'] for r in rows) / clauses:.2f}% opened, "
            f"{sum(len(r['empty']) for r in rows)} empty with text of their own, "
            f"{sum(r['lost'] for r in rows)} blocks lost"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

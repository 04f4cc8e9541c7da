"""The vocabulary check on real standards with their schemas: false alarms, and planted near misses caught.

For each standard of `tests/vocabulary_corpus.py` at hand (ECMA-376 Parts 2 and 3 with the OPC and OOXML XSDs
from `../shared/corpus`; DocBook 5.0's specification and transition guide with its RELAX NG schema, from
Debian's `docbook5-xml`, fetched into `.cache/corpus/` by `make corpus`), parses the PDF with the flash
tier (cached under `.cache/parsed/`), renders one clause per page and prints:
- findings on the standard's own text (goal: no false alarm), each with whether the PDF's text layer spells
  the name so (then it is the standard's own word: a typo in it, or an older version's name it discusses);
- planted: schema names of five letters or more used where names are read (code, code spans, single-name
  cells), one letter changed in a copy of the page; caught/total, split into schema-shaped names (prefixed,
  tagged, camelCase or joined by `_`: goal all caught) and plain words (`title`, `Override` in a cell), which
  the check leaves alone by design.

Usage: `.venv/bin/python benchmarks/bench_vocabulary.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script from any directory

from platform_assets.domain.pdf.pdf_facts import page_texts  # noqa: E402
from tests.vocabulary_corpus import STANDARDS, measure  # noqa: E402

SHOWN = 4


def main() -> int:
    header = (
        f"{'standard':<44} {'pages':>5} {'names':>6} {'found':>5} {'shaped':>9} {'words':>9} {'check s':>7}"
    )
    print(header)
    for standard in STANDARDS:
        if not standard.available:
            print(f"{standard.name:<44} skipped: {standard.pdf.name} or its schemas are absent")
            continue
        began = time.perf_counter()
        findings, plants, vocabulary, clauses = measure(standard)
        seconds = time.perf_counter() - began
        shaped = [plant for plant in plants if plant.shaped]
        words = [plant for plant in plants if not plant.shaped]
        caught = {id(plant) for plant in plants if plant.caught(vocabulary)}
        print(
            f"{standard.name:<44} {len(clauses):>5} {len(vocabulary):>6} {len(findings):>5} "
            f"{sum(id(p) in caught for p in shaped):>4}/{len(shaped):<4} "
            f"{sum(id(p) in caught for p in words):>4}/{len(words):<4} {seconds:>7.1f}",
            flush=True,
        )
        text = " ".join(page_texts(standard.pdf).values()) if findings else ""
        for finding in findings[:SHOWN]:
            spelt = "in the PDF's text" if finding.subject in text else "NOT in the PDF's text"
            print(f"    found {finding.path} ({spelt}): {finding.message}")
        missed = [plant for plant in shaped if id(plant) not in caught]
        for plant in missed[:SHOWN]:
            print(f"    missed plant {plant.clause.path}: `{plant.garble}` for `{plant.name}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

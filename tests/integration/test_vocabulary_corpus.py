"""The vocabulary check on real standards with their schemas, as the flash tier parses them: no false alarm,
and every planted schema-shaped near miss caught (figures: `benchmarks/bench_vocabulary.py`).

Slow: parses each PDF with MinerU's flash tier once (cached under `.cache/parsed/`, ~40 s for ECMA-376
Part 2), then checks in seconds.
"""

from __future__ import annotations

import pytest

from platform_assets.domain.pdf.pdf_facts import page_texts
from tests.vocabulary_corpus import STANDARDS, Standard, measure

pytestmark = pytest.mark.slow

SOURCE_TYPOS = {"ECMA-376 Part 2": {"RelationshipsReference"}}
"""Names the standard itself misspells (its schemas say `RelationshipReference`): true findings."""
OLDER_NAMES = {"DocBook 5.0 transition guide": {"ulink"}}
"""Names of the previous version that a guide to the new one shows (DocBook 4's `ulink`, removed in 5.0)."""


def _available(standard: Standard) -> Standard:
    if not standard.available:
        pytest.skip(f"{standard.pdf} or its schemas are absent (../shared/corpus, or make corpus)")
    return standard


@pytest.mark.parametrize("standard", STANDARDS, ids=[standard.name for standard in STANDARDS])
def test_real_standards_give_no_false_alarm_and_every_planted_near_miss_is_caught(standard: Standard) -> None:
    findings, plants, vocabulary, clauses = measure(_available(standard))
    typos = next((names for doc, names in SOURCE_TYPOS.items() if standard.name.startswith(doc)), set())
    older = next((names for doc, names in OLDER_NAMES.items() if standard.name.startswith(doc)), set())
    assert {finding.subject for finding in findings} == typos | older
    if typos:
        text = " ".join(page_texts(standard.pdf).values())
        assert all(typo in text for typo in typos)  # the PDF's own text layer has them
    shaped = [plant for plant in plants if plant.shaped]
    assert [plant.garble for plant in shaped if not plant.caught(vocabulary)] == []
    assert len(clauses) >= 10
    if standard.name.startswith(("ECMA-376 Part 2", "DocBook 5.0 transition")):
        assert len(shaped) >= 15

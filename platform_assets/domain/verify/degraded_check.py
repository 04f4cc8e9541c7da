"""Degraded output: scanned pages the parse produced no text for, and attempts the worker reported as
degraded (lost artifacts) before a clean re-parse.

Invariant: a page with neither a text layer nor parsed text is always reported; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from platform_assets.domain.observe.timing_records import DEGRADED_PREFIX, TimingRecord
from platform_assets.domain.parse.blocks import Block
from platform_assets.domain.plan.tiling import page_numbers
from platform_assets.domain.verify.findings import CheckName, Finding, Severity


def pages_with_text(blocks: Iterable[Block]) -> set[int]:
    """Pages on which the parse produced any text (prose, code, table cells, list items)."""
    return {
        b.page_index for b in blocks if (b.text or b.code or b.html or any(item.strip() for item in b.items))
    }


def check_degraded(
    scanned_pages: Sequence[int], parsed_text_pages: set[int], attempts: Sequence[TimingRecord]
) -> list[Finding]:
    """Scanned pages the parse left empty (ERROR: content missing) and degraded attempts (INFO)."""
    findings = []
    empty = [page for page in scanned_pages if page not in parsed_text_pages]
    if empty:
        where = page_numbers(empty)
        findings.append(
            Finding(
                check=CheckName.DEGRADED,
                kind="scanned_unparsed",
                severity=Severity.ERROR,
                message=f"scanned pages {where} have no text layer and the parse produced no text for them "
                "(the local flash tier cannot OCR; parse them on a GPU tier)",
                pages=tuple(empty),
                subject=f"pages {where}",
            )
        )
    for record in attempts:
        error = record.error or ""
        if record.status == "failed" and error.startswith(DEGRADED_PREFIX):
            findings.append(
                Finding(
                    check=CheckName.DEGRADED,
                    kind="degraded_attempt",
                    severity=Severity.INFO,
                    message=f"{record.batch_key} attempt {record.attempt} lost artifacts "
                    f"({error.removeprefix(DEGRADED_PREFIX).strip()}) and was re-parsed",
                    pages=(record.first_page,),
                    subject=record.record_id,
                )
            )
    return findings

"""A document's verification results as data: findings, a summary per check, per-clause figures, and
the Markdown a person reads first.

Invariant: a check that ran and found nothing is reported as passed, a check that did not run (no
schema given) as skipped; never confused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from platform_assets.domain.common.markdown_table import markdown_table
from platform_assets.domain.plan.tiling import page_numbers
from platform_assets.domain.verify.findings import CheckName, Finding, Severity


class CheckSummary(BaseModel):
    check: CheckName
    ran: bool
    findings: int = 0
    errors: int = 0
    warnings: int = 0
    info: int = 0
    seconds: float = 0.0
    note: str = Field(default="", description="what was compared, or why the check was skipped")

    @property
    def worst(self) -> Severity | None:
        """The severity of the worst actionable finding, None when there is none."""
        return Severity.ERROR if self.errors else Severity.WARN if self.warnings else None


class ClauseFigures(BaseModel):
    clause_id: str
    path: str
    first_page: int
    last_page: int
    recall: float | None = Field(
        default=None, description="text-layer words found in the tree; None: no text"
    )
    actionable: int = 0


class VerificationReport(BaseModel):
    doc_id: str
    verified_at: str
    page_count: int
    clauses: int
    checks: dict[CheckName, CheckSummary]
    findings: list[Finding]
    clause_figures: list[ClauseFigures] = Field(default_factory=list)

    @property
    def actionable(self) -> list[Finding]:
        return [f for f in self.findings if f.actionable]

    def worst_clauses(self, limit: int = 10) -> list[ClauseFigures]:
        """Clauses with the most actionable findings, then the lowest recall."""
        ranked = [c for c in self.clause_figures if c.actionable or (c.recall is not None and c.recall < 1)]
        ranked.sort(key=lambda c: (-c.actionable, c.recall if c.recall is not None else 1.0, c.clause_id))
        return ranked[:limit]


def summarize(
    check: CheckName, findings: Iterable[Finding], *, ran: bool = True, seconds: float = 0.0, note: str = ""
) -> CheckSummary:
    counts = Counter(f.severity for f in findings if f.check is check)
    return CheckSummary(
        check=check,
        ran=ran,
        findings=sum(counts.values()),
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARN],
        info=counts[Severity.INFO],
        seconds=round(seconds, 3),
        note=note,
    )


def count_by_clause(findings: Iterable[Finding]) -> Counter[str]:
    return Counter(f.clause_id for f in findings if f.actionable and f.clause_id)


def _short(value: object, limit: int = 80) -> str:
    """A cell's text cut to `limit` characters (the table escapes it)."""
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def findings_table(findings: Sequence[Finding], limit: int = 50) -> str:
    """Markdown table, worst first: severity, check, kind, clause, file, pages (1-based), what."""
    order = {Severity.ERROR: 0, Severity.WARN: 1, Severity.INFO: 2}
    ranked = sorted(findings, key=lambda f: (order[f.severity], f.check, f.clause_id or "", f.subject))
    rows = [
        [_short(c) for c in (f.severity, f.check, f.kind, f.clause_id, f.path, page_numbers(f.pages))]
        + [f.message]  # messages whole
        for f in ranked[:limit]
    ]
    lines = [markdown_table(["severity", "check", "kind", "clause", "file", "pages", "finding"], rows)]
    if len(ranked) > limit:
        lines.append(f"\n{len(ranked) - limit} more in `verification_findings` (DuckDB) and report.json")
    return "\n".join(lines) if ranked else "no findings"

"""What parsing costs: GPU seconds billed at a per-GPU hourly price, plus cold starts.

Per batch attempt: execution $ = execution_s * price/3600, and the attempt that paid a cold start
carries its cost (a flat $ per cold start, or cold-start seconds billed at the GPU's price). Per
document: warm $/page (execution only) and amortized $/page (execution and cold starts) over the
pages parsed. Runs without a GPU (the local CPU worker: gpu None or "cpu") cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

CPU_NAMES = frozenset({"", "cpu"})

DEFAULT_GPU_HOURLY_USD: dict[str, float] = {
    # Approximate RunPod serverless (flex) prices per GPU hour; edit to your contract.
    "RTX A4000": 0.58,
    "RTX A4500": 0.58,
    "RTX A5000": 0.68,
    "RTX 3090": 0.68,
    "L4": 0.68,
    "RTX 4090": 1.10,
    "RTX A6000": 1.22,
    "A40": 1.22,
    "L40S": 1.91,
    "L40": 1.91,
    "RTX 6000 Ada": 1.91,
    "A100": 2.72,
    "H100": 4.18,
    "H200": 5.58,
}
DEFAULT_GPU = "RTX 4090"
DEFAULT_COLD_START_USD = 0.03


@dataclass(frozen=True)
class BatchCost:
    """One attempt's cost in USD."""

    execution_usd: float = 0.0
    cold_start_usd: float = 0.0

    @property
    def total_usd(self) -> float:
        return self.execution_usd + self.cold_start_usd


@dataclass(frozen=True)
class DocumentCost:
    """A document's parse cost in USD over `pages` parsed pages (None per page when none parsed)."""

    total_usd: float
    warm_usd: float
    cold_start_usd: float
    pages: int

    @property
    def per_page_usd(self) -> float | None:
        """Amortized: execution and cold starts."""
        return self.total_usd / self.pages if self.pages else None

    @property
    def warm_per_page_usd(self) -> float | None:
        """Execution only, as if every worker had been warm."""
        return self.warm_usd / self.pages if self.pages else None


@dataclass(frozen=True)
class CostModel:
    """Prices per GPU type; `gpu_hourly_usd` keys match a reported GPU name by case-insensitive
    substring ("RTX 4090" matches "NVIDIA GeForce RTX 4090"), longest key first. A GPU not in the
    table is priced as `default_gpu`. A cold start costs `cold_start_s` billed at the GPU's price
    when set, else the flat `cold_start_usd`."""

    gpu_hourly_usd: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_GPU_HOURLY_USD))
    default_gpu: str = DEFAULT_GPU
    cold_start_usd: float = DEFAULT_COLD_START_USD
    cold_start_s: float | None = None

    def __post_init__(self) -> None:
        if self.default_gpu not in self.gpu_hourly_usd:
            raise ValueError(f"default_gpu {self.default_gpu!r} has no price in gpu_hourly_usd")
        if any(price < 0 for price in self.gpu_hourly_usd.values()) or self.cold_start_usd < 0:
            raise ValueError("prices must not be negative")

    def hourly_usd(self, gpu: str | None) -> float:
        """The hourly price of `gpu`; 0 for no GPU (None or "cpu")."""
        name = (gpu or "").strip().lower()
        if name in CPU_NAMES:
            return 0.0
        for key in sorted(self.gpu_hourly_usd, key=len, reverse=True):
            if key.lower() in name:
                return self.gpu_hourly_usd[key]
        return self.gpu_hourly_usd[self.default_gpu]

    def batch_cost(self, gpu: str | None, execution_s: float | None, cold_start: bool | None) -> BatchCost:
        price = self.hourly_usd(gpu)
        if price == 0.0:
            return BatchCost()
        cold = 0.0
        if cold_start:
            cold = self.cold_start_s * price / 3600 if self.cold_start_s is not None else self.cold_start_usd
        return BatchCost(execution_usd=(execution_s or 0.0) * price / 3600, cold_start_usd=cold)

    @staticmethod
    def document_cost(attempts: Iterable[BatchCost], pages: int) -> DocumentCost:
        """Sum every attempt (failed ones were billed too) over the document's parsed pages."""
        items = list(attempts)
        warm = sum(c.execution_usd for c in items)
        cold = sum(c.cold_start_usd for c in items)
        return DocumentCost(total_usd=warm + cold, warm_usd=warm, cold_start_usd=cold, pages=pages)

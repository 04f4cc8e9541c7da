"""Timing records: small JSON files written by the assets, loaded into DuckDB by a single writer.

Parallel runs only ever write their own record files (atomically): one `TimingRecord` per batch
attempt (`<timings>/<batch key>/<run id>-<attempt>.json`) and one `PhaseRecord` per document-level
phase (`<timings>/<doc id>/<phase>-<run id>.json`). `platform_assets.edges.timing_tables` loads them
into DuckDB.

Phase names (stable; docs/warehouse.md): per document `plan`, `tree`, `verify`; per batch, by
the orchestrator `submit`, `queue`, `download`, `extract`, `normalize`, by the worker (`debug.phase_ms`)
`fetch_input`, `parse`, `package`, and `warmup` when a worker reports one. RunPod's execution time
spans the worker phases, so it is a column of `parse_runs` (`execution_s`), never a phase.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from platform_assets.domain.common.atomic import write_text_atomic
from worker_contract.contract import JobDebug

DOCUMENT_PHASES = ("plan", "tree", "verify")
ORCHESTRATOR_PHASES = ("submit", "queue", "download", "extract", "normalize")
WORKER_PHASES = {"fetch_input": "fetch_input", "mineru_parse": "parse", "package": "package"}
"""`debug.phase_ms` field -> phase name."""
LEGACY_PHASES = {"queue_wait": "queue", "download_extract": "extract"}
"""Names older record files used (schema 1) -> today's names, applied when loading."""
BILLED_STATUSES = ("succeeded", "failed")
PARSED_STATUSES = ("succeeded", "reused")
ERROR_MAX_CHARS = 500
"""`error` holds this attempt's own message in one line, cut to this length."""
DEGRADED_PREFIX = "degraded:"
"""`error` of a failed attempt whose worker reported lost artifacts (the batch is then re-parsed)."""


class TimingRecord(BaseModel):
    """One batch attempt (or a reuse of a finished batch)."""

    record_id: str = Field(description="<batch key>/<run id>-<attempt>")
    run_id: str
    attempt: int
    doc_id: str
    batch_key: str
    first_page: int
    last_page: int
    pages: int
    status: str = Field(description="succeeded | reused | failed | cancelled")
    engine: str = "mineru"
    engine_version: str = ""
    tier: str = ""
    worker_id: str = ""
    job_id: str = ""
    gpu: str | None = Field(default=None, description="GPU the worker reported (debug.gpu); None on CPU")
    cold_start: bool | None = None
    execution_s: float | None = Field(default=None, description="billed execution (RunPod executionTime)")
    warmup_s: float | None = Field(default=None, description="worker warmup, when the worker reports one")
    started_at: str
    finished_at: str
    wall_s: float
    phases: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    phase_sources: dict[str, str] = Field(default_factory=dict, description="phase -> worker | orchestrator")
    error: str | None = Field(
        default=None, description=f"this attempt's own error, {ERROR_MAX_CHARS} chars at most"
    )

    @field_validator("error")
    @classmethod
    def _one_short_line(cls, error: str | None) -> str | None:
        if error is None:
            return None
        line = " ".join(error.split())
        return line if len(line) <= ERROR_MAX_CHARS else line[: ERROR_MAX_CHARS - 1] + "…"

    @property
    def pages_per_s(self) -> float | None:
        parse = self.phase("parse")
        return round(self.pages / parse, 3) if parse else None

    def phase(self, name: str) -> float | None:
        """Seconds of phase `name`, under its current or its legacy name."""
        for key, seconds in self.phases.items():
            if LEGACY_PHASES.get(key, key) == name:
                return seconds
        return None


@dataclass(frozen=True)
class WorkerReport:
    """What a finished job's `debug` block puts into its attempt's timing record."""

    phases: dict[str, float]
    """Worker phases in seconds, `warmup` included when the job reports one."""
    worker_id: str
    gpu: str | None
    cold_start: bool
    """The worker started for this job: its first parse, or the first job after its boot warmup."""
    warmup_s: float | None

    @classmethod
    def of(cls, debug: JobDebug) -> WorkerReport:
        phases = {WORKER_PHASES[name]: ms / 1000 for name, ms in debug.phase_ms.model_dump().items()}
        warmup_s = None if debug.warmup_ms is None else debug.warmup_ms / 1000
        if warmup_s is not None:
            phases["warmup"] = warmup_s
        cold_start = debug.cold_start or warmup_s is not None
        return cls(phases, debug.worker_id or "", debug.gpu, cold_start, warmup_s)


class PhaseRecord(BaseModel):
    """One document-level orchestrator phase (`plan`, `tree`, `verify`) of one run."""

    kind: Literal["phase"] = "phase"
    record_id: str = Field(description="<doc id>/<phase>-<run id>")
    doc_id: str
    phase: str
    run_id: str
    status: str = Field(description="succeeded | failed")
    started_at: str
    finished_at: str
    seconds: float


@dataclass(frozen=True)
class DocumentInfo:
    """What the registry knows of a document (the `documents` table's descriptive columns)."""

    doc_id: str
    filename: str | None = None
    pages: int | None = None
    batches: int | None = None


def record_path(root: Path, record: TimingRecord | PhaseRecord) -> Path:
    return root / f"{record.record_id}.json"


def write_record(root: Path, record: TimingRecord | PhaseRecord) -> Path:
    path = record_path(root, record)
    write_text_atomic(path, record.model_dump_json(indent=2))
    return path


def _record_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.json")) if root.is_dir() else []


def load_records(root: Path) -> list[TimingRecord]:
    """Every batch attempt record under `root`."""
    loaded = [(p, json.loads(p.read_bytes())) for p in _record_files(root)]
    return [TimingRecord.model_validate(raw) for _, raw in loaded if raw.get("kind") != "phase"]


def load_phase_records(root: Path) -> list[PhaseRecord]:
    """Every document-level phase record under `root`."""
    loaded = [json.loads(p.read_bytes()) for p in _record_files(root)]
    return [PhaseRecord.model_validate(raw) for raw in loaded if raw.get("kind") == "phase"]

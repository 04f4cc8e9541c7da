"""The parse job contract shared by the worker and the orchestrator (compatible with mineru-runpod).

A valid `JobInput` names exactly one source, a 0-based inclusive page range and one MinerU 4 tier.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

Tier = Literal["flash", "basic", "standard", "advanced"]
Transport = Literal["tarball_b64", "inline", "s3", "local_dir"]
"""`local_dir`: the result stays a folder on the caller's machine (a worker the orchestrator runs itself)."""
ArchiveFormat = Literal["tar.gz", "zip"]
Source = Literal["file_url", "file_b64", "volume_path"]

DEFAULT_TIER: Tier = "standard"
"""Tier used when a job names neither `tier` nor `backend` (the GPU image's engine)."""
DEFAULT_BASENAME = "document"
BASENAME_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
SOURCES: tuple[Source, ...] = ("file_url", "file_b64", "volume_path")

BACKEND_TIERS: dict[str, Tier] = {
    "pipeline": "basic",
    "vlm-transformers": "standard",
    "vlm-vllm-engine": "standard",
    "vlm-vllm-async-engine": "standard",
    "vlm-lmdeploy-engine": "standard",
    "vlm-mlx-engine": "standard",
    "vlm-http-client": "standard",
    "hybrid-auto-engine": "standard",
    "hybrid-http-client": "standard",
}
"""MinerU 3.x backend names (what mineru-runpod clients send) -> the MinerU 4 tier doing that job."""


class JobInputError(ValueError):
    """The job payload does not satisfy the contract; the message lists every problem, never values."""


def page_range_1based(start_page: int, end_page: int) -> str:
    """MinerU's 1-based inclusive range for a 0-based inclusive one (`end_page=-1` -> `r1`, the last page)."""
    return f"{start_page + 1}-{'r1' if end_page == -1 else end_page + 1}"


class JobInput(BaseModel):
    """One parse job: a source, a page range, a tier and how the result travels back."""

    model_config = ConfigDict(extra="forbid")

    file_url: str | None = None
    file_b64: str | None = None
    volume_path: str | None = None
    start_page: StrictInt = 0
    end_page: StrictInt = -1
    backend: str | None = None
    tier: Tier | None = None
    transport: Transport = "tarball_b64"
    basename: str = Field(default=DEFAULT_BASENAME, pattern=BASENAME_PATTERN)
    archive_format: ArchiveFormat = "tar.gz"
    result_dir: str | None = None
    """`local_dir` only, required by the worker: the absolute path of the folder it creates and leaves the
    result in (it must not exist yet; its parent, the caller's hand-off directory, must)."""
    trace_context: dict[str, str] | None = Field(default=None, max_length=2)
    """W3C `traceparent` (+ `tracestate`) of the caller's span: the worker's `mineru.job` span joins it."""

    @model_validator(mode="before")
    @classmethod
    def _reject_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(key) for key, value in data.items() if value is None)
            if nulls:
                raise ValueError(f"null is not allowed (omit the field instead): {', '.join(nulls)}")
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> JobInput:
        given = [name for name in SOURCES if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of file_url, file_b64, volume_path is required (got {len(given)})")
        if self.file_url is not None:
            parts = urlsplit(self.file_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("file_url must be an http(s) URL with a host")
        if self.start_page < 0:
            raise ValueError("start_page must be >= 0")
        if self.end_page != -1 and self.end_page < self.start_page:
            raise ValueError("end_page must be >= start_page, or -1 for the last page")
        if self.backend is not None:
            mapped = BACKEND_TIERS.get(self.backend)
            if mapped is None:
                raise ValueError(f"unknown backend {self.backend!r}; known: {', '.join(BACKEND_TIERS)}")
            if self.tier is not None and self.tier != mapped:
                raise ValueError(f"backend {self.backend!r} means tier {mapped!r}, not tier {self.tier!r}")
        if self.result_dir is not None and self.transport != "local_dir":
            raise ValueError("result_dir is only for the local_dir transport")
        if self.result_dir is not None and not PurePosixPath(self.result_dir).is_absolute():
            raise ValueError("result_dir must be an absolute path")
        return self

    @property
    def source(self) -> Source:
        """Which of the three sources this job names."""
        return next(name for name in SOURCES if getattr(self, name) is not None)

    @property
    def effective_tier(self) -> Tier:
        """The MinerU 4 tier to run: `tier`, else the one `backend` maps to, else `DEFAULT_TIER`."""
        if self.tier is not None:
            return self.tier
        return BACKEND_TIERS[self.backend] if self.backend is not None else DEFAULT_TIER

    def page_range_1based(self) -> str:
        """This job's range as MinerU's 1-based string ("3-7", or "3-r1" to the end)."""
        return page_range_1based(self.start_page, self.end_page)


class JobResult(BaseModel):
    """One parsed document; exactly one transport's fields are set."""

    basename: str
    source: Source
    pages_requested: list[int]
    page_count_parsed: int
    archive_format: ArchiveFormat
    tarball_b64: str | None = None
    markdown: str | None = None
    middle_json: dict[str, Any] | None = None
    content_list: list[dict[str, Any]] | None = None
    tarball_url: str | None = None
    tarball_url_expires_in: int | None = None
    bucket_key: str | None = None
    bucket_bytes: int | None = None
    result_dir: str | None = None
    """`local_dir`: the folder holding the result files (the job's `result_dir`)."""
    degraded: list[str] | None = None
    """Artifacts that were lost ("content_list.json: <reason>"): reprocess that batch."""
    flattened_pages: list[int] | None = None
    """0-based pages whose drawing held more vector paths (or clip segments) than MinerU's analysis can
    take: parsed with it drawn as images, one per figure, their text as it is."""


class PhaseMs(BaseModel):
    """Wall time of each job phase, in milliseconds."""

    fetch_input: int = 0
    mineru_parse: int = 0
    package: int = 0


class JobDebug(BaseModel):
    """Where and how the job ran."""

    phase_ms: PhaseMs
    gpu: str | None = None
    backend: str | None = None
    tier: Tier
    worker_id: str | None = None
    cold_start: bool
    warmup_ms: int | None = None
    """Wall time of this worker's boot warmup, reported by the first job after it (then None)."""


class JobOutput(BaseModel):
    """A successful job's output."""

    ok: bool = True
    elapsed_seconds: float
    mineru_version: str
    results: list[JobResult]
    debug: JobDebug


class JobError(BaseModel):
    """A failed job's output: one compact, redacted message and no results."""

    error: str


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def parse_job_input(payload: Any) -> JobInput:
    """Validate a RunPod-style `{"input": {...}}` payload or the bare input dict; raise `JobInputError`."""
    if isinstance(payload, dict) and set(payload) == {"input"}:
        payload = payload["input"]
    if not isinstance(payload, dict):
        raise JobInputError(f"job input must be a JSON object, not {type(payload).__name__}")
    try:
        return JobInput.model_validate(payload)
    except ValidationError as error:
        raise JobInputError(_describe(error)) from None

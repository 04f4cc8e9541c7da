"""`RunPodWorker`: the parse worker contract (docs/design.md §5) on a RunPod serverless endpoint.

Jobs go through RunPod's queue API (`/run`, `/status`, `/cancel`); the result archive is taken from
`tarball_b64` or downloaded from the presigned `tarball_url` as soon as the job completes. Every
failure is a `WorkerError` whose `transient` says whether re-running the batch can help; neither the
API key nor a URL's query string ever appears in a message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import Field, ValidationError

from resources.parse_worker import JobHandle, ParseWorker, WorkerError, WorkerRun
from resources.settings import MINERU_VERSION, PlatformSettings, ResultTransport
from worker_contract.contract import DEFAULT_TIER, JobInput, JobOutput, Tier, Transport
from worker_contract.redaction import redact, redact_url

log = logging.getLogger("resources.runpod_worker")


class _RedactRequestUrls(logging.Filter):
    """httpx logs each request's full URL: a presigned URL's query (its signature) must not reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL) for arg in record.args):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


if not any(isinstance(existing, _RedactRequestUrls) for existing in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactRequestUrls())

PENDING_STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS"})
TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"})
RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
RESPONSE_CAP_HINT = (
    "RunPod drops a job output larger than its ~20 MB response cap (the client sees `output: null`); "
    "use the `s3` transport for results this large"
)
_TRANSIENT_FAILURE = re.compile(
    r"(?i)worker (crashed|exited|died|was lost|lost)|out of memory|\bOOM\b|CUDA|EngineDeadError|"
    r"timed? ?out|TimeoutError|ConnectionError|ConnectionResetError|BrokenPipeError|SIGKILL|SIGTERM"
)
_PERMANENT_FAILURE = re.compile(r"^(JobInputError|FetchError|PackageError|ValidationError)\b")


def backoff_delays(
    base_s: float, cap_s: float, attempts: int, rng: random.Random | None = None
) -> Iterator[float]:
    """`attempts` retry delays: exponential from `base_s`, capped at `cap_s`, each jittered to [d/2, d]."""
    rng = rng or random.Random()
    for attempt in range(attempts):
        ceiling = min(cap_s, base_s * 2**attempt)
        yield rng.uniform(ceiling / 2, ceiling)


def poll_intervals(first_s: float, factor: float, cap_s: float) -> Iterator[float]:
    """Endless status-poll intervals: `first_s`, growing by `factor` up to `cap_s`."""
    interval = first_s
    while True:
        yield interval
        interval = min(cap_s, interval * factor)


def failure_message(error: Any) -> str:
    """A FAILED job's `error` as one redacted line (the SDK sends a JSON string with type and message)."""
    if isinstance(error, str):
        try:
            parsed = json.loads(error)
        except ValueError:
            parsed = error
    else:
        parsed = error
    if isinstance(parsed, dict):
        kind = parsed.get("error_type") or parsed.get("type") or ""
        text = parsed.get("error_message") or parsed.get("message") or parsed.get("error") or ""
        parsed = f"{kind}: {text}" if kind else str(text)
    return redact(str(parsed or "no error message"))


def is_transient_failure(message: str) -> bool:
    """Whether a FAILED job's message names a cause a re-run can cure (lost worker, OOM, timeout)."""
    if _PERMANENT_FAILURE.match(message):
        return False  # the worker's own contract, fetch and packaging errors repeat on every run
    return bool(_TRANSIENT_FAILURE.search(message))


def status_error(job_id: str, body: dict[str, Any]) -> WorkerError | None:
    """The error a terminal non-COMPLETED (or output-less COMPLETED) status means; None for a usable one."""
    status = body.get("status")
    if status == "FAILED":
        message = failure_message(body.get("error"))
        return WorkerError(f"RunPod job {job_id} FAILED: {message}", transient=is_transient_failure(message))
    if status == "TIMED_OUT":
        return WorkerError(
            f"RunPod job {job_id} TIMED_OUT: it ran past the endpoint's execution timeout", transient=True
        )
    if status == "CANCELLED":
        return WorkerError(f"RunPod job {job_id} was CANCELLED outside this run", transient=True)
    if status == "COMPLETED":
        output = body.get("output")
        if output is None:
            return WorkerError(
                f"RunPod job {job_id} COMPLETED with no output: {RESPONSE_CAP_HINT}", transient=False
            )
        if not isinstance(output, dict):
            return WorkerError(
                f"RunPod job {job_id} returned a {type(output).__name__}, not an object", transient=False
            )
        if "error" in output:
            message = failure_message(output["error"])
            return WorkerError(
                f"RunPod job {job_id} failed: {message}", transient=is_transient_failure(message)
            )
        if output.get("ok") is not True:
            return WorkerError(f"RunPod job {job_id} returned ok={output.get('ok')!r}", transient=False)
        return None
    return WorkerError(f"RunPod job {job_id} has an unknown status {str(status)[:40]!r}", transient=True)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once (building one costs ~50 ms per client)."""
    return httpx.create_ssl_context()


@dataclass
class _Timing:
    queue_wait_s: float | None = None
    execution_s: float | None = None


class RunPodWorker(ParseWorker):
    """MinerU on a RunPod serverless endpoint running `gpu_image/` (the mineru-runpod contract).

    Throughput comes from the endpoint's `workersMax` (one job per worker): bound concurrent runs with
    the `runpod_gpu` pool to `endpoint_workers_max()`.
    """

    endpoint_id: str = Field(description="RunPod serverless endpoint id")
    api_key: str = Field(description="RunPod API key (pass `dg.EnvVar('RUNPOD_API_KEY')`); never logged")
    base_url: str = Field(default="https://api.runpod.ai/v2", description="RunPod queue API base")
    rest_url: str = Field(
        default="https://rest.runpod.io/v1",
        description="RunPod REST management API base (`GET /endpoints/{id}` -> workersMax)",
    )
    result_transport: ResultTransport = Field(
        default=PlatformSettings.runpod_result_transport,
        description="`tarball_b64` (result in the response, ~20 MB cap) or `s3` (presigned URL, any size)",
    )
    mineru_version: str = Field(default=MINERU_VERSION, description="MinerU version pinned in the GPU image")
    tier: Tier = Field(default=DEFAULT_TIER, description="MinerU 4 tier the endpoint runs")
    poll_interval_s: float = Field(default=0.5, gt=0, description="first /status poll interval")
    poll_max_interval_s: float = Field(
        default=1.5, gt=0, description="poll interval cap: the most a finished job waits to be noticed"
    )
    poll_backoff: float = Field(default=1.5, ge=1.0, description="poll interval growth factor")
    request_timeout_s: float = Field(default=30.0, gt=0, description="timeout of one API request")
    max_retries: int = Field(default=5, ge=0, description="retries of a request on 429/5xx/connection errors")
    retry_base_s: float = Field(default=0.5, gt=0, description="first retry delay (exponential, jittered)")
    retry_max_s: float = Field(default=10.0, gt=0, description="retry delay cap")
    download_timeout_s: float = Field(default=300.0, gt=0, description="timeout of one archive download")
    max_archive_mb: float = Field(default=1024.0, gt=0, description="largest result archive accepted")

    @property
    def engine_identity(self) -> tuple[str, str]:
        return self.mineru_version, self.tier

    @property
    def transport(self) -> Transport:
        return self.result_transport

    # -- the ParseWorker contract -------------------------------------------------------------------

    def submit(self, job: JobInput) -> JobHandle:
        submitted_at = time.monotonic()
        payload = {"input": job.model_dump(exclude_none=True)}
        with self._client() as client:
            body = self._request(client, "POST", f"{self._queue_url}/run", payload=payload, what="submit")
        job_id = body.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise WorkerError("RunPod /run answered without a job id", transient=True)
        log.info("submitted job", extra={"data": {"job_id": job_id, "endpoint": self.endpoint_id}})
        return JobHandle(job_id=job_id, submitted_at=submitted_at, state={"transport": job.transport})

    def wait(self, handle: JobHandle, timeout_s: float) -> WorkerRun:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        intervals = poll_intervals(self.poll_interval_s, self.poll_backoff, self.poll_max_interval_s)
        started_at: float | None = None
        status_url = f"{self._queue_url}/status/{handle.job_id}"
        with self._client() as client:
            while True:
                body = self._request(client, "GET", status_url, what="status", deadline=deadline)
                status = body.get("status")
                now = time.monotonic()
                if status == "IN_PROGRESS" and started_at is None:
                    started_at = now
                if status not in PENDING_STATUSES:
                    break
                if now >= deadline:
                    self.cancel(handle)
                    raise WorkerError(
                        f"RunPod job {handle.job_id} passed its {timeout_s:.0f}s deadline "
                        f"({status}); cancelled",
                        transient=True,
                    )
                time.sleep(min(next(intervals), max(deadline - now, 0.0)) or 0.001)
            done_at = time.monotonic()
            error = status_error(handle.job_id, body)
            if error is not None:
                raise error
            try:
                output = JobOutput.model_validate(body["output"])
            except ValidationError as invalid:
                raise WorkerError(
                    f"RunPod job {handle.job_id} output does not match the contract: "
                    f"{redact(str(invalid.errors(include_url=False, include_input=False))[:300])}",
                    transient=False,
                ) from None
            if not output.results:
                raise WorkerError(f"RunPod job {handle.job_id} returned no results", transient=False)
            archive = self._fetch_archive(client, handle.job_id, output)
        timing = self._timing(body, handle, started_at, done_at, output)
        return WorkerRun(
            job_id=handle.job_id,
            output=output,
            queue_wait_s=timing.queue_wait_s or 0.0,
            execution_s=timing.execution_s or 0.0,
            archive=archive,
        )

    def cancel(self, handle: JobHandle) -> None:
        """POST /cancel; a job already finished or unknown is left as it is (safe to call twice)."""
        try:
            with self._client() as client:
                self._request(client, "POST", f"{self._queue_url}/cancel/{handle.job_id}", what="cancel")
        except WorkerError as error:
            log.warning("cancel failed", extra={"data": {"job_id": handle.job_id, "error": str(error)}})

    def health(self) -> dict[str, Any]:
        """`GET /health`: job counts and idle/running workers of the endpoint."""
        with self._client() as client:
            return self._request(client, "GET", f"{self._queue_url}/health", what="health")

    def capacity(self) -> int | None:
        return self.endpoint_workers_max()

    def endpoint_workers_max(self) -> int:
        """The endpoint's `workersMax` from RunPod's REST API (`GET {rest_url}/endpoints/{endpoint_id}`)."""
        with self._client() as client:
            body = self._request(
                client, "GET", f"{self.rest_url.rstrip('/')}/endpoints/{self.endpoint_id}", what="endpoint"
            )
        workers_max = body.get("workersMax")
        if not isinstance(workers_max, int) or workers_max < 0:
            raise WorkerError("RunPod endpoint description has no workersMax", transient=True)
        return workers_max

    # -- HTTP ---------------------------------------------------------------------------------------

    @property
    def _queue_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.endpoint_id}"

    def _client(self) -> httpx.Client:
        return httpx.Client(
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=self.request_timeout_s,
            follow_redirects=False,
            verify=_ssl_context(),
        )

    def _request(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        *,
        what: str,
        payload: dict[str, Any] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """One API call with bounded, jittered retries of 429/5xx/connection errors; the JSON object."""
        delays = backoff_delays(self.retry_base_s, self.retry_max_s, self.max_retries)
        where = f"RunPod {what} ({redact_url(url)})"
        while True:
            try:
                response = client.request(method, url, json=payload)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}"
                retry_after = None
            else:
                if response.status_code < 300:
                    try:
                        body = response.json()
                    except ValueError:
                        raise WorkerError(f"{where} answered non-JSON", transient=True) from None
                    if not isinstance(body, dict):
                        raise WorkerError(f"{where} answered a {type(body).__name__}", transient=True)
                    return body
                if response.status_code in (401, 403):
                    raise WorkerError(
                        f"{where} refused the API key (HTTP {response.status_code}); check RUNPOD_API_KEY",
                        transient=False,
                    )
                if response.status_code == 413:
                    raise WorkerError(
                        f"{where}: request larger than RunPod's ~10 MB cap (HTTP 413); "
                        "send the PDF by file_url or volume_path, not file_b64",
                        transient=False,
                    )
                if response.status_code == 404:
                    raise WorkerError(
                        f"{where}: not found (HTTP 404); the endpoint id is wrong or the job expired",
                        transient=what == "status",
                    )
                if response.status_code not in RETRYABLE_HTTP:
                    raise WorkerError(f"{where} answered HTTP {response.status_code}", transient=False)
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after(response)
            delay = next(delays, None)
            if delay is None:
                raise WorkerError(
                    f"{where} failed after {self.max_retries} retries: {problem}", transient=True
                )
            if retry_after is not None:
                delay = min(max(delay, retry_after), self.retry_max_s)
            if deadline is not None and time.monotonic() + delay > deadline + self.retry_max_s:
                raise WorkerError(f"{where} kept failing past the deadline: {problem}", transient=True)
            log.info("retrying request", extra={"data": {"what": what, "problem": problem, "delay_s": delay}})
            time.sleep(delay)

    def _fetch_archive(self, client: httpx.Client, job_id: str, output: JobOutput) -> bytes:
        """The archive bytes: decoded from `tarball_b64`, or downloaded now from the presigned URL."""
        result = output.results[0]
        if result.tarball_b64 is not None:
            try:
                return base64.b64decode(result.tarball_b64, validate=True)
            except binascii.Error:
                raise WorkerError(
                    f"RunPod job {job_id}: tarball_b64 is not valid base64", transient=False
                ) from None
        if result.tarball_url is None:
            raise WorkerError(
                f"RunPod job {job_id} returned neither tarball_b64 nor tarball_url "
                "(the orchestrator needs an archive transport)",
                transient=False,
            )
        return self._download(job_id, result.tarball_url, result.bucket_bytes)

    def _download(self, job_id: str, url: str, expected_bytes: int | None) -> bytes:
        cap = int(self.max_archive_mb * 1024 * 1024)
        where = f"result archive of RunPod job {job_id} ({redact_url(url)})"
        rerun = "the batch must be re-run to produce a fresh URL"
        if expected_bytes is not None and expected_bytes > cap:
            raise WorkerError(f"{where} is {expected_bytes} bytes, over the {cap} byte cap", transient=False)
        delays = backoff_delays(self.retry_base_s, self.retry_max_s, self.max_retries)
        while True:
            try:
                # The presigned URL carries its own credentials: no API key header on this request.
                with (
                    httpx.Client(
                        timeout=self.download_timeout_s, follow_redirects=False, verify=_ssl_context()
                    ) as plain,
                    plain.stream("GET", url) as response,
                ):
                    if response.status_code in (400, 401, 403, 404, 410):
                        raise WorkerError(
                            f"{where} was refused (HTTP {response.status_code}): the presigned URL expired "
                            f"or the object is gone; {rerun}",
                            transient=True,
                        )
                    if response.status_code in RETRYABLE_HTTP:
                        problem = f"HTTP {response.status_code}"
                    elif response.status_code >= 300:
                        raise WorkerError(f"{where} answered HTTP {response.status_code}", transient=True)
                    else:
                        chunks: list[bytes] = []
                        size = 0
                        for chunk in response.iter_bytes():
                            size += len(chunk)
                            if size > cap:
                                raise WorkerError(
                                    f"{where} is larger than the {cap} byte cap", transient=False
                                )
                            chunks.append(chunk)
                        data = b"".join(chunks)
                        if expected_bytes is not None and len(data) != expected_bytes:
                            raise WorkerError(
                                f"{where} is {len(data)} bytes, not the {expected_bytes} announced "
                                f"(truncated download); {rerun}",
                                transient=True,
                            )
                        return data
            except httpx.TransportError as error:
                problem = type(error).__name__
            delay = next(delays, None)
            if delay is None:
                raise WorkerError(f"{where} could not be downloaded ({problem}); {rerun}", transient=True)
            time.sleep(delay)

    def _timing(
        self,
        body: dict[str, Any],
        handle: JobHandle,
        started_at: float | None,
        done_at: float,
        output: JobOutput,
    ) -> _Timing:
        """Queue wait and execution from RunPod's delayTime/executionTime (ms); our own clock otherwise."""
        timing = _Timing()
        delay_ms, execution_ms = body.get("delayTime"), body.get("executionTime")
        if isinstance(delay_ms, int | float):
            timing.queue_wait_s = delay_ms / 1000
        elif started_at is not None:
            timing.queue_wait_s = max(started_at - handle.submitted_at, 0.0)
        if isinstance(execution_ms, int | float):
            timing.execution_s = execution_ms / 1000
        else:
            timing.execution_s = output.elapsed_seconds
        if timing.queue_wait_s is None:
            timing.queue_wait_s = max(done_at - handle.submitted_at - timing.execution_s, 0.0)
        return timing


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None

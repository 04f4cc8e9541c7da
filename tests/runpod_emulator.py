"""A local emulator of RunPod's serverless queue API, over real HTTP on loopback, running the real worker.

What it mirrors (docs/design.md §5, RunPod's docs):
- `POST /v2/{endpoint}/run` -> `{"id", "status": "IN_QUEUE"}`; auth `Authorization: Bearer <key>` or
  `authorization: <key>` (else 401); a body over `request_cap_bytes` (~10 MB) -> 413.
- `GET /v2/{endpoint}/status/{id}` -> `{"id", "status", "delayTime", "executionTime", "workerId",
  "output" | "error"}` with IN_QUEUE, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, TIMED_OUT; times in ms.
  A handler output with a top-level `error` marks the job FAILED (as the runpod SDK does). An output
  over `response_cap_bytes` (~20 MB) is dropped: COMPLETED with `output: null`, as the gateway does.
- `POST /v2/{endpoint}/cancel/{id}` (idempotent; a running job's worker process is killed and replaced).
- `GET /v2/{endpoint}/health` -> `{"jobs": {completed, failed, inProgress, inQueue, retried},
  "workers": {idle, running}}`.
- `GET /v1/endpoints/{endpoint}` -> `{"id", "workersMax", "workersMin", "executionTimeoutMs"}`: the
  minimal slice of RunPod's REST management API (`GET https://rest.runpod.io/v1/endpoints/{endpointId}`).
- A worker crash mid-job re-queues the job (RunPod re-queues a job whose worker died) up to
  `max_requeues` times; after that it is FAILED with "worker crashed ...".
- The `s3` transport: the worker runs with `tarball_b64` and the emulator plays the bucket: it keeps the
  archive and answers with `tarball_url` (a presigned-looking emulator URL under `/bucket/` that expires
  after `url_ttl_s`; an expired one answers 403 like S3), `tarball_url_expires_in`, `bucket_key`,
  `bucket_bytes`.

Each of the `workers` runs in its own process (started once, warm, replaced after a kill) and calls
`gpu_image.worker.job.run_job` (mode "mineru"), or a fake handler that sleeps `fake_ms_per_page` per
page and returns a tiny valid archive (mode "fake", for orchestration benchmarks).
Faults: `fail_next(n, status)` answers the next n API requests with an HTTP error; `next_job(...)`
attaches faults to the next submitted job (crash, queue delay, truncated or malicious archive, URL TTL).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import multiprocessing
import os
import signal
import tarfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs, urlsplit

REQUEST_CAP_BYTES = 10 * 1024 * 1024
RESPONSE_CAP_BYTES = 20 * 1024 * 1024
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"})


@dataclass
class JobFaults:
    """What goes wrong with one job."""

    crash_after_s: float | None = None
    """The worker process dies this long after starting the job (each attempt up to `crash_times`)."""
    crash_times: int = 1
    queue_delay_s: float = 0.0
    """The job stays IN_QUEUE at least this long (a slow queue / cold start)."""
    truncate_archive: bool = False
    malicious_archive: bool = False
    url_ttl_s: float | None = None
    """s3 transport: the presigned URL's lifetime (0 = already expired when the client sees it)."""
    fake_pages: int | None = None
    """fake mode: pretend the job has this many pages (to make it long)."""


@dataclass
class EmulatedJob:
    id: str
    input: dict[str, Any]
    faults: JobFaults
    submitted_at: float
    status: str = "IN_QUEUE"
    started_at: float | None = None
    finished_at: float | None = None
    output: Any = None
    error: str | None = None
    worker_id: str | None = None
    crashes: int = 0
    cancel_requested: bool = False

    def view(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.started_at is not None:
            body["delayTime"] = round((self.started_at - self.submitted_at) * 1000)
            body["workerId"] = self.worker_id
        if self.finished_at is not None and self.started_at is not None:
            body["executionTime"] = round((self.finished_at - self.started_at) * 1000)
        if self.status == "COMPLETED":
            body["output"] = self.output
        elif self.status == "FAILED":
            body["error"] = self.error
        return body


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fake_output(job_input: dict[str, Any], worker_id: str, ms_per_page: float, pages: int | None) -> dict:
    """What the fake handler returns: a valid JobOutput after sleeping in proportion to the pages."""
    start, end = job_input.get("start_page", 0), job_input.get("end_page", -1)
    count = pages or (end - start + 1 if end >= 0 else 1)
    started = time.perf_counter()
    time.sleep(count * ms_per_page / 1000)
    middle = {"pages": [{"page_idx": start + i, "para_blocks": []} for i in range(count)]}
    archive = _tar_gz(
        {
            "markdown.md": b"# fake\n",
            "middle_json.json": json.dumps(middle).encode(),
            "content_list.json": b"[]",
        }
    )
    elapsed = time.perf_counter() - started
    return {
        "ok": True,
        "elapsed_seconds": round(elapsed, 3),
        "mineru_version": "fake",
        "results": [
            {
                "basename": job_input.get("basename", "document"),
                "source": next(k for k in ("file_url", "file_b64", "volume_path") if k in job_input),
                "pages_requested": [start, start + count - 1],
                "page_count_parsed": count,
                "archive_format": "tar.gz",
                "tarball_b64": base64.b64encode(archive).decode(),
            }
        ],
        "debug": {
            "phase_ms": {"fetch_input": 0, "mineru_parse": round(elapsed * 1000), "package": 0},
            "tier": job_input.get("tier", "flash"),
            "worker_id": worker_id,
            "cold_start": False,
        },
    }


def _worker_main(conn: Connection, worker_id: str, mode: str, ms_per_page: float) -> None:
    """One emulated serverless worker process: receive a job, run it, send the handler's return value."""
    os.setsid()  # its own process group: a kill takes MinerU's render children too
    # Daemonic for the parent (killed at its exit) but free to start children like a real worker:
    # MinerU renders pages with images in a pool of child processes.
    multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        job_input, crash_after_s, fake_pages = message
        if crash_after_s is not None:
            time.sleep(crash_after_s)
            os._exit(13)
        if mode == "fake":
            result = fake_output(job_input, worker_id, ms_per_page, fake_pages)
        else:
            from gpu_image.worker.job import run_job

            result = run_job({"input": job_input}, worker_id=worker_id)
        conn.send(result)


class _WorkerSlot:
    """One worker: a warm process (started on first use, replaced after a kill or crash)."""

    def __init__(self, emulator: RunPodEmulator, index: int):
        self.emulator = emulator
        self.worker_id = f"emu-worker-{index}"
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None
        self.busy = False

    def ensure_started(self) -> None:
        if self.process is not None and self.process.is_alive():
            return
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_worker_main,
            args=(child, self.worker_id, self.emulator.mode, self.emulator.fake_ms_per_page),
            daemon=True,
        )
        process.start()
        child.close()
        self.process, self.conn = process, parent

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None

    def run(self) -> None:
        """Serve jobs from the queue until the emulator stops."""
        emulator = self.emulator
        while not emulator.stopping.is_set():
            job = emulator.take_job()
            if job is None:
                continue
            self.busy = True
            try:
                self._execute(job)
            finally:
                self.busy = False

    def _execute(self, job: EmulatedJob) -> None:
        emulator = self.emulator
        job.worker_id = self.worker_id  # RunPod's `workerId` in /status
        self.ensure_started()
        assert self.conn is not None and self.process is not None
        crash = job.faults.crash_after_s if job.crashes < job.faults.crash_times else None
        input_ = dict(job.input)
        if input_.get("transport") == "s3":
            input_["transport"] = "tarball_b64"  # the emulator plays the bucket
        self.conn.send((input_, crash, job.faults.fake_pages))
        timeout_at = job.started_at + emulator.execution_timeout_s  # type: ignore[operator]
        result: Any = None
        outcome = "ok"
        exit_code: int | None = None
        while True:
            if job.cancel_requested or emulator.stopping.is_set():
                outcome = "cancelled"
                break
            if time.monotonic() >= timeout_at:
                outcome = "timeout"
                break
            try:
                if self.conn.poll(0.02):
                    result = self.conn.recv()
                    break
            except (EOFError, OSError):
                outcome = "crash"
                break
            if not self.process.is_alive() and not self.conn.poll(0):
                outcome = "crash"
                break
        if outcome != "ok":
            exit_code = self.process.exitcode
            self.kill()
        emulator.finish(job, outcome, result, exit_code)


class RunPodEmulator:
    """An emulated serverless endpoint on `http://127.0.0.1:{port}`; use as a context manager."""

    def __init__(
        self,
        *,
        endpoint_id: str = "emu-endpoint",
        api_key: str = "emu-key",
        workers: int = 1,
        mode: str = "mineru",
        fake_ms_per_page: float = 10.0,
        execution_timeout_s: float = 600.0,
        request_cap_bytes: int = REQUEST_CAP_BYTES,
        response_cap_bytes: int = RESPONSE_CAP_BYTES,
        max_requeues: int = 1,
        url_ttl_s: float = 3600.0,
    ):
        self.endpoint_id, self.api_key = endpoint_id, api_key
        self.mode, self.fake_ms_per_page = mode, fake_ms_per_page
        self.execution_timeout_s = execution_timeout_s
        self.request_cap_bytes, self.response_cap_bytes = request_cap_bytes, response_cap_bytes
        self.max_requeues, self.url_ttl_s = max_requeues, url_ttl_s
        self.jobs: dict[str, EmulatedJob] = {}
        self.queue: deque[str] = deque()
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.slots = [_WorkerSlot(self, i) for i in range(workers)]
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        """Every request seen: (method, path, headers)."""
        self.retried = 0
        self._http_faults: deque[int] = deque()
        self._job_faults: deque[JobFaults] = deque()
        self._objects: dict[str, tuple[bytes, float]] = {}
        self._threads: list[threading.Thread] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    @property
    def base_url(self) -> str:
        """What `RunPodWorker.base_url` should be (the `/v2` queue API)."""
        return f"{self.root_url}/v2"

    @property
    def rest_url(self) -> str:
        """What `RunPodWorker.rest_url` should be (the `/v1` management API)."""
        return f"{self.root_url}/v1"

    def start(self, warm: bool = True) -> RunPodEmulator:
        if warm:
            for slot in self.slots:
                slot.ensure_started()
        self._threads.append(threading.Thread(target=self.httpd.serve_forever, daemon=True))
        self._threads += [threading.Thread(target=slot.run, daemon=True) for slot in self.slots]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads[1:]:
            thread.join(10)
        for slot in self.slots:
            slot.kill()

    def __enter__(self) -> RunPodEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults -------------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 429) -> None:
        """Answer the next `count` API requests with HTTP `status`."""
        with self.cond:
            self._http_faults.extend([status] * count)

    def next_job(self, **faults: Any) -> None:
        """Attach `JobFaults(**faults)` to the next submitted job."""
        with self.cond:
            self._job_faults.append(JobFaults(**faults))

    # -- queue --------------------------------------------------------------------------------------

    def submit(self, job_input: dict[str, Any]) -> EmulatedJob:
        with self.cond:
            faults = self._job_faults.popleft() if self._job_faults else JobFaults()
            job = EmulatedJob(
                id=f"{uuid.uuid4()}-u1", input=job_input, faults=faults, submitted_at=time.monotonic()
            )
            self.jobs[job.id] = job
            self.queue.append(job.id)
            self.cond.notify_all()
        return job

    def take_job(self) -> EmulatedJob | None:
        """The next job ready to start (marked IN_PROGRESS), or None after a short wait."""
        with self.cond:
            now = time.monotonic()
            for job_id in list(self.queue):
                job = self.jobs[job_id]
                if now >= job.submitted_at + job.faults.queue_delay_s:
                    self.queue.remove(job_id)
                    job.status, job.started_at, job.worker_id = "IN_PROGRESS", now, None
                    return job
            self.cond.wait(0.02)
            return None

    def finish(self, job: EmulatedJob, outcome: str, result: Any, exit_code: int | None) -> None:
        with self.cond:
            job.finished_at = time.monotonic()
            if outcome == "cancelled" or job.status == "CANCELLED":
                job.status = "CANCELLED"
            elif outcome == "timeout":
                job.status = "TIMED_OUT"
            elif outcome == "crash":
                job.crashes += 1
                if job.crashes <= self.max_requeues:
                    self.retried += 1
                    job.status, job.started_at, job.finished_at = "IN_QUEUE", None, None
                    self.queue.appendleft(job.id)
                    self.cond.notify_all()
                else:
                    job.status = "FAILED"
                    job.error = f"worker crashed: exited with code {exit_code} (worker was lost)"
            elif isinstance(result, dict) and "error" in result:
                job.status, job.error = "FAILED", str(result["error"])
            else:
                job.output = self._deliver(job, result)
                job.status = "COMPLETED"
                if len(json.dumps(job.output)) > self.response_cap_bytes:
                    job.output = None  # the gateway drops an oversized result
            self.cond.notify_all()

    def _deliver(self, job: EmulatedJob, output: dict[str, Any]) -> dict[str, Any]:
        """Apply archive faults and the s3 transport to a successful handler output."""
        result = output["results"][0]
        archive = base64.b64decode(result.get("tarball_b64") or "")
        if job.faults.truncate_archive:
            archive = archive[: max(len(archive) // 2, 1)]
        if job.faults.malicious_archive:
            archive = _tar_gz({"markdown.md": b"# ok\n", "../escaped.txt": b"pwned"})
        if job.input.get("transport") == "s3":
            key = f"{result['basename']}-{uuid.uuid4().hex}.tar.gz"
            ttl = self.url_ttl_s if job.faults.url_ttl_s is None else job.faults.url_ttl_s
            self._objects[key] = (archive, time.monotonic() + ttl)
            result.pop("tarball_b64", None)
            result.update(
                tarball_url=f"{self.root_url}/bucket/{key}?X-Amz-Expires={int(ttl)}&X-Amz-Signature=SECRETSIG",
                tarball_url_expires_in=int(ttl),
                bucket_key=key,
                bucket_bytes=len(archive),
            )
        elif "tarball_b64" in result:
            result["tarball_b64"] = base64.b64encode(archive).decode()
        return output

    def cancel(self, job_id: str) -> EmulatedJob | None:
        with self.cond:
            job = self.jobs.get(job_id)
            if job is None or job.status in TERMINAL:
                return job
            if job_id in self.queue:
                self.queue.remove(job_id)
                job.status = "CANCELLED"
            else:
                job.cancel_requested = True
                job.status = "CANCELLED"
            return job

    def health(self) -> dict[str, Any]:
        with self.cond:
            counts = {status: 0 for status in ("COMPLETED", "FAILED", "IN_PROGRESS", "IN_QUEUE")}
            for job in self.jobs.values():
                if job.status in counts:
                    counts[job.status] += 1
            running = sum(slot.busy for slot in self.slots)
        return {
            "jobs": {
                "completed": counts["COMPLETED"],
                "failed": counts["FAILED"],
                "inProgress": counts["IN_PROGRESS"],
                "inQueue": counts["IN_QUEUE"],
                "retried": self.retried,
            },
            "workers": {"idle": len(self.slots) - running, "running": running},
        }

    def calls(self, action: str, job_id: str | None = None) -> int:
        """How many `/v2/{endpoint}/{action}[/{job_id}]` requests were seen (tests)."""
        suffix = f"/{action}" if job_id is None else f"/{action}/{job_id}"
        prefix = f"/v2/{self.endpoint_id}/"
        return sum(
            1 for _, path, _ in list(self.requests) if path.startswith(prefix) and path.endswith(suffix)
        )

    def wait_for(self, job_id: str, status: str, timeout_s: float = 60.0) -> EmulatedJob:
        """Poll until the job has `status` (tests)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.jobs.get(job_id)
            if job is not None and job.status == status:
                return job
            time.sleep(0.01)
        raise AssertionError(f"job {job_id} never reached {status}")

    # -- HTTP ---------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
            )

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                raw = self.headers.get("Authorization", "")
                return raw.removeprefix("Bearer ").strip() == emulator.api_key

            def _route(self, method: str) -> None:
                path = urlsplit(self.path).path
                emulator.requests.append((method, path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                if path.startswith("/bucket/"):
                    return self._bucket(path.removeprefix("/bucket/"))
                with emulator.cond:
                    fault = emulator._http_faults.popleft() if emulator._http_faults else None
                if fault is not None:
                    self.rfile.read(length)
                    return self._send(fault, {"error": f"injected HTTP {fault}"})
                if not self._authorized():
                    self.rfile.read(length)
                    return self._send(401, {"error": "Unauthorized"})
                if length > emulator.request_cap_bytes:
                    self.close_connection = True
                    return self._send(413, {"error": "request body too large"})
                body = self.rfile.read(length) if length else b""
                parts = path.strip("/").split("/")
                if parts[:2] == ["v1", "endpoints"] and len(parts) == 3 and method == "GET":
                    if parts[2] != emulator.endpoint_id:
                        return self._send(404, {"error": "endpoint not found"})
                    return self._send(
                        200,
                        {
                            "id": emulator.endpoint_id,
                            "workersMax": len(emulator.slots),
                            "workersMin": 0,
                            "executionTimeoutMs": int(emulator.execution_timeout_s * 1000),
                        },
                    )
                if parts[:1] != ["v2"] or len(parts) < 3 or parts[1] != emulator.endpoint_id:
                    return self._send(404, {"error": "not found"})
                action = parts[2]
                if action == "run" and method == "POST" and len(parts) == 3:
                    try:
                        payload = json.loads(body)
                        job_input = payload["input"]
                    except (ValueError, KeyError, TypeError):
                        return self._send(400, {"error": 'body must be {"input": {...}}'})
                    job = emulator.submit(job_input)
                    return self._send(200, {"id": job.id, "status": job.status})
                if action == "status" and method == "GET" and len(parts) == 4:
                    with emulator.cond:
                        job = emulator.jobs.get(parts[3])
                        view = job.view() if job is not None else None
                    return self._send(200, view) if view else self._send(404, {"error": "job not found"})
                if action == "cancel" and method == "POST" and len(parts) == 4:
                    job = emulator.cancel(parts[3])
                    if job is None:
                        return self._send(404, {"error": "job not found"})
                    return self._send(200, {"id": job.id, "status": job.status})
                if action == "health" and method == "GET" and len(parts) == 3:
                    return self._send(200, emulator.health())
                return self._send(404, {"error": "not found"})

            def _bucket(self, key: str) -> None:
                query = parse_qs(urlsplit(self.path).query)
                stored = emulator._objects.get(key)
                if stored is None or "X-Amz-Signature" not in query:
                    return self._send(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
                data, expires_at = stored
                if time.monotonic() >= expires_at:
                    message = (
                        b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
                    )
                    return self._send(403, message, "application/xml")
                return self._send(200, data, "application/gzip")

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler


def worker_settings(emulator: RunPodEmulator) -> dict[str, Any]:
    """RunPodWorker settings for this emulator: its endpoint and key, the flash tier, results in the
    response (`tarball_b64`; a test asks for `s3` itself), fast polling."""
    return {
        "endpoint_id": emulator.endpoint_id,
        "api_key": emulator.api_key,
        "base_url": emulator.base_url,
        "rest_url": emulator.rest_url,
        "tier": "flash",
        "result_transport": "tarball_b64",
        "poll_interval_s": 0.02,
        "poll_max_interval_s": 0.1,
        "retry_base_s": 0.01,
        "retry_max_s": 0.05,
        "request_timeout_s": 10,
    }

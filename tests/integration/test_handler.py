"""The RunPod handler process end to end: the real runpod SDK worker loop against a loopback job server.

`python -m gpu_image.handler` runs as RunPod would start it (RUNPOD_WEBHOOK_* env), takes jobs from a
fake job-take endpoint, posts results to a fake job-done endpoint and pings a fake ping endpoint. The
engine is MinerU's CPU flash tier on the sample standard.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WORKER_ID = "test-worker"
DEADLINE_S = float(os.environ.get("HANDLER_TEST_DEADLINE_S", "120"))


@dataclass
class JobServer:
    """What RunPod's worker-facing side holds: queued jobs, jobs handed out, posted results, pings."""

    queued: list[dict[str, Any]] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    pings: list[dict[str, list[str]]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    port: int = 0

    def env(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "RUNPOD_WEBHOOK_GET_JOB": f"{base}/job-take/$ID?gpu=cpu",
            "RUNPOD_WEBHOOK_POST_OUTPUT": f"{base}/job-done/$RUNPOD_POD_ID/$ID?gpu=cpu",
            "RUNPOD_WEBHOOK_PING": f"{base}/ping/$RUNPOD_POD_ID?gpu=cpu",
            "RUNPOD_PING_INTERVAL": "1000",
            "RUNPOD_POD_ID": WORKER_ID,
            "RUNPOD_AI_API_KEY": "test-key",
            "RUNPOD_SKIP_AUTO_SYSTEM_CHECKS": "true",
            "RUNPOD_SKIP_GPU_CHECK": "true",
        }

    def enqueue(self, job_id: str, job_input: dict[str, Any]) -> None:
        with self.changed:
            self.queued.append({"id": job_id, "input": job_input})
            self.changed.notify_all()


def _handler_class(server: JobServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/ping/"):
                with server.changed:
                    server.pings.append(parse_qs(url.query))
                self._reply(200, {})
            elif url.path == f"/job-take/{WORKER_ID}":
                with server.changed:  # a short long-poll, like RunPod's
                    server.changed.wait_for(lambda: bool(server.queued), timeout=0.5)
                    job = server.queued.pop(0) if server.queued else None
                    if job is not None:
                        server.taken.append(job["id"])
                        server.changed.notify_all()
                self._reply(200, job) if job else self._reply(204)
            elif url.path.startswith("/job-stop/"):
                time.sleep(0.3)
                self._reply(204)
            else:
                self._reply(404)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = url.path.split("/")
            if len(parts) == 4 and parts[1] == "job-done" and parts[2] == WORKER_ID:
                with server.changed:
                    server.results[parts[3]] = json.loads(body)
                    server.changed.notify_all()
                self._reply(200, {})
            else:
                self._reply(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a poll cut short by the worker's exit (broken pipe) is expected


@pytest.fixture
def job_server() -> Iterator[JobServer]:
    server = JobServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler_class(server))
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


class HandlerProcess:
    """`python -m gpu_image.handler` in its own session; stderr's JSON events collected as they come."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("RUNPOD_", "BUCKET_", "WORKER_"))
        }
        full_env.update({"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **env})
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._seen = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "gpu_image.handler"],
            cwd=cwd,  # the SDK keeps its job-progress file in the working directory
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # as a launcher that ignores SIGTERM starts it (a pytest process can, after some tests): the
            # worker must still drain on SIGTERM and exit, its ping process with it
            preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if os.environ.get("HANDLER_TEST_ECHO"):
                print(line, end="", file=sys.__stderr__, flush=True)
            with self._seen:
                self.raw.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    self.events.append(event)
                    self._seen.notify_all()

    def wait_event(self, name: str) -> dict[str, Any]:
        with self._seen:
            found = self._seen.wait_for(lambda: self.named(name) or self.proc.poll() is not None, DEADLINE_S)
            if not self.named(name):
                raise AssertionError(f"no {name!r} event (exit {self.proc.poll()}); stderr:\n{self.stderr()}")
            assert found
            return self.named(name)[0]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("event") == name]

    def order(self, name: str) -> int:
        return next(i for i, event in enumerate(self.events) if event.get("event") == name)

    def wait_exit(self) -> int:
        try:
            code = self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the handler did not exit; stderr:\n{self.stderr()}") from None
        self._reader.join(timeout=10)
        return code

    def stderr(self) -> str:
        return "".join(self.raw[-60:])

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def start_handler(tmp_path: Path) -> Iterator[Any]:
    started: list[HandlerProcess] = []

    def start(**env: str) -> HandlerProcess:
        process = HandlerProcess(tmp_path, env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def _job(sample_pdf: Path, end_page: int) -> dict[str, Any]:
    return {"volume_path": str(sample_pdf), "start_page": 0, "end_page": end_page, "tier": "flash"}


def test_warmup_and_jobs_share_one_loop_and_max_jobs_retires_the_worker(
    job_server: JobServer, start_handler: Any, sample_pdf: Path
) -> None:
    job_server.enqueue("job-1", _job(sample_pdf, 1))
    job_server.enqueue("job-2", _job(sample_pdf, 1))
    worker = start_handler(
        **job_server.env(),
        VOLUME_ROOT=str(sample_pdf.parent),
        WORKER_TIER="flash",
        WORKER_MAX_JOBS="1",
        WORKER_HEARTBEAT_S="0.2",
    )
    assert worker.wait_exit() == 0, worker.stderr()

    posted = job_server.results["job-1"]
    assert posted["stopPod"] is True  # refresh_worker -> RunPod retires this worker after the job
    output = posted["output"]
    assert output["ok"] is True and "error" not in posted
    assert output["results"][0]["pages_requested"] == [0, 1]
    assert output["results"][0]["tarball_b64"]
    assert output["debug"]["worker_id"] == WORKER_ID and output["debug"]["cold_start"] is False
    assert job_server.taken == ["job-1"]  # job-2 stays queued for a fresh worker

    warmup, ready, received = (worker.wait_event(n) for n in ("warmup done", "worker ready", "job received"))
    assert warmup["loop"] == ready["loop"] == received["loop"]
    assert all(beat["loop"] == warmup["loop"] for beat in worker.named("heartbeat"))
    assert worker.order("warmup done") < worker.order("worker ready") < worker.order("job received")
    assert worker.wait_event("worker exiting")["reason"] == "max_jobs"
    assert job_server.pings and job_server.pings[0]["runpod_version"]


def test_sigterm_mid_job_drains_it_posts_the_result_and_exits_zero(
    job_server: JobServer, start_handler: Any, sample_pdf: Path
) -> None:
    job_server.enqueue("long-job", _job(sample_pdf, 9))
    job_server.enqueue("next-job", _job(sample_pdf, 1))
    worker = start_handler(
        **job_server.env(), VOLUME_ROOT=str(sample_pdf.parent), WORKER_TIER="flash", MINERU_SKIP_WARMUP="1"
    )
    worker.wait_event("starting job")  # logged by run_job in its thread, before fetch and parse
    os.kill(worker.proc.pid, signal.SIGTERM)
    assert worker.wait_exit() == 0, worker.stderr()

    assert worker.order("signal received") < worker.order("done")  # the signal landed mid-job
    posted = job_server.results["long-job"]
    assert posted["output"]["ok"] is True and "stopPod" not in posted
    assert posted["output"]["results"][0]["pages_requested"] == [0, 9]
    assert job_server.taken == ["long-job"]
    assert worker.wait_event("worker exiting")["reason"] == "sigterm"
    assert worker.named("warmup skipped") and not worker.named("warmup done")


def test_a_failing_job_posts_its_error_and_the_worker_keeps_serving(
    job_server: JobServer, start_handler: Any, sample_pdf: Path
) -> None:
    job_server.enqueue("bad", {"volume_path": str(sample_pdf), "end_page": 9999, "tier": "flash"})
    job_server.enqueue("good", _job(sample_pdf, 0))
    worker = start_handler(
        **job_server.env(),
        VOLUME_ROOT=str(sample_pdf.parent),
        WORKER_TIER="flash",
        MINERU_SKIP_WARMUP="1",
        WORKER_MAX_JOBS="2",
    )
    assert worker.wait_exit() == 0, worker.stderr()
    assert job_server.results["bad"]["error"].startswith("PageRangeError: end_page 9999 is past")
    assert "output" not in job_server.results["bad"]  # RunPod marks it FAILED
    assert job_server.results["good"]["output"]["ok"] is True


def test_fitness_failures_exit_one_with_a_clear_message_before_any_job(
    job_server: JobServer, start_handler: Any
) -> None:
    job_server.enqueue("never", {"file_url": "https://example.org/a.pdf"})
    worker = start_handler(
        **job_server.env(),
        WORKER_TIER="standard",
        CUDA_VISIBLE_DEVICES="",
        BUCKET_NAME="parses",
        WORKER_MIN_FREE_DISK_GB="0",
    )
    assert worker.wait_exit() == 1
    problems = [event["problem"] for event in worker.named("fitness check failed")]
    assert any("needs a GPU" in problem for problem in problems), problems
    assert any("BUCKET_* settings are incomplete" in p and "BUCKET_ENDPOINT_URL" in p for p in problems), (
        problems
    )
    assert not worker.named("warmup done") and not worker.named("worker ready")
    assert job_server.taken == []


def test_malformed_settings_exit_one_naming_the_variable(start_handler: Any) -> None:
    worker = start_handler(WORKER_CONCURRENCY="many")
    assert worker.wait_exit() == 1
    assert "WORKER_CONCURRENCY" in worker.wait_event("bad settings")["error"]


def test_with_an_otlp_endpoint_the_boot_warmup_and_each_job_are_exported(
    job_server: JobServer, start_handler: Any, sample_pdf: Path, otlp: OtlpReceiver
) -> None:
    job_server.enqueue("job-1", _job(sample_pdf, 1))
    worker = start_handler(
        **job_server.env(), VOLUME_ROOT=str(sample_pdf.parent), WORKER_TIER="flash", WORKER_MAX_JOBS="1"
    )
    assert worker.wait_exit() == 0, worker.stderr()
    assert worker.named("telemetry on")
    assert job_server.results["job-1"]["output"]["debug"]["warmup_ms"] > 0  # the first job reports the boot

    spans = otlp.spans()  # the handler flushed on its way out
    (warmup,) = [span for span in spans if span.name == "mineru.warmup"]
    (job,) = [span for span in spans if span.name == "mineru.job"]
    assert warmup.parent_span_id == job.parent_span_id == ""
    assert job.attributes["mineru.job_id"] == "job-1" and job.attributes["mineru.cold_start"] is False
    assert job.resource["service.name"] == "mineru-worker" and job.resource["worker.id"] == WORKER_ID
    assert {span.name for span in spans if span.parent_span_id == job.span_id} == {
        "mineru.fetch_input",
        "mineru.parse",
        "mineru.package",
    }
    events = {log.event_name for log in otlp.logs()}
    assert {"warmup done", "job received", "done", "worker exiting"} <= events

"""The spool directory between `pool.WorkerPool` (what LocalWorker drives) and the warm `--serve` workers.

A job file moves only by atomic rename (queue/ -> running/<pid>/ -> done/), so two workers never run
one job and every file a reader opens is complete. Nothing here imports the parse engine.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CODE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the worker's packages: where a worker process starts."""
WORKER_PACKAGES = ("gpu_image", "worker_contract", "telemetry")
"""The code a worker runs (the GPU image copies the same packages), hashed into its fingerprint."""

SETTINGS_ENV_PREFIXES = (
    "VOLUME_ROOT",
    "MAX_INPUT_BYTES",
    "FETCH_TIMEOUT_SECONDS",
    "ALLOW_PRIVATE_URLS",
    "ALLOWED_URL_HOSTS",
    "BUCKET_",
    "MINERU_",
    "HF_",
    "TRANSFORMERS_",
    "DO_NOT_TRACK",
    "PYTHONPATH",
    "OTEL_",
)
"""Environment a worker reads (fetch guards, S3 transport, engine): captured when the worker starts,
so it is part of the fingerprint. A run with other settings never talks to a worker started without."""

_PROC = Path("/proc")


class SpoolError(RuntimeError):
    """The spool directory is not safe to use (not a private directory of this user)."""


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temp file beside `path`, fsync it, then `os.replace` it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def code_digest() -> str:
    """sha256 over the relative names and bytes of every `.py` file of the WORKER_PACKAGES."""
    digest = hashlib.sha256()
    for package in WORKER_PACKAGES:
        for path in sorted((CODE_ROOT / package).rglob("*.py")):
            digest.update(path.relative_to(CODE_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def settings_digest() -> str:
    """sha256 over this environment's worker settings (SETTINGS_ENV_PREFIXES); values never leave it."""
    items = sorted((k, v) for k, v in os.environ.items() if k.startswith(SETTINGS_ENV_PREFIXES))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), or None when there is no such process."""
    try:
        line = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return line[line.rindex(")") + 2 :].split()


def process_identity(pid: int) -> str | None:
    """A token that changes when `pid` is reused (its start time on Linux, else ""); None if not alive.

    A zombie counts as dead: a worker started by this process stays one until it is reaped.
    """
    if not _PROC.joinpath("self", "stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    fields = _proc_stat(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _group_members(pgid: int) -> list[tuple[int, int]]:
    """(pid, rss pages) of every live process in process group `pgid` (Linux)."""
    members = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = _proc_stat(int(entry.name))
            if fields and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.append((int(entry.name), int(fields[21])))
    return members


def process_group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in process group `pgid`."""
    if _PROC.joinpath("self", "stat").exists():
        return bool(_group_members(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def group_rss_mb(pgid: int) -> float:
    """Resident memory of process group `pgid` in MiB: the worker plus MinerU's render processes.

    Without /proc, this process's peak RSS stands in.
    """
    if _PROC.joinpath("self", "stat").exists():
        return sum(rss for _, rss in _group_members(pgid)) * os.sysconf("SC_PAGE_SIZE") / 2**20
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def ensure_private_dir(path: Path) -> Path:
    """Create `path` with mode 0o700, or accept it only as a real directory of ours nobody else can use."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise SpoolError(f"{path} is not a private directory of this user (mode 0o700, not a link)")
    return path


@dataclass(frozen=True)
class WorkerRecord:
    """`workers/<pid>.json`: a live serve worker, written by the worker itself and removed when it exits."""

    pid: int
    identity: str
    fingerprint: str
    started_at: str

    @classmethod
    def of_this_process(cls, fingerprint: str) -> WorkerRecord:
        pid = os.getpid()
        return cls(pid, process_identity(pid) or "", fingerprint, datetime.now(UTC).isoformat())

    def is_live(self, fingerprint: str) -> bool:
        """Same fingerprint and this very process still running (a reused pid has another identity)."""
        return self.fingerprint == fingerprint and process_identity(self.pid) == self.identity


@dataclass(frozen=True)
class Claim:
    """A job a worker took: its file now lives in `running/<pid>/`."""

    job_id: str
    path: Path

    def payload(self) -> Any:
        return json.loads(self.path.read_text(encoding="utf-8"))["payload"]


@dataclass(frozen=True)
class Spool:
    """queue/ (waiting jobs), running/<pid>/ (claims), done/ (outputs), workers/ (records), logs/."""

    root: Path

    @property
    def queue(self) -> Path:
        return self.root / "queue"

    @property
    def running(self) -> Path:
        return self.root / "running"

    @property
    def done(self) -> Path:
        return self.root / "done"

    @property
    def workers(self) -> Path:
        return self.root / "workers"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def create(self) -> Spool:
        """Create the spool (private to this user) with its folders; return it."""
        self.root.parent.mkdir(parents=True, exist_ok=True)
        ensure_private_dir(self.root)
        for folder in (self.queue, self.running, self.done, self.workers, self.logs):
            folder.mkdir(mode=0o700, exist_ok=True)
        return self

    # -- jobs ---------------------------------------------------------------------------------------

    def enqueue(self, job_id: str, payload: dict[str, Any]) -> None:
        """Queue a job payload (file paths at most, never secrets) under `queue/<job_id>.json`."""
        record = {"job_id": job_id, "submitted_at": time.time(), "payload": payload}
        write_atomically(self.queue / f"{job_id}.json", json.dumps(record))

    def queued_ids(self) -> list[str]:
        """Queued job ids, oldest first (temp files being written start with a dot and are skipped)."""
        entries = [e for e in os.scandir(self.queue) if e.name.endswith(".json") and e.name[0] != "."]
        with_times = []
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                with_times.append((entry.stat().st_mtime_ns, entry.name.removesuffix(".json")))
        return [job_id for _, job_id in sorted(with_times)]

    def is_queued(self, job_id: str) -> bool:
        return (self.queue / f"{job_id}.json").exists()

    def withdraw(self, job_id: str) -> bool:
        """Remove a still-queued job; False when a worker claimed it first (unlink and claim are atomic)."""
        try:
            (self.queue / f"{job_id}.json").unlink()
        except FileNotFoundError:
            return False
        return True

    def claim_next(self, pid: int) -> Claim | None:
        """Move the oldest queued job into `running/<pid>/`; None when the queue is empty."""
        folder = self.running / str(pid)
        folder.mkdir(mode=0o700, exist_ok=True)
        for job_id in self.queued_ids():
            target = folder / f"{job_id}.json"
            try:
                os.rename(self.queue / f"{job_id}.json", target)
            except FileNotFoundError:
                continue  # another worker claimed it, or it was withdrawn
            return Claim(job_id, target)
        return None

    def claim_owner(self, job_id: str) -> int | None:
        """Pid of the worker holding `job_id`'s claim, if any."""
        for path in self.running.glob(f"*/{job_id}.json"):
            return int(path.parent.name)
        return None

    def claim_count(self) -> int:
        return sum(1 for _ in self.running.glob("*/*.json"))

    def revoke(self, job_id: str) -> int | None:
        """Remove `job_id`'s claim (its worker then aborts it on SIGTERM); the owner's pid, or None."""
        for path in self.running.glob(f"*/{job_id}.json"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                return int(path.parent.name)
        return None

    def publish(self, job_id: str, output: dict[str, Any]) -> None:
        """Write the job's output JSON to `done/<job_id>.json` (complete or absent)."""
        write_atomically(self.done / f"{job_id}.json", json.dumps(output, ensure_ascii=False))

    def take_output(self, job_id: str) -> Any | None:
        """The job's output JSON, removed from done/; None while it is not there."""
        path = self.done / f"{job_id}.json"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        path.unlink(missing_ok=True)
        return json.loads(raw)

    def has_output(self, job_id: str) -> bool:
        return (self.done / f"{job_id}.json").exists()

    def sweep_outputs(self, older_than_s: float) -> int:
        """Remove outputs nobody took for `older_than_s` (their orchestrator died waiting); how many."""
        cutoff, removed = time.time() - older_than_s, 0
        for path in self.done.glob("*.json"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    # -- workers ------------------------------------------------------------------------------------

    def register(self, record: WorkerRecord) -> None:
        write_atomically(self.workers / f"{record.pid}.json", json.dumps(asdict(record)))

    def is_registered(self, pid: int) -> bool:
        return (self.workers / f"{pid}.json").exists()

    def record(self, pid: int) -> WorkerRecord | None:
        try:
            return WorkerRecord(**json.loads((self.workers / f"{pid}.json").read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def unregister(self, pid: int) -> None:
        """Forget worker `pid`: its record and its (empty or orphaned) claim folder."""
        (self.workers / f"{pid}.json").unlink(missing_ok=True)
        folder = self.running / str(pid)
        if folder.is_dir():
            for leftover in folder.iterdir():
                leftover.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()

    def live_workers(self, fingerprint: str) -> list[WorkerRecord]:
        """Workers alive with this fingerprint; records of dead (or pid-reused) workers are removed.

        A dead worker's claims stay for the waiting orchestrator to report.
        """
        live = []
        for path in self.workers.glob("*.json"):
            record = self.record(int(path.stem)) if path.stem.isdigit() else None
            if record is not None and record.is_live(fingerprint):
                live.append(record)
            else:
                path.unlink(missing_ok=True)
        return live

    def is_live(self, pid: int, fingerprint: str) -> bool:
        record = self.record(pid)
        return record is not None and record.is_live(fingerprint)

    def log_path(self, pid: int) -> Path:
        return self.logs / f"{pid}.log"

    def log_tail(self, pid: int, chars: int = 500) -> str:
        try:
            return self.log_path(pid).read_bytes()[-chars:].decode("utf-8", "replace").strip()
        except FileNotFoundError:
            return "(no log)"

    def job_log(self, pid: int, job_id: str, chars: int = 400) -> str:
        """Worker `pid`'s log from its first line naming `job_id` on (a worker runs one job at a time, so
        these lines are that job's, not earlier jobs'), the last `chars` of it."""
        try:
            text = self.log_path(pid).read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no log)"
        start = text.find(json.dumps({"job_id": job_id})[1:-1])
        if start < 0:
            return "(no log line of this job)"
        return text[text.rfind("\n", 0, start) + 1 :][-chars:].strip()

    @contextlib.contextmanager
    def start_lock(self) -> Iterator[None]:
        """Exclusive lock held while counting and starting workers, so concurrent runs start one, not two."""
        with (self.root / "start.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

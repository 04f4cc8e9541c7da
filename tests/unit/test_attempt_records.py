"""What an attempt leaves behind: its own short error in its record, a worker log cut to its own job,
deadline markers that go when their run ends or grows old, no spool output left for ever."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from gpu_image.worker.spool import Spool
from platform_assets.domain.observe.timing_records import ERROR_MAX_CHARS, TimingRecord
from platform_assets.domain.parse import attempt_deadline
from tests.timing_builders import timing_record


def attempt(error: str | None) -> TimingRecord:
    return timing_record(status="failed", error=error)


def test_an_attempts_error_is_one_line_of_at_most_500_characters() -> None:
    assert (
        attempt("KeyError 'page_idx'\n  in the MinerU adapter").error
        == "KeyError 'page_idx' in the MinerU adapter"
    )
    long = attempt("parse worker 4242 died running job local-1: " + "y" * 3000).error
    assert len(long) == ERROR_MAX_CHARS == 500 and long.endswith("…") and long.startswith("parse worker 4242")
    assert attempt(None).error is None


def test_a_dead_workers_log_is_cut_to_the_lines_of_its_last_job(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool").create()

    def line(event: str, **data: str) -> str:
        return json.dumps({"ts": 1.0, "level": "info", "event": event, **data})

    earlier = [line("claimed job", job_id="local-a"), line("starting job", job_id="local-a"), "x" * 900]
    own = [
        line("claimed job", job_id="local-b"),
        line("starting job", job_id="local-b"),
        "Fatal Python error",
    ]
    spool.log_path(7).write_text("\n".join([line("worker started"), *earlier, *own]) + "\n")
    assert spool.job_log(7, "local-b") == "\n".join(own)
    assert spool.job_log(7, "local-c") == "(no log line of this job)"
    assert spool.job_log(8, "local-b") == "(no log)"
    assert len(spool.job_log(7, "local-a")) <= 400  # the log from its first line on, cut to 400


def test_outputs_nobody_took_for_a_day_are_swept_from_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool").create()
    spool.publish("orphaned", {"ok": True})  # its orchestrator was killed while waiting
    spool.publish("awaited", {"ok": True})
    day_ago = time.time() - 24 * 3600 - 1
    os.utime(spool.done / "orphaned.json", (day_ago, day_ago))
    assert spool.sweep_outputs(24 * 3600) == 1
    assert not spool.has_output("orphaned") and spool.take_output("awaited") == {"ok": True}


def test_a_runs_marker_keeps_its_first_attempts_time_until_the_run_ends(tmp_path: Path) -> None:
    first = attempt_deadline.first_attempt_at(tmp_path, "d~b001", "run-1")
    time.sleep(0.01)
    assert attempt_deadline.first_attempt_at(tmp_path, "d~b001", "run-1") == first  # a retry: same start
    assert attempt_deadline.first_attempt_at(tmp_path, "d~b001", "run-2") > first  # another run
    attempt_deadline.end_run(tmp_path, "d~b001", "run-1")
    assert [p.name for p in (tmp_path / "d~b001").iterdir()] == [f".run-2{attempt_deadline.SUFFIX}"]
    attempt_deadline.end_run(tmp_path, "d~b001", "run-1")  # twice is fine


def test_markers_of_runs_long_past_their_deadline_are_swept(tmp_path: Path) -> None:
    deadline_s = 3600.0
    old = attempt_deadline.marker_path(tmp_path, "d~b001", "killed-run")
    fresh = attempt_deadline.marker_path(tmp_path, "d~b002", "running-run")
    attempt_deadline.first_attempt_at(tmp_path, "d~b001", "killed-run")
    attempt_deadline.first_attempt_at(tmp_path, "d~b002", "running-run")
    stale = time.time() - deadline_s - attempt_deadline.SWEEP_AFTER_S - 1
    os.utime(old, (stale, stale))
    assert attempt_deadline.sweep(tmp_path, deadline_s) == 1
    assert not old.exists() and fresh.exists()
    assert attempt_deadline.sweep(tmp_path / "absent", deadline_s) == 0

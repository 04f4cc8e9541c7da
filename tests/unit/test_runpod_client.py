"""RunPodWorker's pure helpers: bounded jittered backoff, poll schedule, and RunPod status classification."""

from __future__ import annotations

import json
import random

import pytest

from resources.parse_worker import LocalWorker
from resources.runpod_worker import (
    RunPodWorker,
    backoff_delays,
    failure_message,
    is_transient_failure,
    poll_intervals,
    status_error,
)


def test_backoff_grows_exponentially_with_jitter_and_stays_under_the_cap():
    delays = list(backoff_delays(0.5, 4.0, 6, random.Random(7)))
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(delays) == 6
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))


def test_backoff_with_no_retries_yields_nothing():
    assert list(backoff_delays(0.5, 4.0, 0)) == []


def test_poll_intervals_grow_to_their_cap():
    schedule = poll_intervals(0.5, 2.0, 3.0)
    assert [next(schedule) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_completed_job_with_an_ok_output_is_usable():
    assert status_error("j", {"status": "COMPLETED", "output": {"ok": True, "results": []}}) is None


@pytest.mark.parametrize(
    ("body", "transient", "phrase"),
    [
        ({"status": "TIMED_OUT"}, True, "execution timeout"),
        ({"status": "CANCELLED"}, True, "CANCELLED"),
        ({"status": "COMPLETED", "output": None}, False, "s3"),
        ({"status": "COMPLETED", "output": {"ok": False}}, False, "ok=False"),
        ({"status": "COMPLETED", "output": {"error": "JobInputError: tier: bad"}}, False, "JobInputError"),
        (
            {"status": "FAILED", "error": "FetchError: volume_path 'x.pdf' does not exist"},
            False,
            "FetchError",
        ),
        ({"status": "FAILED", "error": "worker crashed: exited with code 13"}, True, "worker crashed"),
        ({"status": "FAILED", "error": "RuntimeError: CUDA out of memory"}, True, "CUDA"),
        ({"status": "WEIRD"}, True, "unknown status"),
    ],
)
def test_terminal_statuses_map_to_errors_of_the_right_kind(body, transient, phrase):
    error = status_error("job-1", body)
    assert error is not None and error.transient is transient and phrase in str(error)


def test_an_oversized_output_message_names_the_cap_and_the_s3_transport():
    error = status_error("job-1", {"status": "COMPLETED", "output": None})
    assert error is not None and "20 MB" in str(error) and "`s3` transport" in str(error)


def test_the_sdk_json_error_form_is_flattened_and_redacted():
    raw = json.dumps(
        {
            "error_type": "<class 'RuntimeError'>",
            "error_message": "fetch from https://bucket.example/x.pdf?X-Amz-Signature=SECRET failed",
            "error_traceback": "Traceback ...",
        }
    )
    message = failure_message(raw)
    assert "RuntimeError" in message and "SECRET" not in message and "https://bucket.example/x.pdf" in message
    assert "Traceback" not in message


def test_contract_errors_are_permanent_even_when_they_mention_a_timeout():
    assert not is_transient_failure("FetchError: download exceeded its time budget (timed out)")
    assert is_transient_failure("TimeoutError: read timed out")


def test_engine_identity_and_transport_come_from_the_configuration():
    worker = RunPodWorker(endpoint_id="e", api_key="k", tier="flash", result_transport="s3")
    assert worker.engine_identity == ("4.0.12", "flash") and worker.transport == "s3"
    assert RunPodWorker(endpoint_id="e", api_key="k").engine_identity == ("4.0.12", "standard")
    assert LocalWorker().transport == "local_dir"
    assert LocalWorker(result_transport="tarball_b64").transport == "tarball_b64"

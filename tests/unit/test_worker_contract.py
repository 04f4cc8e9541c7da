"""The job contract accepts what mineru-runpod clients send and rejects everything ambiguous."""

from __future__ import annotations

from typing import Any

import pytest

from worker_contract.contract import (
    DEFAULT_TIER,
    JobInputError,
    JobOutput,
    parse_job_input,
)

PDF = {"volume_path": "/data/a.pdf"}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, "exactly one of file_url, file_b64, volume_path"),
        ({"volume_path": "a.pdf", "file_b64": "JVBERi0="}, "exactly one of"),
        ({"file_url": "https://x.org/a.pdf", "file_b64": "JVBERi0=", "volume_path": "a"}, "(got 3)"),
        ({"file_url": None, **PDF}, "null is not allowed"),
        ({**PDF, "tier": None}, "null is not allowed (omit the field instead): tier"),
        ({**PDF, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({**PDF, "start_page": -1}, "start_page must be >= 0"),
        ({**PDF, "start_page": 5, "end_page": 4}, "end_page must be >= start_page"),
        ({**PDF, "end_page": -2}, "end_page must be >= start_page"),
        ({**PDF, "start_page": "3"}, "start_page: Input should be a valid integer"),
        ({**PDF, "basename": "../etc"}, "basename: String should match pattern"),
        ({**PDF, "basename": ""}, "basename: String should match pattern"),
        ({**PDF, "basename": "x" * 129}, "basename: String should match pattern"),
        ({**PDF, "basename": "a b"}, "basename: String should match pattern"),
        ({"file_url": "ftp://x.org/a.pdf"}, "file_url must be an http(s) URL"),
        ({"file_url": "file:///etc/passwd"}, "file_url must be an http(s) URL"),
        ({**PDF, "backend": "magic"}, "unknown backend 'magic'"),
        ({**PDF, "backend": "pipeline", "tier": "standard"}, "backend 'pipeline' means tier 'basic'"),
        ({**PDF, "tier": "turbo"}, "tier: Input should be"),
        ({**PDF, "transport": "ftp"}, "transport: Input should be"),
        ({**PDF, "archive_format": "rar"}, "archive_format: Input should be"),
        ({"input": {"volume_path": "a", "bogus": 1}}, "bogus: Extra inputs are not permitted"),
        ({"input": "a.pdf"}, "job input must be a JSON object"),
    ],
)
def test_invalid_inputs_are_rejected_with_a_clear_message(payload: dict[str, Any], expected: str) -> None:
    with pytest.raises(JobInputError) as caught:
        parse_job_input(payload)
    assert expected in str(caught.value)


def test_error_messages_never_echo_file_b64() -> None:
    secret = "U0VDUkVULURBVEE" * 10
    with pytest.raises(JobInputError) as caught:
        parse_job_input({"file_b64": secret, "volume_path": "a", "start_page": "x"})
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("backend", "tier"),
    [
        ("pipeline", "basic"),
        ("vlm-transformers", "standard"),
        ("vlm-vllm-engine", "standard"),
        ("vlm-http-client", "standard"),
        ("hybrid-auto-engine", "standard"),
    ],
)
def test_3x_backends_map_to_4x_tiers(backend: str, tier: str) -> None:
    job = parse_job_input({**PDF, "backend": backend})
    assert job.effective_tier == tier
    assert parse_job_input({**PDF, "backend": backend, "tier": tier}).effective_tier == tier


def test_defaults_and_wrapped_payload() -> None:
    job = parse_job_input({"input": {"file_url": "https://example.org/a.pdf?sig=1"}})
    assert job.source == "file_url"
    assert job.effective_tier == DEFAULT_TIER == "standard"
    assert (job.transport, job.basename, job.archive_format) == ("tarball_b64", "document", "tar.gz")
    assert (job.start_page, job.end_page) == (0, -1)
    assert parse_job_input({**PDF, "tier": "flash"}).effective_tier == "flash"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(0, -1, "1-r1"), (2, 6, "3-7"), (4, 4, "5-5"), (9, -1, "10-r1")],
)
def test_page_range_is_mineru_1based_inclusive(start: int, end: int, expected: str) -> None:
    assert parse_job_input({**PDF, "start_page": start, "end_page": end}).page_range_1based() == expected


def test_page_range_strings_are_accepted_by_mineru() -> None:
    from mineru.parser.page_range import expand_page_range

    assert expand_page_range("3-r1", 13) == "3-13"
    assert expand_page_range("3-7", 13) == "3-7"


def test_output_model_round_trips_the_documented_shape() -> None:
    output = {
        "ok": True,
        "elapsed_seconds": 1.5,
        "mineru_version": "4.0.12",
        "results": [
            {
                "basename": "doc",
                "source": "volume_path",
                "pages_requested": [0, 2],
                "page_count_parsed": 3,
                "archive_format": "tar.gz",
                "tarball_b64": "AAAA",
                "degraded": ["content_list.json: boom"],
            }
        ],
        "debug": {
            "phase_ms": {"fetch_input": 1, "mineru_parse": 2, "package": 3},
            "tier": "flash",
            "worker_id": "w1",
            "cold_start": True,
        },
    }
    assert JobOutput.model_validate(output).model_dump(exclude_none=True) == output

"""The CLI refuses what is not a PDF file at once (exit 2), says what `--wait` produced in its exit code and
last line (0 clean, 3 not clean), and starts on a fresh Dagster instance from two processes at once."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from platform_assets import __main__ as cli
from platform_assets.local_run import DocumentReport

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, data: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLATFORM_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home")}
    return subprocess.run(
        [sys.executable, "-m", "platform_assets", "ingest", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,  # a FIFO opened for reading would block here: the test fails instead of hanging
    )


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: p.mkdir() or p, "a directory"),
        (lambda p: os.mkfifo(p) or p, "a FIFO (named pipe)"),
        (lambda _: Path("/dev/zero"), "a character device"),
    ],
    ids=["directory", "fifo", "dev-zero"],
)
def test_a_path_that_is_not_a_regular_file_is_refused_at_once_with_exit_2(tmp_path, make, kind):
    path = make(tmp_path / "input.pdf")
    started = time.monotonic()
    result = run_cli(str(path), data=tmp_path / "data")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {path} is {kind}, not a regular file: give a PDF file's path"
    assert result.stdout == "" and time.monotonic() - started < 30
    assert not (tmp_path / "data" / "registry" / "documents").exists()


def test_a_missing_or_unreadable_path_is_refused_with_exit_2_and_no_traceback(tmp_path):
    result = run_cli(str(tmp_path / "nope.pdf"), data=tmp_path / "data")
    assert (result.returncode, result.stderr.strip()) == (
        2,
        f"error: {tmp_path / 'nope.pdf'}: No such file or directory",
    )


def test_a_wrong_password_reads_differently_from_a_missing_one(tmp_path, real_pdfs):
    encrypted = str(real_pdfs / "pikepdf-graph-encrypted.pdf")
    missing = run_cli(encrypted, data=tmp_path / "data")
    wrong = run_cli(encrypted, "--password", "not-it", data=tmp_path / "data")
    assert (missing.returncode, wrong.returncode) == (2, 2)
    assert "is encrypted: register it with a password" in missing.stderr
    assert "is encrypted and the password given does not open it" in wrong.stderr
    assert "Traceback" not in missing.stderr + wrong.stderr


def test_a_non_utf8_file_name_registers_from_the_cli(tmp_path, sample_pdf):
    bad = Path(os.fsdecode(os.fsencode(tmp_path) + b"/bad\xff\xfe.pdf"))
    bad.write_bytes(sample_pdf.read_bytes())
    first = run_cli(str(bad), data=tmp_path / "data")
    second = run_cli(str(bad), data=tmp_path / "data")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout.startswith("registered as bad-") and second.stdout.startswith("duplicate of bad-")


REPORT = DocumentReport(
    doc_id="sample-0123456789ab",
    pages=56,
    batches=6,
    blocks=900,
    parse_seconds=10.0,
    contiguity_passed=True,
    tree_complete=True,
    tree_files=40,
    clauses_matched=40,
    outline_entries=40,
    references_linked=12,
    references_found=12,
    tree_dir="trees",
    batches_dir="batches",
    warehouse="warehouse.duckdb",
    findings=3,
    actionable={"coverage": 0, "links": 0},
    checks_skipped=[],
    report_path="latest.json",
    plots_dir="reports",
)


@pytest.mark.parametrize(
    ("changes", "code", "last_line"),
    [
        ({}, 0, "result     clean: 56 pages, 40 of 40 clauses opened, 0 actionable of 3 finding(s)"),
        (
            {"clauses_matched": 36, "clauses_repeated": 4},
            0,
            "result     clean: 56 pages, 36 of 40 clauses opened, 4 repeat their bookmarks, "
            "0 actionable of 3 finding(s)",
        ),
        (
            {"tree_complete": False, "clauses_matched": 38, "actionable": {"coverage": 2, "links": 0}},
            3,
            "result     NOT CLEAN (INCOMPLETE tree, actionable findings): 56 pages, 38 of 40 clauses opened, "
            "2 actionable of 3 finding(s); coverage 2",
        ),
        (
            {"actionable": {"coverage": 0, "degraded": 1}},
            3,
            "result     NOT CLEAN (degraded output, actionable findings): 56 pages, 40 of 40 clauses opened, "
            "1 actionable of 3 finding(s); degraded 1",
        ),
        (
            {"actionable": {"links": 1}},
            3,
            "result     NOT CLEAN (actionable findings): 56 pages, 40 of 40 clauses opened, "
            "1 actionable of 3 finding(s); links 1",
        ),
    ],
    ids=["clean", "repeated", "incomplete", "degraded", "findings"],
)
def test_ingest_wait_exits_0_only_for_a_clean_tree_and_3_otherwise_with_the_counts_last(
    tmp_path, sample_pdf, monkeypatch, capsys, changes, code, last_line
):
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    report = dataclasses.replace(REPORT, **changes)
    monkeypatch.setattr("platform_assets.local_run.materialize_document", lambda *_: report)
    assert cli.main(["ingest", str(sample_pdf), "--wait"]) == code
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == last_line


INSTANCE_USER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import dagster as dg
    from platform_assets.__main__ import open_instance

    @dg.asset
    def probe() -> int:
        return 1

    me, homes = sys.argv[1], sys.argv[2:]
    for home in map(Path, homes):  # one fresh instance per round; both processes enter it together
        os.environ["DAGSTER_HOME"] = str(home)
        os.chdir(home)
        (home / f"ready-{me}").touch()
        deadline = time.time() + 60
        while len(list(home.glob("ready-*"))) < 2:
            if time.time() > deadline:
                sys.exit(f"{home.name}: the other process never arrived")
            time.sleep(0.001)
        with open_instance() as instance:
            assert dg.materialize([probe], instance=instance).success
        print(home.name, flush=True)
    """
)
INSTANCE_ROUNDS = 10


def test_two_processes_start_on_a_fresh_instance_at_once(tmp_path):
    """Two processes create the SQLite storages of a fresh DAGSTER_HOME at the same moment and run on it,
    INSTANCE_ROUNDS times (a fresh home each round)."""
    script = tmp_path / "use_instance.py"
    script.write_text(INSTANCE_USER)
    homes = [tmp_path / f"home-{round_}" for round_ in range(INSTANCE_ROUNDS)]
    for home in homes:
        home.mkdir()
        (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), me, *map(str, homes)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me in "ab"
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert [out.split() for out, _ in outputs] == [[h.name for h in homes]] * 2  # every round, both
    assert not any((home / cli.INSTANCE_LOCK).exists() for home in homes)
    assert "already exists" not in "".join(err for _, err in outputs)

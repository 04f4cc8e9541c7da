"""A throwaway PostgreSQL server for live tests: `initdb` in a temp folder, `pg_ctl` on a loopback port.

Password auth on 127.0.0.1 only, a random password per cluster, a fresh database per test. PostgreSQL
refuses to run as root, so under root (CI) the cluster belongs to the `postgres` system user. The server
is stopped and its folder removed even when the test fails; where no server binaries exist, tests skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.live.test_inbox_to_batches import free_port

DEBIAN_SERVERS = Path("/usr/lib/postgresql")
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"
HOST = "127.0.0.1"
SUPERUSER = "dagster"


def server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the one `initdb` on PATH lives in, else Debian's
    `/usr/lib/postgresql/<major>/bin` of the newest major (the package puts no initdb on PATH)."""
    on_path = shutil.which("initdb")
    debian = sorted(DEBIAN_SERVERS.glob("*/bin"), key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0))
    candidates = [Path(on_path).resolve().parent] if on_path else []
    return next(
        (c for c in [*candidates, *reversed(debian)] if all((c / p).is_file() for p in SERVER_PROGRAMS)),
        None,
    )


@dataclass(frozen=True)
class PostgresDatabase:
    """One database of the server, and the DAGSTER_PG_* environment deploy/instance/dagster.yaml reads."""

    port: int
    password: str
    name: str
    host: str = HOST
    user: str = SUPERUSER

    @property
    def env(self) -> dict[str, str]:
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.name,
        }

    def connect(self) -> Any:
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.name
        )


@dataclass(frozen=True)
class PostgresServer:
    port: int
    password: str
    log: Path

    def create_database(self, name: str) -> PostgresDatabase:
        admin = PostgresDatabase(self.port, self.password, "postgres")
        connection = admin.connect()
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return PostgresDatabase(self.port, self.password, name)


def _as_server_user() -> dict[str, Any]:
    """subprocess arguments that run a server program as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(SERVER_USER)  # created by Debian's postgresql package
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def running_postgres(binaries: Path) -> Iterator[PostgresServer]:
    """A new cluster on a free loopback port, stopped and deleted on exit."""
    as_user = _as_server_user()
    # the server user must reach the folder: /tmp, not root's private pytest folder
    root = Path(tempfile.mkdtemp(prefix="platform-pg-", dir="/tmp" if as_user else None))
    data, log, password_file = root / "data", root / "server.log", root / "password"
    password = secrets.token_urlsafe(16)
    password_file.write_text(password + "\n")
    if as_user:
        for path in (root, password_file):
            os.chown(path, as_user["user"], as_user["group"])
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), "LC_ALL": "C.UTF-8", "TZ": "UTC"}

    def run(*argv: str) -> None:
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, **as_user)
        if done.returncode:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stdout}{done.stderr}\n{server_log}")

    pg_ctl = str(binaries / "pg_ctl")
    started = False
    try:
        cluster = [f"--pgdata={data}", f"--username={SUPERUSER}", f"--pwfile={password_file}"]
        run(str(binaries / "initdb"), *cluster, "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync")
        (data / "pg_hba.conf").write_text(f"host all all {HOST}/32 scram-sha-256\n")
        port = free_port()
        options = f"-p {port} -k {root} -c listen_addresses={HOST} -c fsync=off -c max_connections=200"
        run(pg_ctl, "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options)
        started = True
        yield PostgresServer(port, password, log)
    finally:
        if started:
            _stop(pg_ctl, data, env, as_user)
        shutil.rmtree(root, ignore_errors=True)


def _stop(pg_ctl: str, data: Path, env: dict[str, str], as_user: dict[str, Any]) -> None:
    """`pg_ctl stop` (fast: disconnects clients); the postmaster is killed if it does not stop in time."""
    argv = [pg_ctl, "stop", "-w", "-t", "30", "-m", "fast", "-D", str(data)]
    if subprocess.run(argv, env=env, capture_output=True, **as_user).returncode == 0:
        return
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)


@pytest.fixture(scope="session", name="postgres_server")
def postgres_server_fixture() -> Iterator[PostgresServer]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "no PostgreSQL server: initdb, pg_ctl and postgres are neither on PATH nor in "
            f"{DEBIAN_SERVERS}/*/bin; install Debian's `postgresql` package (.ci/run does)"
        )
    with running_postgres(binaries) as server:
        yield server


@pytest.fixture(name="postgres_database")
def postgres_database_fixture(postgres_server: PostgresServer) -> PostgresDatabase:
    """A database of its own for this test on the session's server."""
    return postgres_server.create_database(f"test_{secrets.token_hex(4)}")

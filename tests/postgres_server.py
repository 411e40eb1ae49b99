"""A real, throw-away PostgreSQL server for the test suite.

``BENNE_TEST_POSTGRES_URL`` names an existing server (CI may provide one); otherwise
:func:`start_server` runs ``initdb`` and ``pg_ctl`` from the newest ``/usr/lib/postgresql/*/bin``
into a fresh temporary folder, on a free loopback port, with its socket in that folder. PostgreSQL
refuses to run as root, so as root the folder is given to the ``postgres`` user and the commands
run through ``runuser``. Nothing here skips: a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "fresh_database", "postgres_server"]


@dataclass(frozen=True)
class PostgresServer:
    """A running server: ``url`` of its maintenance database (SQLAlchemy, psycopg driver)."""

    url: str

    def database_url(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb; "
                           "install postgresql or set BENNE_TEST_POSTGRES_URL")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Yield a server (the configured one, or a new one stopped and removed afterwards)."""
    url = os.environ.get("BENNE_TEST_POSTGRES_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        yield PostgresServer(url)
        return
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="benne-pg-"))
    data, port = root / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                  "--auth=trust", "--encoding=UTF8", "--no-sync"]), **run)
        opts = (f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off "
                "-c synchronous_commit=off -c max_connections=200")
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts,
                                  "-l", str(root / "server.log"), "-w", "start"]), **run)
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"cannot start PostgreSQL: {exc.stderr}{log}") from exc
    try:
        yield PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                  "-w", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server: PostgresServer) -> str:
    """Create an empty database on the server; returns its URL."""
    import psycopg

    name = f"benne_{uuid.uuid4().hex[:12]}"
    conninfo = server.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server.database_url(name)

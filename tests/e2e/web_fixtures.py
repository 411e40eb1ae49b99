"""A real ``benne serve`` (uvicorn) on a free loopback port, for the service's end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["BENNE", "benne", "free_port", "running_server"]

BENNE = [sys.executable, "-m", "benne.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def benne(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the ``benne`` command line; with ``--json`` first, stdout is one JSON object."""
    proc = subprocess.run([*BENNE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"benne {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def benne_json(*args: str, cwd: Path | None = None) -> dict:
    return json.loads(benne("--json", *args, cwd=cwd).stdout)


@contextmanager
def running_server(args: Sequence[str], *, cwd: Path | None = None,
                   timeout: float = 60.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``benne serve <args> --port <free>`` and yield its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([*BENNE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError(f"benne serve exited: {proc.stderr.read()}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise AssertionError("benne serve did not answer in time")
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

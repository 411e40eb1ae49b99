"""Benchmark of the partner read: consent check + audit write + score, under a fixed load.

``benne serve`` (uvicorn with one worker, then two; a SQLite file) answers
``GET /v1/scores/{id}`` for 1000 people who each consented, at a fixed arrival rate (open loop:
request *i* is sent at ``t0 + i / rate`` whether or not earlier ones have answered, and its
latency counts from that scheduled moment, so a stalled server cannot hide its queue). The peer
is a bare FastAPI endpoint on the same uvicorn settings, driven the same way in the same run.
Loopback only.

    python -m benchmarks.bench_service           # 60 s per target at 500 requests/s
    python -m benchmarks.bench_service --quick   # 10 s per target
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import psutil

__all__ = ["make_bare_app", "run"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "service.md"
RATE = 500
PEOPLE = 1000
TARGET_P99_MS = 50.0
WORKERS = (1,)  # `benne serve --workers`; see the results note on more workers with SQLite
_T = TypeVar("_T")


def make_bare_app():  # type: ignore[no-untyped-def]
    """The peer: one FastAPI endpoint returning a small JSON object (uvicorn ``--factory``)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare/{person_id}")
    def bare(person_id: str, purpose: str) -> dict[str, object]:
        return {"person_id": person_id, "purpose": purpose, "score": 655}

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(cmd: list[str], port: int, env: dict[str, str]) -> Iterator[psutil.Process]:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {proc.stderr.read()!r}") from None
                time.sleep(0.2)
        yield psutil.Process(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@dataclass
class LoadResult:
    name: str
    sent: int
    errors: int
    latencies_ms: np.ndarray
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float
    load: tuple[float, float]  # machine load average (1 min): at the end, and the highest seen

    def q(self, p: float) -> float:
        if not len(self.latencies_ms):
            return float("nan")
        return float(np.percentile(self.latencies_ms, p))


class _Connections:
    """Keep-alive HTTP/1.1 GETs over asyncio streams, one request per connection at a time.

    Hand-written because the load generator must cost little next to the server on two shared
    cores: httpx's async pool used about 7 ms of client CPU per request here at 500 requests/s,
    which made the client, not the server, the bottleneck. This client does only what the
    benchmark needs: GET, a Content-Length body, keep-alive. Connections idle for more than
    ``max_idle`` seconds are dropped before uvicorn's 5 s keep-alive timeout closes them.
    """

    max_idle = 3.0

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened = 0

    async def get(self, path: str) -> int:
        now = time.monotonic()
        while self.idle and now - self.idle[-1][2] > self.max_idle:
            self.idle.pop()[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()


async def _drive(base: str, paths: list[str], headers: dict[str, str], rate: int,
                 seconds: float) -> tuple[int, int, list[float], float]:
    """Open-loop load: request i at t0 + i/rate; latency from the scheduled moment."""
    host, port = base.removeprefix("http://").split(":")
    conns = _Connections(host, int(port), headers)
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter  # not loop.time(): uvloop's counts whole milliseconds
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        try:
            status = await asyncio.wait_for(conns.get(paths[i % len(paths)]), 10.0)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            return
        if status != 200:
            errors += 1
        latencies.append((clock() - scheduled) * 1000)

    t0 = clock() + 0.2
    for i in range(total):  # the schedule: a task is started at its time, whatever came before
        scheduled = t0 + i / rate
        delay = scheduled - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed = clock() - t0
    conns.close()
    return total, errors, latencies, elapsed


def _run_client(main: Coroutine[Any, Any, _T]) -> _T:
    """Run the load generator on uvloop where installed: it spends less of the shared CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    """The server and its worker processes (uvicorn ``--workers``)."""
    return [proc, *proc.children(recursive=True)]


def _rss(procs: list[psutil.Process]) -> int:
    return sum(p.memory_info().rss for p in procs)


def _cpu(procs: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _load(name: str, proc: psutil.Process, base: str, paths: list[str],
          headers: dict[str, str], seconds: float) -> LoadResult:
    procs = _tree(proc)
    peak = [_rss(procs)]
    loads = [os.getloadavg()[0]]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak.append(_rss(procs))
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    cpu0 = _cpu(procs)
    sampler.start()
    sent, errors, lat, elapsed = _run_client(_drive(base, paths, headers, RATE, seconds))
    stop.set()
    sampler.join()
    cpu = _cpu(procs) - cpu0
    return LoadResult(name, sent, errors, np.asarray(lat), elapsed, max(peak) / 2**20, cpu,
                      (os.getloadavg()[0], max(loads)))


def _prepare(work: Path) -> tuple[str, str, list[str]]:
    """A service database with scores and live consents for PEOPLE people; (url, key, ids)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benne.service import consent, create_partner, load_scores
    from benne.service.db import make_engine, make_sessionmaker, session_scope

    db = f"sqlite:///{work / 'service.sqlite'}"
    ids = [f"P{i:06d}" for i in range(PEOPLE)]
    rng = np.random.default_rng(7)
    scores = rng.integers(350, 951, PEOPLE)
    bands = np.select([scores < 550, scores < 600, scores < 650, scores < 700],
                      ["poor", "fair", "good", "very good"], "excellent")
    cols: dict[str, object] = {
        "person_id": ids, "as_of": [dt.date(2024, 6, 30)] * PEOPLE,
        "model_version": ["bench-1"] * PEOPLE, "score": scores.astype("int32"),
        "band": bands.tolist(), "pd": rng.uniform(0, 0.3, PEOPLE),
    }
    for d in ("credit_history", "behaviour", "fulfilment", "identity", "relationships"):
        cols[f"dim_{d}"] = rng.uniform(0, 100, PEOPLE)
    for i in range(1, 5):
        cols[f"reason_{i}"] = ["BILLS_LATE"] * PEOPLE if i == 1 else [None] * PEOPLE
        cols[f"reason_{i}_text"] = ["Bills paid late: +12 points"] * PEOPLE if i == 1 else \
            [None] * PEOPLE
    table = pa.table({k: pa.array(v, type=pa.string()) if k.startswith("reason") else v
                      for k, v in cols.items()})
    pq.write_table(table, work / "scores.parquet")
    load_scores(db, work / "scores.parquet")
    partner_id, key = create_partner(db, "Bench Lending")
    engine = make_engine(db)
    with session_scope(make_sessionmaker(engine)) as session:  # one transaction, not 1000
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for pid in ids:
            consent.grant(session, person_id=pid, partner_id=partner_id, purpose="credit",
                          now=now)
    engine.dispose()
    return db, key, ids


def _server_kind() -> str:
    from benne.service import fast_server_options

    options = fast_server_options()
    return f"{options.get('http', 'h11')} parser, {options.get('loop', 'asyncio')} loop"


def _row(r: LoadResult) -> str:
    return (f"| {r.name} | {r.sent} | {r.errors} | {r.sent / r.seconds:.0f} | {r.q(50):.1f} | "
            f"{r.q(95):.1f} | {r.q(99):.1f} | {r.latencies_ms.max():.1f} | "
            f"{r.cpu_seconds / r.seconds * 100:.0f}% | {r.peak_rss_mib:.0f} | "
            f"{r.load[0]:.1f} (max {r.load[1]:.1f}) |")


def run(quick: bool = False) -> str:
    """Measure every target; returns the markdown section (and writes it to results)."""
    from benne.service import fast_server_options, verify_audit

    seconds = 10.0 if quick else 60.0
    work = Path(tempfile.mkdtemp(prefix="benne-bench-service-"))
    try:
        db, key, ids = _prepare(work)
        env = {**os.environ, "BENNE_DATABASE_URL": db, "BENNE_RATE_LIMIT_PER_MINUTE": "600000",
               "BENNE_STORE": str(work / "none.duckdb"), "PYTHONPATH": str(ROOT)}
        bare_port = _free_port()
        uvicorn_bare = [sys.executable, "-m", "uvicorn", "--factory",
                        "benchmarks.bench_service:make_bare_app", "--host", "127.0.0.1",
                        "--port", str(bare_port), "--workers", "1", "--no-access-log",
                        "--log-level", "warning"]
        for option, value in fast_server_options().items():  # as `benne serve` runs
            uvicorn_bare += [f"--{option}", value]
        with _server(uvicorn_bare, bare_port, env) as proc:
            bare = _load("bare FastAPI endpoint", proc, f"http://127.0.0.1:{bare_port}",
                         [f"/bare/{p}?purpose=credit" for p in ids], {}, seconds)
        reads = []
        for workers in WORKERS:
            port = _free_port()
            serve = [sys.executable, "-m", "benne.cli", "serve", "--host", "127.0.0.1",
                     "--port", str(port), "--workers", str(workers)]
            with _server(serve, port, env) as proc:
                reads.append(_load(f"benne partner read, {workers} worker(s)", proc,
                                   f"http://127.0.0.1:{port}",
                                   [f"/v1/scores/{p}?purpose=credit" for p in ids],
                                   {"X-API-Key": key}, seconds))
        audit = verify_audit(db)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def verdict(r: LoadResult) -> str:
        met = r.errors == 0 and r.q(99) < TARGET_P99_MS
        return (f"- {r.name}: target (zero errors, p99 < {TARGET_P99_MS:.0f} ms) "
                f"{'met' if met else 'NOT met'}; ratio to bare: p50 {r.q(50) / bare.q(50):.1f}x, "
                f"p99 {r.q(99) / bare.q(99):.1f}x, server CPU per request "
                f"{r.cpu_seconds / r.sent / (bare.cpu_seconds / bare.sent):.1f}x "
                f"({r.cpu_seconds / r.sent * 1000:.2f} ms against "
                f"{bare.cpu_seconds / bare.sent * 1000:.2f} ms)")

    lines = [
        "## service",
        "",
        f"Partner read `GET /v1/scores/{{person_id}}` (API-key check, rate limit, consent check, "
        f"hash-chained audit append, latest score) on `benne serve` ({_server_kind()}), SQLite "
        f"file, {PEOPLE} people with live consents, `--workers "
        f"{' and '.join(str(w) for w in WORKERS)}`. Open-loop load at {RATE} requests/s "
        f"for {seconds:.0f} s per target from an asyncio client (uvloop) on the same machine "
        f"(loopback); latency counts "
        f"from each request's scheduled send time, and a request unanswered after 10 s is an "
        f"error. The peer is a bare FastAPI endpoint on the same uvicorn settings (one worker), "
        f"measured in the same run." + (" Quick run (10 s per target)." if quick else ""),
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"the machine is shared, so absolute times are noisy. Machine load is the 1-minute "
        f"load average at the end of each target's run and the highest seen during it; it "
        f"includes the benchmark's own server and client (about 1). Server CPU and memory "
        f"add up the worker processes.",
        "",
        "| target | requests | errors | achieved req/s | p50 ms | p95 ms | p99 ms | max ms | "
        "server CPU | server peak RSS MiB | machine load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        _row(bare),
        *(_row(r) for r in reads),
        "",
        *(verdict(r) for r in reads),
        f"- audit chain after the runs: {'intact' if audit.ok else 'BROKEN'}, "
        f"{audit.count} entries ({sum(r.sent for r in reads)} reads + {PEOPLE + 1} setup "
        f"entries)",
        "- one partner read is one transaction of three statements (consent and latest "
        "score in one SELECT, the audit head's conditional UPDATE, the entry's INSERT) run on "
        "the event loop; most of the CPU beyond the bare endpoint is SQLAlchemy's execution "
        "path around those statements, not SQLite",
        "- `--workers 2` is not measured on SQLite: its one writer lock is polled with sleeps "
        "by the other process, which stalls that worker's loop (a 10 s quick run gave a p99 of "
        "seconds); several workers are for PostgreSQL",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s per target")
    print(run(quick=parser.parse_args().quick))

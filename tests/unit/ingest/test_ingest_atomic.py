"""One load is one transaction: a process killed by SIGKILL mid-load leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from benne.exceptions import SourceFileError
from benne.ingest import ingest
from benne.store import open_store
from tests.property.strategies_ingest import NOW, valid_row, write_rows

CHILD = """
import sys, datetime as dt
from benne.exceptions import SourceFileError
from benne.ingest import ingest
ingest([sys.argv[1]], None, sys.argv[2], now=dt.datetime(2025, 1, 1))
print("finished")
"""


def _fingerprint(store: Path) -> dict[str, str]:
    """A content hash of every table (order-independent)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {t: con.execute(
            f'SELECT count(*) || \':\' || coalesce(md5(string_agg(CAST(x AS VARCHAR), chr(10) '
            f'ORDER BY CAST(x AS VARCHAR))), \'\') FROM "{t}" x').fetchall()[0][0]
            for t in tables}
    finally:
        con.close()


def _big_orders(folder: Path, rows: int) -> Path:
    path = folder / "orders.parquet"
    duckdb.execute(f"""
        COPY (SELECT 'o' || i AS order_id, 'p' || (i % 1000) AS person_id,
                     NULL::VARCHAR AS merchant_id,
                     TIMESTAMP '2024-01-01' + to_seconds(i % 20000000) AS ordered_at,
                     (i % 997) / 10.0 AS amount, 'books' AS category, 'delivered' AS status,
                     (i % 24)::BIGINT AS hour
              FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")
    return path


def test_sigkill_mid_load_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    people = [valid_row("identity", i, person=f"p{i}") for i in range(1000)]
    ingest([write_rows(tmp_path / "identity.parquet", "identity", people)], None, store, now=NOW)
    ingest([write_rows(tmp_path / "orders.csv", "orders", [valid_row("orders", 0, person="p1")])],
           None, store, now=NOW)
    before = _fingerprint(store)
    size = store.stat().st_size
    big = _big_orders(tmp_path, 3_000_000)

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(big), str(store)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    deadline = time.monotonic() + 60
    started = None
    while time.monotonic() < deadline and child.poll() is None:
        wal = store.with_name(store.name + ".wal")
        if started is None and (store.stat().st_size > size or wal.exists()):
            started = time.monotonic()  # the load is writing: let it get well into it
        if started is not None and time.monotonic() - started > 0.5:
            break
        time.sleep(0.02)
    assert child.poll() is None, "the load finished before it could be killed: use more rows"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    con = open_store(store)  # recovery from the write-ahead log happens here
    con.close()
    assert _fingerprint(store) == before
    again = ingest([write_rows(tmp_path / "more.csv", "orders",
                               [valid_row("orders", 7, person="p2")])], "orders", store, now=NOW)
    assert again.new == 1  # and the store still takes loads


def test_an_error_in_a_later_chunk_rolls_back_the_earlier_ones(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    people = write_rows(tmp_path / "identity.csv", "identity",
                        [valid_row("identity", 0, person="p1")])
    ingest([people], None, store, now=NOW)
    before = _fingerprint(store)
    path = write_rows(tmp_path / "orders.jsonl", "orders",
                      [valid_row("orders", i, person="p1") for i in range(50)])
    with path.open("ab") as fh:  # JSON Lines is decoded line by line: this fails in chunk 6
        fh.write(b'{"order_id": "o99", "merchant_id": "Caf\xe9"}\n')
    with pytest.raises(SourceFileError) as info:
        ingest([path], None, store, now=NOW, chunk_rows=10)
    assert "cannot decode" in info.value.one_line() and "row 51" in info.value.one_line()
    assert _fingerprint(store) == before

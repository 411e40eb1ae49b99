"""Idempotent loads and corrections: same rows add nothing, changed rows are new versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benne.ingest import ingest
from tests.property.strategies_ingest import NOW, people_rows, valid_row, write_rows


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "s.duckdb"
    ingest([write_rows(tmp_path / "identity.parquet", "identity", people_rows())], None, s,
           now=NOW)
    return s


def _rows(store: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_reloading_and_overlapping_files_add_nothing(store: Path, tmp_path: Path) -> None:
    first = write_rows(tmp_path / "a.parquet", "orders",
                       [valid_row("orders", i) for i in range(5)])
    overlap = write_rows(tmp_path / "b.csv", "orders",
                         [valid_row("orders", i) for i in range(3, 8)])
    r1 = ingest([first], "orders", store, now=NOW)
    r2 = ingest([first], "orders", store, now=NOW)
    r3 = ingest([overlap], "orders", store, now=NOW)
    assert (r1.new, r1.duplicates) == (5, 0)
    assert (r2.new, r2.duplicates, r2.corrected) == (0, 5, 0)
    assert (r3.new, r3.duplicates, r3.corrected) == (3, 2, 0)  # a CSV row equals its Parquet twin
    assert _rows(store, "SELECT count(*), count(DISTINCT _record_id) FROM orders") == [(8, 8)]
    assert _rows(store, "SELECT count(*) FROM orders__history") == [(0,)]
    log = _rows(store, "SELECT file, rows_read, loaded, duplicates, sha256 FROM ingest_log "
                       "WHERE source = 'orders' ORDER BY ingest_id")
    assert [r[1:4] for r in log] == [(5, 5, 0), (5, 0, 5), (5, 3, 2)]
    assert log[0][4] == log[1][4] != log[2][4]  # the file's sha256 is kept per load


def test_a_changed_record_is_a_correction_and_the_old_version_is_kept(store: Path,
                                                                     tmp_path: Path) -> None:
    ingest([write_rows(tmp_path / "o1.csv", "orders", [valid_row("orders", 1, amount=10.0)])],
           "orders", store, now=NOW)
    later = NOW + dt.timedelta(days=1)
    fix = ingest([write_rows(tmp_path / "o2.csv", "orders",
                             [valid_row("orders", 1, amount=12.0)])], "orders", store, now=later)
    assert (fix.loaded, fix.new, fix.corrected) == (1, 0, 1)
    assert _rows(store, "SELECT amount, _version, _loaded_at FROM orders") == [(12.0, 2, later)]
    assert _rows(store, "SELECT amount, _version, _loaded_at, _record_id FROM orders__history"
                 ) == [(10.0, 1, NOW, "o1")]


def test_repeated_id_in_one_file_latest_wins_earlier_kept(store: Path, tmp_path: Path) -> None:
    rows = [valid_row("orders", 1, amount=1.0), valid_row("orders", 2),
            valid_row("orders", 1, amount=2.0), valid_row("orders", 1, amount=2.0),
            valid_row("orders", 1, amount=3.0)]
    r = ingest([write_rows(tmp_path / "orders.csv", "orders", rows)], None, store, now=NOW,
               chunk_rows=2)  # the repeats straddle chunks too
    assert (r.rows_read, r.new, r.corrected, r.duplicates) == (5, 2, 2, 1)
    assert _rows(store, "SELECT amount, _version FROM orders WHERE order_id = 'o1'") == [(3.0, 3)]
    assert _rows(store, "SELECT amount, _version FROM orders__history ORDER BY _version") == [
        (1.0, 1), (2.0, 2)]


def test_repeated_id_within_one_chunk(store: Path, tmp_path: Path) -> None:
    rows = [valid_row("orders", 1, amount=1.0), valid_row("orders", 1, amount=2.0)]
    r = ingest([write_rows(tmp_path / "orders.parquet", "orders", rows)], None, store, now=NOW)
    assert (r.new, r.corrected) == (1, 1)
    assert _rows(store, "SELECT amount FROM orders") == [(2.0,)]
    assert _rows(store, "SELECT amount FROM orders__history") == [(1.0,)]


def test_snapshots_are_keyed_by_their_natural_key(store: Path, tmp_path: Path) -> None:
    day = dt.date(2024, 3, 1)
    first = [valid_row("savings", 0, person="p1", at=day, balance=5.0),
             valid_row("savings", 0, person="p2", at=day, balance=7.0)]
    ingest([write_rows(tmp_path / "savings.csv", "savings", first)], None, store, now=NOW)
    again = [valid_row("savings", 0, person="p1", at=day, balance=5.0),
             valid_row("savings", 0, person="p2", at=day, balance=9.0)]
    r = ingest([write_rows(tmp_path / "savings.jsonl", "savings", again)], None, store, now=NOW)
    assert (r.duplicates, r.corrected, r.new) == (1, 1, 0)
    assert _rows(store, "SELECT _record_id, balance FROM savings ORDER BY 1") == [
        ("p1|2024-03-01", 5.0), ("p2|2024-03-01", 9.0)]


def test_loaded_rows_carry_load_time_and_ingest_id(store: Path, tmp_path: Path) -> None:
    r = ingest([write_rows(tmp_path / "orders.csv", "orders", [valid_row("orders", 0)])], None,
               store, now=dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert _rows(store, "SELECT _loaded_at, _ingest_id FROM orders") == [
        (dt.datetime(2025, 1, 1, 10), r.ingest_ids[0])]

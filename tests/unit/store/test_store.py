"""The store: tables of the contract, forward migrations, counts, lake export, disputes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from benne.exceptions import NotFoundError, StoreError
from benne.ingest import ingest
from benne.sources import SOURCES, duckdb_type
from benne.store import (
    SCHEMA_VERSION,
    current_version,
    dispute_holds_in,
    exclude_record,
    export_lake,
    include_record,
    migrate,
    open_store,
    publish_people,
    replace_dispute_holds,
    snapshot_path,
    table_counts,
)
from benne.store.snapshot import read_person
from tests.property.strategies_ingest import NOW, people_rows, valid_row, write_rows


def test_a_new_store_has_the_contract_tables(tmp_path: Path) -> None:
    con = open_store(tmp_path / "sub" / "s.duckdb")
    try:
        assert current_version(con) == SCHEMA_VERSION
        for source in SOURCES.values():
            for table in (source.name, f"{source.name}__history"):
                cols = con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()
                expected = [(f.name, duckdb_type(f)) for f in source.fields] + [
                    ("_record_id", "VARCHAR"), ("_version", "INTEGER"),
                    ("_loaded_at", "TIMESTAMP"), ("_ingest_id", "BIGINT")]
                assert cols == expected
        assert set(table_counts(con)) >= {"quarantine", "ingest_log", "excluded_records",
                                          "scores_history", "orders", "orders__history"}
        assert set(table_counts(con).values()) == {0}
    finally:
        con.close()


def test_migrations_run_forward_and_keep_data(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == 1
    con.execute("INSERT INTO ingest_log VALUES (1, 'orders', 'a.csv', 'x', 2, 1, 1, 0, "
                "TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01')")
    con.close()
    with pytest.raises(StoreError, match="schema version 1"):
        open_store(path, read_only=True)
    con = open_store(path)
    try:
        assert current_version(con) == SCHEMA_VERSION == 2
        assert con.execute("SELECT rows_read, new, corrected FROM ingest_log").fetchall() == [
            (2, 0, 0)]
        assert [r[0] for r in con.execute(
            "SELECT version FROM schema_version ORDER BY 1").fetchall()] == [1, 2]
    finally:
        con.close()
    con = open_store(path)  # opening again changes nothing
    assert con.execute("SELECT count(*) FROM schema_version").fetchall() == [(2,)]
    con.execute("INSERT INTO schema_version VALUES (99, 'from the future', NULL)")
    con.close()
    with pytest.raises(StoreError, match="newer than this benne"):
        open_store(path)


def test_read_only_open_of_a_missing_store_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no store"):
        open_store(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    store = tmp_path / "s.duckdb"
    files = [write_rows(tmp_path / "identity.csv", "identity", people_rows()),
             write_rows(tmp_path / "orders.csv", "orders",
                        [valid_row("orders", i, person="p2") for i in range(3)]),
             write_rows(tmp_path / "savings.csv", "savings", [valid_row("savings", 0)])]
    ingest(files, None, store, now=NOW)
    return store


def test_export_lake_writes_current_rows_per_source(loaded: Path, tmp_path: Path) -> None:
    con = open_store(loaded)
    exclude_record(con, "orders", "o1", "dispute 1", dt.datetime(2025, 2, 1))
    con.close()
    out = export_lake(loaded, tmp_path / "lake")
    assert set(out) == {*SOURCES, "excluded_records", "scores_history"}
    orders = pq.read_table(out["orders"])
    assert orders.column("_record_id").to_pylist() == ["o0", "o1", "o2"]
    assert orders.column_names[:8] == SOURCES["orders"].field_names
    assert pq.read_table(out["savings"]).column("_record_id").to_pylist() == ["p1|2024-01-01"]
    assert pq.read_table(out["excluded_records"]).to_pylist() == [
        {"source": "orders", "record_id": "o1", "reason": "dispute 1",
         "since": dt.datetime(2025, 2, 1)}]
    assert pq.read_table(out["bills"]).num_rows == 0


def test_exclude_and_include_records(loaded: Path) -> None:
    con = open_store(loaded)
    try:
        since = dt.datetime(2025, 2, 1)
        assert exclude_record(con, "orders", "o2", "wrong amount", since) is True
        assert exclude_record(con, "orders", "o2", "again", since) is False
        with pytest.raises(NotFoundError):
            exclude_record(con, "orders", "o404", "no such order", since)
        with pytest.raises(NotFoundError):
            exclude_record(con, "nonsense", "o2", "x", since)
        assert table_counts(con)["excluded_records"] == 1
        assert include_record(con, "orders", "o2") is True
        assert include_record(con, "orders", "o2") is False
        assert table_counts(con)["excluded_records"] == 0
    finally:
        con.close()


@dataclasses.dataclass(frozen=True)
class _Hold:
    source: str
    record_id: str
    reason: str
    since: dt.datetime


def test_dispute_holds_replace_only_the_dispute_rows(loaded: Path) -> None:
    con = open_store(loaded)
    try:
        exclude_record(con, "orders", "o1", "removed by the operator", dt.datetime(2025, 1, 1))
        first = [_Hold("orders", "o2", "dispute dp_1", dt.datetime(2025, 2, 1)),
                 _Hold("bills", "gone", "dispute dp_2", dt.datetime(2025, 2, 2))]
        assert replace_dispute_holds(con, first) == 2
        assert replace_dispute_holds(con, first[:1]) == 1  # the second dispute was rejected
        rows = con.execute("SELECT source, record_id, reason FROM excluded_records "
                           "ORDER BY record_id").fetchall()
        with pytest.raises(NotFoundError):
            replace_dispute_holds(con, [_Hold("nonsense", "x", "dispute dp_3", first[0].since)])
    finally:
        con.close()
    assert rows == [("orders", "o1", "removed by the operator"), ("orders", "o2", "dispute dp_1")]
    assert dispute_holds_in(loaded) == {("orders", "o2", "dispute dp_1")}


def test_people_snapshot_holds_each_persons_rows_and_is_private(loaded: Path) -> None:
    path = publish_people(loaded)
    assert path == snapshot_path(loaded) and path.name.endswith(".people.sqlite")
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    con = open_store(loaded, read_only=True)
    try:
        person, want = con.execute(
            "SELECT person_id, list(_record_id ORDER BY _record_id) FROM orders "
            "GROUP BY person_id ORDER BY person_id LIMIT 1").fetchone()
    finally:
        con.close()
    rows = read_person(path, person)["orders"]
    assert [r["_record_id"] for r in rows] == want
    assert all(r["person_id"] == person for r in rows)
    assert read_person(path, "nobody") == {}

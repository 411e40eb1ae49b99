"""The people snapshot: what the service shows each person of the store, published by the batch.

DuckDB lets no reader in while another process writes a database file, so the service never
opens the store: the batch publishes every person's rows into a small SQLite file beside it
(``benne.duckdb`` -> ``benne.people.sqlite``), one row per (person, source) holding the
person's records of that source as compressed JSON. A person is in a record when a person
column names them (both sides of a transfer) or, for ``merchant_sales``, when they own the shop.

Publishing writes a new file and renames it over the old one, so a reader sees the whole old
snapshot or the whole new one, never a half-written file; the service opens it read-only and
immutable per request, holding no lock the batch could wait on. The file is readable by its
owner only (0600): it holds personal data.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benne.exceptions import NotFoundError
from benne.sources import SOURCES
from benne.store.migrations import quote

__all__ = ["person_sources", "publish_people", "read_person", "snapshot_path"]

# source -> the columns that name a person in it (transfers has two sides).
_PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    name: (("from_person", "to_person") if name == "transfers" else (src.person_field,))
    for name, src in SOURCES.items()
    if src.person_field is not None
}


def snapshot_path(store: Path | str) -> Path:
    """Where the snapshot of ``store`` is published: ``<stem>.people.sqlite`` beside it."""
    store = Path(store)
    return store.with_name(f"{store.stem}.people.sqlite")


def person_sources() -> tuple[str, ...]:
    return (*_PERSON_COLUMNS, "merchant_sales")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _struct(con: duckdb.DuckDBPyConnection, table: str, alias: str) -> str:
    """``struct_pack(...)`` of every column of ``table``; date-times as ISO 8601 text."""
    parts = []
    for name, kind, *_ in con.execute(f"DESCRIBE {quote(table)}").fetchall():
        col = f"{alias}.{quote(name)}"
        if str(kind).startswith("TIMESTAMP"):
            col = f"strftime({col}, '%Y-%m-%dT%H:%M:%S')"
        parts.append(f"{quote(name)} := {col}")
    return "struct_pack(" + ", ".join(parts) + ")"


def _queries(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str]]:
    tables = _tables(con)
    for source, columns in _PERSON_COLUMNS.items():
        if source not in tables:
            continue
        row = _struct(con, source, "t")
        sides = " UNION ALL ".join(
            f"SELECT t.{quote(c)} AS person_id, t._record_id AS rid, {row} AS r "
            f"FROM {quote(source)} t WHERE t.{quote(c)} IS NOT NULL"
            + (f" AND t.{quote(c)} <> t.{quote(columns[0])}" if i else "")
            for i, c in enumerate(columns))
        yield source, (f"SELECT person_id, to_json(list(r ORDER BY rid)) FROM ({sides}) "
                       "GROUP BY person_id")
    if "merchant_sales" in tables and "merchants" in tables:
        row = _struct(con, "merchant_sales", "s")
        yield "merchant_sales", (
            f"SELECT m.owner_person_id, to_json(list({row} ORDER BY s._record_id)) "
            'FROM "merchant_sales" s JOIN "merchants" m USING (merchant_id) '
            "WHERE m.owner_person_id IS NOT NULL GROUP BY m.owner_person_id")


def publish_people(store: Path | str, out: Path | str | None = None) -> Path:
    """Write the snapshot of ``store`` (to :func:`snapshot_path` unless ``out`` is given)."""
    store = Path(store)
    if not store.is_file():
        raise NotFoundError(f"no store at {store}", fix="load data first with `benne ingest`")
    target = Path(out) if out is not None else snapshot_path(store)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o600)
    try:
        dst = sqlite3.connect(tmp)
        try:
            dst.execute("PRAGMA journal_mode = OFF")
            dst.execute("PRAGMA synchronous = OFF")
            dst.execute("CREATE TABLE records (person_id TEXT NOT NULL, source TEXT NOT NULL, "
                        "rows BLOB NOT NULL, PRIMARY KEY (person_id, source)) WITHOUT ROWID")
            dst.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            src = duckdb.connect(str(store), read_only=True)
            try:
                for source, sql in _queries(src):
                    cur = src.execute(sql)
                    while batch := cur.fetchmany(5000):
                        dst.executemany(
                            "INSERT INTO records VALUES (?, ?, ?)",
                            [(str(p), source, zlib.compress(j.encode(), 1)) for p, j in batch])
            finally:
                src.close()
            dst.execute("INSERT INTO meta VALUES ('published_at', ?)",
                        [datetime.now(UTC).isoformat(timespec="seconds")])
            dst.commit()
        finally:
            dst.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def read_person(snapshot: Path | str, person_id: str) -> dict[str, list[dict[str, object]]]:
    """``{source: [row, ...]}`` of one person; empty when no snapshot has been published."""
    path = Path(snapshot)
    if not path.is_file():
        return {}
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    con = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        rows = con.execute("SELECT source, rows FROM records WHERE person_id = ?",
                           [person_id]).fetchall()
    finally:
        con.close()
    order = {s: i for i, s in enumerate(person_sources())}
    out = {source: json.loads(zlib.decompress(blob)) for source, blob in rows}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))

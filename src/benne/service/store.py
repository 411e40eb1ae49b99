"""What the service reads from and writes to the DuckDB store.

- :func:`person_records`: every row of every source table that is about one person (for
  ``GET /v1/me/data``), read through a read-only connection so the service never blocks or
  changes the batch's data.
- :func:`exclude_record` / :func:`include_record`: the ``excluded_records`` table the feature
  engines consult, so a disputed record is left out of the next scoring run.

Tables are named as the sources and hold the schema columns plus ``_record_id`` (see
docs/architecture.md). A table the store does not have yet is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from benne.exceptions import StoreError
from benne.sources import SOURCES

__all__ = ["exclude_record", "include_record", "person_records", "record_belongs_to"]

# source -> the columns that name a person in it (transfers has two sides).
_PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    name: (("from_person", "to_person") if name == "transfers" else (src.person_field,))
    for name, src in SOURCES.items()
    if src.person_field is not None
}


@contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[Any]:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the store: {exc}", where=path.name,
                         fix="retry when the batch has finished writing the store") from exc
    try:
        yield con
    finally:
        con.close()


def _tables(con: Any) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _rows(cur: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _person_queries(tables: set[str]) -> Iterator[tuple[str, str, int]]:
    """(source, SQL, number of person parameters) for each source table present."""
    for source, columns in _PERSON_COLUMNS.items():
        if source in tables:
            where = " OR ".join(f'"{c}" = ?' for c in columns)
            yield source, f'SELECT * FROM "{source}" WHERE {where} ORDER BY "_record_id"', \
                len(columns)
    if "merchant_sales" in tables and "merchants" in tables:
        yield ("merchant_sales",
               'SELECT s.* FROM "merchant_sales" s JOIN "merchants" m USING (merchant_id) '
               'WHERE m."owner_person_id" = ? ORDER BY s."_record_id"', 1)


def person_records(store: Path, person_id: str) -> dict[str, list[dict[str, Any]]]:
    """``{source: [row, ...]}`` of the person's rows; empty when the store does not exist."""
    if not Path(store).is_file():
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    with _connect(Path(store), read_only=True) as con:
        for source, sql, n in _person_queries(_tables(con)):
            out[source] = _rows(con.execute(sql, [person_id] * n))
    return out


def record_belongs_to(store: Path, person_id: str, source: str, record_id: str) -> bool:
    """True when ``record_id`` of ``source`` is one of the person's rows in the store."""
    rows = person_records(store, person_id).get(source, [])
    return any(str(r.get("_record_id")) == record_id for r in rows)


_EXCLUDED_DDL = (
    "CREATE TABLE IF NOT EXISTS excluded_records ("
    "source VARCHAR, record_id VARCHAR, reason VARCHAR, since TIMESTAMP)"
)


def exclude_record(store: Path, source: str, record_id: str, reason: str, since: datetime) -> None:
    """Add a disputed record to ``excluded_records`` (once); creates the table if missing."""
    with _connect(Path(store), read_only=False) as con:
        con.execute(_EXCLUDED_DDL)
        con.execute(
            "INSERT INTO excluded_records SELECT ?, ?, ?, ? WHERE NOT EXISTS ("
            "SELECT 1 FROM excluded_records WHERE source = ? AND record_id = ?)",
            [source, record_id, reason, since.replace(tzinfo=None), source, record_id],
        )


def include_record(store: Path, source: str, record_id: str) -> None:
    """Remove a record from ``excluded_records`` (a rejected dispute)."""
    if not Path(store).is_file():
        return
    with _connect(Path(store), read_only=False) as con:
        con.execute(_EXCLUDED_DDL)
        con.execute("DELETE FROM excluded_records WHERE source = ? AND record_id = ?",
                    [source, record_id])

"""The DuckDB store: one file holding every source table and the bookkeeping around them.

Opening a store migrates it (see :mod:`benne.store.migrations`); the table layout is the
contract of docs/architecture.md. Writers of source tables are :mod:`benne.ingest` (loads);
``excluded_records`` is written only here: :func:`exclude_record` / :func:`include_record` for
one record, :func:`replace_dispute_holds` for the holds of the service's disputes, which the
batch copies in before it builds features (the service itself never opens the store). The
batch publishes what the service shows each person with :func:`publish_people`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Protocol

import duckdb

from benne.exceptions import InputError, NotFoundError, StoreError
from benne.sources import SOURCES, get_source
from benne.store.migrations import MIGRATIONS, history_table, quote
from benne.store.snapshot import publish_people, snapshot_path

__all__ = [
    "SCHEMA_VERSION",
    "connect_error",
    "BOOKKEEPING_TABLES",
    "current_version",
    "dispute_holds_in",
    "exclude_record",
    "export_lake",
    "include_record",
    "migrate",
    "open_store",
    "publish_people",
    "replace_dispute_holds",
    "snapshot_path",
    "table_counts",
]

SCHEMA_VERSION = MIGRATIONS[-1].version
BOOKKEEPING_TABLES = ("quarantine", "ingest_log", "excluded_records", "scores_history")


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    """First value of a query, reading the whole result (DuckDB wants results finished)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version; 0 for an empty database."""
    if not _first(con, "SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'schema_version' AND table_schema = 'main'"):
        return 0
    version = _first(con, "SELECT max(version) FROM schema_version")
    return int(version) if isinstance(version, int) else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all), each in its own transaction.

    Returns the version reached. ``applied_at`` is the database clock: it records when the
    file changed shape, not an input of any computation.
    """
    target = SCHEMA_VERSION if target is None else target
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
    )
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store is at schema version {version}, newer than this benne knows "
            f"({SCHEMA_VERSION})",
            fix="upgrade benne to open this store",
        )
    for m in MIGRATIONS:
        if version < m.version <= target:
            con.execute("BEGIN TRANSACTION")
            try:
                m.apply(con)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, current_localtimestamp())",
                    [m.version, m.description],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            version = m.version
    return version


def connect_error(path: Path, exc: duckdb.Error) -> InputError | StoreError:
    """The error for a store DuckDB could not open: a file that is not a DuckDB database is the
    user's input; anything else (a lock held by another process) is the store's."""
    first = str(exc).splitlines()[0]
    if "not a valid DuckDB database" in first:
        return InputError(f"{path} is not a DuckDB store", where=str(path),
                          fix="give the store file written by `benne ingest` or `benne demo`")
    return StoreError(f"cannot open the store {path}: {first}",
                      fix="check the path, and that no other process is writing to it")


def open_store(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating when writable) and migrate the store at ``path``.

    A read-only open cannot migrate, so it refuses a store that is missing or out of date.
    """
    path = Path(path)
    if read_only and not path.is_file():
        raise NotFoundError(f"no store at {path}", fix="load data first with `benne ingest`")
    if not read_only and path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise connect_error(path, exc) from None
    if read_only:
        version = current_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            raise StoreError(
                f"the store {path} is at schema version {version}, expected {SCHEMA_VERSION}",
                fix="open it once for writing (e.g. `benne ingest`) to migrate it",
            )
        return con
    try:
        migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of every source table, its history, and the bookkeeping tables."""
    names = [*SOURCES, *(history_table(s) for s in SOURCES), *BOOKKEEPING_TABLES]
    sql = " UNION ALL ".join(
        f"SELECT '{n}' AS t, count(*) AS n FROM {quote(n)}" for n in names
    )
    counts = dict(con.execute(sql).fetchall())
    return {n: int(counts[n]) for n in names}


def export_lake(store_path: Path | str, lake_dir: Path | str) -> dict[str, Path]:
    """Write each source table's current rows to ``<lake>/<source>.parquet``.

    ``excluded_records`` and ``scores_history`` are written too, because a feature engine
    reading the lake needs them, and so are custom sources with their ``custom_sources``
    declarations and the store currency (``store_currency``) when the store records them.
    Rows are ordered by ``_record_id`` so the same store always gives the same files.
    """
    lake = Path(lake_dir)
    lake.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    con = open_store(store_path, read_only=True)
    try:
        from benne.ingest.custom import read_custom_sources
        from benne.sources.currency import CURRENCY_TABLE

        custom = [c.name for c in read_custom_sources(con)]
        extra = ["custom_sources"] if custom else []
        if _first(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                       "AND table_schema = 'main'", [CURRENCY_TABLE]):
            extra.append(CURRENCY_TABLE)
        for name in [*SOURCES, *custom, "excluded_records", "scores_history", *extra]:
            target = lake / f"{name}.parquet"
            order = "_record_id" if name in SOURCES or name in custom else "ALL"
            escaped = str(target).replace("'", "''")
            con.execute(
                f"COPY (SELECT * FROM {quote(name)} ORDER BY {order}) "
                f"TO '{escaped}' (FORMAT parquet)"
            )
            out[name] = target
    finally:
        con.close()
    return out


def exclude_record(
    con: duckdb.DuckDBPyConnection, source: str, record_id: str, reason: str, since: datetime
) -> bool:
    """Put a record under dispute: feature engines leave it out from now on.

    Returns False when the record was already excluded (the first reason and date stand).
    """
    src = get_source(source)
    if not _first(con, f"SELECT count(*) FROM {quote(src.name)} WHERE _record_id = ?",
                  [record_id]):
        raise NotFoundError(f"no {src.name} record {record_id!r} in the store",
                            fix="use the _record_id shown by the person's data download")
    if _first(con, "SELECT count(*) FROM excluded_records WHERE source = ? AND record_id = ?",
              [src.name, record_id]):
        return False
    con.execute("INSERT INTO excluded_records VALUES (?, ?, ?, ?)",
                [src.name, record_id, reason, since])
    return True


def include_record(con: duckdb.DuckDBPyConnection, source: str, record_id: str) -> bool:
    """End a dispute: the record counts again. Returns False when it was not excluded."""
    src = get_source(source)
    row = con.execute(
        "DELETE FROM excluded_records WHERE source = ? AND record_id = ? RETURNING 1",
        [src.name, record_id],
    ).fetchall()
    return bool(row)


class _Hold(Protocol):
    source: str
    record_id: str
    since: datetime

    @property
    def reason(self) -> str: ...


DISPUTE_REASON_PREFIX = "dispute "


def replace_dispute_holds(con: duckdb.DuckDBPyConnection, holds: Iterable[_Hold]) -> int:
    """Make the dispute rows of ``excluded_records`` exactly ``holds``, in one transaction.

    Rows whose reason does not start with ``"dispute "`` (excluded by other means) are kept.
    A held record need not be in the store any more (it may have been corrected). Returns the
    number of holds written.
    """
    rows = [(get_source(h.source).name, h.record_id, h.reason, h.since) for h in holds]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM excluded_records WHERE starts_with(reason, ?)",
                    [DISPUTE_REASON_PREFIX])
        if rows:
            con.executemany("INSERT INTO excluded_records VALUES (?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def dispute_holds_in(store: Path | str) -> set[tuple[str, str, str]]:
    """The ``(source, record_id, reason)`` dispute rows of a store's ``excluded_records``.

    Read-only; empty when the store or the table does not exist.
    """
    path = Path(store)
    if not path.is_file():
        return set()
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise connect_error(path, exc) from None
    try:
        if not _first(con, "SELECT count(*) FROM information_schema.tables "
                           "WHERE table_name = 'excluded_records' AND table_schema = 'main'"):
            return set()
        rows = con.execute("SELECT source, record_id, reason FROM excluded_records "
                           "WHERE starts_with(reason, ?)", [DISPUTE_REASON_PREFIX]).fetchall()
        return {(str(a), str(b), str(c)) for a, b, c in rows}
    finally:
        con.close()

"""Forward-only migrations of the DuckDB store.

A migration is a numbered function that takes a connection inside a transaction. The store
records each applied number in ``schema_version``; opening a store applies the pending ones in
order, each in its own transaction, so a store is always at one well-defined version. There is
no downgrade: a store written by a newer benne is refused rather than guessed at.

Source tables follow docs/architecture.md: the schema's columns, then ``_record_id``,
``_version``, ``_loaded_at`` and ``_ingest_id``. ``_record_id`` is a *virtual generated*
column (the id column, or the natural key joined with ``|``, dates as ``YYYY-MM-DD``): it reads
like any other column but is computed from the key, so it can never disagree with it and costs
no storage or write time (it made validated loads of 10 million rows about 25 % faster than a
stored copy of the key). Writers therefore always name their columns (see :func:`data_columns`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from benne.sources import SOURCES, Source, duckdb_type

__all__ = [
    "MIGRATIONS",
    "Migration",
    "data_columns",
    "history_table",
    "quote",
    "record_id_sql",
    "source_table_ddl",
]


def quote(name: str) -> str:
    """A DuckDB identifier in double quotes (source fields include reserved words: ``limit``)."""
    return '"' + name.replace('"', '""') + '"'


def history_table(source: str) -> str:
    return f"{source}__history"


def record_id_sql(source: Source, alias: str = "") -> str:
    """SQL computing ``_record_id`` from the key columns (``alias.`` prefixed when given)."""
    prefix = f"{alias}." if alias else ""
    parts = []
    for name in source.key:
        col = prefix + quote(name)
        kind = source.field(name).type
        if kind == "date":
            parts.append(f"strftime({col}, '%Y-%m-%d')")
        elif kind == "string":
            parts.append(col)
        else:
            parts.append(f"CAST({col} AS VARCHAR)")
    return " || '|' || ".join(parts)


def data_columns(source: Source) -> list[str]:
    """The writable columns of a source table, in table order (all but ``_record_id``)."""
    return [*source.field_names, "_version", "_loaded_at", "_ingest_id"]


def source_table_ddl(source: Source, table: str) -> str:
    cols = [f"{quote(f.name)} {duckdb_type(f)}" for f in source.fields]
    cols.append(f"_record_id VARCHAR GENERATED ALWAYS AS ({record_id_sql(source)}) VIRTUAL")
    cols += ["_version INTEGER NOT NULL", "_loaded_at TIMESTAMP NOT NULL",
             "_ingest_id BIGINT NOT NULL"]
    return f"CREATE TABLE IF NOT EXISTS {quote(table)} (\n  " + ",\n  ".join(cols) + "\n)"


def _m1_core(con: duckdb.DuckDBPyConnection) -> None:
    """The tables of the architecture contract."""
    for source in SOURCES.values():
        con.execute(source_table_ddl(source, source.name))
        con.execute(source_table_ddl(source, history_table(source.name)))
    con.execute(
        """CREATE TABLE IF NOT EXISTS quarantine (
             ingest_id BIGINT NOT NULL, source VARCHAR NOT NULL, file VARCHAR NOT NULL,
             row_number BIGINT, field VARCHAR, reason VARCHAR NOT NULL, raw_record JSON)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS ingest_log (
             ingest_id BIGINT NOT NULL, source VARCHAR NOT NULL, file VARCHAR NOT NULL,
             sha256 VARCHAR NOT NULL, rows_read BIGINT NOT NULL, loaded BIGINT NOT NULL,
             quarantined BIGINT NOT NULL, duplicates BIGINT NOT NULL,
             started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS excluded_records (
             source VARCHAR NOT NULL, record_id VARCHAR NOT NULL, reason VARCHAR,
             since TIMESTAMP NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS scores_history (
             person_id VARCHAR NOT NULL, as_of DATE NOT NULL, model_version VARCHAR NOT NULL,
             score INTEGER NOT NULL, band VARCHAR, pd DOUBLE)"""
    )


def _m2_ingest_log_split(con: duckdb.DuckDBPyConnection) -> None:
    """``loaded`` = new + corrected; keep both parts so corrections can be audited per load."""
    con.execute("ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS new BIGINT DEFAULT 0")
    con.execute("ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS corrected BIGINT DEFAULT 0")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "source tables, history, quarantine, ingest log, exclusions, score history",
              _m1_core),
    Migration(2, "ingest_log.new and ingest_log.corrected", _m2_ingest_log_split),
)

"""Custom sources in the store: their tables and the ``custom_sources`` table that records them.

The declaration is stored as JSON beside its table, so features, training and scoring find
every custom source in the store itself. Declaring a source again with the same definition
changes nothing; changing the columns of a source that already holds rows is refused (load
into a new source name instead), since the stored rows would no longer fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benne.exceptions import ConfigError
from benne.sources.custom import CUSTOM_SOURCES_TABLE, CustomSource
from benne.store.migrations import history_table, quote, source_table_ddl

__all__ = ["declare_custom_sources", "read_custom_sources"]


def _ensure_table(con: Any) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {CUSTOM_SOURCES_TABLE} "
                "(name VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL)")


def read_custom_sources(con: Any) -> list[CustomSource]:
    """The custom sources recorded in a store (none when it has no ``custom_sources`` table)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                         "AND table_schema = 'main'", [CUSTOM_SOURCES_TABLE]).fetchall()[0][0]
    if not exists:
        return []
    rows = con.execute(f"SELECT definition FROM {CUSTOM_SOURCES_TABLE} ORDER BY name").fetchall()
    return [CustomSource.from_json(r[0]) for r in rows]


def declare_custom_sources(con: Any, custom: Sequence[CustomSource]) -> None:
    """Create (or check) the tables of ``custom`` and record their definitions."""
    if not custom:
        return
    _ensure_table(con)
    known = {c.name: c for c in read_custom_sources(con)}
    for cs in custom:
        old = known.get(cs.name)
        if old is not None and old.source().fields != cs.source().fields:
            rows = con.execute(f"SELECT count(*) FROM {quote(cs.name)}").fetchall()[0][0]
            if rows:
                raise ConfigError(
                    f"custom source {cs.name!r} already holds {rows} rows with other columns",
                    where=f"[sources.{cs.name}]",
                    fix="keep its columns as they were, or load into a new source name")
            con.execute(f"DROP TABLE IF EXISTS {quote(cs.name)}")
            con.execute(f"DROP TABLE IF EXISTS {quote(history_table(cs.name))}")
        src = cs.source()
        con.execute(source_table_ddl(src, cs.name))
        con.execute(source_table_ddl(src, history_table(cs.name)))
        con.execute(f"DELETE FROM {CUSTOM_SOURCES_TABLE} WHERE name = ?", [cs.name])
        con.execute(f"INSERT INTO {CUSTOM_SOURCES_TABLE} VALUES (?, ?)", [cs.name, cs.to_json()])

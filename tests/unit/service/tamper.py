"""What an attacker with write access to the service database can do to the audit log.

:func:`rewrite` replaces the log's entries by any list of entries and then recomputes every
leaf hash, subtree hash and the head, so the database is consistent again and a plain
``benne audit verify`` passes; only a checkpoint signed earlier can tell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, delete, select

from benne.service import audit
from benne.service.db import AuditEntry, make_engine

Row = dict[str, Any]
FIELDS = ("at", "actor", "action", "person_id", "detail")
LOG = cast(Table, AuditEntry.__table__)


def entries(url: str) -> list[Row]:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return [{k: r._mapping[k] for k in ("seq", *FIELDS)}
                    for r in con.execute(select(LOG).order_by(LOG.c.seq))]
    finally:
        engine.dispose()


def rewrite(url: str, change: Callable[[list[Row]], list[Row]]) -> None:
    """Replace the entries by ``change(entries)`` (renumbered 1..n) and rebuild the tree."""
    rows = change(entries(url))
    engine = make_engine(url)
    try:
        with engine.begin() as con:
            con.execute(delete(LOG))
            if rows:
                con.execute(LOG.insert(), [
                    {**{k: row[k] for k in FIELDS}, "seq": seq, "leaf_hash": "", "nodes": ""}
                    for seq, row in enumerate(rows, start=1)])
            audit.rebuild_tree(con)
    finally:
        engine.dispose()

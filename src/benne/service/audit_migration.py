"""Migration of an audit log kept as a hash chain (the older schema) to the Merkle tree.

The older schema chained each entry to the one before (``hash = sha256(prev_hash + canonical
JSON)``, columns ``prev_hash`` and ``hash``). :func:`migrate` runs when the database is opened
(:func:`benne.service.db.make_engine`) and, on such a log only, in one transaction:

1. walks the old chain and notes whether it is intact (and where it first breaks);
2. adds the columns ``leaf_hash`` and ``nodes`` and drops ``prev_hash`` and ``hash``;
3. computes every leaf hash, the subtree cache and the head from the entries
   (:func:`benne.service.audit.rebuild_tree`);
4. appends an ``audit.migrate`` entry that records the old chain's last hash and the outcome
   of step 1, so the tree commits to what the chain said.

The entries themselves are kept unchanged. Concurrent openers wait on the transaction's lock
and find the log migrated.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, inspect, text

__all__ = ["migrate"]

_GENESIS = "0" * 64


def _old_entry_hash(prev_hash: str, row: Any) -> str:
    body = json.dumps({"seq": row.seq, "at": row.at.isoformat(timespec="microseconds"),
                       "actor": row.actor, "action": row.action, "person_id": row.person_id,
                       "detail": row.detail},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _check_old_chain(conn: Connection) -> dict[str, Any]:
    prev, expected, first_broken = _GENESIS, 1, None
    rows = text("SELECT seq, at, actor, action, person_id, detail, prev_hash, hash "
                "FROM audit_log ORDER BY seq").columns(at=DateTime())
    for row in conn.execute(rows):
        if first_broken is None and (row.seq != expected or row.prev_hash != prev
                                     or _old_entry_hash(prev, row) != row.hash):
            first_broken = expected
        prev, expected = row.hash, expected + 1
    head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    head_seq, head_hash = (int(head.seq), str(head.hash)) if head else (0, _GENESIS)
    if first_broken is None and (head_seq, head_hash) != (expected - 1, prev):
        first_broken = min(expected, head_seq + 1)
    return {"from": "hash chain", "entries": expected - 1, "chain_head": prev,
            "chain_intact": first_broken is None, "first_broken_seq": first_broken}


def _columns(conn: Connection) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("audit_log")}


def migrate(engine: Engine) -> bool:
    """Migrate an older hash-chain audit log in place; ``False`` when there was nothing to do."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        if "audit_log" not in names or "leaf_hash" in _columns(conn):
            return False
    from benne.service import audit

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE audit_log, audit_head IN ACCESS EXCLUSIVE MODE")
        if "leaf_hash" in _columns(conn):  # another process migrated it meanwhile
            return False
        chain = _check_old_chain(conn)
        conn.exec_driver_sql(
            "ALTER TABLE audit_log ADD COLUMN leaf_hash VARCHAR(64) NOT NULL DEFAULT ''")
        conn.exec_driver_sql("ALTER TABLE audit_log ADD COLUMN nodes TEXT NOT NULL DEFAULT ''")
        conn.exec_driver_sql("ALTER TABLE audit_log DROP COLUMN prev_hash")
        conn.exec_driver_sql("ALTER TABLE audit_log DROP COLUMN hash")
        audit.rebuild_tree(conn)
        audit.append(conn, at=datetime.now(UTC), actor="system", action="audit.migrate",
                     detail=chain)
    return True

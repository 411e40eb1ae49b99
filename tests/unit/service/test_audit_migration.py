"""A database whose audit log is the older hash chain becomes a Merkle tree when opened."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    text,
)

from benne.service import audit, verify_audit
from benne.service.db import make_engine, make_sessionmaker, session_scope

OLD = MetaData()
OLD_LOG = Table("audit_log", OLD,
                Column("seq", Integer, primary_key=True, autoincrement=False),
                Column("at", DateTime, nullable=False),
                Column("actor", String(80), nullable=False),
                Column("action", String(40), nullable=False),
                Column("person_id", String(200)),
                Column("detail", Text, nullable=False),
                Column("prev_hash", String(64), nullable=False),
                Column("hash", String(64), nullable=False))
OLD_HEAD = Table("audit_head", OLD, Column("id", Integer, primary_key=True),
                 Column("seq", Integer, nullable=False), Column("hash", String(64), nullable=False))


def _old_hash(prev: str, entry: dict) -> str:
    """The older schema's chain, as it was defined: sha256(prev_hash + canonical JSON)."""
    body = json.dumps({**{k: entry[k] for k in ("seq", "actor", "action", "person_id", "detail")},
                       "at": entry["at"].isoformat(timespec="microseconds")},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + body).encode()).hexdigest()


def _old_database(url: str, n: int) -> list[dict]:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url)
    OLD.create_all(engine)
    prev, rows = "0" * 64, []
    for seq in range(1, n + 1):
        entry = {"seq": seq, "at": datetime(2024, 7, 1, 12) + timedelta(seconds=seq),
                 "actor": "person", "action": "consent.grant", "person_id": f"P{seq}",
                 "detail": json.dumps({"n": seq})}
        entry["prev_hash"], entry["hash"] = prev, _old_hash(prev, entry)
        prev = entry["hash"]
        rows.append(entry)
    with engine.begin() as con:
        if rows:
            con.execute(OLD_LOG.insert(), rows)
        con.execute(OLD_HEAD.insert().values(id=1, seq=n, hash=prev))
    engine.dispose()
    return rows


def _last_entry(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            row = con.execute(text("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
            columns = {c["name"] for c in inspect(con).get_columns("audit_log")}
    finally:
        engine.dispose()
    assert row is not None
    return {**row._mapping, "columns": columns}


def test_an_intact_chain_is_migrated_and_committed_to(database_url: str) -> None:
    rows = _old_database(database_url, 11)
    last = _last_entry(database_url)  # opening the database migrates it
    assert {"leaf_hash", "nodes"} <= last["columns"]
    assert not {"prev_hash", "hash"} & last["columns"]
    assert last["seq"] == 12 and last["action"] == "audit.migrate"
    assert json.loads(last["detail"]) == {"from": "hash chain", "entries": 11,
                                          "chain_head": rows[-1]["hash"], "chain_intact": True,
                                          "first_broken_seq": None}
    report = verify_audit(database_url)
    assert report.ok and report.count == 12
    assert _last_entry(database_url)["seq"] == 12  # opened again: nothing more to do
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            assert audit.append(session, at=datetime(2024, 8, 1), actor="a", action="t") == 13
            assert audit.verify_log(session).ok
            kept = session.execute(text("SELECT detail FROM audit_log WHERE seq = 5")).scalar()
            assert kept == rows[4]["detail"]
    finally:
        engine.dispose()


def test_a_broken_chain_is_migrated_with_its_break_on_record(database_url: str) -> None:
    _old_database(database_url, 6)
    url = database_url
    engine = create_engine(url if not url.startswith("postgresql://")
                           else "postgresql+psycopg://" + url[len("postgresql://"):])
    with engine.begin() as con:
        con.execute(text("UPDATE audit_log SET person_id = 'P9' WHERE seq = 4"))
    engine.dispose()
    detail = json.loads(_last_entry(database_url)["detail"])
    assert detail["chain_intact"] is False and detail["first_broken_seq"] == 4
    assert verify_audit(database_url).ok  # the tree holds the entries as they were found


@pytest.mark.parametrize("n", [0, 1])
def test_small_logs_migrate(database_url: str, n: int) -> None:
    _old_database(database_url, n)
    last = _last_entry(database_url)
    assert last["seq"] == n + 1 and json.loads(last["detail"])["entries"] == n

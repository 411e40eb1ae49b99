"""The hash-chained audit log: what is appended, and tampering found by verify."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from benne.service import verify_audit
from benne.service.db import make_engine
from tests.unit.service.conftest import ADMIN_KEY, World


def _events(world: World) -> None:
    consent_id = world.grant("P1", "acme")
    world.read("acme", "P1")
    world.read("other", "P1")
    world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P1"))
    world.client.post("/v1/me/disputes", headers=world.person("P1"),
                      json={"source": "bills", "record_id": "B1", "reason": "I paid it"})


def _rows(url: str) -> list[dict]:
    engine = make_engine(url)
    with engine.connect() as con:
        rows = [dict(r._mapping) for r in
                con.execute(text("SELECT * FROM audit_log ORDER BY seq"))]
    engine.dispose()
    return rows


def _execute(url: str, sql: str, **params: object) -> None:
    engine = make_engine(url)
    with engine.begin() as con:
        con.execute(text(sql), params)
    engine.dispose()


def test_every_read_consent_change_and_dispute_is_chained(world: World) -> None:
    _events(world)
    rows = _rows(world.database_url)
    actions = [r["action"] for r in rows]
    # two partner.create and three token.issue entries come from the fixture's credentials
    assert actions == ["partner.create", "partner.create", "token.issue", "token.issue",
                       "token.issue", "consent.grant", "score.read", "score.read",
                       "consent.revoke", "dispute.file"]
    assert [r["seq"] for r in rows] == list(range(1, 11))
    assert all(r["prev_hash"] == p["hash"] for p, r in zip(rows, rows[1:], strict=False))
    reads = [json.loads(r["detail"]) for r in rows if r["action"] == "score.read"]
    assert [d["outcome"] for d in reads] == ["granted", "refused"]
    report = verify_audit(world.database_url)
    assert report.ok and report.count == 10


def test_a_changed_row_is_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url,
             "UPDATE audit_log SET detail = :d WHERE seq = 4",
             d=json.dumps({"outcome": "refused"}))
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 4 and report.count == 3


def test_a_rehashed_row_still_breaks_the_next_link(world: World) -> None:
    _events(world)
    _execute(world.database_url, "UPDATE audit_log SET person_id = 'P9', hash = :h WHERE seq = 3",
             h="f" * 64)
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 3


def test_a_removed_row_is_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url, "DELETE FROM audit_log WHERE seq = 5")
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 5 and "missing" in (report.reason or "")


def test_rows_cut_off_the_end_are_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url, "DELETE FROM audit_log WHERE seq >= 6")
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 6


def test_admin_endpoint_reports_the_break(world: World) -> None:
    _events(world)
    ok = world.client.get("/v1/audit/verify", headers={"X-Admin-Key": ADMIN_KEY})
    assert ok.status_code == 200 and ok.json() == {"ok": True, "count": 10,
                                                   "first_broken_seq": None, "reason": None}
    _execute(world.database_url, "UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
    broken = world.client.get("/v1/audit/verify", headers={"X-Admin-Key": ADMIN_KEY}).json()
    assert broken["ok"] is False and broken["first_broken_seq"] == 2
    assert world.client.get("/v1/audit/verify").status_code == 401
    wrong = world.client.get("/v1/audit/verify", headers={"X-Admin-Key": "wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    as_person = world.client.get("/v1/audit/verify", headers=world.person("P1"))
    assert as_person.status_code == 401


def test_concurrent_reads_keep_one_unbroken_chain(world: World) -> None:
    world.grant("P1", "acme")
    world.grant("P2", "other")

    def read(i: int) -> int:
        pair = ("acme", "P1") if i % 2 else ("other", "P2")
        return world.read(*pair).status_code  # type: ignore[attr-defined]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(read, range(60)))
    assert statuses == [200] * 60
    report = verify_audit(world.database_url)
    assert report.ok and report.count == 2 + 3 + 2 + 60


def test_appenders_with_their_own_head_hints_keep_one_chain(database_url: str) -> None:
    """Engines stand for API workers and batch processes: each keeps its own hint of the head,
    which the others' appends and its own rolled-back ones make stale."""
    from datetime import datetime

    from benne.service import audit
    from benne.service.db import make_sessionmaker, session_scope

    engines = [make_engine(database_url) for _ in range(3)]
    sessions = [make_sessionmaker(e) for e in engines]
    at = datetime(2024, 7, 1, 12)

    def append(worker: int, n: int) -> int:
        with session_scope(sessions[worker]) as session:
            return audit.append(session, at=at, actor=f"worker:{worker}", action="test",
                                detail={"n": n})

    try:
        assert [append(0, 0), append(1, 1), append(0, 2)] == [1, 2, 3]  # 0's hint went stale
        try:
            with session_scope(sessions[2]) as session:
                assert audit.append(session, at=at, actor="worker:2", action="test") == 4
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert append(2, 3) == 4  # its hint named an entry that was rolled back

        def work(i: int) -> int:
            return append(i % 3, i)

        with ThreadPoolExecutor(max_workers=9) as pool:
            seqs = list(pool.map(work, range(90)))
        assert sorted(seqs) == list(range(5, 95))
        report = verify_audit(database_url)
        assert report.ok and report.count == 94
    finally:
        for engine in engines:
            engine.dispose()

"""The audit log: what is appended, its Merkle tree, and tampering found by verify."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import text

from benne.service import audit, merkle, verify_audit
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


def test_every_read_consent_change_and_dispute_is_a_leaf(world: World) -> None:
    _events(world)
    rows = _rows(world.database_url)
    actions = [r["action"] for r in rows]
    # two partner.create and three token.issue entries come from the fixture's credentials
    assert actions == ["partner.create", "partner.create", "token.issue", "token.issue",
                       "token.issue", "consent.grant", "score.read", "score.read",
                       "consent.revoke", "dispute.file"]
    assert [r["seq"] for r in rows] == list(range(1, 11))
    leaves = [merkle.leaf_hash(audit.entry_leaf(
        seq=r["seq"], at=r["at"] if isinstance(r["at"], datetime) else
        datetime.fromisoformat(r["at"]), actor=r["actor"], action=r["action"],
        person_id=r["person_id"], detail=r["detail"])) for r in rows]
    assert [r["leaf_hash"] for r in rows] == [h.hex() for h in leaves]
    reads = [json.loads(r["detail"]) for r in rows if r["action"] == "score.read"]
    assert [d["outcome"] for d in reads] == ["granted", "refused"]
    report = verify_audit(world.database_url)
    assert report.ok and report.count == 10
    assert report.root == merkle.root_from_leaf_hashes(leaves)


def test_a_changed_row_is_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url,
             "UPDATE audit_log SET detail = :d WHERE seq = 7",
             d=json.dumps({"outcome": "refused"}))
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 7 and report.count == 6


def test_a_row_with_a_new_leaf_hash_breaks_the_tree(world: World) -> None:
    _events(world)
    _execute(world.database_url,
             "UPDATE audit_log SET person_id = 'P9', leaf_hash = :h WHERE seq = 6", h="f" * 64)
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 6 and report.count == 5


def test_a_row_added_by_hand_is_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url,
             "INSERT INTO audit_log (seq, at, actor, action, person_id, detail, leaf_hash, nodes)"
             " VALUES (11, :at, 'person', 'consent.grant', 'P1', '{}', :h, '')",
             at=datetime(2024, 7, 1, 12), h="0" * 64)
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 11 and report.count == 10


def test_a_removed_row_is_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url, "DELETE FROM audit_log WHERE seq = 8")
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 8 and "missing" in (report.reason or "")


def test_rows_cut_off_the_end_are_found_by_verify(world: World) -> None:
    _events(world)
    _execute(world.database_url, "DELETE FROM audit_log WHERE seq >= 9")
    report = verify_audit(world.database_url)
    assert not report.ok and report.first_broken_seq == 9 and report.count == 8
    assert report.reason == "the log holds 8 entries but its head records 10"


def test_admin_endpoint_reports_the_break(world: World) -> None:
    _events(world)
    ok = world.client.get("/v1/audit/verify", headers={"X-Admin-Key": ADMIN_KEY})
    assert ok.status_code == 200 and ok.json() == {
        "ok": True, "count": 10, "first_broken_seq": None, "reason": None,
        "root": verify_audit(world.database_url).root.hex()}
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


def test_consent_rows_changed_by_hand_are_found_by_verify(world: World) -> None:
    consent_id = world.grant("P1", "acme")
    world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P1"))
    other = world.grant("P2", "other")
    assert verify_audit(world.database_url).ok
    _execute(world.database_url, "UPDATE consents SET revoked_at = NULL WHERE id = :i",
             i=consent_id)
    report = verify_audit(world.database_url)
    assert not report.ok and report.reason == (
        f"consent {consent_id} was revoked by entry 7 but is live again in the consents table")
    _execute(world.database_url, "UPDATE consents SET revoked_at = :t WHERE id = :i",
             t=world.clock.now, i=consent_id)
    assert verify_audit(world.database_url).ok
    _execute(world.database_url, "UPDATE consents SET purpose = 'rental' WHERE id = :i", i=other)
    report = verify_audit(world.database_url)
    assert not report.ok and report.reason == (
        f"consent {other} differs from its consent.grant entry 8: it was changed by hand")
    _execute(world.database_url, "UPDATE consents SET purpose = 'credit' WHERE id = :i", i=other)
    _execute(world.database_url,
             "INSERT INTO consents (id, person_id, partner_id, purpose, created_at) "
             "VALUES ('cs_byhand', 'P2', :p, 'credit', :t)",
             p=world.partner_id("acme"), t=world.clock.now)
    report = verify_audit(world.database_url)
    assert not report.ok and report.reason == (
        "consent cs_byhand has no consent.grant entry in the log: it was made by hand")


def test_access_log_entries_carry_inclusion_proofs(world: World) -> None:
    world.grant("P1", "acme")
    world.read("acme", "P1")
    world.read("other", "P1")
    world.read("acme", "P2")
    log = world.client.get("/v1/me/access-log", headers=world.person("P1")).json()
    report = verify_audit(world.database_url)
    assert [e["outcome"] for e in log] == ["refused", "granted"]
    for entry in log:
        proof = entry["inclusion"]
        assert proof["tree_size"] == report.count == 9 and proof["root"] == report.root.hex()
        assert proof["leaf_index"] == proof["seq"] - 1
        leaf = proof["leaf"].encode("utf-8")
        assert hashlib.sha256(b"\x00" + leaf).hexdigest() == proof["leaf_hash"]
        assert json.loads(json.loads(proof["leaf"])["detail"])["outcome"] == entry["outcome"]
        assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"],
                                       proof["tree_size"], [bytes.fromhex(p) for p in
                                                            proof["proof"]],
                                       bytes.fromhex(proof["root"]))
    data = world.client.get("/v1/me/data", headers=world.person("P1")).json()
    assert [e["inclusion"]["seq"] for e in data["access_log"]] == [8, 7]


def test_consent_changes_are_leaves_with_proofs(world: World) -> None:
    from benne.service.db import make_sessionmaker, session_scope

    consent_id = world.grant("P1", "acme")
    world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P1"))
    engine = make_engine(world.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            head = audit.tree_head(session)
            for seq, action in ((6, "consent.grant"), (7, "consent.revoke")):
                proof = audit.inclusion_proof(session, seq)
                assert json.loads(proof.leaf)["action"] == action
                assert consent_id in json.loads(proof.leaf)["detail"]
                assert merkle.verify_inclusion(merkle.leaf_hash(proof.leaf.encode()), seq - 1,
                                               head.size, proof.proof, head.root)
    finally:
        engine.dispose()


def test_the_quick_start_check_reads_the_head_against_the_stored_tree(world: World) -> None:
    from benne.service.db import make_sessionmaker, session_scope

    _events(world)

    def check() -> audit.AuditReport:
        engine = make_engine(world.database_url)
        try:
            with session_scope(make_sessionmaker(engine)) as session:
                return audit.check_head(session)
        finally:
            engine.dispose()

    assert check().ok and check().count == 10
    _execute(world.database_url, "UPDATE audit_head SET hash = :h", h="f" * 64)
    assert check().reason == "the head's root hash is not the root of the tree"
    _execute(world.database_url, "DELETE FROM audit_log WHERE seq = 10")
    assert check().reason == "the log ends at entry 9 but its head records 10"


def test_credential_changes_are_leaves_and_keep_the_consent_checks(world: World) -> None:
    """Deleting a partner revokes its consents as the admin: verify still ties every consent
    row to its entries, and the person's proofs are against the tree that holds them."""
    from benne.service import change_partner, revoke_person_tokens

    consent_id = world.grant("P1", "acme")
    world.read("acme", "P1")
    change_partner(world.database_url, world.partner_id("acme"), "delete")
    assert revoke_person_tokens(world.database_url, person_id="P2") == 1
    rows = _rows(world.database_url)
    assert [(r["actor"], r["action"]) for r in rows[5:]] == [
        ("person", "consent.grant"), (f"partner:{world.partner_id('acme')}", "score.read"),
        ("admin", "consent.revoke"), ("admin", "partner.delete"), ("admin", "token.revoke")]
    assert [r["person_id"] for r in rows[2:5]] == ["P1", "P2", "P3"]
    assert all(world.tokens[p].split(".")[0] in r["detail"]
               for p, r in zip(("P1", "P2", "P3"), rows[2:5], strict=True))
    assert not any(t.split(".")[1] in r["detail"] for t in world.tokens.values() for r in rows)
    report = verify_audit(world.database_url)
    assert report.ok and report.count == 10
    log = world.client.get("/v1/me/access-log", headers=world.person("P1")).json()
    assert [e["inclusion"]["seq"] for e in log] == [7]
    proof = log[0]["inclusion"]
    assert proof["tree_size"] == 10 and proof["root"] == report.root.hex()
    assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"],
                                   proof["tree_size"], [bytes.fromhex(p) for p in proof["proof"]],
                                   bytes.fromhex(proof["root"]))
    _execute(world.database_url, "UPDATE consents SET revoked_at = NULL WHERE id = :i",
             i=consent_id)
    report = verify_audit(world.database_url)
    assert not report.ok and report.reason == (
        f"consent {consent_id} was revoked by entry 8 but is live again in the consents table")


def test_a_batch_append_makes_the_tree_of_one_by_one_appends(tmp_path) -> None:
    """``append_many`` is a shortcut, not another tree: same rows, head and proofs."""
    at = datetime(2024, 7, 1, 12)
    entries = [audit.Entry(at, f"partner:{i % 3}", "score.read", f"P{i}", {"n": i})
               for i in range(23)]
    urls = [f"sqlite:///{tmp_path / name}.sqlite" for name in ("one", "many")]
    engines = [make_engine(url) for url in urls]
    try:
        with engines[0].begin() as conn:
            seqs_one = [audit.append(conn, at=e.at, actor=e.actor, action=e.action,
                                     person_id=e.person_id, detail=e.detail) for e in entries]
        with engines[1].begin() as conn:  # in three batches, the middle one of a single entry
            seqs_many = (audit.append_many(conn, entries[:10])
                         + audit.append_many(conn, entries[10:11])
                         + audit.append_many(conn, entries[11:]))
        assert seqs_one == seqs_many == list(range(1, 24))
        heads = []
        for engine in engines:
            with engine.connect() as conn:
                heads.append(audit.tree_head(conn))
        assert heads[0] == heads[1]
    finally:
        for engine in engines:
            engine.dispose()
    assert _rows(urls[0]) == _rows(urls[1])
    assert verify_audit(urls[1]).ok


def test_the_group_appender_commits_concurrent_entries_together(database_url: str) -> None:
    """Many threads submit at once: each gets its own committed seq, fewer transactions than
    entries are used, and a second appender (another worker) keeps the one tree."""
    from benne.service.audit_writer import GroupAppender

    engines = [make_engine(database_url) for _ in range(2)]
    writers = [GroupAppender(e) for e in engines]
    at = datetime(2024, 7, 1, 12)

    def submit(i: int) -> int:
        return writers[i % 2].append(audit.Entry(at, f"worker:{i % 2}", "test", None, {"n": i}))

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            seqs = list(pool.map(submit, range(400)))
        assert sorted(seqs) == list(range(1, 401))
        assert sum(w.batches for w in writers) < 400
        rows = {r["seq"]: json.loads(r["detail"])["n"] for r in _rows(database_url)}
        assert all(rows[seq] == i for i, seq in enumerate(seqs))  # each seq is its own entry
    finally:
        for writer in writers:
            writer.close()
        for engine in engines:
            engine.dispose()
    report = verify_audit(database_url)
    assert report.ok and report.count == 400


def test_a_failed_batch_fails_each_of_its_callers_and_moves_no_head(tmp_path) -> None:
    from sqlalchemy.exc import OperationalError

    from benne.service.audit_writer import GroupAppender
    from benne.service.db import BusyError

    url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    engine = make_engine(url)
    writer = GroupAppender(engine)
    at = datetime(2024, 7, 1, 12)
    try:
        assert writer.append(audit.Entry(at, "system", "test")) == 1
        rename = sqlite3.connect(tmp_path / "service.sqlite", isolation_level=None)
        rename.execute("ALTER TABLE audit_log RENAME TO audit_log_away")  # the insert fails
        with pytest.raises(OperationalError, match="audit_log"):
            writer.append(audit.Entry(at, "system", "test"))
        with engine.connect() as conn:
            assert audit.tree_head(conn).size == 1  # rolled back with the failed insert
        rename.execute("ALTER TABLE audit_log_away RENAME TO audit_log")
        rename.close()
        assert writer.append(audit.Entry(at, "system", "test")) == 2  # and it carries on
    finally:
        writer.close()
        engine.dispose()
    with pytest.raises(BusyError, match="shutting down"):
        writer.append(audit.Entry(at, "system", "test"))

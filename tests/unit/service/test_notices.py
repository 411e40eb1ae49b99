"""Adverse-action notices under consent, the person's list of them, the population spread,
and the what-if scores of the reasons."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from benne.service import load_scores, verify_audit
from benne.service.db import make_engine
from tests.unit.service.conftest import World, make_world, writer_lock_held
from tests.unit.service.factory import score_row


def _notice(world: World, person: str, partner: str = "acme", purpose: str = "credit"):
    return world.client.get(f"/v1/scores/{person}/notice", params={"purpose": purpose},
                            headers=world.partner(partner))


def test_notice_under_consent_states_score_factors_bureau_and_rights(world: World) -> None:
    world.grant("P1", "acme")
    r = _notice(world, "P1")
    assert r.status_code == 200, r.text
    n = r.json()
    assert (n["score"], n["band"], n["as_of"]) == (655, "very good", "2024-06-30")
    assert (n["scale_min"], n["scale_max"]) == (350, 950)
    assert [f["code"] for f in n["key_factors"]] == ["BILLS_LATE", "FEW_MONTHS_SAVINGS"]
    assert n["bureau_name"] == "benne credit bureau" and n["bureau_contact"]
    assert n["dispute_answer_days"] == 30
    said = " ".join(n["rights"])
    assert "free copy" in said and "dispute" in said and "within 30 days" in said
    assert n["partner_id"] == world.partner_id("acme") and n["purpose"] == "credit"


def test_notice_without_consent_is_refused_like_the_score_and_logged(world: World) -> None:
    for person in ("P2", "nobody"):
        r = _notice(world, person)
        assert r.status_code == 403 and r.json()["error"] == "consent_required"
    world.grant("P2", "acme", purpose="rent")
    assert _notice(world, "P2").status_code == 403       # another purpose
    r = world.client.get("/v1/me/notices", headers=world.person("P2"))
    assert r.status_code == 200 and r.json() == []      # refused notices carry no notice


def test_a_refused_notice_about_an_unknown_id_logs_only_a_digest_of_it(world: World) -> None:
    made_up = "someone-the-partner-made-up"
    assert _notice(world, made_up).status_code == 403
    assert _notice(world, "P2").status_code == 403
    engine = make_engine(world.database_url)
    with engine.connect() as con:
        rows = con.execute(text("SELECT person_id, detail FROM audit_log "
                                "WHERE action = 'notice.sent' ORDER BY seq")).fetchall()
    engine.dispose()
    (unknown_id, unknown), (known_id, known) = rows
    assert unknown_id is None and made_up not in unknown
    assert len(json.loads(unknown)["asked_for"]) == 16
    assert known_id == "P2" and "asked_for" not in json.loads(known)
    assert verify_audit(world.database_url).ok


def test_notice_routes_are_rate_limited(tmp_path: Path) -> None:
    gen = make_world(f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path, rate_limit_per_minute=12,
                     person_rate_limit_per_minute=12)  # bursts of two
    world = next(gen)
    try:
        world.grant("P1", "acme")
        assert [_notice(world, "P1").status_code for _ in range(3)] == [200, 200, 429]
        for person, path in (("P2", "/v1/me/notices"), ("P3", "/v1/population")):
            got = [world.client.get(path, headers=world.person(person)) for _ in range(3)]
            assert [r.status_code for r in got] == [200, 200, 429], path
            assert got[-1].json()["error"] == "rate_limited"
            assert int(got[-1].headers["Retry-After"]) >= 1
    finally:
        gen.close()


def test_a_locked_database_answers_busy_and_leaves_the_loop_free(
        sqlite_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = sqlite_world
    world.grant("P1", "acme")
    monkeypatch.setattr("benne.service.db.WRITER_WAIT_SECONDS", 1.5)
    with writer_lock_held(world):
        with ThreadPoolExecutor(max_workers=3) as pool:
            waiting = [pool.submit(_notice, world, "P1"),
                       pool.submit(world.client.get, "/v1/me/notices",
                                   headers=world.person("P1")),
                       pool.submit(world.client.get, "/v1/population",
                                   headers=world.person("P2"))]
            time.sleep(0.1)
            started = time.perf_counter()
            health = world.client.get("/healthz")
            elapsed = time.perf_counter() - started
            answers = [f.result() for f in waiting]
    assert health.status_code == 200 and elapsed < 1.0, elapsed
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "busy" and r.headers["Retry-After"] == "1"


def test_the_person_sees_every_notice_sent_about_them(world: World) -> None:
    world.grant("P1", "acme")
    world.grant("P1", "other")
    first = _notice(world, "P1").json()
    world.clock.advance(days=1)
    second = _notice(world, "P1", partner="other").json()
    r = world.client.get("/v1/me/notices", headers=world.person("P1"))
    assert r.status_code == 200
    got = r.json()
    assert [n["notice_id"] for n in got] == [second["notice_id"], first["notice_id"]]
    assert got[1] == first and got[0] == second
    assert world.client.get("/v1/me/notices", headers=world.person("P2")).json() == []
    assert world.client.get("/v1/me/notices").status_code == 401


def test_population_spread_of_the_latest_run(world: World) -> None:
    r = world.client.get("/v1/population", headers=world.person("P1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2024-06-30" and body["people"] == 2
    assert body["score"]["p10"] <= body["score"]["p50"] <= body["score"]["p90"]
    assert body["score"]["p50"] == (655 + 540) / 2
    assert world.client.get("/v1/population").status_code == 401


def test_what_if_scores_reach_the_person(world: World, tmp_path: Path) -> None:
    path = write_scores_with_what_if(tmp_path / "w.parquet")
    load_scores(world.database_url, path)
    me = world.client.get("/v1/me/score", headers=world.person("P1")).json()
    assert me["score"] == 640
    assert [r["what_if"] for r in me["reasons"]] == [658, 649]


def write_scores_with_what_if(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.unit.service.factory import SCORES_SCHEMA

    row = score_row("P1", 640, as_of=date(2024, 9, 30), reason_1_what_if=658,
                    reason_2_what_if=649, reason_3_what_if=None, reason_4_what_if=None)
    schema = SCORES_SCHEMA
    for i in range(1, 5):
        schema = schema.append(pa.field(f"reason_{i}_what_if", pa.int32()))
    pq.write_table(pa.Table.from_pylist([row], schema=schema), path)
    return path


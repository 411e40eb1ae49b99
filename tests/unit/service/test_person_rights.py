"""The person's rights: their score and history, all their data, disputes, the access log."""

from __future__ import annotations

from datetime import timedelta

from benne.service import disputes, resolve_dispute
from benne.service.db import opened
from tests.unit.service.conftest import World


def _holds(world: World, days: int = 0) -> list[tuple[str, str, str]]:
    """The records the batch would hold out of scoring, ``days`` after the world's clock."""
    with opened(world.database_url) as session:
        found = disputes.holds(session, world.clock() + timedelta(days=days))
    return [(h.source, h.record_id, h.reason) for h in found]


def test_my_score_has_dimensions_reasons_and_history(world: World) -> None:
    r = world.client.get("/v1/me/score", headers=world.person("P1"))
    assert r.status_code == 200
    body = r.json()
    assert (body["score"], body["band"], body["as_of"]) == (655, "very good", "2024-06-30")
    assert body["dimensions"] == {"credit_history": 10.0, "behaviour": 25.0, "fulfilment": 40.0,
                                  "identity": 55.0, "relationships": 70.0}
    assert body["reasons"][0]["text"].startswith("Bills were paid late")
    assert [(h["as_of"], h["score"]) for h in body["history"]] == [("2024-03-31", 612),
                                                                   ("2024-06-30", 655)]


def test_no_score_yet_is_not_found_and_no_token_is_unauthorised(world: World) -> None:
    r = world.client.get("/v1/me/score", headers=world.person("P3"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert world.client.get("/v1/me/score").status_code == 401
    bad = world.client.get("/v1/me/score", headers={"Authorization": "Bearer tk_x.y"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"


def test_my_data_holds_service_rows_and_only_my_store_rows(world: World) -> None:
    world.grant("P1", "acme")
    world.read("acme", "P1")
    body = world.client.get("/v1/me/data", headers=world.person("P1")).json()
    assert body["person_id"] == "P1"
    assert [s["score"] for s in body["scores"]] == [612, 655]
    assert len(body["consents"]) == 1 and len(body["access_log"]) == 1
    store = body["store"]
    assert [r["person_id"] for r in store["identity"]] == ["P1"]
    assert [r["bill_id"] for r in store["bills"]] == ["B1"]
    assert [r["transfer_id"] for r in store["transfers"]] == ["T1"]  # P1 is the payee
    assert store["bills"][0]["_record_id"] == "B1" and store["bills"][0]["_dispute"] is None
    other = world.client.get("/v1/me/data", headers=world.person("P2")).json()["store"]
    assert [r["bill_id"] for r in other["bills"]] == ["B2"]


def test_dispute_flags_the_record_but_keeps_it_in_scoring_while_open(world: World) -> None:
    r = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                          json={"source": "bills", "record_id": "B1",
                                "reason": "I paid this bill on time"})
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert dispute["status"] == "open" and dispute["record_id"] == "B1"
    assert dispute["due_at"] == "2024-07-31T12:00:00Z" and dispute["held"] is False
    assert _holds(world) == []  # an open dispute changes neither scoring nor labels
    data = world.client.get("/v1/me/data", headers=world.person("P1")).json()
    assert data["store"]["bills"][0]["_dispute"] == "open"
    assert [d["status"] for d in data["disputes"]] == ["open"]
    world.grant("P1", "acme")
    assert world.read("acme", "P1").json()["open_disputes"] == 1  # type: ignore[attr-defined]
    again = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                              json={"source": "bills", "record_id": "B1", "reason": "again"})
    assert again.status_code == 409 and again.json()["error"] == "conflict"

    assert resolve_dispute(world.database_url, dispute["id"], "rejected") == "rejected"
    assert _holds(world) == [] and _holds(world, days=60) == []
    listed = world.client.get("/v1/me/disputes", headers=world.person("P1")).json()
    assert [d["status"] for d in listed] == ["rejected"] and listed[0]["resolved_at"]


def test_upheld_dispute_holds_the_record_out(world: World) -> None:
    r = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                          json={"source": "identity", "record_id": "P1", "reason": "wrong year"})
    resolve_dispute(world.database_url, r.json()["id"], "upheld")
    assert _holds(world) == [("identity", "P1", f"dispute {r.json()['id']}")]
    data = world.client.get("/v1/me/data", headers=world.person("P1")).json()
    assert data["store"]["identity"][0]["_dispute"] == "held"


def test_a_dispute_not_verified_by_its_deadline_holds_the_record_out(world: World) -> None:
    r = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                          json={"source": "bills", "record_id": "B1", "reason": "paid"})
    assert _holds(world, days=29) == []
    assert _holds(world, days=30) == [("bills", "B1", f"dispute {r.json()['id']}")]
    world.clock.advance(days=31)
    listed = world.client.get("/v1/me/disputes", headers=world.person("P1")).json()
    assert listed[0]["status"] == "open" and listed[0]["held"] is True


def test_cannot_dispute_another_persons_record(world: World) -> None:
    r = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                          json={"source": "bills", "record_id": "B2", "reason": "not mine"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert world.client.get("/v1/me/disputes", headers=world.person("P1")).json() == []


def test_unknown_source_is_a_validation_error(world: World) -> None:
    r = world.client.post("/v1/me/disputes", headers=world.person("P1"),
                          json={"source": "passwords", "record_id": "x", "reason": "y"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert r.json()["where"] == "body.source"


def test_access_log_names_partner_purpose_and_outcome(world: World) -> None:
    world.grant("P1", "acme", "credit")
    world.read("acme", "P1", "credit")
    world.clock.advance(minutes=5)
    world.read("other", "P1", "rental")
    log = world.client.get("/v1/me/access-log", headers=world.person("P1")).json()
    assert [(e["partner_name"], e["purpose"], e["outcome"], e["at"]) for e in log] == [
        ("other", "rental", "refused", "2024-07-01T12:05:00Z"),
        ("acme", "credit", "granted", "2024-07-01T12:00:00Z"),
    ]
    assert world.client.get("/v1/me/access-log", headers=world.person("P2")).json() == []

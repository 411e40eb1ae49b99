"""The authorisation matrix and the consent cycle, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.service.conftest import World

REFUSAL = "consent_required"


def _refused(response: object) -> None:
    assert response.status_code == 403, response.text  # type: ignore[attr-defined]
    assert response.json()["error"] == REFUSAL  # type: ignore[attr-defined]


def test_live_consent_lets_the_partner_read_the_latest_score(world: World) -> None:
    world.grant("P1", "acme", "credit")
    r = world.read("acme", "P1", "credit")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["person_id"], body["score"], body["band"]) == ("P1", 655, "very good")
    assert body["as_of"] == "2024-06-30" and body["purpose"] == "credit"
    assert set(body["dimensions"]) == {"credit_history", "behaviour", "fulfilment", "identity",
                                       "relationships"}
    assert [x["code"] for x in body["reasons"]] == ["BILLS_LATE", "FEW_MONTHS_SAVINGS"]


def test_no_consent_is_refused(world: World) -> None:
    _refused(world.read("acme", "P1"))


def test_expired_consent_is_refused(world: World) -> None:
    world.grant("P1", "acme", "credit", expires_at="2024-07-01T13:00:00Z")
    assert world.read("acme", "P1").status_code == 200
    world.clock.advance(hours=1)  # now == expires_at: no longer live
    _refused(world.read("acme", "P1"))


def test_revoked_consent_is_refused(world: World) -> None:
    consent_id = world.grant("P1", "acme")
    r = world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P1"))
    assert r.status_code == 204
    _refused(world.read("acme", "P1"))


def test_consent_for_another_purpose_is_refused(world: World) -> None:
    world.grant("P1", "acme", "rental")
    _refused(world.read("acme", "P1", "credit"))
    assert world.read("acme", "P1", "rental").status_code == 200


def test_another_partners_consent_is_refused(world: World) -> None:
    world.grant("P1", "other", "credit")
    _refused(world.read("acme", "P1", "credit"))
    assert world.read("other", "P1", "credit").status_code == 200


def test_consent_of_another_person_does_not_open_this_one(world: World) -> None:
    world.grant("P2", "acme", "credit")
    _refused(world.read("acme", "P1", "credit"))


def test_another_persons_token_cannot_revoke_or_see_the_consent(world: World) -> None:
    consent_id = world.grant("P1", "acme")
    r = world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P2"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert world.client.get("/v1/consents", headers=world.person("P2")).json() == []
    assert world.read("acme", "P1").status_code == 200  # still live


def test_a_person_token_is_not_a_partner_key(world: World) -> None:
    world.grant("P1", "acme")
    r = world.client.get("/v1/scores/P1", params={"purpose": "credit"},
                         headers={"X-API-Key": world.tokens["P1"]})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


@pytest.mark.parametrize("key", ["", "nonsense", "pt_0000000000000000.forged"])
def test_bad_partner_keys_are_unauthorised(world: World, key: str) -> None:
    r = world.client.get("/v1/scores/P1", params={"purpose": "credit"},
                         headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_a_forged_key_for_a_real_partner_id_is_unauthorised(world: World) -> None:
    partner_id, key = world.partners["acme"]
    forged = f"{partner_id}.{'A' * (len(key) - len(partner_id) - 1)}"
    r = world.client.get("/v1/scores/P1", params={"purpose": "credit"},
                         headers={"X-API-Key": forged})
    assert r.status_code == 401


def test_refusal_is_identical_whether_or_not_the_person_exists(world: World) -> None:
    known, unknown = world.read("acme", "P1"), world.read("acme", "NOBODY")
    assert known.status_code == unknown.status_code == 403
    assert known.json() == unknown.json()


def test_consent_read_revoke_refused_cycle(world: World) -> None:
    consent_id = world.grant("P1", "acme", "credit")
    listed = world.client.get("/v1/consents", headers=world.person("P1")).json()
    assert [(c["id"], c["live"], c["partner_name"]) for c in listed] == [(consent_id, True, "acme")]
    assert world.read("acme", "P1").json()["score"] == 655
    assert world.client.delete(f"/v1/consents/{consent_id}",
                               headers=world.person("P1")).status_code == 204
    _refused(world.read("acme", "P1"))
    listed = world.client.get("/v1/consents", headers=world.person("P1")).json()
    assert listed[0]["live"] is False and listed[0]["revoked_at"] is not None
    log = world.client.get("/v1/me/access-log", headers=world.person("P1")).json()
    assert [e["outcome"] for e in log] == ["refused", "granted"]  # newest first
    assert {e["partner_name"] for e in log} == {"acme"}


def test_consent_for_unknown_partner_or_past_expiry_is_rejected(world: World) -> None:
    r = world.client.post("/v1/consents", headers=world.person("P1"),
                          json={"partner_id": "pt_unknown", "purpose": "credit"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = world.client.post("/v1/consents", headers=world.person("P1"),
                          json={"partner_id": world.partner_id("acme"), "purpose": "credit",
                                "expires_at": datetime(2024, 1, 1).isoformat()})
    assert r.status_code == 400 and r.json()["error"] == "bad_input"


def test_live_consent_without_a_score_is_not_found(world: World) -> None:
    world.grant("P3", "acme")
    r = world.read("acme", "P3")
    assert r.status_code == 404 and r.json()["error"] == "not_found"

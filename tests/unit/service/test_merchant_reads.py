"""A partner reads a shop's score only under its owner's live consent, through the people's
read path: the same refusal byte for byte, the same audit log; the owner sees their shops."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import select

from benne.service.db import AuditEntry, opened
from benne.service.merchants import load_merchant_scores
from tests.unit.service.conftest import World


def _shop(merchant_id: str, owner: str, score: int, as_of: str, **dims: float) -> dict:
    return {"merchant_id": merchant_id, "owner_person_id": owner, "as_of": as_of,
            "model_version": "shops-1", "score": score, "band": "good", "pd": 0.04,
            "dim_trading": dims.get("trading", 70.0), "dim_stability": 55.0,
            "dim_reputation": dims.get("reputation", 30.0), "dim_owner": float("nan"),
            "reason_1": "MR01",
            "reason_1_text": "Share of your shop's orders refunded in the last 12 months. "
                             "Your refund rate is 6.0%, above your category's norm "
                             "(food shops: 3.0%).",
            "reason_1_what_if": score + 14,
            **{f"reason_{i}{s}": None for i in (2, 3, 4) for s in ("", "_text", "_what_if")}}


@pytest.fixture
def shops(world: World) -> World:
    frame = pd.DataFrame([_shop("M1", "P1", 610, "2024-03-31"),
                          _shop("M1", "P1", 631, "2024-06-30"),
                          _shop("M2", "P2", 580, "2024-06-30")])
    with opened(world.database_url) as session:
        assert load_merchant_scores(session, frame, now=datetime(2024, 7, 1),
                                    catalogue={"MR01": {"tip": "Describe products accurately.",
                                                        "feature": "refunds"}}) == 3
        assert load_merchant_scores(session, frame, now=datetime(2024, 7, 1)) == 0
    return world


def _read(world: World, partner: str, merchant_id: str, purpose: str = "credit") -> object:
    return world.client.get(f"/v1/merchants/{merchant_id}/score", params={"purpose": purpose},
                            headers=world.partner(partner))


def test_owner_consent_opens_the_shops_latest_score(shops: World) -> None:
    shops.grant("P1", "acme", "credit")
    r = _read(shops, "acme", "M1")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert (body["merchant_id"], body["score"], body["as_of"]) == ("M1", 631, "2024-06-30")
    assert set(body["dimensions"]) == {"trading", "stability", "reputation", "owner"}
    assert body["dimensions"]["owner"] is None
    assert body["reasons"][0]["tip"] == "Describe products accurately."
    assert "person_id" not in body


def test_the_consent_matrix_refuses_alike(shops: World) -> None:
    """No consent, another partner's, revoked, another purpose, another owner's shop and an
    unknown shop: one 403, byte for byte the people's refusal."""
    person_refusal = shops.read("acme", "P1")
    assert person_refusal.status_code == 403  # type: ignore[attr-defined]
    refusals = [_read(shops, "acme", "M1")]  # no consent
    shops.grant("P1", "other", "credit")
    refusals.append(_read(shops, "acme", "M1"))  # another partner's consent
    shops.grant("P1", "acme", "rental")
    refusals.append(_read(shops, "acme", "M1", "credit"))  # another purpose
    live = shops.grant("P1", "acme", "credit")
    assert _read(shops, "acme", "M1").status_code == 200  # type: ignore[attr-defined]
    refusals.append(_read(shops, "acme", "M2"))  # P1's consent does not open P2's shop
    refusals.append(_read(shops, "acme", "NO-SUCH-SHOP"))  # unknown shop
    assert shops.client.delete(f"/v1/consents/{live}",
                               headers=shops.person("P1")).status_code == 204
    refusals.append(_read(shops, "acme", "M1"))  # revoked
    for r in refusals:
        assert r.status_code == 403  # type: ignore[attr-defined]
        assert r.content == person_refusal.content  # type: ignore[attr-defined]


def test_shop_reads_are_in_the_owners_audit_log(shops: World) -> None:
    shops.grant("P1", "acme", "credit")
    _read(shops, "acme", "M1")
    _read(shops, "acme", "M2")
    _read(shops, "acme", "NO-SUCH-SHOP")
    with opened(shops.database_url) as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == "score.read")
                               .order_by(AuditEntry.seq)).scalars().all()
    details = [(r.person_id, json.loads(r.detail)) for r in rows]
    shop_rows = [(p, d) for p, d in details if d.get("entity") == "merchant"]
    assert [(p, d["outcome"], d.get("merchant_id")) for p, d in shop_rows] == [
        ("P1", "granted", "M1"), ("P2", "refused", "M2"), (None, "refused", None)]
    assert "NO-SUCH-SHOP" not in json.dumps(shop_rows[-1][1])
    assert len(shop_rows[-1][1]["asked_for"]) == 16
    # each owner's access log names the shop that was asked for
    for owner, shop, outcome in (("P1", "M1", "granted"), ("P2", "M2", "refused")):
        log = shops.client.get("/v1/me/access-log", headers=shops.person(owner)).json()
        assert [(e["merchant_id"], e["outcome"]) for e in log] == [(shop, outcome)]
    shops.read("acme", "P1")  # the owner's own score: no shop
    log = shops.client.get("/v1/me/access-log", headers=shops.person("P1")).json()
    assert [e["merchant_id"] for e in log] == [None, "M1"]


def test_the_owner_sees_their_shops(shops: World) -> None:
    mine = shops.client.get("/v1/me/merchants", headers=shops.person("P1"))
    assert mine.status_code == 200
    [shop] = mine.json()
    assert (shop["merchant_id"], shop["score"]) == ("M1", 631)
    assert "above your category's norm" in shop["reasons"][0]["text"]
    assert shops.client.get("/v1/me/merchants", headers=shops.person("P3")).json() == []

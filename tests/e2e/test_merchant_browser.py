"""The owner's shops on the person's page, in a real headless Chromium against ``benne serve``:
each shop's score, its four dimensions, and the reasons with tips an owner can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from benne.service import create_partner, issue_person_token, load_scores
from benne.service.db import opened
from benne.service.merchants import load_merchant_scores
from tests.e2e.web_fixtures import running_server
from tests.unit.service.factory import score_row, write_scores, write_store

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _shop(merchant_id: str, owner: str, score: int) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "owner_person_id": owner, "as_of": "2024-06-30",
            "model_version": "shops-1", "score": score, "band": "good", "pd": 0.04,
            "dim_trading": 72.0, "dim_stability": 48.0, "dim_reputation": 21.0,
            "dim_owner": float("nan"),
            "reason_1": "MR01",
            "reason_1_text": "Share of your shop's orders refunded in the last 12 months. "
                             "Your refund rate is 6.0%, above your category's norm "
                             "(food shops: 3.0%).",
            "reason_1_what_if": score + 14,
            **{f"reason_{i}{s}": None for i in (2, 3, 4) for s in ("", "_text", "_what_if")}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("shops-web")
    db = f"sqlite:///{tmp / 'service.sqlite'}"
    model = tmp / "model"
    model.mkdir()
    (model / "reasons.json").write_text(json.dumps({
        "MR01": {"feature": "shop_sales__refund_rate_365d", "statement": "Refunds",
                 "tip": "Describe and photograph products accurately to bring refunds down"}}),
        encoding="utf-8")
    load_scores(db, write_scores(tmp / "scores.parquet", [score_row("P1", 655),
                                                           score_row("P2", 600)]),
                model_dir=model)
    with opened(db) as session:
        catalogue = json.loads((model / "reasons.json").read_text(encoding="utf-8"))
        load_merchant_scores(session, pd.DataFrame([_shop("M1", "P1", 631),
                                                    _shop("M9", "P1", 702)]),
                             now=datetime(2024, 7, 1), catalogue=catalogue)
    store = write_store(tmp / "store.duckdb", {
        "identity": [{"person_id": "P1", "registered_at": datetime(2020, 1, 5),
                      "real_name_verified": True, "birth_year": 1990, "gender": "female",
                      "region": "north"}]})
    tokens = {p: issue_person_token(db, p) for p in ("P1", "P2")}
    partner_id, key = create_partner(db, "Acme Lending")
    with running_server(["--db", db, "--store", str(store), "--model", str(model)]) as (base, _):
        # the owner lets Acme read for credit, and Acme reads the shop M1's score
        consent = httpx.post(f"{base}/v1/consents", json={"partner_id": partner_id,
                                                          "purpose": "credit"},
                             headers={"Authorization": f"Bearer {tokens['P1']}"})
        assert consent.status_code == 201, consent.text
        read = httpx.get(f"{base}/v1/merchants/M1/score", params={"purpose": "credit"},
                         headers={"X-API-Key": key})
        assert read.status_code == 200, read.text
        yield {"base": base, "tokens": tokens}


def test_owner_sees_their_shops_scores_reasons_and_tips(site: dict[str, Any],
                                                        chromium_browser: Any,
                                                        artifacts_dir: Path) -> None:
    from playwright.sync_api import expect

    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{site['base']}/")
    page.get_by_label("Access token").fill(site["tokens"]["P1"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#score-value")).to_have_text("655")
    card = page.locator("#shops-card")
    expect(card).to_be_visible()
    shops = card.locator("article.shop")
    expect(shops).to_have_count(2)
    first = card.locator('article[data-merchant="M1"]')
    expect(first.locator("h3")).to_have_text("Shop M1")
    expect(first.locator(".shop-score")).to_have_text("631")
    meters = first.get_by_role("meter")
    expect(meters).to_have_count(4)
    assert [meters.nth(i).get_attribute("aria-valuenow") for i in range(3)] == ["72", "48",
                                                                                 "21"]
    expect(first.locator('li[data-dimension="owner"] .dim-value')).to_have_text("no data")
    reason = first.locator(".shop-reasons li").first
    expect(reason).to_contain_text("above your category's norm (food shops: 3.0%)")
    expect(reason).to_contain_text("How to improve: Describe and photograph products")
    expect(reason).to_contain_text("your score would be 645 (+14 points)")
    # the person's own five dimensions are untouched by the shops' four
    expect(page.locator("#dimensions").get_by_role("meter")).to_have_count(5)
    # the partner's read of the shop is in the owner's access log, naming the shop
    access = page.locator("#access-log tbody tr")
    expect(access).to_have_count(1)
    expect(access.first).to_contain_text("Acme Lending")
    expect(access.first).to_contain_text("read your shop M1's score")
    page.screenshot(path=str(artifacts_dir / "service-owner-shops.png"), full_page=True)

    # someone who owns no shop sees no shops card
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Access token").fill(site["tokens"]["P2"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#score-value")).to_have_text("600")
    expect(card).to_be_hidden()
    assert problems == []
    context.close()

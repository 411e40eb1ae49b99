"""The person's page and the partner's view in a real headless Chromium against ``benne serve``.

Sign in with a token, see the score, dimensions, reasons with tips and the access log; the
partner reads the score, the person revokes the consent and disputes a record, and the
partner's next request is refused. No console errors beyond the expected refusal's 403.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from benne.service import create_partner, grant_consent, issue_person_token, load_scores
from benne.store import publish_people
from tests.e2e.web_fixtures import running_server
from tests.unit.service.factory import score_row, write_scores, write_store

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("web")
    db = f"sqlite:///{tmp / 'service.sqlite'}"
    model = tmp / "model"
    model.mkdir()
    (model / "reasons.json").write_text(json.dumps({
        "BILLS_LATE": {"feature": "bills__on_time_share_365d", "statement": "Late bills",
                       "tip": "Pay utility bills before the due date"},
        "FEW_MONTHS_SAVINGS": {"feature": "savings__months_365d", "statement": "Low savings",
                               "tip": "Keep a month of spending in savings"}}), encoding="utf-8")
    scores = write_scores(tmp / "scores.parquet", [
        score_row("P1", 612, as_of=date(2024, 3, 31)), score_row("P1", 655)])
    load_scores(db, scores, model_dir=model)
    store = write_store(tmp / "store.duckdb", {
        "bills": [{"bill_id": "B1", "person_id": "P1", "biller_type": "phone",
                   "issued_at": date(2024, 1, 1), "due_at": date(2024, 1, 20), "amount": 30.0,
                   "paid_at": None}],
        "identity": [{"person_id": "P1", "registered_at": datetime(2020, 1, 5),
                      "real_name_verified": True, "birth_year": 1990, "gender": "female",
                      "region": "north"}]})
    publish_people(store)  # the records the person's page shows, as the batch publishes them
    partner_id, key = create_partner(db, "Acme Lending")
    grant_consent(db, "P1", partner_id, "credit")
    token = issue_person_token(db, "P1")
    with running_server(["--db", db, "--store", str(store), "--model", str(model)]) as (base, _):
        yield {"base": base, "token": token, "key": key, "partner_id": partner_id}


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems


def test_person_and_partner_pages(site: dict[str, Any], chromium_browser: Any,
                                  artifacts_dir: Path) -> None:
    from playwright.sync_api import expect

    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    hosts: set[str] = set()
    context.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    person, partner = context.new_page(), context.new_page()
    person_problems, partner_problems = _watch(person), _watch(partner)
    base = site["base"]

    # the partner reads while the consent is live
    partner.goto(f"{base}/partner")
    partner.get_by_label("API key").fill(site["key"])
    partner.get_by_label("Person id").fill("P1")
    partner.get_by_label("Purpose").fill("credit")
    partner.get_by_role("button", name="Request score").click()
    expect(partner.locator("#p-score")).to_have_text("655")
    expect(partner.locator("#p-reasons")).to_contain_text("Pay utility bills before the due date")

    # the person signs in and sees score, dimensions, reasons with tips, history, who read
    person.goto(f"{base}/")
    person.get_by_label("Access token").fill(site["token"])
    person.get_by_role("button", name="Sign in").click()
    expect(person.locator("#score-value")).to_have_text("655")
    expect(person.locator("#score-band")).to_have_text("very good")
    bars = person.get_by_role("meter")
    expect(bars).to_have_count(5)
    assert [bars.nth(i).get_attribute("aria-valuenow") for i in range(5)] == [
        "10", "25", "40", "55", "70"]
    reasons = person.locator("#reasons li")
    expect(reasons).to_have_count(2)
    expect(reasons.first).to_contain_text("Bills were paid late")
    expect(reasons.first).to_contain_text("How to improve: Pay utility bills before the due date")
    expect(person.locator("#history tbody tr")).to_have_count(2)
    expect(person.locator("#access-log tbody")).to_contain_text("Acme Lending")
    expect(person.locator("#access-log tbody")).to_contain_text("read your score")
    person.screenshot(path=str(artifacts_dir / "service-person-page.png"), full_page=True)

    # revoke the consent
    consents = person.locator("#consents tbody")
    expect(consents).to_contain_text("live")
    person.get_by_role("button", name="Revoke Acme Lending for credit").click()
    expect(person.locator("#status")).to_contain_text("Consent revoked")
    expect(consents).to_contain_text("revoked")
    expect(person.get_by_role("button", name="Revoke Acme Lending for credit")).to_have_count(0)

    # dispute a record from the data held
    person.locator("summary", has_text="bills").click()
    person.get_by_role("button", name="Dispute bills record B1").click()
    person.get_by_label("What is wrong with it?").fill("I paid this bill on time")
    person.get_by_role("button", name="File dispute").click()
    expect(person.locator("#status")).to_contain_text("Dispute filed")
    expect(person.locator("#disputes tbody")).to_contain_text("open")
    person.locator("summary", has_text="bills").click()
    expect(person.locator("#records")).to_contain_text("under dispute")

    # the partner is now refused
    partner.get_by_role("button", name="Request score").click()
    expect(partner.locator("#refusal-code")).to_have_text("consent_required")
    expect(partner.locator("#granted")).to_be_hidden()
    partner.screenshot(path=str(artifacts_dir / "service-partner-refused.png"), full_page=True)
    person.reload()  # the token is kept in this tab: still signed in
    expect(person.locator("#access-log tbody tr")).to_have_count(2)
    expect(person.locator("#access-log tbody tr").first).to_contain_text("refused")
    person.screenshot(path=str(artifacts_dir / "service-person-after.png"), full_page=True)

    assert person_problems == []
    # the refusal itself is a 403 response, which Chromium reports on the console
    assert [p for p in partner_problems if "status of 403" not in p] == []
    assert hosts == {base.split("/")[2]}  # nothing loaded from anywhere else
    context.close()

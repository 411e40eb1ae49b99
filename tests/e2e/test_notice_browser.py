"""The person's page shows what-if gains, the history chart, the dimensions against everyone's
spread and which have no data; the adverse-action notice a partner asks for appears on the
page and on the printable notices page. Real ``benne serve``, real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benne.service import create_partner, grant_consent, issue_person_token, load_scores
from tests.e2e.web_fixtures import running_server
from tests.unit.service.factory import SCORES_SCHEMA, score_row, write_store

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _scores(path: Path) -> Path:
    schema = SCORES_SCHEMA
    for i in range(1, 5):
        schema = schema.append(pa.field(f"reason_{i}_what_if", pa.int32()))
    rows = [score_row("P1", 612, as_of=date(2024, 3, 31)),
            score_row("P1", 655, reason_1_what_if=673, reason_2_what_if=664,
                      dim_relationships=None),
            score_row("P2", 560, dim_relationships=40.0), score_row("P3", 700)]
    for r in rows:
        for i in range(1, 5):
            r.setdefault(f"reason_{i}_what_if", None)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("notice")
    db = f"sqlite:///{tmp / 'service.sqlite'}"
    load_scores(db, _scores(tmp / "scores.parquet"))
    store = write_store(tmp / "store.duckdb", {
        "identity": [{"person_id": "P1", "registered_at": datetime(2020, 1, 5),
                      "real_name_verified": True, "birth_year": 1990, "gender": "female",
                      "region": "north"}]})
    partner_id, key = create_partner(db, "Acme Lending")
    grant_consent(db, "P1", partner_id, "credit")
    token = issue_person_token(db, "P1")
    with running_server(["--db", db, "--store", str(store),
                         "--model", str(tmp / "no-model")]) as (base, _):
        yield {"base": base, "token": token, "key": key}


def test_what_if_chart_and_notice_pages(site: dict[str, Any], chromium_browser: Any,
                                        artifacts_dir: Path) -> None:
    from playwright.sync_api import expect

    base = site["base"]
    sent = httpx.get(f"{base}/v1/scores/P1/notice", params={"purpose": "credit"},
                     headers={"X-API-Key": site["key"]}, timeout=10)
    assert sent.status_code == 200, sent.text

    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    hosts: set[str] = set()
    context.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    page.goto(f"{base}/")
    page.get_by_label("Access token").fill(site["token"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#score-value")).to_have_text("655")

    # what-if gains next to each factor
    reasons = page.locator("#reasons li")
    expect(reasons).to_have_count(2)
    expect(reasons.nth(0).locator(".what-if")).to_have_text(
        "What if: your score would be 673 (+18 points).")
    expect(reasons.nth(1).locator(".what-if-score")).to_have_text("664")

    # the history chart: one dot per run, the band edges in view, no external asset
    chart = page.locator("#history-chart")
    expect(chart.locator("circle")).to_have_count(2)
    expect(chart.locator("line.band-edge")).not_to_have_count(0)
    expect(chart.locator("text", has_text="very good")).to_have_count(1)

    # dimensions against everyone's spread; the one without data says what would give it data
    rel = page.locator('#dimensions li[data-dimension="relationships"]')
    expect(rel.locator(".dim-nodata")).to_be_visible()
    expect(rel.locator(".dim-nodata")).to_contain_text("No transfers on record yet")
    credit = page.locator('#dimensions li[data-dimension="credit_history"]')
    expect(credit.locator(".dim-nodata")).to_be_hidden()
    expect(credit.locator(".median")).to_be_visible()
    assert "median" in (credit.get_by_role("meter").get_attribute("aria-valuetext") or "")

    # the notice sent about the person
    expect(page.locator("#notices tbody tr")).to_have_count(1)
    expect(page.locator("#notices tbody")).to_contain_text("Acme Lending")
    page.screenshot(path=str(artifacts_dir / "person-page-what-if.png"), full_page=True)

    page.get_by_role("link", name="Open them as a printable page").click()
    notice = page.locator("article.notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("655 (very good)")
    expect(notice).to_contain_text("from 350 to 950")
    expect(notice).to_contain_text("2024-06-30")
    expect(notice.locator(".notice-factors li")).to_have_count(2)
    expect(notice.locator(".notice-factors")).to_contain_text("Bills were paid late")
    expect(notice).to_contain_text("benne credit bureau")
    expect(notice.locator(".notice-rights")).to_contain_text("free copy")
    expect(notice.locator(".notice-rights")).to_contain_text("within 30 days")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir / "notice-print.png"), full_page=True)
    assert problems == []
    assert hosts == {base.split("/")[2]}
    context.close()

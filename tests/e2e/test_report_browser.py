"""The report opens in headless Chromium with no console errors and every section present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benne.report import SECTIONS, build_report, write_html
from tests.unit.report.synthetic import make_scorecard, make_scored

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scored = make_scored(3000, seed=11)
    switched = scored.assign(score=scored["score"] - 8)
    report = build_report(
        scored,
        challenger_scored=scored.assign(pd=scored["pd"] ** 0.9),
        scorecard_table=make_scorecard(scored),
        baseline=make_scored(3000, seed=12, shift=0.4),
        protected=["gender", "birth_year", "region"],
        model_card={"intended_use": "Ranking applicants <without> a credit file."},
        no_relationships_scored=switched,
        generated_at="2024-01-02T00:00:00Z",
        n_boot=50,
    )
    return write_html(report, tmp_path_factory.mktemp("report") / "report.html")


def test_report_opens_offline_without_errors(
    chromium_browser: Any, report_file: Path, artifacts_dir: Path
) -> None:
    context = chromium_browser.new_context(offline=True)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        for key, heading in SECTIONS:
            assert page.locator(f"section#{key} > h2").inner_text() == heading
        images = page.locator("img")
        assert images.count() > 10
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.alt)"
        )
        assert broken == []
        # the model card text came in escaped, as text, not as a tag
        assert "<without>" in page.locator("section#model_card").inner_text()
        page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)
    finally:
        context.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []

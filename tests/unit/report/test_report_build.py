"""The report as data and as HTML: every section, flags, determinism, self-containment."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from benne.dimensions import FeatureMeta
from benne.exceptions import InputError
from benne.report import SECTIONS, build_report, render_html
from tests.unit.report.synthetic import FEATURES, make_scorecard, make_scored

PROTECTED = ["gender", "birth_year", "region"]


def _build(scored: pd.DataFrame, **kw: object) -> object:
    return build_report(scored, protected=PROTECTED, generated_at="2024-01-02", n_boot=30,
                        **kw)  # type: ignore[arg-type]


def test_every_section_is_computed_from_the_data(
    scored: pd.DataFrame, baseline: pd.DataFrame
) -> None:
    meta = {f: FeatureMeta(f, "relationships" if f.startswith("transfers") else "fulfilment",
                           "auto", f"about {f}", "tip") for f in FEATURES}
    report = _build(
        scored,
        challenger_scored=scored.assign(pd=scored["pd"] ** 0.5),
        scorecard_table=make_scorecard(scored),
        baseline=baseline.assign(**{FEATURES[1]: baseline[FEATURES[1]] * 3}),
        feature_meta=meta,
        model_card={"intended_use": "ranking thin-file applicants"},
        no_relationships_scored=scored.assign(score=scored["score"] - 10),
    )
    lab = scored["target"].notna()
    y = scored.loc[lab, "target"].astype(int)
    assert report.data["rows"] == 2000 and report.data["labelled"] == int(lab.sum())
    assert report.data["bad_rate"] == pytest.approx(y.mean())
    coverage = {s["source"]: s["coverage"] for s in report.data["sources"]}
    assert coverage["savings"] == pytest.approx(scored[FEATURES[2]].notna().mean())
    champion = report.discrimination["models"]["champion"]
    assert champion["auc"]["value"] == pytest.approx(roc_auc_score(y, scored.loc[lab, "pd"]))
    # a monotone transform of pd ranks the same: the challenger's AUC is the champion's
    challenger = report.discrimination["models"]["challenger"]
    assert challenger["auc"]["value"] == pytest.approx(champion["auc"]["value"])
    assert [b["group"] for b in report.distribution["bands"]] == [
        "poor", "fair", "good", "very good", "excellent"]
    assert report.calibration["brier"] == pytest.approx(
        np.mean((scored.loc[lab, "pd"] - y) ** 2))
    assert [i["name"] for i in report.features["items"]][0] in FEATURES
    assert report.features["items"][0]["iv"] >= report.features["items"][-1]["iv"]
    status = {r["name"]: r["status"] for r in report.stability["rows"]}
    assert status[FEATURES[1]] == "drift" and status[FEATURES[0]] == "stable"
    names = [a["name"] for a in report.fairness["attributes"]]
    assert names == ["gender", "age band", "region"]
    gender = {r["group"]: r for r in report.fairness["attributes"][0]["rows"]}
    assert gender["other"]["too_few"] is (gender["other"]["count"] < 30)
    assert report.fairness["switch_off"]["mean_change"] == -10.0
    assert dict(report.model_card)["Intended use"] == "ranking thin-file applicants"
    assert dict(report.model_card)["Who not to score"] == "not stated"


def test_html_has_every_section_and_no_outside_reference(scored: pd.DataFrame) -> None:
    html = render_html(_build(scored, model_card={"limitations": "<script>alert(1)</script>"}))
    for key, heading in SECTIONS:
        assert re.search(rf'<section id="{key}">\s*<h2>{heading}</h2>', html)
    assert "<script" not in html  # the model card text was escaped
    assert "&lt;script&gt;" in html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs)
    assert "Not available: no baseline sample was given" in html


def test_output_is_deterministic(scored: pd.DataFrame) -> None:
    assert render_html(_build(scored)) == render_html(_build(scored))


def test_non_monotone_bad_rates_are_flagged() -> None:
    frame = make_scored(3000, seed=4)
    rng = np.random.default_rng(0)
    frame["target"] = (rng.random(3000) < 0.2).astype(float)  # bad rate unrelated to score
    frame.loc[frame["band"] == "excellent", "target"] = 1.0
    report = _build(frame)
    assert report.distribution["bands_monotone"] is False
    assert report.distribution["deciles_monotone"] is False
    assert "not monotone" in render_html(report)


def test_without_pd_or_scorecard_the_report_still_renders(scored: pd.DataFrame) -> None:
    frame = scored.drop(columns=["pd", "band"])
    report = _build(frame)
    assert report.calibration == {"available": False,
                                  "reason": "the scored data has no pd column"}
    assert report.features["source"] == "data"
    lab = frame["target"].notna()
    assert report.discrimination["models"]["champion"]["auc"]["value"] == pytest.approx(
        roc_auc_score(frame.loc[lab, "target"], -frame.loc[lab, "score"]))
    assert "bands" not in report.distribution
    render_html(report)


def test_a_bad_target_names_row_and_field(scored: pd.DataFrame) -> None:
    frame = scored.copy()
    frame.loc[7, "target"] = 3.0
    with pytest.raises(InputError) as err:
        _build(frame)
    assert err.value.where == "scored data, row 8, field target"
    with pytest.raises(InputError, match="no target column 'bad'"):
        build_report(scored, generated_at="x", target="bad")


def test_a_flat_table_with_coded_protected_columns() -> None:
    """The Taiwan credit-card data: gender coded 1/2 (X2), age in years (X5), banded."""
    from sklearn.linear_model import LogisticRegression

    from tests.conftest import shared_data

    frame = pd.read_csv(shared_data("taiwan/UCI_Credit_Card.csv"))
    features = [f"X{i}" for i in (1, 6, 7, 8, 18, 19)]
    x = (frame[features] - frame[features].mean()) / frame[features].std()
    p = LogisticRegression(max_iter=1000).fit(x, frame["Y"]).predict_proba(x)[:, 1]
    scored = frame.assign(pd=p, score=np.round(600 - 57.7 * np.log(p / (1 - p) * 50)))
    meta = {f: FeatureMeta(f, "other", "auto", "", "") for f in features}
    report = build_report(scored, target="Y", protected=["X2", "X5"], generated_at="x",
                          feature_meta=meta, n_boot=20)
    auc = report.discrimination["models"]["champion"]["auc"]["value"]
    assert auc == pytest.approx(roc_auc_score(frame["Y"], p))
    assert 0.65 < auc < 0.8
    attrs = {a["name"]: a["rows"] for a in report.fairness["attributes"]}
    assert [r["group"] for r in attrs["X2"]] == ["1", "2"]
    assert [r["group"] for r in attrs["X5 band"]] == ["18–25", "26–35", "36–45", "46–55", "56+"]
    assert sum(r["count"] for r in attrs["X5 band"]) == 30_000
    # no scorecard: quantile bins of the data, the repayment status (X6) ranks first
    assert report.features["source"] == "data"
    assert report.features["items"][0]["name"] == "X6"
    assert report.data["sources"] == [{"source": "table", "features": 6, "coverage": 1.0}]

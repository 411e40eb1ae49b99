"""Protected groups, adverse impact and the interpersonal switch-off."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from benne.exceptions import InputError
from benne.report import fairness


def test_age_bands_have_the_documented_edges() -> None:
    ages = pd.Series([17, 18, 25, 26, 35, 36, 45, 46, 55, 56, 90, np.nan])
    assert fairness.age_band(ages).tolist() == [
        "under 18", "18–25", "18–25", "26–35", "26–35", "36–45", "36–45", "46–55", "46–55",
        "56+", "56+", "missing",
    ]


def test_birth_year_becomes_an_age_band_at_as_of() -> None:
    frame = pd.DataFrame({"birth_year": np.arange(1950, 2006), "gender": ["f", "m"] * 28})
    groups = fairness.protected_groups(frame, ["birth_year", "gender"], date(2024, 6, 1))
    assert list(groups) == ["age band", "gender"]
    by_year = dict(zip(frame["birth_year"], groups["age band"], strict=True))
    assert by_year[1998] == "26–35" and by_year[1999] == "18–25" and by_year[1968] == "56+"


def test_numeric_age_is_banded_and_coded_categories_are_kept() -> None:
    # a flat table like the Taiwan data: X5 age, X2 gender coded 1/2
    frame = pd.DataFrame({"X5": np.arange(21, 75), "X2": [1, 2] * 27})
    groups = fairness.protected_groups(frame, ["X5", "X2"])
    assert set(groups) == {"X5 band", "X2"}
    assert set(groups["X2"]) == {"1", "2"}
    assert groups["X5 band"].iloc[0] == "18–25"


def test_birth_years_without_as_of_and_unknown_columns_are_refused() -> None:
    frame = pd.DataFrame({"birth_year": np.arange(1950, 2006), "income": np.arange(56) * 1e3})
    with pytest.raises(InputError, match="as_of"):
        fairness.protected_groups(frame, ["birth_year"])
    with pytest.raises(InputError, match="not in the data"):
        fairness.protected_groups(frame, ["ethnicity"])
    # a protected field of the schemas that the data lacks is reported, not refused
    assert list(fairness.protected_groups(frame, ["gender"])) == ["gender (unavailable)"]
    with pytest.raises(InputError, match="does not look like an age"):
        fairness.protected_groups(frame, ["income"])


def _frame() -> tuple[pd.DataFrame, pd.Series]:
    # group a: 100 people, 60 approved; group b: 100 people, 40 approved; group c: 10 people
    score = np.array([650] * 60 + [550] * 40 + [650] * 40 + [550] * 60 + [650] * 10)
    y = np.array(([0, 1] * 50) * 2 + [0] * 10, dtype=float)
    groups = pd.Series(["a"] * 100 + ["b"] * 100 + ["c"] * 10)
    return pd.DataFrame({"score": score, "target": y, "pd": 0.1}), groups


def test_group_table_gives_approval_impact_ratio_and_too_few() -> None:
    frame, groups = _frame()
    rows = {r["group"]: r for r in fairness.group_table(frame, groups, target="target",
                                                        cutoff=600)}
    assert rows["a"]["approval"] == 0.6 and rows["b"]["approval"] == 0.4
    assert rows["a"]["air"] == 1.0
    assert rows["b"]["air"] == pytest.approx(0.4 / 0.6)
    assert rows["a"]["four_fifths"] and not rows["b"]["four_fifths"]
    assert rows["c"]["too_few"] and "approval" not in rows["c"]
    overall = frame["score"].mean()
    assert rows["b"]["score_gap"] == pytest.approx(frame["score"][:200][100:].mean() - overall)
    assert rows["a"]["observed"] == 0.5 and rows["a"]["predicted"] == pytest.approx(0.1)


def test_switch_off_effect_reports_approval_change_per_group() -> None:
    frame, groups = _frame()
    switched = frame.assign(score=np.where(groups == "b", frame["score"] + 100, frame["score"]))
    out = fairness.switch_off_effect(frame, switched, {"g": groups}, target="target",
                                     cutoff=600)
    per = {r["group"]: r for r in out["groups"]}
    assert per["a"]["change"] == 0.0
    assert per["b"]["approval_off"] == 1.0 and per["b"]["change"] == pytest.approx(0.6)
    assert per["c"]["too_few"]
    with pytest.raises(InputError, match="same rows"):
        fairness.switch_off_effect(frame, switched[:5], {"g": groups}, target="target",
                                   cutoff=600)


def test_cutoffs_are_band_edges_that_approve_5_to_95_percent_and_the_rate_cutoff() -> None:
    score = np.concatenate([np.full(30, 500), np.full(40, 580), np.full(20, 620),
                            np.full(10, 660)])
    cuts = fairness.choose_cutoffs(score, approval_rate=0.5, extra=640)
    by = {c["cutoff"]: c for c in cuts}
    assert by[550]["approval"] == 0.7 and by[600]["approval"] == pytest.approx(0.3)
    assert by[650]["approval"] == pytest.approx(0.1)
    assert 700 not in by                      # approves nobody: not a cut-off that matters
    main = [c for c in cuts if c.get("main")]
    # 70% (580 and above) and 30% (620 and above) are equally close to 50%: the lower wins
    assert len(main) == 1 and main[0]["cutoff"] == 580 and main[0]["approval"] == 0.7
    assert by[640]["label"] == "asked for"
    assert [c["cutoff"] for c in cuts] == sorted(by)


def test_group_table_interval_smd_and_error_rates() -> None:
    frame, groups = _frame()
    rows = {r["group"]: r for r in fairness.group_table(frame, groups, target="target",
                                                        cutoff=600)}
    b = rows["b"]
    assert rows["a"]["reference"] and "air_low" not in rows["a"]
    assert b["air_low"] < b["air"] < b["air_high"]
    lo, hi = fairness.ratio_interval(0.4, 100, 0.6, 100)
    assert (b["air_low"], b["air_high"]) == (lo, hi) and 0.45 < lo < 0.6 and 0.75 < hi < 1.0
    # group b: 40 of 100 at 650; goods and bads alternate, so half of each are approved
    assert b["fnr"] == pytest.approx(0.6) and b["fpr"] == pytest.approx(0.4)
    assert b["smd"] < 0 < rows["a"]["smd"]
    assert rows["c"]["too_few"] and rows["c"]["group"] == "c"


def test_proxy_check_finds_the_feature_that_stands_in_for_the_group() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    groups = pd.Series(rng.choice(["x", "y"], n))
    proxy = np.where(groups == "x", 40, 0) + rng.choice([0, 5], n)
    honest = rng.choice([0, 20, 40], n)
    points = pd.DataFrame({"proxy": proxy, "honest": honest})
    score = 560 + points.sum(axis=1).to_numpy()
    out = fairness.proxy_check(score, points, {"g": groups}, cutoff=600)
    first = out[0]
    assert first["feature"] == "proxy" and first["cramers_v"] > 0.8
    assert first["air_min_dropped"] > first["air_min"]
    other = next(r for r in out if r["feature"] == "honest")
    assert other["cramers_v"] < 0.1


@pytest.mark.slow
def test_high_bad_rate_population_gets_a_fairness_table_that_measures(tmp_path) -> None:
    """credit_approval (55% bad): approval at the chosen cut-offs is neither all 0% nor all
    100%, and every measured group has an adverse-impact ratio with its interval."""
    from benne.models import save_model, train_models
    from benne.report.model import report_from_model
    from tests.conftest import shared_data

    folder = shared_data("credit_approval")
    text = {c: str for c in ("A1", "A4", "A5", "A6", "A7", "A9", "A10", "A12", "A13")}
    train = pd.read_csv(folder / "train.csv", dtype=text)
    test = pd.read_csv(folder / "test.csv", dtype=text).merge(
        pd.read_csv(folder / "test_labels.csv"), on="row_id").drop(columns=["row_id"])
    # A1 is the anonymised column the UCI documentation does not name; it serves as the group
    models = train_models(train.rename(columns={"A1": "sex"}), "target", challenger=False)
    save_model(models, tmp_path / "model")
    rep = report_from_model(tmp_path / "model", test.rename(columns={"A1": "sex"}),
                            target="target", protected=["sex"], n_boot=20)
    fa = rep.fairness
    rates = [c["approval"] for c in fa["cutoffs"]]
    assert rates and all(0.0 < r < 1.0 for r in rates)
    attr = fa["attributes"][0]
    for c in attr["cutoffs"]:
        measured = [g for g in c["rows"] if not g["too_few"]]
        assert measured
        for g in measured:
            assert "air" in g and (g["reference"] or "air_low" in g)

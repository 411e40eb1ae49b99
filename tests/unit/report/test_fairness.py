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

"""The scorecard fitted from counted statistics is the scorecard fitted on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.exceptions import InputError
from benne.models.scorecard import train_scorecard
from benne.models.settings import TrainSettings
from benne.scale import FrameCounter, train_scorecard_counted


def _frame(n: int = 8000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x1[rng.random(n) < 0.1] = np.nan
    x2 = rng.integers(0, 5, n).astype(float)
    x3 = rng.choice(list("abcdefg"), n)
    x4 = np.round(rng.gamma(2, 3, n), 1)
    x4[rng.random(n) < 0.05] = -9
    z = 0.8 * np.nan_to_num(x1) - 0.3 * x2 + (x3 == "a") * 0.7 + 0.1 * x4 - 2
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "x4": x4, "flat": 1.0, "bad": y})


def test_counted_scorecard_has_the_bins_and_points_of_the_row_fit() -> None:
    frame = _frame()
    s = TrainSettings(special_values=(-9.0,))
    rows = train_scorecard(frame, "bad", settings=s)
    counted = train_scorecard_counted(FrameCounter(frame, "bad"),
                                      ["x1", "x2", "x3", "x4", "flat"], settings=s)
    a, b = rows.table(), counted.table()
    assert len(rows.features) == 4
    pd.testing.assert_frame_equal(a.drop(columns="logit"), b.drop(columns="logit"))
    # the same convex problem on weighted combinations: equal up to summation order
    np.testing.assert_allclose(a["logit"], b["logit"], atol=1e-8)
    assert counted.selection["flat"]["status"] == "skipped"
    np.testing.assert_array_equal(rows.score(frame), counted.score(frame))


def test_counted_scorecard_is_the_same_whatever_the_row_order() -> None:
    frame = _frame(4000, seed=5)
    s = TrainSettings()
    cols = ["x1", "x2", "x3", "x4"]
    one = train_scorecard_counted(FrameCounter(frame, "bad"), cols, settings=s)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    two = train_scorecard_counted(FrameCounter(shuffled, "bad"), cols, settings=s)
    assert one.to_dict() == two.to_dict() and one.model_version == two.model_version


def test_a_target_that_is_not_zero_or_one_is_named() -> None:
    frame = _frame(100)
    frame.loc[7, "bad"] = 2
    with pytest.raises(InputError, match="must be 0 or 1; got 2") as err:
        FrameCounter(frame, "bad")
    assert err.value.where == "the training frame, row 8"


def test_metrics_from_score_counts_equal_the_metrics_from_rows() -> None:
    from benne.models.training import discrimination
    from benne.pipeline.scaled import counted_discrimination

    rng = np.random.default_rng(2)
    score = rng.integers(500, 560, 3000)
    bad = (rng.random(3000) < 1 / (1 + np.exp((score - 520) / 10))).astype(np.int64)
    table = (pd.DataFrame({"score": score, "bad": bad}).groupby(["score", "bad"]).size()
             .reset_index(name="n"))
    here, rows = counted_discrimination(table), discrimination(bad, -score.astype(float))
    assert here == pytest.approx(rows, abs=2e-6) and here["rows"] == 3000


def test_people_are_drawn_whole_and_about_the_share() -> None:
    from benne.scale.counts import draw

    people = pd.Series([f"P{i % 4000:05d}" for i in range(12_000)])
    held = draw(people, 0.25, 7, "holdout")
    by_person = pd.Series(held).groupby(people).nunique()
    assert (by_person == 1).all()  # every row of a person on one side
    assert 0.22 < held.mean() < 0.28
    assert not np.array_equal(held, draw(people, 0.25, 8, "holdout"))

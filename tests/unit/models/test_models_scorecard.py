"""Scorecard training: selection, directions, points, pd, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.exceptions import InputError
from benne.models import TrainSettings, train_scorecard

from .conftest import META


def test_selection_protected_and_low_iv(trained) -> None:
    sel = trained.scorecard.selection
    assert sel["gender"]["status"] == "skipped" and "protected" in sel["gender"]["why"]
    assert sel["transfers__noise"]["status"] == "low iv"
    names = trained.scorecard.feature_names
    assert "credit__worst_dpd_365d" in names and "bills__on_time_share_365d" in names
    assert "person_id" not in sel and "gender" not in names
    assert all(np.ptp(f.points) > 0 for f in trained.scorecard.features)


def test_protected_only_when_allowed(frame: pd.DataFrame) -> None:
    s = TrainSettings(exclude=("person_id",), allow_protected=True, min_iv=0.0)
    model = train_scorecard(frame, "bad", META, settings=s)
    assert model.selection["gender"]["status"] != "skipped"


def test_points_move_with_the_declared_risk_direction(trained) -> None:
    for f in trained.scorecard.features:
        reg = f.points[: f.binner.n_bins_]
        if f.meta.direction == "increasing":
            assert np.all(np.diff(reg) <= 0), f.name
        elif f.meta.direction == "decreasing":
            assert np.all(np.diff(reg) >= 0), f.name
        order = np.argsort(f.binner.woe_[~f.binner.empty_], kind="stable")
        assert np.all(np.diff(f.points[~f.binner.empty_][order]) >= 0)  # points follow WoE


def test_score_is_clipped_sum_of_points_and_pd_is_logistic(trained, frame) -> None:
    sc = trained.scorecard
    bins = sc.bin_matrix(frame)
    pts = sc.points_matrix(bins)
    np.testing.assert_array_equal(sc.score(frame), np.clip(pts.sum(axis=1), 350, 950))
    logit = sc.intercept + sum(f.logit[f.bin_index(frame)] for f in sc.features)
    np.testing.assert_allclose(sc.predict_pd(frame), 1 / (1 + np.exp(-logit)))
    # the scale: 600 points at 50:1, 40 more points double the odds (before rounding)
    raw = sc.scale.offset + sc.scale.factor * -logit
    assert np.abs(pts.sum(axis=1) - raw).max() <= len(sc.features) * 0.5 + 1


def test_missing_and_special_bins_carry_their_own_points(trained) -> None:
    t = trained.scorecard.table()
    dpd = t[t.feature == "credit__worst_dpd_365d"].set_index("label")
    assert dpd.loc["missing", "count"] > 0 and dpd.loc["missing", "woe"] != 0
    share = t[t.feature == "bills__on_time_share_365d"].set_index("label")
    assert share.loc["special -9", "count"] > 0


def test_metrics_on_holdout(trained) -> None:
    h = trained.metrics["holdout"]
    assert h["scorecard"]["auc"] > 0.65 and h["challenger"]["auc"] > 0.65
    assert h["scorecard"]["rows"] == round(6000 * 0.25)


def test_shipped_challenger_refits_with_the_first_fits_rounds_and_calibration(trained,
                                                                              frame) -> None:
    from benne.models.challenger import stratified_split, train_challenger

    s = trained.settings
    held = stratified_split(frame["bad"].to_numpy(), s.holdout_share, s.seed + 1)
    first = train_challenger(frame[~held], "bad", META, settings=s)
    shipped = trained.challenger
    assert shipped.best_iteration == first.best_iteration == shipped.booster.num_trees()
    assert shipped.platt == first.platt
    assert shipped.booster.model_to_string() != first.booster.model_to_string()  # all rows


def test_same_data_same_model(frame) -> None:
    s = TrainSettings(exclude=("person_id",), special_values=(-9.0,))
    a = train_scorecard(frame, "bad", META, settings=s)
    b = train_scorecard(frame.copy(), "bad", META, settings=s)
    assert a.model_version == b.model_version
    pd.testing.assert_frame_equal(a.table(), b.table())


def test_bad_target_names_row_and_field(frame) -> None:
    broken = frame.copy()
    broken.loc[17, "bad"] = 3
    with pytest.raises(InputError) as err:
        train_scorecard(broken, "bad", META)
    assert err.value.where.endswith("row 18, field bad")
    with pytest.raises(InputError, match="no target column"):
        train_scorecard(frame, "default", META)
    with pytest.raises(InputError, match="--exclude"):
        train_scorecard(frame, "bad", META, settings=TrainSettings(exclude=("nope",)))


def test_select_columns_flags_an_identifier_per_person() -> None:
    from benne.models import TrainSettings
    from benne.models.data import select_columns

    rng = np.random.default_rng(0)
    people = np.repeat(np.arange(200), 3)
    frame = pd.DataFrame({
        "customer_id": people,
        "member_no": people * 7 + 1000,              # one per person: an identifier
        "visits": rng.integers(0, 5, people.size),   # varies within a person: a feature
        "bad": rng.integers(0, 2, people.size),
    })
    names, _, _, skipped = select_columns(frame, "bad", None, TrainSettings())
    assert names == ["visits"]
    assert "customer_id" in skipped and "one value per customer_id" in skipped["member_no"]

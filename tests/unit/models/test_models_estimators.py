"""The scikit-learn API: BinningProcess, Scorecard, Challenger; clone, Pipeline, CLI = API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from benne import BinningProcess, Challenger, Scorecard
from benne.binning import PrebinStats, quantile_edges
from benne.exceptions import InputError, InvalidValueError
from benne.models.scorecard import _g_test_p

from .conftest import synthetic_frame

# The transformer bins against a good/bad target. These generic checks fit it on a target of
# three or four classes (they are written for any transformer), which it refuses by design
# with "Only binary classification is supported"; the classifiers declare themselves binary,
# so scikit-learn gives them two-class data and they pass every check.
_MULTICLASS_Y = "fits the transformer on a 3- or 4-class target; binning needs good/bad"
BINNING_SKIPS = {name: _MULTICLASS_Y for name in (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_sample_weights_list",
    "check_sample_weight_equivalence_on_dense_data", "check_dtype_object",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit2d_predict1d",
)}


def _expected_failures(est: object) -> dict[str, str]:
    return BINNING_SKIPS if isinstance(est, BinningProcess) else {}


@parametrize_with_checks([BinningProcess(), Scorecard(), Challenger(n_estimators=40)],
                         expected_failed_checks=_expected_failures)
def test_scikit_learn_contract(estimator, check) -> None:
    check(estimator)


def _xy(n: int = 4000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    frame = synthetic_frame(n, seed=seed)
    return frame.drop(columns=["bad", "person_id", "gender"]), frame["bad"].to_numpy()


def test_binning_process_many_columns_woe_and_indices() -> None:
    x, y = _xy()
    bp = BinningProcess(special_values=(-9.0,)).fit(x, y)
    assert list(bp.feature_names_in_) == list(x.columns)
    assert bp.kinds_[list(x.columns).index("city")] == "categorical"
    woe = bp.transform(x)
    idx = bp.set_params(output="indices").transform(x)
    assert woe.shape == idx.shape == x.shape and idx.dtype.kind == "i"
    for j, b in enumerate(bp.binners_):
        np.testing.assert_array_equal(woe[:, j], b.woe_[idx[:, j]])
    # the special value -9 has its own bin
    j = list(x.columns).index("bills__on_time_share_365d")
    special = x.iloc[:, j].to_numpy() == -9.0
    assert (idx[special, j] == bp.binners_[j].n_bins_ + 1).all()
    t = bp.table()
    assert set(t["feature"]) == set(x.columns)
    with pytest.raises(InvalidValueError, match="max_bins"):
        BinningProcess(max_bins=0).fit(x, y)
    with pytest.raises(InvalidValueError, match="direction"):
        BinningProcess(directions={"city": "up"}).fit(x, y)
    with pytest.raises(InvalidValueError, match="X has 4 features|feature names"):
        bp.transform(x.iloc[:, :4])


def test_fit_from_merged_counts_equals_fit_on_rows() -> None:
    """An engine counts per partition on shared edges; the solver is the same."""
    x, y = _xy(6000)
    cols = ["credit__worst_dpd_365d", "orders__returns_365d", "identity__tenure_months"]
    rows = BinningProcess(max_codes=0, max_prebins=40).fit(x[cols], y)
    stats = {}
    for c in cols:
        v = x[c].to_numpy()
        s = PrebinStats.empty(quantile_edges(v, 40))
        half = len(v) // 2
        stats[c] = s.add(v[:half], y[:half]).merge(s.add(v[half:], y[half:]))
    counts = BinningProcess(max_codes=0, max_prebins=40).fit_stats(stats)
    for a, b in zip(rows.binners_, counts.binners_, strict=True):
        np.testing.assert_array_equal(a.cuts_, b.cuts_)
        np.testing.assert_array_equal(a.woe_, b.woe_)
    np.testing.assert_array_equal(rows.transform(x[cols]), counts.transform(x[cols]))


def test_scorecard_clones_its_parts_and_swaps_the_estimator() -> None:
    x, y = _xy()
    bp = BinningProcess(special_values=(-9.0,), max_bins=5)
    sc = Scorecard(binning=bp).fit(x, y)
    assert not hasattr(bp, "binners_") and sc.binning_ is not bp
    assert max(b.n_bins_ for b in sc.binning_.binners_) <= 5
    proba = sc.predict_proba(x)
    assert proba.shape == (len(x), 2) and np.allclose(proba.sum(axis=1), 1)
    scores = sc.score(x)
    assert scores.dtype.kind == "i" and scores.min() >= 350 and scores.max() <= 950
    # safer rows score higher
    assert np.corrcoef(scores, proba[:, 1])[0, 1] < -0.9
    assert 0.6 < sc.score(x, y) <= 1.0
    r = sc.reasons(x.head(50))
    assert set(r["reason_1"].dropna()) <= set(sc.model_.feature_names)
    assert (r["reason_1_points"] >= r["reason_2_points"]).all()
    t = sc.table()
    assert {"feature", "points", "woe"} <= set(t.columns)
    lr = Scorecard(binning=bp, estimator=LogisticRegression(C=10.0)).fit(x, y)
    assert isinstance(lr.estimator_, LogisticRegression)
    assert abs(lr.score(x, y) - sc.score(x, y)) < 0.02


def test_sample_weight_reweights_the_population() -> None:
    x, y = _xy()
    w = np.where(y == 1, 3.0, 1.0)
    plain = Scorecard().fit(x, y)
    weighted = Scorecard().fit(x, y, sample_weight=w)
    assert weighted.predict_proba(x)[:, 1].mean() > plain.predict_proba(x)[:, 1].mean() + 0.05
    with pytest.raises(InvalidValueError, match="sample_weight"):
        Scorecard().fit(x, y, sample_weight=w[:10])
    ch = Challenger(n_estimators=60).fit(x, y, sample_weight=w)
    assert ch.predict_proba(x)[:, 1].mean() > plain.predict_proba(x)[:, 1].mean() + 0.05


def test_pipeline_with_a_scikit_learn_step_before_benne() -> None:
    x, y = _xy()

    def add_ratio(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out["returns_per_tenure"] = frame["orders__returns_365d"] / (
            1.0 + frame["identity__tenure_months"])
        return out

    pipe = Pipeline([("ratio", FunctionTransformer(add_ratio)),
                     ("scorecard", Scorecard(binning=BinningProcess(special_values=(-9.0,))))])
    pipe.fit(x, y)
    assert "returns_per_tenure" in pipe[-1].feature_names_in_
    assert pipe.predict_proba(x).shape == (len(x), 2)
    assert pipe.score(x, y) > 0.6
    grid = GridSearchCV(Scorecard(), {"l2": [3.0, 30.0]}, cv=2).fit(x, y)
    assert grid.best_params_["l2"] in (3.0, 30.0)


def test_challenger_refits_on_every_row_with_rounds_from_cv() -> None:
    x, y = _xy()
    ch = Challenger(n_estimators=300, meta=None, random_state=3).fit(x, y)
    assert 1 <= ch.best_iteration_ <= 300
    assert ch.model_.booster.num_trees() == ch.best_iteration_
    again = clone(ch).fit(x, y)
    assert ch.model_.booster.model_to_string() == again.model_.booster.model_to_string()
    assert ch.score(x, y) > 0.6
    assert set(ch.reasons(x.head(20))["reason_1"].dropna()) <= set(x.columns)


def test_missing_feature_column_names_it() -> None:
    x, y = _xy()
    sc = Scorecard().fit(x, y)
    missing = sc.model_.feature_names[0]
    with pytest.raises(InputError, match=missing):
        sc.model_.score(x.drop(columns=[missing]))


def test_noise_id_like_text_column_is_recognised_as_noise() -> None:
    x, y = _xy(6000)
    x = x.assign(account=[f"A{i:06d}" for i in range(len(x))])
    sc = Scorecard().fit(x, y)
    j = list(x.columns).index("account")
    assert sc.binning_.binners_[j].iv_ < 0.01
    assert "account" not in sc.model_.feature_names


def test_challenger_cross_validates_on_a_seeded_sample() -> None:
    x, y = _xy(3000)
    a = Challenger(n_estimators=80, cv_rows=900).fit(x, y)
    b = Challenger(n_estimators=80, cv_rows=900).fit(x, y)
    every = Challenger(n_estimators=80, cv_rows=None).fit(x, y)
    assert a.model_.booster.model_to_string() == b.model_.booster.model_to_string()
    assert a.model_.platt == b.model_.platt
    # the sample (not every row) chose the round count and the calibration
    assert (a.best_iteration_, a.model_.platt) != (every.best_iteration_, every.model_.platt)
    assert a.score(x, y) > 0.6
    with pytest.raises(InvalidValueError, match="cv_rows"):
        Challenger(cv_rows=1).fit(x, y)


def _levels_frame(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """One numeric signal, an informative text column of 100 levels (each level's own effect
    on the logit) and a pure-noise one of 100 levels, about 200 rows per level: every level is
    common enough to stand alone, so grouping the noise by bad rate fits chance."""
    rng = np.random.default_rng(seed)
    n = 20_000
    x1 = rng.normal(size=n)
    effect = rng.normal(0.0, 0.6, size=100)
    informative, noise = rng.integers(0, 100, n), rng.integers(0, 100, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.8 * x1 + effect[informative])))).astype(int)
    return pd.DataFrame({"x1": x1, "shop": [f"s{i}" for i in informative],
                         "noise": [f"n{i}" for i in noise]}), y


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_high_cardinality_noise_is_screened_out_of_fold(seed: int) -> None:
    x, y = _levels_frame(seed)
    sc = Scorecard().fit(x, y)
    noise, shop = sc.selection_["noise"], sc.selection_["shop"]
    # in sample, grouping the noise's levels by their bad rate looks significant ...
    j = list(x.columns).index("noise")
    assert _g_test_p(sc.binning_.binners_[j]) < 0.01
    # ... out of fold it is chance, and the column is left out; the informative one stays
    assert noise["status"] == "low iv" and "out of fold" in noise["why"]
    assert noise["iv_oof"] < noise["iv"]
    assert "noise" not in sc.model_.feature_names
    assert shop["status"] == "selected" and shop["iv_oof"] > 0.1 and shop["p"] < 1e-10
    assert "shop" in sc.model_.feature_names


def test_out_of_fold_screen_is_deterministic_and_weighted() -> None:
    x, y = _levels_frame(4)
    a, b = Scorecard().fit(x, y), Scorecard().fit(x, y)
    assert a.selection_ == b.selection_
    w = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    c = Scorecard().fit(x, y, sample_weight=w)
    assert c.selection_["shop"]["iv_oof"] != a.selection_["shop"]["iv_oof"]


def test_cli_and_api_give_identical_model_files(tmp_path: Path) -> None:
    from benne.cli import main

    frame = synthetic_frame(2500, seed=9).drop(columns=["person_id", "gender"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["--quiet", "train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--special-values=-9", "--no-challenger", "--out", str(tmp_path / "m")]) == 0
    data = pd.read_csv(tmp_path / "t.csv")
    sc = Scorecard(binning=BinningProcess(special_values=(-9.0,))).fit(
        data.drop(columns=["bad"]), data["bad"])
    card = json.loads((tmp_path / "m" / "scorecard.json").read_text())
    assert card == json.loads(json.dumps(sc.model_.to_dict()))
    csv = (tmp_path / "m" / "scorecard.csv").read_text()
    assert csv == sc.table().to_csv(index=False, lineterminator="\n")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["model_version"] == sc.model_.model_version


def test_challenger_threads_default_to_the_available_cores(monkeypatch) -> None:
    import os

    from benne.exceptions import ConfigError
    from benne.models.challenger import available_cores

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert available_cores() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("OMP_NUM_THREADS", "3,1")  # OpenMP's per-level list: the outer count
    assert available_cores() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "all")
    with pytest.raises(ConfigError, match="OMP_NUM_THREADS"):
        available_cores()
    x, y = _xy(500)
    for bad in (0, -2, 1.5):
        with pytest.raises(InvalidValueError, match="n_jobs"):
            Challenger(n_jobs=bad).fit(x, y)


def test_challenger_without_cv_trains_the_given_rounds_and_calibration() -> None:
    x, y = _xy()
    first = Challenger(n_estimators=300, random_state=3).fit(x.iloc[:3000], y[:3000])
    refit = Challenger(n_estimators=first.best_iteration_, cv=None, random_state=3,
                       calibration=first.model_.platt).fit(x, y)
    assert refit.model_.booster.num_trees() == first.best_iteration_ == refit.best_iteration_
    assert refit.model_.platt == first.model_.platt
    # the same rounds and calibration, trained on every row: another booster than the first
    assert refit.model_.booster.model_to_string() != first.model_.booster.model_to_string()
    assert refit.score(x, y) > 0.6
    in_sample = Challenger(n_estimators=40, cv=None).fit(x, y)
    assert in_sample.best_iteration_ == 40 and in_sample.model_.platt != (1.0, 0.0)
    for bad in ((1.0,), (1.0, float("nan")), "ab"):
        with pytest.raises(InvalidValueError, match="calibration"):
            Challenger(cv=None, calibration=bad).fit(x, y)
    with pytest.raises(InvalidValueError, match="calibration"):
        Challenger(cv=3, calibration=(1.0, 0.0)).fit(x, y)


def test_challenger_folds_keep_a_persons_rows_together() -> None:
    """Five rows per person, a label drawn per person and a feature that only identifies the
    person: folds by row let the booster memorise people (it runs to the round limit),
    folds by person show the feature is noise (early stopping within a few rounds)."""
    rng = np.random.default_rng(0)
    people = 400
    person = np.repeat(np.arange(people), 5)
    label = (rng.random(people) < 0.3)[person].astype(int)
    X = pd.DataFrame({"person_code": rng.permutation(people)[person]
                      + rng.normal(0, 0.01, person.size)})
    by_row = Challenger(n_estimators=300, early_stopping_rounds=20, n_jobs=1).fit(X, label)
    by_person = Challenger(n_estimators=300, early_stopping_rounds=20, n_jobs=1).fit(
        X, label, groups=person)
    assert by_row.best_iteration_ == 300
    assert by_person.best_iteration_ <= 20
    again = Challenger(n_estimators=300, early_stopping_rounds=20, n_jobs=1).fit(
        X, label, groups=person)
    assert again.model_.booster.model_to_string() == by_person.model_.booster.model_to_string()
    with pytest.raises(InvalidValueError, match="groups has 3 labels for 2000 rows"):
        Challenger().fit(X, label, groups=["a", "b", "c"])

"""Metrics against reference implementations (scikit-learn, SciPy, hand computation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2, ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score

from benne.report import metrics


@st.composite
def labelled(draw: st.DrawFn, integer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Risks with both classes present; integer risks give many ties, like scores do."""
    n = draw(st.integers(2, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    risk = rng.integers(0, 12, n).astype(float) if integer else rng.normal(size=n)
    return risk + y * draw(st.floats(0, 2)), y


@given(labelled() | labelled(integer=True))
def test_auc_equals_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    risk, y = data
    assert metrics.auc(risk, y) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)
    assert metrics.gini(risk, y) == pytest.approx(2 * roc_auc_score(y, risk) - 1, abs=1e-12)


@given(labelled() | labelled(integer=True))
def test_ks_equals_scipy_two_sample(data: tuple[np.ndarray, np.ndarray]) -> None:
    risk, y = data
    expected = ks_2samp(risk[y == 1], risk[y == 0]).statistic
    assert metrics.ks(risk, y) == pytest.approx(expected, abs=1e-12)


@given(labelled(integer=True))
def test_roc_curve_area_is_the_auc(data: tuple[np.ndarray, np.ndarray]) -> None:
    risk, y = data
    fpr, tpr = metrics.roc_curve(risk, y, max_points=10_000)
    assert np.trapezoid(tpr, fpr) == pytest.approx(metrics.auc(risk, y), abs=1e-12)


def test_auc_is_nan_with_one_class() -> None:
    assert math.isnan(metrics.auc([0.1, 0.2, 0.3], [0, 0, 0]))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="only 0"):
        metrics.auc([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="missing"):
        metrics.auc([0.1, np.nan], [0, 1])
    with pytest.raises(ValueError, match="one length"):
        metrics.auc([0.1, 0.2, 0.3], [0, 1])


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    risk = rng.normal(size=3000) + 0.8 * y
    a = metrics.bootstrap_ci(risk, y, n_boot=100, seed=7)
    b = metrics.bootstrap_ci(risk, y, n_boot=100, seed=7)
    c = metrics.bootstrap_ci(risk, y, n_boot=100, seed=8)
    assert a == b
    assert a != c
    assert a["auc"].value == pytest.approx(roc_auc_score(y, risk), abs=1e-12)
    for name in ("auc", "gini", "ks"):
        assert a[name].low < a[name].value < a[name].high
    # about 1.96 standard errors of an AUC over 3000 rows: a few hundredths wide
    assert 0.01 < a["auc"].high - a["auc"].low < 0.08


def test_psi_equals_hand_computation() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(size=5000)
    recent = rng.normal(0.3, 1.2, size=4000)
    edges = np.unique(np.quantile(base, np.arange(1, 10) / 10, method="inverted_cdf"))
    b_idx = np.searchsorted(edges, base, side="right")
    r_idx = np.searchsorted(edges, recent, side="right")
    expected = 0.0
    for k in range(len(edges) + 1):
        e = np.mean(b_idx == k)
        a = np.mean(r_idx == k)
        expected += (a - e) * np.log(a / e)
    assert metrics.psi(base, recent) == pytest.approx(expected, rel=1e-12)


def test_psi_of_identical_samples_is_zero_and_of_a_shift_large() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=2000)
    assert metrics.psi(x, x) == 0.0
    assert metrics.psi(x, x + 1.0) > 0.25


def test_psi_counts_missing_values_as_a_bin_and_stays_finite_on_empty_bins() -> None:
    base = np.array([1.0, 2.0, 3.0, 4.0] * 50)
    recent = np.concatenate([np.full(150, 1.0), np.full(50, np.nan)])
    rows = metrics.psi_bins(base, recent)
    assert rows[-1]["baseline"] == 0.0 and rows[-1]["recent"] == 0.25
    eps = metrics.PSI_EPSILON
    # the missing bin: empty in the baseline, a quarter of the recent sample
    assert rows[-1]["psi"] == pytest.approx((0.25 - eps) * np.log(0.25 / eps))
    assert np.isfinite(metrics.psi(base, recent))
    # few distinct values give one bin per value (edges 2, 3, 4), then the missing bin
    assert [(r["low"], r["high"]) for r in rows[:-1]] == [
        (-np.inf, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, np.inf)]
    assert [r["baseline"] for r in rows[:-1]] == [0.25] * 4


def test_brier_equals_sklearn() -> None:
    rng = np.random.default_rng(9)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    assert metrics.brier(p, y) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_hosmer_lemeshow_equals_hand_computation() -> None:
    rng = np.random.default_rng(10)
    p = rng.uniform(0.01, 0.5, 1000)
    y = (rng.random(1000) < p * 1.3).astype(int)
    order = np.argsort(p, kind="stable")
    h = 0.0
    for chunk in np.array_split(order, 10):
        n, e, o = len(chunk), p[chunk].sum(), y[chunk].sum()
        h += (o - e) ** 2 / (e * (1 - e / n))
    stat, p_value = metrics.hosmer_lemeshow(p, y)
    assert stat == pytest.approx(h, rel=1e-10)
    assert p_value == pytest.approx(chi2.sf(h, 8), rel=1e-10)
    assert p_value < 0.05  # the probabilities are 30% too low


def test_calibration_table_of_a_calibrated_model_is_close_to_the_diagonal() -> None:
    rng = np.random.default_rng(11)
    p = rng.uniform(0.01, 0.4, 50_000)
    y = (rng.random(50_000) < p).astype(int)
    rows = metrics.calibration_table(p, y)
    assert [r["group"] for r in rows] == list(range(1, 11))
    assert sum(r["count"] for r in rows) == 50_000
    for r in rows:
        assert abs(r["predicted"] - r["observed"]) < 0.02


def test_adverse_impact_ratio() -> None:
    air = metrics.adverse_impact_ratio({"a": 0.5, "b": 0.35, "c": 0.45})
    assert air == pytest.approx({"a": 1.0, "b": 0.7, "c": 0.9})

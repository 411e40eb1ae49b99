"""The bin-level logistic fit: order of the bins' WoE kept, empty bins neutral, better than WoE."""

from __future__ import annotations

import numpy as np

from benne.binning import MonotoneBinner
from benne.models.binfit import BinLayout, fit_bin_logit


def _two_overlapping(n: int = 20_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)            # overlaps a: joint spacing differs
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * a + 0.5 * np.abs(b) * b - 1.5)))).astype(np.int8)
    return a, b, y


def test_terms_follow_each_bins_woe_and_empty_bins_are_zero() -> None:
    a, b, y = _two_overlapping()
    binners = [MonotoneBinner("auto", max_bins=8, special_values=(-9.0,)).fit(v, y) for v in (a, b)]
    bins = [bn.bin_index(v) for bn, v in zip(binners, (a, b), strict=True)]
    layouts = [BinLayout.from_woe(bn.woe_, bn.empty_) for bn in binners]
    intercept, betas = fit_bin_logit(bins, layouts, y, l2=30.0)
    for bn, beta, idx in zip(binners, betas, bins, strict=True):
        seen = ~bn.empty_
        order = np.argsort(-bn.woe_[seen], kind="stable")     # safest first
        assert np.all(np.diff(beta[seen][order]) >= -1e-12)   # risk term never falls
        assert np.all(beta[bn.empty_] == 0.0)                 # missing, special -9: no rows
        assert abs(np.bincount(idx, minlength=beta.size) @ beta) / len(y) < 1e-9  # centred
    again = fit_bin_logit(bins, layouts, y, l2=30.0)
    assert again[0] == intercept and all(np.array_equal(p, q) for p, q in
                                         zip(again[1], betas, strict=True))


def test_joint_fit_is_at_least_as_likely_as_one_coefficient_per_woe() -> None:
    from sklearn.linear_model import LogisticRegression

    a, b, y = _two_overlapping(seed=1)
    binners = [MonotoneBinner("auto", max_bins=8).fit(v, y) for v in (a, b)]
    bins = [bn.bin_index(v) for bn, v in zip(binners, (a, b), strict=True)]
    layouts = [BinLayout.from_woe(bn.woe_, bn.empty_) for bn in binners]
    intercept, betas = fit_bin_logit(bins, layouts, y, l2=0.0)
    z = intercept + sum(beta[i] for beta, i in zip(betas, bins, strict=True))
    woe = np.column_stack([bn.woe_[i] for bn, i in zip(binners, bins, strict=True)])
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(woe, y)
    z_woe = lr.decision_function(woe)
    assert np.all(lr.coef_ < 0)     # so coefficient × WoE is one of the fits allowed here

    def nll(t: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0, t) - y * t))

    assert nll(z) <= nll(z_woe) + 1e-6


def _linear(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x - 2.6)))).astype(np.int8)
    return x, y


def _free_terms(bins: np.ndarray, y: np.ndarray, n_bins: int) -> np.ndarray:
    """Each bin's own log-odds, centred on the rows: the unconstrained, unpenalised fit of one
    feature's bin terms."""
    bads = np.bincount(bins, weights=y, minlength=n_bins)
    rows = np.bincount(bins, minlength=n_bins).astype(np.float64)
    seen = rows > 0
    logit = np.zeros(n_bins)
    logit[seen] = np.log(bads[seen] / (rows[seen] - bads[seen]))
    return np.where(seen, logit - rows @ logit / rows.sum(), 0.0)


def test_ridge_shrinks_towards_the_average_person_not_the_safest_bin() -> None:
    # a strong linear effect at an 8% bad rate: the safest bins hold few bads. A penalty on the
    # terms as parametrised (safest bin pinned at 0) merged the three safest of ten bins.
    x, y = _linear(200_000, seed=3)
    binner = MonotoneBinner("auto", max_bins=10).fit(x, y)
    bins = binner.bin_index(x)
    layout = BinLayout.from_woe(binner.woe_, binner.empty_)
    _, (beta,) = fit_bin_logit([bins], [layout], y, l2=0.003 * float(y.sum()))
    free = _free_terms(bins, y, beta.size)
    seen = ~binner.empty_
    assert np.all(np.diff(beta[seen][np.argsort(-binner.woe_[seen])]) > 0.05)  # none merged
    # both ends shrink towards 0 (the average person), by less than a quarter
    ends = np.flatnonzero(seen)[[0, -1]]
    ratio = beta[ends] / free[ends]
    assert np.all((ratio > 0.75) & (ratio < 1.0))


def test_a_subsample_carries_its_share_of_the_penalty() -> None:
    # above MAX_FIT_ROWS the fit runs on every k-th row; l2 counts observations of every row, so
    # the same data repeated k times (then subsampled back to about the original) with k times
    # the penalty gives about the terms of the original with the original penalty
    from benne.models import binfit

    x, y = _linear(60_000, seed=4)
    binner = MonotoneBinner("auto", max_bins=10).fit(x, y)
    bins = binner.bin_index(x)
    layout = BinLayout.from_woe(binner.woe_, binner.empty_)
    l2 = 0.05 * float(y.sum())   # strong, so a penalty off by the subsampling factor shows
    _, (base,) = fit_bin_logit([bins], [layout], y, l2=l2)
    k = -(-binfit.MAX_FIT_ROWS // y.size) + 1
    order = np.repeat(np.arange(y.size)[None, :], k, axis=0).T.ravel()   # each row k times
    _, (big,) = fit_bin_logit([bins[order]], [layout], y[order], l2=k * l2)
    assert np.max(np.abs(big - base)) < 0.02

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

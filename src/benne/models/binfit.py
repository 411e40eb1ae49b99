"""Logistic regression on the bins themselves, with each feature's risk monotone in its bin order.

The textbook scorecard fits one coefficient per feature on its WoE column, so the points of a
feature's bins are all one multiple of their WoE. That keeps the order of the bins but fixes
their spacing to what each feature says *alone*; when features overlap (the monthly repayment
states of one card, say) the joint evidence spaces the bins differently. Here every bin gets its
own logit term ``β[j, b]``, fitted jointly, under the constraint that carries the scorecard's
promise: the terms keep the order of the bins' own WoE (riskier by its own evidence → riskier
term, ties allowed). The joint fit may change the spacing of the bins, never their order, so
regular bins stay monotone in the feature's direction and missing and special bins keep their
place among them. It is parametrised as a start plus non-negative steps along that order, so
L-BFGS-B with bounds solves it exactly as a convex problem. A ridge penalty ``l2/2 · Σ β²``
(``l2`` in units of observations) keeps rare bins from running off; at a million rows it is
negligible.

The loss and gradient never build a design matrix: the logit is a sum of table look-ups by bin
index and the gradient per bin is one ``np.bincount`` with weights, so memory stays ``O(n)``.
Above :data:`MAX_FIT_ROWS` rows the fit uses every ``⌈n / MAX_FIT_ROWS⌉``-th row (evenly spaced,
deterministic): the hundred-odd terms are pinned down far below a point of score by then, and
each of the solver's ~100 evaluations would otherwise cost a pass over every row.

The solver runs with one BLAS thread: its products are a few hundred thousand numbers, too
small to share, and BLAS threads that wait on each other on busy shared cores made the fit
two to three times slower.

Each feature's terms are centred on its training rows (the average person gets 0) and the
intercept takes the difference, so a bin with no training rows (an unseen category, a special
value nobody had) gets 0: no evidence either way, as its WoE is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

__all__ = ["MAX_FIT_ROWS", "BinLayout", "fit_bin_logit"]

MAX_FIT_ROWS = 100_000


@dataclass(frozen=True)
class BinLayout:
    """One feature's bins: ``n_bins`` in all; ``order`` the bins with training rows from the
    safest to the riskiest by their own WoE (the others stay at 0)."""

    n_bins: int
    order: np.ndarray

    @classmethod
    def from_woe(cls, woe: np.ndarray, empty: np.ndarray) -> BinLayout:
        seen = np.flatnonzero(~empty)
        return cls(int(woe.size), seen[np.lexsort((seen, -woe[seen]))])


def _unpack(theta: np.ndarray, layouts: Sequence[BinLayout]) -> list[np.ndarray]:
    out, k = [], 0
    for lay in layouts:
        steps = theta[k:k + lay.order.size - 1]
        k += lay.order.size - 1
        beta = np.zeros(lay.n_bins)
        beta[lay.order[1:]] = np.cumsum(steps)
        out.append(beta)
    return out


def fit_bin_logit(bins: Sequence[np.ndarray], layouts: Sequence[BinLayout], y: np.ndarray,
                  l2: float, sample_weight: np.ndarray | None = None
                  ) -> tuple[float, list[np.ndarray]]:
    """``(intercept, β per feature)`` of the monotone bin-level logistic regression; with
    ``sample_weight`` each row's loss counts its weight (``l2`` is then in units of weight)."""
    step = -(-y.size // MAX_FIT_ROWS)
    yf = y[::step].astype(np.float64)
    wf = (np.ones(yf.size) if sample_weight is None
          else np.asarray(sample_weight, dtype=np.float64)[::step])
    n = float(wf.sum())
    if n <= 0:
        n, wf = float(yf.size), np.ones(yf.size)
    idx = [np.ascontiguousarray(np.asarray(b)[::step], dtype=np.intp) for b in bins]
    n_par = sum(lay.order.size - 1 for lay in layouts)
    prior = float(np.clip(wf @ yf / n, 1e-6, 1 - 1e-6))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        b0, betas = theta[0], _unpack(theta[1:], layouts)
        z = np.full(yf.size, b0)
        for j, beta in enumerate(betas):
            z += np.take(beta, idx[j])
        value = float(wf @ (np.logaddexp(0.0, z) - yf * z)) / n
        value += 0.5 * l2 / n * sum(float(beta @ beta) for beta in betas)
        r = wf * (0.5 * (1.0 + np.tanh(0.5 * z)) - yf) / n     # σ(z) − y, without overflow
        grad = [np.array([r.sum()])]
        for j, (lay, beta) in enumerate(zip(layouts, betas, strict=True)):
            g = np.bincount(idx[j], weights=r, minlength=lay.n_bins) + l2 / n * beta
            grad.append(np.cumsum(g[lay.order][::-1])[::-1][1:])  # a step lifts every bin after it
        return value, np.concatenate(grad)

    start = np.zeros(1 + n_par)
    start[0] = np.log(prior / (1 - prior))
    bounds = [(None, None)] + [(0.0, None)] * n_par
    with threadpool_limits(1, user_api="blas"):
        res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 1000, "ftol": 1e-9, "gtol": 1e-5})
    intercept, betas = float(res.x[0]), _unpack(res.x[1:], layouts)
    for j, (lay, beta) in enumerate(zip(layouts, betas, strict=True)):
        mean = float(np.bincount(idx[j], weights=wf, minlength=lay.n_bins) @ beta) / n
        beta[lay.order] -= mean
        intercept += mean
    return intercept, betas

"""The numbers of a validation report: pure NumPy (and SciPy's chi-square), no plotting, no pandas.

Conventions, fixed once for the whole report:

- ``y`` is 1 for *bad*, 0 for *good*; ``risk`` is any value that grows with the risk of being
  bad (a probability of default, or the negative of a score). AUC is P(risk_bad > risk_good)
  with ties counting one half, so 0.5 is chance and 1.0 is perfect.
- AUC and KS are computed from the good and bad counts at each distinct value of ``risk``
  (the Mann-Whitney rank statistic with mid-ranks). The counts come from ``np.bincount`` on the
  positions of the values in one sorted list of distinct values, so the sort happens once and
  every bootstrap resample costs O(n) instead of a new O(n log n) sort; that is what makes a
  few hundred resamples of a million rows affordable. scikit-learn's ``roc_auc_score`` sorts
  on every call and is the reference the tests compare against.
- PSI bins are fixed by the *baseline*: the interior edges are its deciles, taken as observed
  values (duplicates dropped, so a feature with few distinct values gets fewer bins), a value
  equal to an edge falls in the bin above it, and missing values form a bin of their own. A
  share of zero in either sample is replaced by ``PSI_EPSILON`` (1e-4) before the logarithm,
  without renormalising, so an empty bin adds a large but finite term instead of infinity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

from benne.exceptions import InputError

__all__ = [
    "PSI_EPSILON",
    "Interval",
    "auc",
    "adverse_impact_ratio",
    "bootstrap_ci",
    "brier",
    "calibration_table",
    "gini",
    "hosmer_lemeshow",
    "ks",
    "ks_curve",
    "psi",
    "psi_bins",
    "psi_edges",
    "roc_curve",
]

PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap confidence interval."""

    value: float
    low: float
    high: float


def _xy(risk: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    r = np.asarray(risk, dtype=float)
    t = np.asarray(y)
    if r.shape != t.shape or r.ndim != 1:
        raise InputError(f"risk and y must be 1-d of one length; got {r.shape} and {t.shape}.",
                         fix="pass one risk value per label")
    if np.isnan(r).any():
        raise InputError("risk holds missing values; score every row before measuring.",
                         fix="score every row, or drop the unscored rows first")
    if not np.isin(t, (0, 1)).all():
        raise InputError("y must hold only 0 (good) and 1 (bad).",
                         fix="map the target to 0 for good and 1 for bad")
    return r, t.astype(np.int64)


def _counts(
    codes: NDArray[np.int64], y: NDArray[np.int64], n_values: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    bad = np.bincount(codes, weights=y, minlength=n_values).astype(float)
    total = np.bincount(codes, minlength=n_values).astype(float)
    return total - bad, bad


def _auc_counts(good: NDArray[np.float64], bad: NDArray[np.float64]) -> float:
    n_good, n_bad = good.sum(), bad.sum()
    if n_good == 0 or n_bad == 0:
        return float("nan")
    goods_below = np.cumsum(good) - good
    return float((bad * (goods_below + 0.5 * good)).sum() / (n_good * n_bad))


def _ks_counts(good: NDArray[np.float64], bad: NDArray[np.float64]) -> float:
    n_good, n_bad = good.sum(), bad.sum()
    if n_good == 0 or n_bad == 0:
        return float("nan")
    return float(np.abs(np.cumsum(bad) / n_bad - np.cumsum(good) / n_good).max())


def _encode(r: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    values, codes = np.unique(r, return_inverse=True)
    return values, codes.astype(np.int64)


def auc(risk: ArrayLike, y: ArrayLike) -> float:
    """Area under the ROC curve; NaN when one class is absent."""
    r, t = _xy(risk, y)
    values, codes = _encode(r)
    return _auc_counts(*_counts(codes, t, len(values)))


def gini(risk: ArrayLike, y: ArrayLike) -> float:
    """Gini coefficient (accuracy ratio): ``2 * AUC - 1``."""
    return 2.0 * auc(risk, y) - 1.0


def ks(risk: ArrayLike, y: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the bads' and goods' CDFs."""
    r, t = _xy(risk, y)
    values, codes = _encode(r)
    return _ks_counts(*_counts(codes, t, len(values)))


def roc_curve(
    risk: ArrayLike, y: ArrayLike, max_points: int = 201
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """False- and true-positive rates from the riskiest value down, thinned to ``max_points``."""
    r, t = _xy(risk, y)
    values, codes = _encode(r)
    good, bad = _counts(codes, t, len(values))
    fpr = np.concatenate([[0.0], np.cumsum(good[::-1]) / max(good.sum(), 1)])
    tpr = np.concatenate([[0.0], np.cumsum(bad[::-1]) / max(bad.sum(), 1)])
    if len(fpr) > max_points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, max_points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr, tpr


def ks_curve(
    values: ArrayLike, y: ArrayLike, max_points: int = 201
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distinct ``values`` ascending with the bads' and goods' cumulative shares at each."""
    v, t = _xy(values, y)
    x, codes = _encode(v)
    good, bad = _counts(codes, t, len(x))
    cdf_bad = np.cumsum(bad) / max(bad.sum(), 1)
    cdf_good = np.cumsum(good) / max(good.sum(), 1)
    if len(x) > max_points:
        keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
        x, cdf_bad, cdf_good = x[keep], cdf_bad[keep], cdf_good[keep]
    return x, cdf_bad, cdf_good


_STATS: dict[str, Callable[[NDArray[np.float64], NDArray[np.float64]], float]] = {
    "auc": _auc_counts,
    "gini": lambda g, b: 2.0 * _auc_counts(g, b) - 1.0,
    "ks": _ks_counts,
}


def bootstrap_ci(
    risk: ArrayLike,
    y: ArrayLike,
    stats: tuple[str, ...] = ("auc", "gini", "ks"),
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Point estimates and percentile bootstrap intervals of rank statistics.

    Rows are resampled with replacement ``n_boot`` times from a generator seeded with ``seed``,
    so the same data and seed give the same interval bit for bit.
    """
    unknown = set(stats) - set(_STATS)
    if unknown:
        raise InputError(f"stats must be among {sorted(_STATS)}; got {sorted(unknown)}.",
                         fix="name only the statistics listed")
    r, t = _xy(risk, y)
    values, codes = _encode(r)
    k = len(values)
    point = _counts(codes, t, k)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(stats)))
    for i in range(n_boot):
        idx = rng.integers(0, len(r), len(r))
        counts = _counts(codes[idx], t[idx], k)
        draws[i] = [_STATS[s](*counts) for s in stats]
    alpha = (1.0 - level) / 2.0
    out: dict[str, Interval] = {}
    for j, name in enumerate(stats):
        col = draws[:, j][~np.isnan(draws[:, j])]
        low, high = (np.quantile(col, [alpha, 1 - alpha]) if len(col) else (np.nan, np.nan))
        out[name] = Interval(_STATS[name](*point), float(low), float(high))
    return out


def brier(pd: ArrayLike, y: ArrayLike) -> float:
    """Brier score: mean squared gap between predicted probability and outcome."""
    p, t = _xy(pd, y)
    return float(np.mean((p - t) ** 2))


def _decile_groups(p: NDArray[np.float64], groups: int) -> NDArray[np.int64]:
    """Group index 0..groups-1 by rank of ``p`` (stable), equal sizes up to one row."""
    order = np.argsort(p, kind="stable")
    g = np.empty(len(p), dtype=np.int64)
    g[order] = (np.arange(len(p)) * groups) // max(len(p), 1)
    return g


def calibration_table(
    pd: ArrayLike, y: ArrayLike, groups: int = 10
) -> list[dict[str, float]]:
    """Rows per predicted-probability group (lowest first): count, mean predicted, observed."""
    p, t = _xy(pd, y)
    g = _decile_groups(p, groups)
    rows = []
    for k in range(groups):
        m = g == k
        if not m.any():
            continue
        rows.append({
            "group": k + 1,
            "count": int(m.sum()),
            "predicted": float(p[m].mean()),
            "observed": float(t[m].mean()),
        })
    return rows


def hosmer_lemeshow(pd: ArrayLike, y: ArrayLike, groups: int = 10) -> tuple[float, float]:
    """Hosmer-Lemeshow statistic over ``groups`` probability groups and its p-value.

    ``H = sum (O - E)^2 / (E (1 - E / n))`` with ``groups - 2`` degrees of freedom; a small
    p-value says predicted and observed bad rates disagree somewhere.
    """
    rows = calibration_table(pd, y, groups)
    h = 0.0
    for row in rows:
        n, expected = row["count"], row["count"] * row["predicted"]
        observed = row["count"] * row["observed"]
        denom = expected * (1.0 - expected / n)
        if denom > 0:
            h += (observed - expected) ** 2 / denom
    dof = max(len(rows) - 2, 1)
    return float(h), float(chi2.sf(h, dof))


def psi_edges(baseline: ArrayLike, bins: int = 10) -> NDArray[np.float64]:
    """Interior bin edges: the baseline's quantiles, duplicates dropped, missing ignored.

    Edges are observed values (``inverted_cdf``), never interpolated between two, so a
    feature with few distinct values gets one bin per value and no bin empty in the baseline;
    an edge at the minimum is dropped for the same reason.
    """
    b = np.asarray(baseline, dtype=float)
    b = b[~np.isnan(b)]
    if len(b) == 0:
        return np.empty(0)
    qs = np.quantile(b, np.arange(1, bins) / bins, method="inverted_cdf")
    return np.unique(qs[qs > b.min()])


def _shares(x: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
    missing = np.isnan(x)
    idx = np.searchsorted(edges, x[~missing], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, missing.sum())
    return counts / max(len(x), 1)


def psi_bins(
    baseline: ArrayLike, recent: ArrayLike, bins: int = 10
) -> list[dict[str, float]]:
    """Per-bin shares and PSI terms; the last row is the missing-value bin."""
    b = np.asarray(baseline, dtype=float)
    r = np.asarray(recent, dtype=float)
    edges = psi_edges(b, bins)
    e, a = _shares(b, edges), _shares(r, edges)
    e_safe = np.where(e == 0, PSI_EPSILON, e)
    a_safe = np.where(a == 0, PSI_EPSILON, a)
    terms = (a_safe - e_safe) * np.log(a_safe / e_safe)
    lows = np.concatenate([[-np.inf], edges, [np.nan]])
    highs = np.concatenate([edges, [np.inf], [np.nan]])
    return [
        {"low": float(lo), "high": float(hi), "baseline": float(ee), "recent": float(aa),
         "psi": float(tt)}
        for lo, hi, ee, aa, tt in zip(lows, highs, e, a, terms, strict=True)
    ]


def psi(baseline: ArrayLike, recent: ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``recent`` against ``baseline`` (see the module notes)."""
    return float(sum(row["psi"] for row in psi_bins(baseline, recent, bins)))


def adverse_impact_ratio(approval_rates: dict[str, float]) -> dict[str, float]:
    """Each group's approval rate over the highest group's (the four-fifths rule flags < 0.8)."""
    top = max(approval_rates.values(), default=0.0)
    return {g: (rate / top if top > 0 else float("nan")) for g, rate in approval_rates.items()}

"""The dynamic programme against a brute-force oracle over every grouping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benne.binning.solver import SMOOTHING, monotone_merge, smoothed_woe


def _brute(g, b, trend, min_count, max_bins):
    m = len(g)
    G, B = g.sum(), b.sum()
    best = -np.inf
    for k in range(m):
        for cuts in itertools.combinations(range(m - 1), k):
            ends = list(cuts) + [m - 1]
            if len(ends) > max_bins:
                continue
            starts = [0] + [e + 1 for e in ends[:-1]]
            gg = np.array([g[s:e + 1].sum() for s, e in zip(starts, ends, strict=True)], float)
            bb = np.array([b[s:e + 1].sum() for s, e in zip(starts, ends, strict=True)], float)
            if ((gg + bb) < max(min_count, 1)).any():
                continue
            odds = (bb + SMOOTHING) / (gg + SMOOTHING)
            d = np.diff(odds)
            if trend in ("peak", "valley"):
                # the rate moves one way (peak: up), then the other, at least one step of it
                first = d > 0 if trend == "peak" else d < 0
                second = d < 0 if trend == "peak" else d > 0
                turn = int(np.argmin(first)) if not first.all() else len(d)
                if turn == len(d) or not second[turn:].all():
                    continue
            bad_up = trend == "increasing" and (d <= 0).any()
            if bad_up or (trend == "decreasing" and (d >= 0).any()):
                continue
            iv = float(np.sum((gg / G - bb / B) * smoothed_woe(gg, bb, G, B)))
            best = max(best, iv)
    return best


def _check_against_oracle(g: np.ndarray, b: np.ndarray, trend: str, min_count: float,
                          max_bins: int, min_bins: int) -> None:
    """The solver's best IV is the brute force's, or one bin when no split is feasible."""
    m = len(g)
    ends, iv = monotone_merge(g, b, trend=trend, min_count=min_count, max_bins=max_bins)
    oracle = _brute(g, b, trend, min_count, max_bins)
    if np.isfinite(oracle):
        assert iv == pytest.approx(oracle, abs=1e-9)
        assert min_bins <= len(ends) <= max_bins and ends[-1] == m - 1
    else:
        assert ends.tolist() == [m - 1] and iv == 0.0


@pytest.mark.parametrize("seed", range(12))
def test_dp_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 8))
    g = rng.integers(0, 60, m).astype(float)
    b = rng.integers(0, 20, m).astype(float)
    trend = "increasing" if seed % 2 else "decreasing"
    min_count = float(rng.integers(0, 40))
    max_bins = int(rng.integers(1, 6))
    _check_against_oracle(g, b, trend, min_count, max_bins, min_bins=1)


@pytest.mark.parametrize("seed", range(16))
def test_peak_and_valley_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    m = int(rng.integers(3, 8))
    hump = np.sin(np.linspace(0.3, 2.8, m)) * (1 if seed % 2 else -1)  # a peak or a valley
    n = rng.integers(20, 120, m).astype(float)
    b = np.floor(n * (0.2 + 0.15 * hump + 0.1 * rng.random(m)))
    g = n - b
    trend = "peak" if seed % 4 < 2 else "valley"
    min_count = float(rng.integers(0, 60))
    max_bins = int(rng.integers(3, 7))
    _check_against_oracle(g, b, trend, min_count, max_bins, min_bins=2)


def test_perfectly_monotone_input_keeps_every_prebin() -> None:
    g = np.array([90, 80, 70, 60], float)
    b = np.array([10, 20, 30, 40], float)
    ends, _ = monotone_merge(g, b, trend="increasing", min_count=0, max_bins=10)
    assert ends.tolist() == [0, 1, 2, 3]
    ends, iv = monotone_merge(g, b, trend="decreasing", min_count=0, max_bins=10)
    assert ends.tolist() == [3] and iv == 0.0


def test_max_bins_and_min_count_are_respected() -> None:
    g = np.full(20, 100.0)
    b = np.arange(1, 21, dtype=float)
    ends, _ = monotone_merge(g, b, trend="increasing", min_count=250, max_bins=4)
    starts = np.r_[0, ends[:-1] + 1]
    sizes = [g[s:e + 1].sum() + b[s:e + 1].sum() for s, e in zip(starts, ends, strict=True)]
    assert len(ends) <= 4 and min(sizes) >= 250


def test_auto_direction_finds_a_valley_only_when_the_data_demand_it() -> None:
    from benne.binning import MonotoneBinner

    rng = np.random.default_rng(4)
    n = 30_000
    x = rng.uniform(-3, 3, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x**2 - 3)))).astype(int)   # risky at both ends
    b = MonotoneBinner("auto", max_prebins=60).fit(x, y)
    assert b.direction_ == "valley"
    rate = b.table().query("kind == 'regular'")["bad_rate"].to_numpy()
    turn = int(np.argmin(rate))
    assert 0 < turn < rate.size - 1
    assert np.all(np.diff(rate[:turn + 1]) < 0) and np.all(np.diff(rate[turn:]) > 0)
    monotone = MonotoneBinner("auto", max_prebins=60, turns=False).fit(x, y)
    assert monotone.direction_ in ("increasing", "decreasing") and b.iv_ > 2 * monotone.iv_
    # a monotone relation stays monotone
    y2 = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x - 2)))).astype(int)
    assert MonotoneBinner("auto", max_prebins=60).fit(x, y2).direction_ == "increasing"
    # the exact solver: peak on counts shaped like a peak
    g = np.array([90, 80, 60, 50, 70, 85, 95], dtype=float)
    bb = np.array([10, 20, 40, 50, 30, 15, 5], dtype=float)
    ends, iv = monotone_merge(g, bb, trend="peak", min_count=1, max_bins=7)
    assert iv > 0 and ends[-1] == 6

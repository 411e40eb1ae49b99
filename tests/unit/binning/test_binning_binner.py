"""MonotoneBinner and CategoricalBinner: bins, WoE, missing/special/unseen, estimator contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.binning import CategoricalBinner, MonotoneBinner, PrebinStats, quantile_edges
from benne.exceptions import InputError, NotFittedError


def _data(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * x - 2)))).astype(int)
    x[rng.random(n) < 0.1] = np.nan
    x[rng.random(n) < 0.03] = -9.0
    return x, y


def test_numeric_bins_are_monotone_and_respect_share_and_count() -> None:
    x, y = _data()
    b = MonotoneBinner("auto", max_bins=6, min_bin_share=0.05, special_values=(-9.0,)).fit(x, y)
    t = b.table()
    reg = t[t.kind == "regular"]
    assert b.direction_ == "increasing"
    assert 2 <= len(reg) <= 6
    assert (reg["count"] >= 0.05 * len(x)).all()
    assert np.all(np.diff(reg["woe"].to_numpy()) < 0)  # riskier with the value: WoE falls
    assert t["count"].sum() == len(x)


def test_missing_and_special_values_get_their_own_bins_and_woe() -> None:
    rng = np.random.default_rng(1)
    n = 10_000
    x = rng.normal(size=n)
    y = np.zeros(n, dtype=int)
    x[:1000] = np.nan
    y[:1000] = rng.random(1000) < 0.6          # missing is very risky
    x[1000:1500] = -7.0
    y[1000:1500] = 0                           # special -7 is safe
    y[1500:] = rng.random(n - 1500) < 0.1
    b = MonotoneBinner("increasing", special_values=(-7.0, -8.0)).fit(x, y)
    t = b.table().set_index("label")
    assert t.loc["missing", "count"] == 1000 and t.loc["missing", "woe"] < -1.5
    assert t.loc["special -7", "count"] == 500 and t.loc["special -7", "woe"] > 2
    # -8 never occurred: neutral WoE, flagged empty
    assert t.loc["special -8", "count"] == 0 and t.loc["special -8", "woe"] == 0.0
    assert bool(t.loc["special -8", "empty"])
    idx = b.bin_index(np.array([np.nan, -7.0, -8.0, 0.0]))
    assert idx.tolist()[:3] == [b.n_bins_, b.n_bins_ + 1, b.n_bins_ + 2]
    assert idx[3] < b.n_bins_


def test_transform_woe_uses_right_closed_bins() -> None:
    x, y = _data()
    b = MonotoneBinner("increasing").fit(x, y)
    cut = b.cuts_[0]
    idx = b.bin_index(np.array([cut, np.nextafter(cut, np.inf)]))
    assert idx.tolist() == [0, 1]
    np.testing.assert_array_equal(b.transform_woe(x), b.woe_[b.bin_index(x)])


def test_fit_stats_equals_fit_on_rows() -> None:
    x, y = _data()
    edges = quantile_edges(x, 50, (-9.0,))
    half = len(x) // 2
    stats = (PrebinStats.empty(edges, (-9.0,)).add(x[:half], y[:half])
             .merge(PrebinStats.empty(edges, (-9.0,)).add(x[half:], y[half:])))
    a = MonotoneBinner(special_values=(-9.0,)).fit(x, y)
    b = MonotoneBinner(special_values=(-9.0,)).fit_stats(stats)
    np.testing.assert_array_equal(a.cuts_, b.cuts_)
    np.testing.assert_array_equal(a.woe_, b.woe_)


def test_round_trip_through_dict() -> None:
    x, y = _data()
    b = MonotoneBinner(special_values=(-9.0,)).fit(x, y)
    c = MonotoneBinner.from_dict(b.to_dict())
    np.testing.assert_array_equal(b.transform_woe(x), c.transform_woe(x))
    pd.testing.assert_frame_equal(b.table(), c.table())


def test_categorical_groups_by_bad_rate_with_missing_and_unseen() -> None:
    rng = np.random.default_rng(3)
    n = 12_000
    cats = rng.choice(["a", "b", "c", "d", "e"], size=n)
    rate = pd.Series(cats).map({"a": 0.05, "b": 0.06, "c": 0.2, "d": 0.4, "e": 0.41}).to_numpy()
    y = (rng.random(n) < rate).astype(int)
    s = pd.Series(cats, dtype=object)
    s[:600] = None
    b = CategoricalBinner(max_bins=5).fit(s, y)
    t = b.table()
    reg = t[t.kind == "regular"]
    assert np.all(np.diff(reg["bad_rate"].to_numpy()) > 0)
    assert t.iloc[-2]["kind"] == "missing" and t.iloc[-2]["count"] == 600
    assert t.iloc[-1]["kind"] == "unseen" and t.iloc[-1]["woe"] == 0.0
    idx = b.bin_index(pd.Series(["a", "zzz", None], dtype=object))
    assert idx.tolist()[1:] == [b.n_bins_ + 1, b.n_bins_]
    c = CategoricalBinner.from_dict(b.to_dict())
    np.testing.assert_array_equal(b.transform_woe(s), c.transform_woe(s))


def test_estimator_contract() -> None:
    b = MonotoneBinner("sideways")
    assert b.direction == "sideways"            # __init__ stores, does not validate
    x, y = _data(2000)
    with pytest.raises(InputError, match="direction"):
        b.fit(x, y)
    with pytest.raises(NotFittedError):
        MonotoneBinner().transform_woe(x)
    with pytest.raises(InputError, match="0 \\(good\\) and 1"):
        MonotoneBinner().fit(x, np.full(len(x), 2))
    with pytest.raises(InputError, match="special_values"):
        MonotoneBinner(special_values=(-9, -9)).fit(x, y)


def test_zero_bad_bin_has_finite_woe() -> None:
    x = np.arange(1000, dtype=float)
    y = (x > 900).astype(int)
    b = MonotoneBinner("increasing", min_bin_share=0.05).fit(x, y)
    assert np.isfinite(b.woe_).all()
    assert b.table().iloc[0]["bads"] == 0

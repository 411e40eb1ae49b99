"""Properties of binning: mergeable counts, own bins for missing/special, monotone WoE."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from benne.binning import MonotoneBinner, PrebinStats, prebin_stats, quantile_edges
from tests.property.strategies_models import SPECIALS, directions, labelled_column


@given(labelled_column(), st.integers(1, 99))
def test_stats_of_parts_merge_to_stats_of_whole(data, cut_pct) -> None:
    x, y = data
    edges = quantile_edges(x, 20, SPECIALS)
    k = len(x) * cut_pct // 100
    empty = PrebinStats.empty(edges, SPECIALS)
    whole = empty.add(x, y)
    assert empty.add(x[:k], y[:k]).merge(empty.add(x[k:], y[k:])) == whole
    assert int(whole.goods.sum() + whole.bads.sum()) == len(x)
    assert int(whole.bads.sum()) == int(y.sum())


@given(labelled_column(), directions, st.integers(1, 10), st.floats(0, 0.2))
def test_missing_and_special_values_land_in_their_own_bins(data, direction, max_bins, share):
    x, y = data
    b = MonotoneBinner(direction, max_bins=max_bins, min_bin_share=share,
                       special_values=SPECIALS).fit(x, y)
    idx = b.bin_index(x)
    assert np.all(idx[np.isnan(x)] == b.n_bins_)
    for i, s in enumerate(SPECIALS):
        assert np.all(idx[x == s] == b.n_bins_ + 1 + i)
    regular = ~np.isnan(x) & ~np.isin(x, SPECIALS)
    assert np.all(idx[regular] < b.n_bins_)
    t = b.table()
    miss = t[t.kind == "missing"].iloc[0]
    assert miss["count"] == np.isnan(x).sum()
    if miss["count"] > 0:  # own WoE from own counts, not a silent 0
        g, bd = miss["goods"], miss["bads"]
        G, B = t["goods"].sum(), t["bads"].sum()
        expected = np.log(((g + 0.5) / (G + 0.5)) / ((bd + 0.5) / (B + 0.5)))
        assert np.isclose(miss["woe"], expected)


@given(labelled_column(), directions, st.integers(1, 10), st.floats(0, 0.2))
def test_woe_is_monotone_where_constrained(data, direction, max_bins, share) -> None:
    x, y = data
    b = MonotoneBinner(direction, max_bins=max_bins, min_bin_share=share,
                       special_values=SPECIALS).fit(x, y)
    woe = b.woe_[: b.n_bins_]
    assert b.n_bins_ <= max_bins
    steps = np.diff(woe)
    if b.direction_ == "increasing":  # risk rises with the value: WoE (log good/bad) falls
        assert np.all(steps < 0)
    elif b.direction_ == "decreasing":
        assert np.all(steps > 0)
    else:  # a peak or valley of risk, allowed only when the direction is left to the data
        assert direction == "auto" and b.direction_ in ("peak", "valley")
        assert np.all(steps != 0)
        turns = np.flatnonzero(np.diff(np.sign(steps)) != 0)
        assert len(turns) == 1, woe  # one turn, the rest monotone on either side
        falls_first = steps[0] < 0  # risk rises first: a peak of risk
        assert falls_first == (b.direction_ == "peak"), (b.direction_, woe)
    if direction != "auto":
        assert b.direction_ == direction


@given(labelled_column(), st.integers(2, 60))
def test_sorted_fast_path_equals_row_by_row_counting(data, max_prebins) -> None:
    x, y = data
    fast = prebin_stats(x, y, max_prebins=max_prebins, special_values=SPECIALS)
    slow = PrebinStats.empty(quantile_edges(x, max_prebins, SPECIALS), SPECIALS).add(x, y)
    assert fast == slow

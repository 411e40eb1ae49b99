"""Per-value counts (what an engine sums) give the binning the rows give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benne.binning import (
    BinningProcess,
    CategoricalBinner,
    ColumnCounts,
    MonotoneBinner,
    prebin_stats,
)
from benne.binning.binner import CodeBinner


def _data(n: int = 6000, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
    rng = np.random.default_rng(seed)
    amount = np.round(rng.gamma(2.0, 3.0, n), 1)
    amount[rng.random(n) < 0.08] = np.nan
    amount[rng.random(n) < 0.03] = -9.0
    code = rng.integers(-2, 4, n).astype(float)
    level = rng.choice(["north", "south", "east", "west", "rare1", "rare2"], n,
                       p=[0.3, 0.3, 0.2, 0.19, 0.005, 0.005]).astype(object)
    level[rng.random(n) < 0.05] = None
    z = 0.15 * np.nan_to_num(amount) - 0.4 * code + (level == "north") - 2.0
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return amount, code, level, y


def test_prebin_stats_from_value_counts_equal_the_rows() -> None:
    amount, _, _, y = _data()
    counts = ColumnCounts.of(amount, y)
    for max_prebins in (5, 20, 100):
        assert counts.prebin_stats(max_prebins, (-9.0,)) == prebin_stats(
            amount, y, max_prebins=max_prebins, special_values=(-9.0,))


def test_counts_of_parts_merge_to_the_counts_of_the_whole() -> None:
    amount, _, level, y = _data()
    cut = 2500
    assert ColumnCounts.of(amount[:cut], y[:cut]) + ColumnCounts.of(amount[cut:], y[cut:]) \
        == ColumnCounts.of(amount, y)
    whole = ColumnCounts.of(pd.Series(level), y)
    assert whole.text and whole.missing_goods + whole.missing_bads == int(pd.isna(level).sum())
    assert ColumnCounts.of(pd.Series(level[cut:]), y[cut:]).merge(
        ColumnCounts.of(pd.Series(level[:cut]), y[:cut])) == whole


def test_binners_from_counts_equal_binners_from_rows() -> None:
    amount, code, level, y = _data()
    rows = MonotoneBinner(special_values=(-9.0,)).fit(amount, y)
    counted = MonotoneBinner(special_values=(-9.0,)).fit_stats(
        ColumnCounts.of(amount, y).prebin_stats(50, (-9.0,)))
    assert rows.to_dict() == counted.to_dict()
    cat = CategoricalBinner(min_bin_share=0.05).fit(level, y)
    cat_c = CategoricalBinner(min_bin_share=0.05).fit_counts(ColumnCounts.of(pd.Series(level), y))
    assert cat.to_dict() == cat_c.to_dict() and cat.rare_bin_ is not None
    codes = CodeBinner(special_values=(-2.0,)).fit(code, y)
    codes_c = CodeBinner(special_values=(-2.0,)).fit_counts(ColumnCounts.of(code, y))
    assert codes.to_dict() == codes_c.to_dict()


def test_binning_process_from_counts_decides_kinds_and_bins_like_rows() -> None:
    amount, code, level, y = _data()
    frame = pd.DataFrame({"amount": amount, "status": code, "region": level})
    bp = BinningProcess(special_values=(-9.0,)).fit(frame, y)
    counted = BinningProcess(special_values=(-9.0,)).fit_counts(
        {c: ColumnCounts.of(frame[c], y) for c in frame.columns})
    assert counted.kinds_ == bp.kinds_ == ["numeric", "codes", "categorical"]
    pd.testing.assert_frame_equal(counted.table(), bp.table())
    np.testing.assert_array_equal(counted.bin_indices(frame), bp.bin_indices(frame))

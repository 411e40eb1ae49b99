"""CodeBinner: few integer codes grouped by bad rate, with missing, special and unseen bins."""

from __future__ import annotations

import numpy as np

from benne.binning import CodeBinner


def _codes(n: int = 20_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.choice([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], n, p=[0.15, 0.2, 0.45, 0.1, 0.07, 0.03])
    risk = {-2.0: 0.18, -1.0: 0.15, 0.0: 0.12, 1.0: 0.35, 2.0: 0.6, 3.0: 0.7}
    y = (rng.random(n) < np.vectorize(risk.get)(x)).astype(int)
    x[rng.random(n) < 0.05] = np.nan
    return x, y


def test_codes_group_by_bad_rate_not_by_value() -> None:
    x, y = _codes()
    b = CodeBinner(max_bins=8, min_bin_share=0.02, special_values=(-2.0,)).fit(x, y)
    t = b.table()
    reg = t[t.kind == "regular"]
    assert np.all(np.diff(reg["bad_rate"].to_numpy()) > 0)      # groups by rising bad rate
    assert np.all(np.diff(reg["woe"].to_numpy()) < 0)
    assert b.groups_[0] == [0.0]                                 # 0 is safer than -1: not by value
    assert list(t["kind"][b.n_bins_:]) == ["missing", "special", "unseen"]
    assert t["count"].sum() == len(x)
    assert t.loc[t.kind == "special", "count"].item() == int(np.sum(x == -2.0))


def test_bin_index_layout_and_dtype_independence() -> None:
    x, y = _codes()
    b = CodeBinner(special_values=(-2.0,)).fit(x, y)
    as_int = b.bin_index(np.array([0, 3, 7], dtype=np.int64))
    as_float = b.bin_index(np.array([0.0, 3.0, 7.0]))
    assert as_int.tolist() == as_float.tolist()                  # 2 and 2.0 are one code
    assert as_float[2] == b.n_bins_ + 2                          # unseen after the special bin
    assert b.woe_[b.n_bins_ + 2] == 0.0 and b.empty_[b.n_bins_ + 2]
    assert b.bin_index(np.array([np.nan, -2.0])).tolist() == [b.n_bins_, b.n_bins_ + 1]


def test_round_trip_through_dict() -> None:
    x, y = _codes()
    b = CodeBinner(special_values=(-2.0,)).fit(x, y)
    c = CodeBinner.from_dict(b.to_dict())
    probe = np.array([np.nan, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 9.0])
    np.testing.assert_array_equal(b.bin_index(probe), c.bin_index(probe))
    np.testing.assert_array_equal(b.woe_, c.woe_)

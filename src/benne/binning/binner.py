"""Binners: monotone optimal binning of a numeric column, bad-rate grouping of categories/codes.

Both follow the scikit-learn estimator contract: ``__init__`` only stores its arguments, ``fit``
validates them, what is learned ends in ``_``, and every method used after fitting checks that
the binner was fitted.

Bin layout (the index :meth:`bin_index` returns and the rows of :meth:`table`):

- numeric: ``0 .. n_bins-1`` the regular bins in increasing value, then ``missing``, then one
  bin per special value in declaration order;
- categorical: the groups in increasing bad rate, then ``missing``, then ``unseen``;
- codes: the groups in increasing bad rate, ``missing``, one bin per special value, ``unseen``.

Decisions:

- WoE is ``ln(share of goods / share of bads)`` (higher = safer) with half an observation
  added to each count (:data:`~benne.binning.solver.SMOOTHING`), so bins without goods or bads
  stay finite.
- Missing and special values always have their own bin and their own WoE from their own
  counts, never a silent 0. A missing or special bin that had **no rows in training** gets the
  neutral WoE 0 (no evidence either way) and ``empty=True`` in :meth:`table`, so the scorecard
  shows it.
- Unseen categories get the neutral WoE 0 as well: a category never seen in training carries no
  evidence, and giving it the worst bin would punish new merchants or regions for being new.
- ``direction`` is how risk moves with the value: ``"increasing"`` = higher is riskier (bad
  rate increasing over the bins, WoE decreasing); ``"auto"`` solves both and keeps the one with
  the higher information value (ties: increasing), and with ``turns`` also a peak or a valley
  when it is significantly better (a U-shaped risk such as age or utilisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from benne.binning.solver import monotone_merge, smoothed_woe
from benne.binning.stats import (
    ColumnCounts,
    PrebinStats,
    _weights,
    prebin_index,
    prebin_stats,
)
from benne.exceptions import InputError, NotFittedError

__all__ = ["CategoricalBinner", "CodeBinner", "MonotoneBinner"]

_FEW_CUTS = 24
# Most groups of categories the exact merge sees: more levels are first cut into this many
# runs of equal weight along their bad-rate order, so the grouping is O(n log n) in the levels.
MAX_LEVEL_RUNS = 100


def _labels(y: object, n: int) -> np.ndarray:
    t = np.asarray(y)
    if t.shape != (n,):
        raise InputError(f"the target must have one value per row ({n}); got shape {t.shape}.")
    if t.dtype.kind not in "biuf" or not np.isin(t, (0, 1)).all():
        raise InputError("the target must hold only 0 (good) and 1 (bad).",
                         fix="recode the target to 0/1")
    return t.astype(bool)


def _check_params(max_bins: int, min_bin_share: float) -> None:
    if not (isinstance(max_bins, int | np.integer) and max_bins >= 1):
        raise InputError(f"max_bins must be an integer >= 1; got {max_bins!r}.")
    if not 0.0 <= float(min_bin_share) < 0.5:
        raise InputError(f"min_bin_share must be in [0, 0.5); got {min_bin_share!r}.")


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _rare_limit(total: float, min_count: float) -> float:
    """Levels with less weight than this are pooled before grouping: their own bad rate is
    mostly noise (and a column of ids would otherwise be sorted into a perfect separation).
    ``√n`` (at least 10) grows with the data but far slower than it, capped at the least bin."""
    return min(max(min_count, 1.0), max(10.0, float(np.sqrt(total))))


def _group_by_rate(goods: np.ndarray, bads: np.ndarray, ties: np.ndarray, min_count: float,
                   max_bins: int) -> list[np.ndarray]:
    """Categories ordered by smoothed bad:good odds (``ties`` break ties), then neighbours
    merged by the exact monotone solver: the positions of each group's categories.

    More than :data:`MAX_LEVEL_RUNS` categories are first cut into that many runs of about
    equal weight along the odds order (a sort, then a linear pass), so the exact merge works on
    at most that many pre-groups whatever the cardinality."""
    k = goods.size
    if k == 0:
        return []
    order = np.lexsort((ties, (bads + 0.5) / (goods + 0.5)))
    g, b = goods[order], bads[order]
    runs = np.arange(k)
    if k > MAX_LEVEL_RUNS:
        n = g + b
        before = np.cumsum(n) - n
        runs = np.floor(before / max(n.sum(), 1e-300) * MAX_LEVEL_RUNS).astype(np.int64)
        _, runs = np.unique(runs, return_inverse=True)
        g = np.bincount(runs, weights=g)
        b = np.bincount(runs, weights=b)
    ends, _ = monotone_merge(g, b, trend="increasing", min_count=min_count, max_bins=max_bins)
    starts = np.concatenate([[0], ends[:-1] + 1])
    # run boundaries back to category positions in the order
    first = np.searchsorted(runs, starts, side="left")
    last = np.searchsorted(runs, ends, side="right")
    return [order[a:e] for a, e in zip(first, last, strict=True)]


def _g_stat(g: np.ndarray, b: np.ndarray, ends: np.ndarray) -> float:
    """Likelihood-ratio (G) statistic of independence of the bins and the target."""
    starts = np.concatenate([[0], ends[:-1] + 1])
    gg = np.add.reduceat(g, starts).astype(np.float64)
    bb = np.add.reduceat(b, starts).astype(np.float64)
    n, tg, tb = gg + bb, gg.sum(), bb.sum()
    total = tg + tb
    if total <= 0 or tg <= 0 or tb <= 0:
        return 0.0
    obs = np.concatenate([gg, bb])
    exp = np.concatenate([n * tg, n * tb]) / total
    pos = obs > 0
    return 2.0 * float(np.sum(obs[pos] * np.log(obs[pos] / exp[pos])))


def _maybe_turn(g: np.ndarray, b: np.ndarray, best: tuple[np.ndarray, float, str],
                min_count: float, max_bins: int) -> tuple[np.ndarray, float, str]:
    """The best peak or valley binning when it beats the monotone ``best`` significantly."""
    from scipy.stats import chi2

    g_mono = _g_stat(g, b, best[0])
    out = best
    for trend in ("peak", "valley"):
        ends, iv = monotone_merge(g, b, trend=trend, min_count=min_count,  # type: ignore[arg-type]
                                  max_bins=max_bins)
        if ends.size < 3:
            continue
        df = max(1, ends.size - best[0].size)
        if _g_stat(g, b, ends) - g_mono > chi2.isf(0.001, df) and iv > out[1] + 1e-12:
            out = (ends, iv, trend)
    return out


class _Binner:
    """What both binners share once their bins and counts are known."""

    goods_: np.ndarray
    bads_: np.ndarray
    woe_: np.ndarray
    empty_: np.ndarray

    def _check_fitted(self) -> None:
        if not hasattr(self, "woe_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first.")

    def _set_counts(self, goods: np.ndarray, bads: np.ndarray) -> None:
        # whole counts stay integers (the usual case); weighted rows give fractional ones
        whole = bool(np.all(goods == np.rint(goods)) and np.all(bads == np.rint(bads)))
        self.goods_ = goods.astype(np.int64 if whole else np.float64)
        self.bads_ = bads.astype(np.int64 if whole else np.float64)
        total_g, total_b = float(goods.sum()), float(bads.sum())
        woe = smoothed_woe(goods, bads, total_g, total_b)
        self.empty_ = (goods + bads) == 0
        self.woe_ = np.where(self.empty_, 0.0, woe)
        share_g = goods / max(total_g, 1.0)
        share_b = bads / max(total_b, 1.0)
        self.iv_ = float(np.sum((share_g - share_b) * self.woe_))

    def bin_index(self, x: object) -> np.ndarray:
        raise NotImplementedError

    def _counts_dict(self) -> dict[str, Any]:
        return {"goods": self.goods_.tolist(), "bads": self.bads_.tolist(),
                "woe": self.woe_.tolist(), "empty": self.empty_.tolist(), "iv": self.iv_}

    def _load_counts(self, d: dict[str, Any]) -> None:
        whole = all(isinstance(v, int) for v in d["goods"] + d["bads"])
        self.goods_ = np.asarray(d["goods"], dtype=np.int64 if whole else np.float64)
        self.bads_ = np.asarray(d["bads"], dtype=np.int64 if whole else np.float64)
        self.woe_ = np.asarray(d["woe"], dtype=np.float64)
        self.empty_ = np.asarray(d["empty"], dtype=bool)
        self.iv_ = float(d["iv"])

    def transform_woe(self, x: object) -> np.ndarray:
        """The WoE of each value's bin."""
        self._check_fitted()
        return self.woe_[self.bin_index(x)]

    def _table(self, labels: list[str], kinds: list[str], lower: Sequence[Any],
               upper: Sequence[Any]) -> pd.DataFrame:
        n = self.goods_ + self.bads_
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(n > 0, self.bads_ / np.maximum(n, 1), np.nan)
        total_g, total_b = max(self.goods_.sum(), 1), max(self.bads_.sum(), 1)
        return pd.DataFrame({
            "bin": np.arange(len(labels)),
            "label": labels,
            "kind": kinds,
            "lower": list(lower),
            "upper": list(upper),
            "count": n,
            "goods": self.goods_,
            "bads": self.bads_,
            "bad_rate": rate,
            "woe": self.woe_,
            "iv": (self.goods_ / total_g - self.bads_ / total_b) * self.woe_,
            "empty": self.empty_,
        })


class MonotoneBinner(_Binner):
    """Monotone optimal binning of one numeric column.

    Parameters
    ----------
    direction : "increasing", "decreasing" or "auto"
        How risk moves with the value (see the module docstring).
    max_bins : int
        Most regular bins (missing and special bins come on top).
    min_bin_share : float
        Least share of all training rows in each regular bin.
    max_prebins : int
        Quantile pre-bins the solver merges.
    special_values : sequence of float
        Codes that are not values (e.g. -7 refused, -8 not applicable); each its own bin.
    turns : bool
        With ``direction="auto"``, also try a peak (the bad rate rises, then falls) and a
        valley (falls, then rises), kept only when the data demand it: the turning binning's
        likelihood-ratio statistic must beat the best monotone one's by the 0.1% critical value
        of a chi-squared with the extra bins as degrees of freedom (at least 1).

    Attributes (after fit): ``cuts_`` (upper bounds of the regular bins but the last),
    ``direction_`` (the shape used: increasing, decreasing, peak or valley), ``goods_``,
    ``bads_``, ``woe_``, ``empty_``, ``iv_``, ``n_bins_`` (regular bins), ``special_values_``.
    """

    def __init__(self, direction: str = "auto", *, max_bins: int = 8,
                 min_bin_share: float = 0.05, max_prebins: int = 50,
                 special_values: Sequence[float] = (), turns: bool = True) -> None:
        self.direction = direction
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.max_prebins = max_prebins
        self.special_values = special_values
        self.turns = turns

    def _validate(self) -> np.ndarray:
        if self.direction not in ("increasing", "decreasing", "auto"):
            raise InputError(
                f"direction must be 'increasing', 'decreasing' or 'auto'; got {self.direction!r}.")
        _check_params(self.max_bins, self.min_bin_share)
        if not (isinstance(self.max_prebins, int | np.integer) and self.max_prebins >= 2):
            raise InputError(f"max_prebins must be an integer >= 2; got {self.max_prebins!r}.")
        sv = np.asarray(list(self.special_values), dtype=np.float64)
        if np.isnan(sv).any() or len(np.unique(sv)) != sv.size:
            raise InputError(f"special_values must be distinct numbers; got {list(sv)}.")
        return sv

    def fit(self, x: object, y: object, sample_weight: object = None) -> MonotoneBinner:
        """Pre-bin ``x`` on its quantiles, count goods and bads (weighted by ``sample_weight``
        when given), solve the monotone merge."""
        sv = self._validate()
        v = np.asarray(x, dtype=np.float64)
        if v.ndim != 1:
            raise InputError(f"x must be one column; got shape {v.shape}.")
        bad = _labels(y, v.size)
        return self.fit_stats(prebin_stats(v, bad, max_prebins=self.max_prebins,
                                           special_values=tuple(sv),
                                           sample_weight=sample_weight))

    def fit_stats(self, stats: PrebinStats) -> MonotoneBinner:
        """Solve on counts an engine computed (e.g. per Spark partition, then merged)."""
        sv = self._validate()
        if not np.array_equal(np.asarray(stats.special_values), sv):
            raise InputError("the statistics were counted with other special values.")
        r = stats.n_regular
        g, b = stats.goods[:r], stats.bads[:r]
        min_count = float(self.min_bin_share) * float(stats.goods.sum() + stats.bads.sum())
        trends = ["increasing", "decreasing"] if self.direction == "auto" else [self.direction]
        best: tuple[np.ndarray, float, str] | None = None
        for trend in trends:
            ends, iv = monotone_merge(g, b, trend=trend, min_count=min_count,  # type: ignore[arg-type]
                                      max_bins=int(self.max_bins))
            if best is None or iv > best[1] + 1e-12:
                best = (ends, iv, trend)
        assert best is not None
        if self.direction == "auto" and self.turns:
            best = _maybe_turn(g, b, best, min_count, int(self.max_bins))
        ends, _, trend = best
        self.direction_ = trend
        self.cuts_ = np.asarray(stats.edges, dtype=np.float64)[ends[:-1]]
        self.n_bins_ = len(ends)
        self.special_values_ = sv
        starts = np.concatenate([[0], ends[:-1] + 1])
        goods = np.concatenate([np.add.reduceat(g, starts), stats.goods[r:]])
        bads = np.concatenate([np.add.reduceat(b, starts), stats.bads[r:]])
        self._set_counts(goods, bads)
        return self

    def bin_index(self, x: object) -> np.ndarray:
        """The bin of each value (layout in the module docstring)."""
        self._check_fitted()
        v = np.asarray(x, dtype=np.float64)
        if self.cuts_.size > _FEW_CUTS or self.n_bins_ + self.special_values_.size >= 127:
            return prebin_index(v, self.cuts_, self.special_values_)
        # A few cuts: summing comparisons is branch-free SIMD work, several times faster than a
        # binary search per value (np.searchsorted) on millions of rows. NaN compares False.
        idx = np.zeros(v.shape, dtype=np.int8)
        for cut in self.cuts_:
            np.add(idx, v > cut, out=idx, casting="unsafe")
        return _place_missing_and_specials(v, idx, self.n_bins_, self.special_values_)

    def to_dict(self) -> dict[str, Any]:
        """Parameters and learned state as plain JSON values (floats round-trip exactly)."""
        self._check_fitted()
        return {"type": "numeric", "direction": self.direction, "max_bins": int(self.max_bins),
                "min_bin_share": float(self.min_bin_share), "max_prebins": int(self.max_prebins),
                "special_values": self.special_values_.tolist(), "direction_": self.direction_,
                "turns": bool(self.turns), "cuts": self.cuts_.tolist(), **self._counts_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MonotoneBinner:
        b = cls(d["direction"], max_bins=d["max_bins"], min_bin_share=d["min_bin_share"],
                max_prebins=d["max_prebins"], special_values=tuple(d["special_values"]),
                turns=bool(d.get("turns", False)))
        b.direction_ = d["direction_"]
        b.cuts_ = np.asarray(d["cuts"], dtype=np.float64)
        b.n_bins_ = len(b.cuts_) + 1
        b.special_values_ = np.asarray(d["special_values"], dtype=np.float64)
        b._load_counts(d)
        return b

    def table(self) -> pd.DataFrame:
        """Every bin: label, kind, bounds, counts, bad rate, WoE, IV and the empty flag."""
        self._check_fitted()
        lo = np.concatenate([[-np.inf], self.cuts_])
        hi = np.concatenate([self.cuts_, [np.inf]])
        labels = [f"({_fmt(a)}, {_fmt(c)}]" for a, c in zip(lo, hi, strict=True)]
        kinds = ["regular"] * self.n_bins_
        lower: list[Any] = list(lo)
        upper: list[Any] = list(hi)
        labels.append("missing")
        kinds.append("missing")
        lower.append(None)
        upper.append(None)
        for s in self.special_values_:
            labels.append(f"special {_fmt(s)}")
            kinds.append("special")
            lower.append(float(s))
            upper.append(float(s))
        return self._table(labels, kinds, lower, upper)


class CategoricalBinner(_Binner):
    """Categories grouped by bad rate into at most ``max_bins`` groups of ``min_bin_share``.

    Categories are ordered by their smoothed bad:good odds (ties by name, for determinism) and
    the same exact monotone merge as for numbers groups neighbours, so groups have strictly
    increasing bad rates. Attributes (after fit): ``groups_`` (the categories of each group),
    ``mapping_`` (category → bin), ``goods_``, ``bads_``, ``woe_``, ``empty_``, ``iv_``,
    ``n_bins_``.
    """

    def __init__(self, *, max_bins: int = 8, min_bin_share: float = 0.05) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share

    @staticmethod
    def _as_text(x: object) -> pd.Series:
        s = x if isinstance(x, pd.Series) else pd.Series(x, dtype=object)
        return s.astype("string")  # vectorised; missing stays <NA>

    def fit(self, x: object, y: object, sample_weight: object = None) -> CategoricalBinner:
        """Count goods and bads per category (weighted by ``sample_weight`` when given), pool
        the rare ones, group the rest by bad rate."""
        _check_params(self.max_bins, self.min_bin_share)
        s = self._as_text(x)
        bad = _labels(y, len(s))
        w = _weights(sample_weight, len(s))
        ones = np.ones(len(s)) if w is None else w
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        k = len(uniques)
        present = codes >= 0
        n_cat = np.bincount(codes[present], weights=ones[present], minlength=k)
        b_cat = np.bincount(codes[present & bad], weights=ones[present & bad], minlength=k)
        g_cat = n_cat - b_cat
        names = np.asarray(pd.Index(uniques).astype(object), dtype=object)  # str, no per-level loop
        miss_b = float(np.sum(ones[bad & ~present]))
        miss_g = float(np.sum(ones[~present])) - miss_b
        return self._group(names, g_cat, b_cat, miss_g, miss_b)

    def fit_counts(self, counts: ColumnCounts) -> CategoricalBinner:
        """The grouping :meth:`fit` finds, from per-level counts an engine summed
        (:class:`~benne.binning.ColumnCounts` of a text column): the same pooling of rare
        levels and the same grouping, so whole counts give the same bins as the rows."""
        _check_params(self.max_bins, self.min_bin_share)
        names = np.asarray([str(u) for u in counts.values], dtype=object)
        return self._group(names, counts.goods.astype(np.float64),
                           counts.bads.astype(np.float64), float(counts.missing_goods),
                           float(counts.missing_bads))

    def _group(self, names: np.ndarray, g_cat: np.ndarray, b_cat: np.ndarray, miss_g: float,
               miss_b: float) -> CategoricalBinner:
        """Pool the rare levels and group the rest by bad rate, from per-level counts (the
        one solver of :meth:`fit` and :meth:`fit_counts`)."""
        n_cat = g_cat + b_cat
        total = float(n_cat.sum()) + miss_g + miss_b
        min_count = float(self.min_bin_share) * total
        rare = n_cat < _rare_limit(total, min_count)
        common = np.flatnonzero(~rare)
        # the pooled rare levels take part in the grouping as one pseudo-level, last in ties
        pool = bool(rare.any())
        gg = np.concatenate([g_cat[common], [g_cat[rare].sum()] if pool else []])
        bb = np.concatenate([b_cat[common], [b_cat[rare].sum()] if pool else []])
        ties = np.concatenate([names[common], ["\uffff"] if pool else []]).astype(str)
        groups = _group_by_rate(gg, bb, ties, min_count, int(self.max_bins))
        self.groups_ = [sorted(names[common[grp[grp < common.size]]].tolist()) for grp in groups]
        self.rare_bin_ = next((i for i, grp in enumerate(groups) if (grp == common.size).any()),
                              None) if pool else None
        self.mapping_ = {c: i for i, grp in enumerate(self.groups_) for c in grp}
        self.n_bins_ = len(self.groups_)
        goods = np.array([gg[grp].sum() for grp in groups] + [miss_g, 0.0])
        bads = np.array([bb[grp].sum() for grp in groups] + [miss_b, 0.0])
        self._set_counts(goods, bads)
        return self

    def bin_index(self, x: object) -> np.ndarray:
        """The group of each value; ``n_bins_`` for missing, ``n_bins_ + 1`` for unseen. A
        category seen too rarely in training to stand alone is in the group of the pooled rare
        categories, and so is a new one when such a pool exists (new is rare)."""
        self._check_fitted()
        s = self._as_text(x)
        idx = s.map(self.mapping_).to_numpy(dtype=np.float64, na_value=np.nan)
        other = self.n_bins_ + 1 if self.rare_bin_ is None else self.rare_bin_
        out = np.where(np.isnan(idx), other, idx).astype(np.int64)
        out[s.isna().to_numpy()] = self.n_bins_
        return out

    def to_dict(self) -> dict[str, Any]:
        """Parameters and learned state as plain JSON values."""
        self._check_fitted()
        out = {"type": "categorical", "max_bins": int(self.max_bins),
               "min_bin_share": float(self.min_bin_share), "groups": self.groups_,
               **self._counts_dict()}
        if self.rare_bin_ is not None:
            out["rare_bin"] = int(self.rare_bin_)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CategoricalBinner:
        b = cls(max_bins=d["max_bins"], min_bin_share=d["min_bin_share"])
        b.groups_ = [list(g) for g in d["groups"]]
        b.rare_bin_ = d.get("rare_bin")
        b.mapping_ = {c: i for i, grp in enumerate(b.groups_) for c in grp}
        b.n_bins_ = len(b.groups_)
        b._load_counts(d)
        return b

    def table(self) -> pd.DataFrame:
        """Every group: label (its categories), kind, counts, bad rate, WoE, IV, empty flag."""
        self._check_fitted()
        labels = [", ".join(g + (["(rare)"] if i == self.rare_bin_ else []))
                  for i, g in enumerate(self.groups_)] + ["missing", "unseen"]
        kinds = ["regular"] * self.n_bins_ + ["missing", "unseen"]
        none = [None] * len(labels)
        return self._table(labels, kinds, none, none)


class CodeBinner(_Binner):
    """A numeric column of a few codes (a status, a count of months) grouped by bad rate.

    Used where the risk direction is not given and the column holds few distinct integers:
    there the values are states rather than amounts (the Taiwan repayment status mixes "paid in
    full" −1 and "no use" −2 with months of delay), so the order of the values need not be the
    order of risk. Codes are grouped exactly as :class:`CategoricalBinner` groups categories,
    but they stay numbers: no text conversion when scoring, and ``2`` and ``2.0`` are one code.

    Bin layout: the groups in increasing bad rate, ``missing``, one bin per special value, then
    ``unseen`` (a code not seen in training; neutral WoE 0). Attributes (after fit): ``groups_``
    (the codes of each group), ``codes_`` (sorted codes), ``code_bin_`` (bin of each code),
    ``special_values_``, ``goods_``, ``bads_``, ``woe_``, ``empty_``, ``iv_``, ``n_bins_``.
    """

    def __init__(self, *, max_bins: int = 8, min_bin_share: float = 0.05,
                 special_values: Sequence[float] = ()) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.special_values = special_values

    def fit(self, x: object, y: object, sample_weight: object = None) -> CodeBinner:
        """Count goods and bads per code (weighted by ``sample_weight`` when given) and group
        the codes by bad rate."""
        _check_params(self.max_bins, self.min_bin_share)
        sv = np.asarray(list(self.special_values), dtype=np.float64)
        v = np.asarray(x, dtype=np.float64)
        bad = _labels(y, v.size)
        w = _weights(sample_weight, v.size)
        ones = np.ones(v.size) if w is None else w
        missing = np.isnan(v)
        special = np.isin(v, sv)
        regular = ~missing & ~special
        codes, inverse = np.unique(v[regular], return_inverse=True)
        n_code = np.bincount(inverse, weights=ones[regular], minlength=codes.size)
        b_code = np.bincount(inverse, weights=(ones * bad)[regular], minlength=codes.size)
        g_code = n_code - b_code
        groups = _group_by_rate(g_code, b_code, codes, float(self.min_bin_share) * ones.sum(),
                                int(self.max_bins))
        extra = [missing] + [v == s for s in sv]
        return self._adopt(codes, g_code, b_code, groups, sv,
                           [float(np.sum(ones[m & ~bad])) for m in extra],
                           [float(np.sum(ones[m & bad])) for m in extra])

    def _adopt(self, codes: np.ndarray, g_code: np.ndarray, b_code: np.ndarray,
               groups: list[np.ndarray], sv: np.ndarray, extra_goods: list[float],
               extra_bads: list[float]) -> CodeBinner:
        """Keep a grouping of ``codes`` and the bins' counts: the groups', then the missing
        and each special value's (``extra_*``), then the empty unseen bin."""
        self.groups_ = [sorted(codes[grp].tolist()) for grp in groups]
        self.codes_ = codes
        self.code_bin_ = np.empty(codes.size, dtype=np.int64)
        for i, grp in enumerate(groups):
            self.code_bin_[grp] = i
        self.n_bins_ = len(groups)
        self.special_values_ = sv
        self._set_counts(np.array([g_code[grp].sum() for grp in groups] + extra_goods + [0.0]),
                         np.array([b_code[grp].sum() for grp in groups] + extra_bads + [0.0]))
        return self

    def fit_counts(self, counts: ColumnCounts) -> CodeBinner:
        """The grouping :meth:`fit` finds, from per-code counts an engine summed
        (:class:`~benne.binning.ColumnCounts` of a numeric column)."""
        _check_params(self.max_bins, self.min_bin_share)
        sv = np.asarray(list(self.special_values), dtype=np.float64)
        v = np.asarray(counts.values, dtype=np.float64)
        g_all = counts.goods.astype(np.float64)
        b_all = counts.bads.astype(np.float64)
        special = np.isin(v, sv)
        codes = v[~special]
        g_code, b_code = g_all[~special], b_all[~special]
        total = float(g_all.sum() + b_all.sum()) + counts.missing_goods + counts.missing_bads
        groups = _group_by_rate(g_code, b_code, codes, float(self.min_bin_share) * total,
                                int(self.max_bins))
        return self._adopt(codes, g_code, b_code, groups, sv,
                           [float(counts.missing_goods)] + [float(g_all[v == s].sum()) for s in sv],
                           [float(counts.missing_bads)] + [float(b_all[v == s].sum()) for s in sv])

    def bin_index(self, x: object) -> np.ndarray:
        """The bin of each value (layout in the class docstring)."""
        self._check_fitted()
        v = np.asarray(x, dtype=np.float64)
        unseen = self.n_bins_ + 1 + self.special_values_.size
        small = np.int8 if unseen < 127 else np.int64
        if self.codes_.size == 0:
            return self._specials(v, np.full(v.shape, unseen, dtype=small))
        if self.codes_.size > _FEW_CUTS:
            pos = np.minimum(np.searchsorted(self.codes_, v), self.codes_.size - 1)
        else:  # as in MonotoneBinner: summed comparisons beat a binary search per value
            pos = np.zeros(v.shape, dtype=np.int8)
            for code in self.codes_[:-1]:
                np.add(pos, v > code, out=pos, casting="unsafe")
            pos = pos.astype(np.intp)
        idx = np.take(self.code_bin_.astype(small), pos)
        np.putmask(idx, np.take(self.codes_, pos) != v, unseen)
        return self._specials(v, idx)

    def _specials(self, v: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return _place_missing_and_specials(v, idx, self.n_bins_, self.special_values_)

    def to_dict(self) -> dict[str, Any]:
        """Parameters and learned state as plain JSON values."""
        self._check_fitted()
        return {"type": "codes", "max_bins": int(self.max_bins),
                "min_bin_share": float(self.min_bin_share),
                "special_values": self.special_values_.tolist(), "groups": self.groups_,
                **self._counts_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CodeBinner:
        b = cls(max_bins=d["max_bins"], min_bin_share=d["min_bin_share"],
                special_values=tuple(d["special_values"]))
        b.groups_ = [[float(c) for c in g] for g in d["groups"]]
        pairs = sorted((c, i) for i, g in enumerate(b.groups_) for c in g)
        b.codes_ = np.array([c for c, _ in pairs], dtype=np.float64)
        b.code_bin_ = np.array([i for _, i in pairs], dtype=np.int64)
        b.n_bins_ = len(b.groups_)
        b.special_values_ = np.asarray(d["special_values"], dtype=np.float64)
        b._load_counts(d)
        return b

    def table(self) -> pd.DataFrame:
        """Every group: label (its codes), kind, counts, bad rate, WoE, IV, empty flag."""
        self._check_fitted()
        labels = [", ".join(_fmt(c) for c in g) for g in self.groups_] + ["missing"]
        kinds = ["regular"] * self.n_bins_ + ["missing"]
        labels += [f"special {_fmt(s)}" for s in self.special_values_] + ["unseen"]
        kinds += ["special"] * self.special_values_.size + ["unseen"]
        none = [None] * len(labels)
        return self._table(labels, kinds, none, none)


def _place_missing_and_specials(
    v: np.ndarray, idx: np.ndarray, n_bins: int, special_values: np.ndarray
) -> np.ndarray:
    """Missing values into bin ``n_bins``, special value *i* into ``n_bins + 1 + i`` (in place)."""
    np.putmask(idx, np.isnan(v), n_bins)
    for i, special in enumerate(special_values):
        np.putmask(idx, v == special, n_bins + 1 + i)
    return idx

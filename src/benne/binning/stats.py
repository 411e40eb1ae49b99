"""Pre-bin statistics: counts of goods and bads per pre-bin, mergeable across samples.

Binning works on counts, never on rows. A column is first cut into fine *pre-bins* (up to
``max_prebins`` quantile intervals), plus one bin for missing values and one bin per declared
special value (e.g. ``-7``, ``-8``, ``-9``). The only thing the solver needs is how many goods
and bads fall in each of those bins, so:

- the counts of two samples cut on the same edges add up to the counts of their union
  (``stats(a).merge(stats(b)) == stats(a ∪ b)``), which is what lets an engine (DuckDB, Spark)
  count per partition and hand Python a few hundred integers instead of millions of rows;
- the counting itself is one ``np.searchsorted`` and two ``np.bincount`` per column, linear in
  the rows with no Python loop over them.

Layout of the count vectors (``goods``, ``bads``): ``[regular pre-bins..., missing,
special_1, special_2, ...]``. Pre-bin ``i`` holds the values in ``(edges[i-1], edges[i]]``
(right-closed, the first open to -inf, the last to +inf).

Counting on an engine (:class:`ColumnCounts`): the finest mergeable statistic of a column is
its good/bad count per *distinct value* (missing counted apart), which any engine computes with
one grouped aggregation. Everything binning needs follows from it in Python, identically
whichever engine counted: the pre-bin edges are the same inverted-CDF quantiles
:func:`quantile_edges` takes on the rows (each distinct value weighted by its row count, which
picks the very same values), the :class:`PrebinStats` on those edges, a categorical column's
per-level counts and a code column's per-code counts. This is the one definition of the
pre-bin edges shared by every engine: exact quantiles of the column, from its value counts.
What crosses from the engine is one row per distinct value of each column, not one per person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benne.exceptions import InputError, InvalidValueError

__all__ = ["ColumnCounts", "PrebinStats", "prebin_index", "prebin_stats", "quantile_edges"]


def _as_float(x: object) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _regular_mask(v: np.ndarray, special_values: np.ndarray) -> np.ndarray:
    keep = ~np.isnan(v)
    for s in special_values:  # a few codes: one comparison each beats np.isin's sort
        keep &= v != s
    return keep


def _edges_of_sorted(r: np.ndarray, max_prebins: int,
                     cum_w: np.ndarray | None = None) -> np.ndarray:
    """Inverted-CDF quantile cuts of sorted values ``r``; ``cum_w`` the cumulative weights of
    the sorted values when rows carry weights (a weight of 2 counts as two rows)."""
    if r.size == 0:
        return np.empty(0, dtype=np.float64)
    q = np.linspace(0.0, 1.0, max_prebins + 1)[1:-1]
    # the inverted-CDF quantile: the smallest value whose empirical CDF reaches q
    if cum_w is None:
        pos = np.clip(np.ceil(q * r.size).astype(np.int64) - 1, 0, r.size - 1)
    else:
        pos = np.minimum(np.searchsorted(cum_w, q * cum_w[-1], side="left"), r.size - 1)
    cuts = np.unique(r[pos])
    # the largest value never needs a cut: everything above the last cut is the last pre-bin
    return cuts[cuts < r[-1]]


def quantile_edges(
    x: object, max_prebins: int = 50, special_values: Sequence[float] = ()
) -> np.ndarray:
    """Interior cut points of up to ``max_prebins`` equal-frequency pre-bins.

    The cuts are values that occur in the data (inverted-CDF quantiles), so a discrete
    column (a count, a code) gets cuts exactly on its values; ties collapse, so a column with
    few distinct values gets fewer pre-bins. Missing and special values take no part.
    """
    v = _as_float(x)
    r = np.sort(v[_regular_mask(v, _as_float(list(special_values)))])
    return _edges_of_sorted(r, max_prebins)


def _weights(sample_weight: object, n: int) -> np.ndarray | None:
    """Validated non-negative row weights, or None for unweighted rows."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise InvalidValueError(
            f"sample_weight must have one value per row ({n}); got shape {w.shape}",
            fix="pass one weight per training row")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InvalidValueError("sample_weight must be finite and >= 0",
                                fix="replace negative or missing weights")
    if n and not w.sum() > 0:
        raise InvalidValueError("sample_weight sums to zero: no row would count",
                                fix="give some rows a positive weight")
    return w


def prebin_index(
    x: np.ndarray, edges: np.ndarray, special_values: np.ndarray
) -> np.ndarray:
    """Index of every value in the count layout: regular pre-bin, missing or special."""
    n_regular = len(edges) + 1
    idx = np.searchsorted(edges, x, side="left")
    nan = np.isnan(x)
    idx[nan] = n_regular
    if special_values.size:
        order = np.argsort(special_values)
        sorted_sv = special_values[order]
        pos = np.searchsorted(sorted_sv, x)
        pos_c = np.minimum(pos, sorted_sv.size - 1)
        is_special = (sorted_sv[pos_c] == x) & ~nan
        idx[is_special] = n_regular + 1 + order[pos_c[is_special]]
    return idx


@dataclass(frozen=True, eq=False)
class PrebinStats:
    """Good and bad counts per pre-bin of one numeric column, on fixed edges.

    ``edges`` are the interior cuts, ``special_values`` the declared codes in declaration
    order; ``goods``/``bads`` follow the layout in the module docstring.
    """

    edges: np.ndarray
    special_values: np.ndarray
    goods: np.ndarray
    bads: np.ndarray

    @classmethod
    def empty(cls, edges: object, special_values: Sequence[float] = ()) -> PrebinStats:
        e = _as_float(edges)
        sv = _as_float(list(special_values))
        size = len(e) + 2 + len(sv)
        return cls(e, sv, np.zeros(size, np.int64), np.zeros(size, np.int64))

    @property
    def n_regular(self) -> int:
        return len(self.edges) + 1

    @property
    def missing_index(self) -> int:
        return self.n_regular

    def add(self, x: object, y: object, sample_weight: object = None) -> PrebinStats:
        """These counts plus the counts of rows ``x`` (values) with labels ``y`` (1 = bad);
        with ``sample_weight`` each row counts its weight."""
        v = _as_float(x)
        t = np.asarray(y)
        if v.shape != t.shape:
            raise InputError(f"x and y must have the same length; got {v.shape} and {t.shape}",
                             fix="pass one label per value")
        w = _weights(sample_weight, v.size)
        idx = prebin_index(v, self.edges, self.special_values)
        size = self.goods.size
        bad = t.astype(bool)
        total = np.bincount(idx, weights=w, minlength=size)
        bads = np.bincount(idx[bad], weights=None if w is None else w[bad], minlength=size)
        return PrebinStats(self.edges, self.special_values,
                           self.goods + (total - bads), self.bads + bads)

    def merge(self, other: PrebinStats) -> PrebinStats:
        """Counts of both samples; the edges and special values must be the same."""
        if not (np.array_equal(self.edges, other.edges)
                and np.array_equal(self.special_values, other.special_values)):
            raise InputError("can only merge statistics computed on the same edges and "
                             "special values",
                             fix="count every part on the edges of one PrebinStats.empty(...)")
        return PrebinStats(self.edges, self.special_values,
                           self.goods + other.goods, self.bads + other.bads)

    __add__ = merge

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, PrebinStats)
                and np.array_equal(self.edges, other.edges)
                and np.array_equal(self.special_values, other.special_values)
                and np.array_equal(self.goods, other.goods)
                and np.array_equal(self.bads, other.bads))

    __hash__ = None  # type: ignore[assignment]


def prebin_stats(
    x: object, y: object, *, max_prebins: int = 50, special_values: Sequence[float] = (),
    sample_weight: object = None,
) -> PrebinStats:
    """Quantile edges of ``x`` and the good/bad counts on them, in one pass over sorted values.

    Equal to ``PrebinStats.empty(quantile_edges(x, ...), ...).add(x, y)``, but one sort gives
    both the quantiles and the counts: the rows at most ``edge`` are ``searchsorted`` of the
    edges in the sorted values, so no per-row binary search is needed (the single-machine
    fast path; engines use :meth:`PrebinStats.add` per partition). With ``sample_weight`` the
    quantiles and the counts are weighted (integer weights equal repeated rows).
    """
    v = _as_float(x)
    bad = np.asarray(y).astype(bool)
    sv = _as_float(list(special_values))
    w = _weights(sample_weight, v.size)
    if w is not None:
        return _weighted_prebin_stats(v, bad, w, max_prebins, sv)
    regular = _regular_mask(v, sv)
    r = np.sort(v[regular])
    edges = _edges_of_sorted(r, max_prebins)
    rb = np.sort(v[regular & bad])

    def counts(sorted_values: np.ndarray) -> np.ndarray:
        upto = np.searchsorted(sorted_values, edges, side="right")
        return np.diff(np.concatenate([[0], upto, [sorted_values.size]]))

    nan = np.isnan(v)
    total_other = [int(nan.sum())] + [int(np.sum(v == s)) for s in sv]
    bads_other = [int(np.sum(nan & bad))] + [int(np.sum((v == s) & bad)) for s in sv]
    total = np.concatenate([counts(r), total_other]).astype(np.int64)
    bads = np.concatenate([counts(rb), bads_other]).astype(np.int64)
    return PrebinStats(edges, sv, total - bads, bads)


def _weighted_prebin_stats(v: np.ndarray, bad: np.ndarray, w: np.ndarray, max_prebins: int,
                           sv: np.ndarray) -> PrebinStats:
    regular = _regular_mask(v, sv) & (w > 0)
    order = np.argsort(v[regular], kind="stable")
    r = v[regular][order]
    cum_w = np.cumsum(w[regular][order])
    edges = _edges_of_sorted(r, max_prebins, cum_w)
    stats = PrebinStats.empty(edges, tuple(sv))
    goods = stats.goods.astype(np.float64)
    return PrebinStats(edges, sv, goods, goods.copy()).add(v, bad, w)


@dataclass(frozen=True, eq=False)
class ColumnCounts:
    """Good and bad counts per distinct value of one column (the engines' statistic).

    ``values`` are the distinct non-missing values (float64, or text when ``text``), sorted;
    ``goods``/``bads`` their counts; ``missing_goods``/``missing_bads`` the missing rows'.
    Counts of two samples merge into the counts of their union (:meth:`merge`), whatever the
    order the parts came in.
    """

    values: np.ndarray
    goods: np.ndarray
    bads: np.ndarray
    missing_goods: int = 0
    missing_bads: int = 0
    text: bool = False

    @classmethod
    def build(cls, values: object, goods: object, bads: object, missing_goods: int = 0,
              missing_bads: int = 0, *, text: bool = False) -> ColumnCounts:
        """Counts per value in any order, duplicates summed, values sorted."""
        v = np.asarray(values, dtype=object if text else np.float64)
        g = np.asarray(goods, dtype=np.int64)
        b = np.asarray(bads, dtype=np.int64)
        if not (v.shape == g.shape == b.shape) or v.ndim != 1:
            raise InputError("values, goods and bads must be three columns of one length",
                             fix="give one good count and one bad count per value")
        if text:
            v = np.asarray([str(x) for x in v], dtype=object)
        elif np.isnan(v).any():
            raise InputError("missing values are counted apart, not as a value",
                             fix="pass the missing rows' counts as missing_goods/missing_bads")
        uniq, inverse = np.unique(v.astype(str) if text else v, return_inverse=True)
        out_v = uniq.astype(object) if text else uniq
        return cls(out_v, np.bincount(inverse, weights=g, minlength=uniq.size).astype(np.int64),
                   np.bincount(inverse, weights=b, minlength=uniq.size).astype(np.int64),
                   int(missing_goods), int(missing_bads), text)

    @classmethod
    def of(cls, x: object, y: object) -> ColumnCounts:
        """Counts of rows ``x`` with labels ``y`` (1 = bad): text when ``x`` holds text."""
        import pandas as pd
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        s = x if isinstance(x, pd.Series) else pd.Series(x)
        bad = np.asarray(y).astype(bool)
        if s.shape[0] != bad.size:
            raise InputError(f"x and y must have the same length; got {s.shape[0]} and "
                             f"{bad.size}", fix="pass one label per value")
        text = not (is_numeric_dtype(s) or is_bool_dtype(s))
        if text:
            present = s.notna().to_numpy()
            codes, uniq = pd.factorize(s[present].astype(str), sort=True)
            values: np.ndarray = np.asarray(uniq, dtype=object)
        else:
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            present = ~np.isnan(v)
            values, codes = np.unique(v[present], return_inverse=True)
        k = len(values)
        total = np.bincount(codes, minlength=k)
        bads = np.bincount(codes[bad[present]], minlength=k)
        miss_b = int(np.sum(bad & ~present))
        return cls.build(values, total - bads, bads, int(np.sum(~present)) - miss_b, miss_b,
                         text=text)

    @property
    def rows(self) -> int:
        return int(self.goods.sum() + self.bads.sum() + self.missing_goods + self.missing_bads)

    def merge(self, other: ColumnCounts) -> ColumnCounts:
        """Counts of both samples."""
        if self.text != other.text:
            raise InputError("cannot merge the counts of a text column with a numeric one's",
                             fix="count every part of a column with one type")
        return ColumnCounts.build(np.concatenate([self.values, other.values]),
                                  np.concatenate([self.goods, other.goods]),
                                  np.concatenate([self.bads, other.bads]),
                                  self.missing_goods + other.missing_goods,
                                  self.missing_bads + other.missing_bads, text=self.text)

    __add__ = merge

    def prebin_stats(self, max_prebins: int = 50,
                     special_values: Sequence[float] = ()) -> PrebinStats:
        """The pre-bin counts :func:`prebin_stats` gives on the rows: the same quantile edges
        (each value weighted by its rows) and the counts on them."""
        if self.text:
            raise InputError("a text column has levels, not pre-bins",
                             fix="bin it as a category")
        sv = _as_float(list(special_values))
        regular = _regular_mask(self.values, sv)
        r = self.values[regular]
        cum = np.cumsum((self.goods + self.bads)[regular]).astype(np.float64)
        edges = _edges_of_sorted(r, max_prebins, cum if r.size else None)
        idx = prebin_index(self.values, edges, sv)
        size = len(edges) + 2 + sv.size
        goods = np.bincount(idx, weights=self.goods, minlength=size).astype(np.int64)
        bads = np.bincount(idx, weights=self.bads, minlength=size).astype(np.int64)
        goods[len(edges) + 1] += self.missing_goods
        bads[len(edges) + 1] += self.missing_bads
        return PrebinStats(edges, sv, goods, bads)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ColumnCounts) and self.text == other.text
                and np.array_equal(self.values, other.values)
                and np.array_equal(self.goods, other.goods)
                and np.array_equal(self.bads, other.bads)
                and (self.missing_goods, self.missing_bads)
                == (other.missing_goods, other.missing_bads))

    __hash__ = None  # type: ignore[assignment]

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PrebinStats", "prebin_index", "prebin_stats", "quantile_edges"]


def _as_float(x: object) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def quantile_edges(
    x: object, max_prebins: int = 50, special_values: Sequence[float] = ()
) -> np.ndarray:
    """Interior cut points of up to ``max_prebins`` equal-frequency pre-bins.

    The cuts are values that occur in the data (``inverted_cdf`` quantiles), so a discrete
    column (a count, a code) gets cuts exactly on its values; ties collapse, so a column with
    few distinct values gets fewer pre-bins. Missing and special values take no part.
    """
    v = _as_float(x)
    keep = ~np.isnan(v)
    if len(special_values):
        keep &= ~np.isin(v, _as_float(list(special_values)))
    v = v[keep]
    if v.size == 0:
        return np.empty(0, dtype=np.float64)
    q = np.linspace(0.0, 1.0, max_prebins + 1)[1:-1]
    cuts = np.unique(np.quantile(v, q, method="inverted_cdf"))
    # the largest value never needs a cut: everything above the last cut is the last pre-bin
    return cuts[cuts < v.max()]


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

    def add(self, x: object, y: object) -> PrebinStats:
        """These counts plus the counts of rows ``x`` (values) with labels ``y`` (1 = bad)."""
        v = _as_float(x)
        t = np.asarray(y)
        if v.shape != t.shape:
            raise ValueError(f"x and y must have the same length; got {v.shape} and {t.shape}.")
        idx = prebin_index(v, self.edges, self.special_values)
        size = self.goods.size
        bad = t.astype(bool)
        total = np.bincount(idx, minlength=size)
        bads = np.bincount(idx[bad], minlength=size)
        return PrebinStats(self.edges, self.special_values,
                           self.goods + (total - bads), self.bads + bads)

    def merge(self, other: PrebinStats) -> PrebinStats:
        """Counts of both samples; the edges and special values must be the same."""
        if not (np.array_equal(self.edges, other.edges)
                and np.array_equal(self.special_values, other.special_values)):
            raise ValueError("can only merge statistics computed on the same edges and specials.")
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
    x: object, y: object, *, max_prebins: int = 50, special_values: Sequence[float] = ()
) -> PrebinStats:
    """Quantile edges of ``x`` and the good/bad counts on them, in one call."""
    edges = quantile_edges(x, max_prebins, special_values)
    return PrebinStats.empty(edges, special_values).add(x, y)

"""``BinningProcess``: every column of a table binned at once, as a scikit-learn transformer.

Each column gets the binner its content calls for:

- text (or a column named in ``categorical_features``): :class:`CategoricalBinner`;
- numbers whose risk direction is not given and which hold at most ``max_codes`` distinct
  integers (states such as a repayment status, not amounts): :class:`CodeBinner`;
- other numbers: :class:`MonotoneBinner` in the column's direction (``directions``; ``"auto"``
  when not given, which also tries a peak or a valley shape when the data demands one).

``fit(X, y)`` counts goods and bads per pre-bin from the rows; ``fit_stats`` takes the same
counts already summed elsewhere (an engine's partitions, merged with
:meth:`~benne.binning.PrebinStats.merge`): both hand the counts to the same solver, so the two
give the same bins for the same counts. ``transform`` gives each value's WoE
(``output="woe"``) or its bin index (``output="indices"``; the layouts are in
:mod:`benne.binning.binner`).

The target may be any two labels: the second in sorted order is "bad" (for 0/1, 1 is bad).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from benne.binning.binner import CategoricalBinner, CodeBinner, MonotoneBinner
from benne.binning.kinds import as_frame, binary_target, column_kind
from benne.binning.kinds import numbers as _numbers
from benne.binning.stats import ColumnCounts, PrebinStats, _weights
from benne.exceptions import InvalidValueError

__all__ = ["BinningProcess"]


def _level_name(v: object) -> str:
    """A number's text as a category, as pandas writes it (``2.0`` -> ``"2.0"``)."""
    return str(v)

Binner = MonotoneBinner | CategoricalBinner | CodeBinner
_DIRECTIONS = ("increasing", "decreasing", "auto")


class BinningProcess(TransformerMixin, BaseEstimator):
    """Bin every column of ``X`` (numeric and categorical) and transform to WoE or bin indices.

    Parameters
    ----------
    max_bins : int, default 10
        Most regular bins per column (missing and special bins come on top).
    min_bin_share : float, default 0.05
        Least share of the (weighted) training rows in each regular bin.
    max_prebins : int, default 100
        Quantile pre-bins of a numeric column the exact solver merges.
    special_values : sequence of float, default ()
        Codes that are not values (e.g. -7 refused); each gets its own bin in numeric columns.
    categorical_features : sequence of str, optional
        Columns to bin as categories even if they hold numbers.
    directions : mapping of column -> "increasing" | "decreasing" | "auto", optional
        How risk moves with a numeric column's value (``"increasing"`` = higher is riskier);
        ``"auto"`` (every column not named) lets the data choose.
    max_codes : int, default 12
        A numeric column with direction ``"auto"`` and at most this many distinct integers is
        binned as codes (grouped by bad rate); 0 turns that off.
    turns : bool, default True
        Numeric columns with direction ``"auto"`` may take a peak or valley shape when the data
        demand it (see :class:`MonotoneBinner`); False keeps every column monotone.
    output : "woe" or "indices", default "woe"
        What :meth:`transform` returns.

    Attributes
    ----------
    binners_ : list of fitted binners, one per column of ``X``
    kinds_ : list of str, ``"numeric"``, ``"codes"`` or ``"categorical"`` per column
    iv_ : ndarray, the information value of each column's binning
    classes_ : ndarray, the two target labels (the second is bad)
    n_features_in_, feature_names_in_ : as in scikit-learn (the names when ``X`` had them)
    """

    def __init__(self, *, max_bins: int = 10, min_bin_share: float = 0.05,
                 max_prebins: int = 100, special_values: Sequence[float] = (),
                 categorical_features: Sequence[str] | None = None,
                 directions: Mapping[str, str] | None = None, max_codes: int = 12,
                 turns: bool = True, output: str = "woe") -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.max_prebins = max_prebins
        self.special_values = special_values
        self.categorical_features = categorical_features
        self.directions = directions
        self.max_codes = max_codes
        self.turns = turns
        self.output = output

    # ---- parameters -------------------------------------------------------------------------
    def _check_params(self) -> None:
        def bad(name: str, want: str) -> InvalidValueError:
            return InvalidValueError(f"{name} must be {want}; got {getattr(self, name)!r}",
                                     where=f"BinningProcess({name}=...)",
                                     fix=f"pass {name} as {want}")

        if not (isinstance(self.max_bins, int | np.integer) and self.max_bins >= 1):
            raise bad("max_bins", "an integer >= 1")
        if not (isinstance(self.min_bin_share, float | int) and 0 <= self.min_bin_share < 0.5):
            raise bad("min_bin_share", "a number in [0, 0.5)")
        if not (isinstance(self.max_prebins, int | np.integer) and self.max_prebins >= 2):
            raise bad("max_prebins", "an integer >= 2")
        if not (isinstance(self.max_codes, int | np.integer) and self.max_codes >= 0):
            raise bad("max_codes", "an integer >= 0")
        if self.output not in ("woe", "indices"):
            raise bad("output", "'woe' or 'indices'")
        try:
            sv = np.asarray(list(self.special_values), dtype=np.float64)
        except (TypeError, ValueError):
            raise bad("special_values", "a list of numbers") from None
        if np.isnan(sv).any() or np.unique(sv).size != sv.size:
            raise bad("special_values", "distinct numbers")
        for name, d in dict(self.directions or {}).items():
            if d not in _DIRECTIONS:
                raise InvalidValueError(
                    f"the direction of {name!r} must be one of {', '.join(_DIRECTIONS)}; "
                    f"got {d!r}", where="BinningProcess(directions=...)",
                    fix="use 'increasing' (higher is riskier), 'decreasing' or 'auto'")

    def _make_binner(self, kind: str, direction: str) -> Binner:
        sv = tuple(float(v) for v in self.special_values)
        if kind == "categorical":
            return CategoricalBinner(max_bins=int(self.max_bins),
                                     min_bin_share=float(self.min_bin_share))
        if kind == "codes":
            return CodeBinner(max_bins=int(self.max_bins),
                              min_bin_share=float(self.min_bin_share), special_values=sv)
        return MonotoneBinner(direction, max_bins=int(self.max_bins),
                              min_bin_share=float(self.min_bin_share),
                              max_prebins=int(self.max_prebins), special_values=sv,
                              turns=bool(self.turns))

    # ---- fitting ----------------------------------------------------------------------------
    def fit(self, X: object, y: object, sample_weight: object = None) -> BinningProcess:
        """Bin every column of ``X`` against the two-class target ``y``."""
        self._check_params()
        frame = as_frame(self, X, reset=True)
        bad = binary_target(self, y, len(frame)).astype(np.int8)
        w = _weights(sample_weight, len(frame))
        names = [str(c) for c in frame.columns]
        self._check_names(names)
        cats = set(self.categorical_features or ())
        directions = dict(self.directions or {})
        self.kinds_ = [column_kind(frame[c], directions.get(c, "auto"), int(self.max_codes),
                                   c in cats) for c in names]
        self.binners_ = []
        for c, kind in zip(names, self.kinds_, strict=True):
            binner = self._make_binner(kind, directions.get(c, "auto"))
            col = frame[c]
            values = col if kind == "categorical" else _numbers(col, c)
            self.binners_.append(binner.fit(values, bad, sample_weight=w))
        self.iv_ = np.array([b.iv_ for b in self.binners_])
        self.columns_ = names
        return self

    def _check_names(self, names: list[str]) -> None:
        unknown = [c for c in list(self.categorical_features or ())
                   + list(dict(self.directions or {})) if c not in names]
        if unknown:
            raise InvalidValueError(f"columns named in the parameters are not in X: {unknown}",
                                    where="BinningProcess(categorical_features/directions)",
                                    fix="name columns of the data")

    def fit_stats(self, stats: Mapping[str, PrebinStats]) -> BinningProcess:
        """Bin numeric columns from per-pre-bin counts summed elsewhere (one entry per column,
        in column order), with the same solver :meth:`fit` uses on rows."""
        self._check_params()
        names = [str(c) for c in stats]
        self._check_names(names)
        directions = dict(self.directions or {})
        self.binners_ = []
        for c in names:
            b = self._make_binner("numeric", directions.get(c, "auto"))
            assert isinstance(b, MonotoneBinner)
            self.binners_.append(b.fit_stats(stats[c]))
        self.kinds_ = ["numeric"] * len(names)
        return self._fitted_from_counts(names)

    def fit_counts(self, counts: Mapping[str, ColumnCounts]) -> BinningProcess:
        """Bin every column from its per-value good/bad counts (one entry per column, in
        column order), as an engine sums them: the kind of each column is decided as
        :meth:`fit` decides it on the rows (text or named categorical: categories; numbers
        with direction ``"auto"`` and at most ``max_codes`` distinct integers: codes; other
        numbers: monotone on the quantile pre-bins of :meth:`ColumnCounts.prebin_stats`), so
        whole counts give the bins :meth:`fit` gives on the rows they count."""
        self._check_params()
        names = [str(c) for c in counts]
        self._check_names(names)
        cats = set(self.categorical_features or ())
        directions = dict(self.directions or {})
        self.binners_ = []
        self.kinds_ = []
        for c in names:
            cc = counts[c]
            direction = directions.get(c, "auto")
            if cc.text or c in cats:
                kind = "categorical"
                if not cc.text:
                    cc = ColumnCounts.build([_level_name(v) for v in cc.values], cc.goods,
                                            cc.bads, cc.missing_goods, cc.missing_bads, text=True)
            elif (direction == "auto" and self.max_codes > 0
                  and 0 < cc.values.size <= self.max_codes
                  and bool(np.all(cc.values == np.rint(cc.values)))):
                kind = "codes"
            else:
                kind = "numeric"
            b = self._make_binner(kind, direction)
            if isinstance(b, MonotoneBinner):
                b.fit_stats(cc.prebin_stats(int(self.max_prebins),
                                            tuple(float(v) for v in self.special_values)))
            else:
                b.fit_counts(cc)
            self.binners_.append(b)
            self.kinds_.append(kind)
        return self._fitted_from_counts(names)

    def _fitted_from_counts(self, names: list[str]) -> BinningProcess:
        """The learned attributes :meth:`fit` takes from the rows, for a fit from counts."""
        self.iv_ = np.array([b.iv_ for b in self.binners_])
        self.columns_ = names
        self.n_features_in_ = len(names)
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.classes_ = np.array([0, 1])
        return self

    # ---- using it ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "binners_")

    def column_bins(self, frame: pd.DataFrame, j: int) -> np.ndarray:
        """Bin index of column ``j`` of a frame already in the fitted layout."""
        c = self.columns_[j]
        kind = self.kinds_[j]
        values = frame[c] if kind == "categorical" else _numbers(frame[c], c)
        return self.binners_[j].bin_index(values)

    def bin_indices(self, X: object) -> np.ndarray:
        """``(n, k)`` bin index of every value."""
        self._check_fitted()
        frame = as_frame(self, X, reset=False)
        out = np.empty((len(frame), len(self.binners_)), dtype=np.int64)
        for j in range(len(self.binners_)):
            out[:, j] = self.column_bins(frame, j)
        return out

    def transform(self, X: object) -> np.ndarray:
        """WoE of every value's bin (``output="woe"``), or its bin index (``"indices"``)."""
        idx = self.bin_indices(X)
        if self.output == "indices":
            return idx
        out = np.empty(idx.shape, dtype=np.float64)
        for j, b in enumerate(self.binners_):
            out[:, j] = b.woe_[idx[:, j]]
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.columns_, dtype=object)

    def table(self) -> pd.DataFrame:
        """Every bin of every column: the binners' tables stacked, with the column's name."""
        self._check_fitted()
        parts = []
        for c, b in zip(self.columns_, self.binners_, strict=True):
            t = b.table()
            t.insert(0, "feature", c)
            parts.append(t)
        return pd.concat(parts, ignore_index=True)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = True
        return tags

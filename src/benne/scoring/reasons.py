"""Reason codes and dimension sub-scores, vectorised over rows.

Reasons are the features that lost the most points, at most four, only those that lost more
than zero, equal losses in feature order. Each feature's loss becomes one integer key per row,
``lost · M + (M − 1 − j)`` with ``M`` a power of two above the number of features, so keys in a
row are distinct, a larger key is a better reason, and the feature and the loss can be read
back from the key. The top four keys are kept by inserting each feature's key column into four
running columns with ``np.maximum``/``np.minimum`` (a sorting network): eight element-wise
operations per feature, no per-row sort and no Python loop over rows, which is several times
faster than ``np.argpartition`` along rows of a ``(rows, features)`` matrix. A scorecard's
losses are a few per bin, so its keys are a small table per feature (:meth:`TopReasons.key_table`)
looked up by bin index, in int16 when they fit.

Texts are built once per distinct (feature, points lost) pair and returned as
``pandas.Categorical`` codes into them: a million rows share a few hundred strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "MAX_REASONS",
    "TopReasons",
    "dimension_scores",
    "reason_columns",
    "top_reasons",
]

MAX_REASONS = 4


class TopReasons:
    """Running top-``n`` of per-feature losses over a block of rows.

    Keys are int16 when every key fits (``max_lost`` given and small enough; half the memory
    traffic of int32 in the sorting network), else int32 with losses capped at :attr:`cap`.
    """

    def __init__(self, rows: int, n_features: int, n: int = MAX_REASONS,
                 max_lost: int | None = None) -> None:
        self.bits = max(1, int(n_features - 1).bit_length())
        self.m = 1 << self.bits
        small = max_lost is not None and (int(max_lost) << self.bits) + self.m <= 2**15 - 1
        self.dtype = np.dtype(np.int16 if small else np.int32)
        # the largest loss a key holds
        self.cap = int(np.iinfo(np.int16 if small else np.int32).max) >> self.bits
        self.keys = [np.full(rows, -1, dtype=self.dtype) for _ in range(n)]
        self._spare = np.empty(rows, dtype=self.dtype)

    def key_table(self, j: int, lost: np.ndarray) -> np.ndarray:
        """Feature ``j``'s key for each loss in ``lost`` (−1 for no loss): look it up per row."""
        lost = np.asarray(lost)
        key = (np.minimum(lost, self.cap).astype(np.int64) << self.bits) + (self.m - 1 - j)
        return np.where(lost > 0, key, -1).astype(self.dtype)

    def add_keys(self, key: np.ndarray) -> None:
        """Insert one key per row (from :meth:`key_table`); ``key`` is used as scratch."""
        for s in range(len(self.keys)):
            hi = np.maximum(self.keys[s], key, out=self._spare)
            np.minimum(self.keys[s], key, out=key)
            self._spare, self.keys[s] = self.keys[s], hi

    def add(self, j: int, lost: np.ndarray) -> None:
        """Offer feature ``j``'s losses (one per row); only losses above zero can win."""
        lost = np.asarray(lost)
        key = (np.minimum(lost, self.cap).astype(self.dtype) << self.bits) + (self.m - 1 - j)
        np.putmask(key, lost <= 0, -1)
        self.add_keys(key.astype(self.dtype, copy=False))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """``(n, rows)`` feature index (``-1`` = none) and points lost (0 = none)."""
        keys = np.stack(self.keys).astype(np.int32)
        feature = (self.m - 1) - (keys & (self.m - 1))
        lost = keys >> self.bits
        np.putmask(feature, keys < 0, -1)
        np.putmask(lost, keys < 0, 0)
        return feature, lost


def top_reasons(lost: np.ndarray, n: int = MAX_REASONS) -> tuple[np.ndarray, np.ndarray]:
    """Top-``n`` of a ``(rows, features)`` loss matrix: ``(rows, n)`` feature index and loss."""
    top = TopReasons(lost.shape[0], lost.shape[1], n)
    for j in range(lost.shape[1]):
        top.add(j, np.ascontiguousarray(lost[:, j]))
    feature, pts = top.result()
    return feature.T, pts.T


def reason_columns(feature: np.ndarray, lost: np.ndarray, codes: Sequence[str],
                   text_of: Callable[[int, int], str]) -> dict[str, pd.Categorical]:
    """``reason_i`` (code) and ``reason_i_text`` columns from ``(n, rows)`` top reasons.

    ``text_of(j, points)`` writes the text of feature ``j`` losing ``points``; it is called once
    per distinct pair that occurs (the challenger's losses are not known before scoring; the
    scorecard's are, and :mod:`benne.scoring.batch` tabulates them up front instead).
    """
    n = feature.shape[0]
    width = int(lost.max()) + 1 if lost.size else 1
    # feature -1 (no reason) has lost 0, so its pair is negative: never counted, looked up as -1
    pair = feature.astype(np.intp) * width + lost
    used = np.bincount(pair[pair >= 0], minlength=len(codes) * width) > 0
    lookup = np.append(np.cumsum(used) - 1, -1)    # index -1 (wrapped) → no text
    texts = [text_of(int(p // width), int(p % width)) for p in np.flatnonzero(used)]
    np.putmask(pair, pair < 0, -1)
    out: dict[str, pd.Categorical] = {}
    for i in range(n):
        out[f"reason_{i + 1}"] = pd.Categorical.from_codes(feature[i], categories=list(codes),
                                                           validate=False)
    for i in range(n):
        out[f"reason_{i + 1}_text"] = pd.Categorical.from_codes(lookup[pair[i]],
                                                                categories=texts, validate=False)
    return out


def dimension_scores(total: np.ndarray, present: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """0–100 of a dimension's attainable range ``[lo, hi]``; NaN where ``present`` is False."""
    span = hi - lo
    value = np.full(total.shape, 100.0) if span <= 0 else 100.0 * (total - lo) / span
    value = np.round(np.clip(value, 0.0, 100.0), 1)
    value[~present] = np.nan
    return value

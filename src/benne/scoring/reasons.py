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

Texts are built once per distinct (feature, bin) or (source, points lost) pair and returned
as ``pandas.Categorical`` codes into them: a million rows share a few hundred strings.

:class:`ReasonTables` holds what a scorecard's reasons need: per feature the points each bin
loses against the best attainable bin, the missing bin's loss routed to its source's
missing-data reason, and for each bin that loses points the best bin to move to (the attainable
bin with the most points, the nearest one on ties) and the way there (:meth:`ReasonTables.tip`).
The what-if score of a reason is ``clip(Σ points + points lost)``: the score the person gets
when that feature (or, for missing data, every feature of the source) sits in its best bin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from benne.models.reasons import (
    Reason,
    missing_code,
    missing_text,
    range_text,
    reason_text,
    value_text,
)

if TYPE_CHECKING:
    from benne.models.scorecard import ScorecardFeature
    from benne.models.training import TrainedModels

__all__ = [
    "MAX_REASONS",
    "ReasonTables",
    "Rescore",
    "Tip",
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


@dataclass(frozen=True)
class Tip:
    """Where a feature's value is (``yours``, a bin index), where it scores best (``best``) and
    which way it has to move: ``"higher"``, ``"lower"`` or ``"other"`` (groups of categories
    or codes, special values)."""

    yours: int
    best: int
    toward: str
    yours_text: str
    best_text: str


def _tips(f: ScorecardFeature) -> dict[int, Tip]:
    """The tip of every bin of ``f`` that loses points (the missing bin excepted)."""
    from benne.binning import MonotoneBinner

    t = f.binner.table()
    kinds = t["kind"].tolist()
    texts = [range_text(lo, hi, lab) for lo, hi, lab
             in zip(t["lower"], t["upper"], t["label"], strict=True)]
    pts = f.points
    ok = f.attainable
    best_pts = f.max_points
    tops = [b for b in range(len(pts)) if ok[b] and pts[b] == best_pts]
    numeric = isinstance(f.binner, MonotoneBinner)
    out: dict[int, Tip] = {}
    for b in range(len(pts)):
        if b == f.binner.n_bins_ or pts[b] >= best_pts:
            continue
        regular = [x for x in tops if kinds[x] == "regular"] or tops
        best = min(regular, key=lambda x: (abs(x - b), x))
        toward = "other"
        if numeric and kinds[b] == "regular" and kinds[best] == "regular":
            toward = "higher" if best > b else "lower"
        out[b] = Tip(b, best, toward, texts[b], texts[best])
    return out


class ReasonTables:
    """A scorecard's reason tables: losses per bin, missing-data routing, texts, tips."""

    def __init__(self, models: TrainedModels) -> None:
        sc = models.scorecard
        self.k = len(sc.features)
        self.sources: list[str] = []
        self.source_of: list[int] = []
        self.value_lost: list[np.ndarray] = []
        self.missing_lost: list[int] = []
        self.tips: list[dict[int, Tip]] = []
        # per feature: (lower, upper) of each regular bin of a numeric binner, else None
        self.bounds: list[tuple[np.ndarray, np.ndarray] | None] = []
        texts: dict[str, int] = {}
        ids = []
        for f in sc.features:
            lost = (np.int32(f.max_points) - f.points).astype(np.int32)
            miss = f.binner.n_bins_
            self.missing_lost.append(int(max(lost[miss], 0)))
            lost = lost.copy()
            lost[miss] = 0
            self.value_lost.append(lost)
            tips = _tips(f)
            self.tips.append(tips)
            self.bounds.append(_bounds(f))
            reason = models.reasons[models.code_of(f.name)]
            generic = reason.statement == f"Your value of {f.name}"
            id_of = np.full(len(lost), -1, dtype=np.int32)
            for b, tip in tips.items():
                if lost[b] > 0:
                    text = value_text(reason, tip.yours_text, tip.best_text, tip.toward,
                                      int(lost[b]), generic)
                    id_of[b] = texts.setdefault(text, len(texts))
            ids.append(id_of)
        # a source is a missing-data reason only when some feature of it loses points when
        # missing; the others never give one and cost nothing in the block loop
        for f, ml in zip(sc.features, self.missing_lost, strict=True):
            code = missing_code(f.name)
            if ml > 0 and code not in self.sources:
                self.sources.append(code)
            self.source_of.append(self.sources.index(code) if ml > 0 else -1)
        sums = np.zeros(len(self.sources), dtype=np.int64)
        for j, v in enumerate(self.missing_lost):
            if v > 0:
                sums[self.source_of[j]] += v
        self.missing_table = []   # per feature: the points lost at each bin when missing
        for f, ml in zip(sc.features, self.missing_lost, strict=True):
            t = np.zeros(len(f.points), dtype=np.int32)
            t[f.binner.n_bins_] = ml
            self.missing_table.append(t)
        self.missing_reasons: list[Reason] = [models.reasons[c] for c in self.sources]
        self.max_lost = int(max([int(x.max()) for x in self.value_lost] + [int(sums.max())
                                                                           if len(sums) else 0]))
        self.n_reasons = self.k + len(self.sources)
        self.codes = [models.code_of(n) for n in sc.feature_names] + self.sources
        # one text table for every reason: row = reason, column = the person's bin (a value
        # reason) or the points lost (a missing-data reason, whose text depends only on them)
        self.width = max([len(x) for x in ids] + [int(sums.max()) + 1 if len(sums) else 1])
        table = np.full((self.n_reasons, self.width), -1, dtype=np.int32)
        for j, id_of in enumerate(ids):
            table[j, :len(id_of)] = id_of
        for g, reason in enumerate(self.missing_reasons):
            for v in range(1, int(sums[g]) + 1):
                table[self.k + g, v] = texts.setdefault(missing_text(reason, v), len(texts))
        self.texts = list(texts)
        self.text_table = np.append(table.reshape(-1), -1)   # index -1: no reason
        self.models = models

    def tip(self, feature: int, bin_index: int) -> Tip | None:
        """The tip of a person in bin ``bin_index`` of feature ``feature`` (None: no loss)."""
        return self.tips[feature].get(int(bin_index))

    def columns(self, reason: np.ndarray, slot: np.ndarray, what_if: np.ndarray
                ) -> dict[str, Any]:
        """``reason_i``, ``reason_i_text`` and ``reason_i_what_if`` from ``(n, rows)`` arrays:
        the reason index, its slot in the text table (the bin, or the points lost for
        missing data) and the what-if score (-1: none). Only texts that occur become
        categories, in table order."""
        at = reason.astype(np.int64) * self.width + slot
        np.putmask(at, reason < 0, -1)
        tid = self.text_table[at]
        used = np.bincount(tid[tid >= 0], minlength=len(self.texts)) > 0
        remap = np.append(np.cumsum(used) - 1, -1).astype(np.int32)
        tid = remap[tid]
        texts = [t for t, u in zip(self.texts, used, strict=True) if u]
        return _columns(reason, tid, what_if, self.codes, texts)

    def challenger_columns(self, feature: np.ndarray, lost: np.ndarray, names: Sequence[str],
                           frame: pd.DataFrame, rescore: Rescore | None = None
                           ) -> dict[str, Any]:
        """The challenger's reasons from its TreeSHAP losses: a feature whose value is missing
        gives its source's missing-data reason, once per row.

        With ``rescore`` (``(rows, feature, values, score) -> scores``: the challenger's scores
        of those rows with that feature set to those values), a value reason of a feature the
        scorecard bins as a number says where the person is and where to go, in the
        scorecard's bins, and its what-if is the challenger's own score with the feature moved
        to the nearest value of the best bin (:meth:`_challenger_what_if`). When that move
        does not raise the challenger's score (its trees may disagree with the scorecard's
        bins for this person), the reason keeps its TreeSHAP text and has no what-if."""
        models = self.models
        codes = [models.code_of(n) for n in names]
        sources: list[str] = []
        src_of = []
        for n in names:
            c = missing_code(n)
            if c not in sources:
                sources.append(c)
            src_of.append(len(codes) + sources.index(c))
        src_idx = np.asarray(src_of + [-1], dtype=np.int32)
        reason = feature.astype(np.int32).copy()
        rows = np.arange(feature.shape[1])
        isna: dict[int, np.ndarray] = {}
        for i in range(feature.shape[0]):
            f = feature[i]
            has = f >= 0
            miss = np.zeros(len(f), dtype=bool)
            for j in np.unique(f[has]):
                at = has & (f == j)
                if int(j) not in isna:
                    isna[int(j)] = frame[names[int(j)]].isna().to_numpy()
                miss[at] = isna[int(j)][rows[at]]
            reason[i] = np.where(miss, src_idx[np.where(has, f, -1)], f)
        # a source named twice in a row keeps its first (largest) place
        for i in range(1, reason.shape[0]):
            for h in range(i):
                dup = (reason[i] == reason[h]) & (reason[i] >= len(codes))
                reason[i][dup] = -1
        order = np.argsort(reason < 0, axis=0, kind="stable")
        reason = np.take_along_axis(reason, order, axis=0)
        lost = np.where(reason >= 0, np.take_along_axis(lost, order, axis=0), 0)
        all_codes = codes + sources
        catalog = [models.reasons[c] for c in all_codes]
        what_if = np.full(reason.shape, -1, dtype=np.int64)
        yours = np.full(reason.shape, -1, dtype=np.int64)
        if rescore is not None:
            self._challenger_what_if(reason, names, frame, rescore, what_if, yours)
        ranged = what_if >= 0
        # a text per (reason, points) or, with a range, per (reason, the person's bin, points)
        points = np.where(ranged, what_if - _base(rescore, reason.shape[1]), lost)
        width = int(points.max()) + 1 if points.size else 1
        bins = int(yours.max()) + 2
        key = np.where(reason >= 0, (reason.astype(np.int64) * bins + yours + 1) * width
                       + points, -1)
        uniq, inv = np.unique(key[key >= 0], return_inverse=True)
        sc_index = {f.name: k for k, f in enumerate(models.scorecard.features)}
        texts = []
        for p in uniq:
            rest, v = divmod(int(p), width)
            j, b = divmod(rest, bins)
            if j >= len(codes):
                texts.append(missing_text(catalog[j], v))
            elif b == 0:
                texts.append(reason_text(catalog[j], v))
            else:
                tip = self.tips[sc_index[names[j]]][b - 1]
                texts.append(value_text(catalog[j], tip.yours_text, tip.best_text, tip.toward,
                                        v, catalog[j].statement == f"Your value of {names[j]}"))
        tid = np.full(reason.shape, -1, dtype=np.int32)
        tid[key >= 0] = inv.reshape(-1)
        return _columns(reason, tid, what_if, all_codes, texts)

    def _challenger_what_if(self, reason: np.ndarray, names: Sequence[str], frame: pd.DataFrame,
                            rescore: Rescore, what_if: np.ndarray, yours: np.ndarray) -> None:
        """Fill ``what_if`` (the challenger's score after the move) and ``yours`` (the
        person's scorecard bin) of each value reason that has a range and whose move raises
        the score; the others stay -1.

        The move: from the person's value to the nearest value inside the scorecard's best bin
        for them (``(lower, upper]``: just above ``lower`` from below, ``upper`` from above),
        the smallest change that the range text asks for."""
        from benne.models.data import numeric_column

        base = _base(rescore, reason.shape[1])
        sc_index = {f.name: k for k, f in enumerate(self.models.scorecard.features)}
        for j, name in enumerate(names):
            k = sc_index.get(name)
            if k is None or self.bounds[k] is None:
                continue
            slot, row = np.nonzero(reason == j)
            if row.size == 0:
                continue
            lower, upper = self.bounds[k]  # type: ignore[misc]
            value = numeric_column(frame, name)[row]
            have = self.models.scorecard.features[k].binner.bin_index(value).astype(np.int64)
            target = np.full(row.size, np.nan)
            for b in np.unique(have):
                tip = self.tips[k].get(int(b))
                if tip is None or tip.best >= lower.size or np.isnan(lower[tip.best]):
                    continue   # no loss here, or the best bin is not a range of numbers
                at = have == b
                lo, hi = lower[tip.best], upper[tip.best]
                v = value[at]
                target[at] = np.where(v <= lo, np.nextafter(lo, np.inf),
                                      np.where(v > hi, hi, v))
            ok = ~np.isnan(target)
            if not ok.any():
                continue
            new = rescore(row[ok], j, target[ok])
            up = new > base[row[ok]]
            s, r = slot[ok][up], row[ok][up]
            what_if[s, r] = new[up]
            yours[s, r] = have[ok][up]


class Rescore:
    """The challenger's scores of some rows with one feature set to new values; ``score`` the
    challenger's score of every row as it is."""

    def __init__(self, score: np.ndarray, fn: Callable[[np.ndarray, int, np.ndarray], np.ndarray]
                 ) -> None:
        self.score = np.asarray(score, dtype=np.int64)
        self.fn = fn

    def __call__(self, rows: np.ndarray, feature: int, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(rows, feature, values), dtype=np.int64)


def _base(rescore: Rescore | None, n: int) -> np.ndarray:
    return rescore.score if rescore is not None else np.zeros(n, dtype=np.int64)


def _bounds(f: ScorecardFeature) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lower, upper)`` of each bin of a numeric binner (NaN outside its regular bins)."""
    from benne.binning import MonotoneBinner

    if not isinstance(f.binner, MonotoneBinner):
        return None
    t = f.binner.table()
    regular = (t["kind"] == "regular").to_numpy()
    lower = np.where(regular, pd.to_numeric(t["lower"], errors="coerce"), np.nan)
    upper = np.where(regular, pd.to_numeric(t["upper"], errors="coerce"), np.nan)
    return lower.astype(np.float64), upper.astype(np.float64)


def _columns(reason: np.ndarray, tid: np.ndarray, what_if: np.ndarray, codes: list[str],
             texts: list[str]) -> dict[str, Any]:
    n = reason.shape[0]
    out: dict[str, Any] = {}
    for i in range(n):
        out[f"reason_{i + 1}"] = pd.Categorical.from_codes(reason[i], categories=codes,
                                                           validate=False)
    for i in range(n):
        out[f"reason_{i + 1}_text"] = pd.Categorical.from_codes(tid[i], categories=texts,
                                                                validate=False)
    for i in range(n):
        w = what_if[i]
        out[f"reason_{i + 1}_what_if"] = pd.arrays.IntegerArray(
            np.where(w >= 0, w, 0).astype(np.int32), w < 0)
    return out

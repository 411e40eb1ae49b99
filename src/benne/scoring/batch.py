"""Batch scoring to the scores table: score, band, pd, dimension sub-scores, reason codes.

The scorecard path never builds a ``(rows, features)`` matrix: rows are cut into blocks of
``BLOCK`` (cache-sized), and for each block and feature the bin index is one vector, from which
points, the logit term and the points lost are integer look-ups (``np.take``) in small tables,
added into running totals and the running top-four reasons; band, pd, dimension sub-scores and
reason texts are finished in the same block. Blocks are independent, so they run on a thread
pool (NumPy releases the GIL in these loops) and the result does not depend on the number of
threads. The reason texts are a ``pandas.Categorical`` whose categories are every text the
scorecard can give (a few hundred), never one Python string per row.

With ``challenger=True`` the score, band and pd are the challenger's and the reasons come from
its TreeSHAP contributions (points a feature cost against the model's average person). A reason
of a feature the scorecard bins as a number then reads like the scorecard's (yours, the best
range, the tip), and its what-if is the challenger's own score with that feature moved to the
nearest value of the best range, when the move raises it; otherwise the reason names the points
TreeSHAP gives and has no what-if (see :meth:`ReasonTables.challenger_columns`). The
dimension sub-scores are always the scorecard's: they are shares of each dimension's
*attainable* range, which only the scorecard's bins define.

A dimension with no feature in the model (e.g. every dimension but "other" for a flat table) is
NULL for everyone; a dimension is NULL for a person whose features in it are all missing.

``reason_i`` is a reason code of the fixed catalogue (``CH01``…, ``MD01``… for missing data) or
NULL, the most points lost first; ``reason_i_text`` reads ``<statement>: yours is <bin>, the best
is <bin>. <Tip> — about +N points.`` (``+1 point``), e.g. "Worst days past due in 12 months:
yours is over 30, the best is up to 0. Pay every instalment on time — about +32 points.", N
being the points the feature lost against its best attainable bin; a source whose features
are missing reads "No credit record yet: …". ``reason_i_what_if`` is the score with that
feature in its best bin, ``clip(Σ points + N)``, exactly what rescoring the person with the
feature moved gives.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from benne.dimensions import DIMENSIONS, dimension_column, dimensions_of
from benne.exceptions import InputError
from benne.models.data import numeric_column
from benne.models.settings import BANDS, band_of
from benne.models.training import TrainedModels
from benne.scoring.reasons import (
    MAX_REASONS,
    ReasonTables,
    Rescore,
    TopReasons,
    dimension_scores,
    top_reasons,
)

__all__ = ["BLOCK", "CHALLENGER_SUFFIX", "score_frame", "scores_columns"]

CHALLENGER_SUFFIX = "+challenger"
BLOCK = 1 << 16


def scores_columns(passthrough: Sequence[str] = (),
                   dimensions: Sequence[str] = DIMENSIONS) -> list[str]:
    """The columns of the scores table, in order (``dimensions``: the scored kind's, people's
    five by default, a shop's four for a shops' model)."""
    return (list(passthrough) + ["model_version", "score", "band", "pd"]
            + [dimension_column(d) for d in dimensions]
            + [f"reason_{i}" for i in range(1, MAX_REASONS + 1)]
            + [f"reason_{i}_text" for i in range(1, MAX_REASONS + 1)]
            + [f"reason_{i}_what_if" for i in range(1, MAX_REASONS + 1)])


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], passthrough: Sequence[str]
                   ) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"the input lacks the model's feature column(s) {', '.join(missing)}",
                         where="the input, columns",
                         fix="score a table with the features the model was trained on")
    absent = [c for c in passthrough if c not in frame.columns]
    if absent:
        raise InputError(f"pass-through column(s) {', '.join(absent)} are not in the input",
                         where="the input, columns", fix="name existing columns")


class _Scorecard:
    """The scorecard's tables laid out for the block loop, and the output columns it fills.

    Everything per row happens in :meth:`block`, so it all runs on the thread pool: bins,
    points, pd, band, dimension sub-scores, the top reasons and their what-if scores. A value
    reason's text is a look-up by (feature, the person's bin) in a table of every text the
    scorecard can give (:class:`benne.scoring.reasons.ReasonTables`); a feature whose value is
    missing gives no value reason: its points lost go to its source's missing-data reason
    ("no credit record yet"), summed over the source's features, whose texts are written after
    the blocks for the (source, points) pairs that occur.
    """

    def __init__(self, models: TrainedModels, frame: pd.DataFrame, source: str) -> None:
        sc = models.scorecard
        n, k = len(frame), len(sc.features)
        self.sc = sc
        self.cols = [numeric_column(frame, f.name, source) if f.numeric_input
                     else f.binner.bin_index(frame[f.name]) for f in sc.features]
        self.points = [f.points.astype(np.int32) for f in sc.features]
        self.tables = ReasonTables(models)
        t = self.tables
        self.max_lost = t.max_lost
        keys = TopReasons(0, t.n_reasons, max_lost=self.max_lost)
        self.keys = [keys.key_table(j, x) for j, x in enumerate(t.value_lost)]
        self.logit = [f.logit for f in sc.features]
        dims = [f.meta.dimension for f in sc.features]
        self.dimensions = kinds = dimensions_of(dims)
        self.dim = [kinds.index(d) if d in kinds else -1 for d in dims]
        self.span = {kinds.index(d): (sum(f.min_points for f in sc.features
                                          if f.meta.dimension == d),
                                      sum(f.max_points for f in sc.features
                                          if f.meta.dimension == d))
                     for d in dict.fromkeys(dims) if d in kinds}
        self.k = k
        self.score = np.empty(n, dtype=np.int32)
        self.band = np.empty(n, dtype=np.int8)
        self.pd = np.empty(n, dtype=np.float64)
        self.dim_score = {d: np.empty(n, dtype=np.float64) for d in self.span}
        self.reason = np.empty((MAX_REASONS, n), dtype=np.int16)
        self.slot = np.empty((MAX_REASONS, n), dtype=np.int32)
        self.what_if = np.empty((MAX_REASONS, n), dtype=np.int32)

    def block(self, start: int, stop: int) -> None:
        """One block of rows. Bin indexes are widened to ``intp`` once: ``np.take`` with
        ``intp`` indexes is about twice as fast as with int8 ones, and each is used several
        times (points, logit term, reason key, missing-data loss)."""
        rows = stop - start
        t = self.tables
        total = np.zeros(rows, dtype=np.int32)   # points outside the six dimensions
        acc = {d: np.zeros(rows, dtype=np.int32) for d in self.span}
        present = {d: np.zeros(rows, dtype=bool) for d in self.span}
        missing = [np.zeros(rows, dtype=np.int32) for _ in t.sources]
        logit = np.full(rows, self.sc.intercept)
        top = TopReasons(rows, t.n_reasons, max_lost=self.max_lost)
        pts = np.empty(rows, dtype=np.int32)
        term = np.empty(rows, dtype=np.float64)
        key = np.empty(rows, dtype=top.dtype)
        bins = np.empty((self.k, rows), dtype=np.int16)
        for j, f in enumerate(self.sc.features):
            col = self.cols[j][start:stop]
            small = f.binner.bin_index(col) if f.numeric_input else col
            idx = small.astype(np.intp)
            bins[j] = small
            d = self.dim[j]
            into = acc[d] if d >= 0 else total
            np.add(into, np.take(self.points[j], idx, out=pts), out=into)
            logit += np.take(self.logit[j], idx, out=term)
            top.add_keys(np.take(self.keys[j], idx, out=key))
            if t.missing_lost[j] > 0:
                into = missing[t.source_of[j]]
                np.add(into, np.take(t.missing_table[j], idx, out=pts), out=into)
            if d >= 0:
                present[d] |= small != f.binner.n_bins_
        for g, lost in enumerate(missing):
            top.add(self.k + g, lost)
        for d, (lo, hi) in self.span.items():
            total += acc[d]
            self.dim_score[d][start:stop] = dimension_scores(acc[d], present[d], lo, hi)
        score = np.clip(total, self.sc.scale.min, self.sc.scale.max)
        self.score[start:stop] = score
        self.band[start:stop] = band_of(score)
        self.pd[start:stop] = 1.0 / (1.0 + np.exp(-logit))
        feature, lost = top.result()
        cols = np.arange(rows)
        for i in range(len(feature)):
            f_i = feature[i]
            self.reason[i, start:stop] = f_i
            value = f_i < self.k   # a feature (or none), not a missing-data reason
            self.slot[i, start:stop] = np.where(value, bins[np.where(value, f_i, 0), cols],
                                                lost[i])
            self.what_if[i, start:stop] = np.where(
                f_i >= 0, np.clip(total + lost[i], self.sc.scale.min, self.sc.scale.max), -1)

    def run(self, threads: int) -> None:
        n = len(self.score)
        starts = list(range(0, n, BLOCK))
        if threads <= 1 or len(starts) <= 1:
            for s in starts:
                self.block(s, min(s + BLOCK, n))
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda s: self.block(s, min(s + BLOCK, n)), starts))

    def reason_columns(self) -> dict[str, object]:
        return self.tables.columns(self.reason, self.slot, self.what_if)


def score_frame(
    models: TrainedModels,
    frame: pd.DataFrame,
    *,
    challenger: bool = False,
    passthrough: Sequence[str] = (),
    threads: int | None = None,
    source: str = "the input",
) -> pd.DataFrame:
    """Score every row of ``frame`` (the scores-table contract, see the module docstring).

    ``threads`` defaults to the number of CPUs (at most 8); the output does not depend on it.
    ``source`` names the input in errors (a file name, say).
    """
    sc = models.scorecard
    ch = models.challenger
    if challenger and ch is None:
        raise InputError("this model folder has no challenger", fix="score without --challenger")
    needed = list(sc.feature_names)
    if challenger and ch is not None:
        needed += [c for c in ch.features if c not in needed]
    _check_columns(frame, needed, passthrough)
    n = len(frame)
    card = _Scorecard(models, frame, source)
    card.run(threads or min(8, os.cpu_count() or 1))
    out: dict[str, object] = {c: frame[c].to_numpy() for c in passthrough}
    if challenger and ch is not None:
        x = ch.matrix(frame, source)
        p = ch.pd_from_margin(ch.margin(x))
        score = models.settings.scale.from_pd(p)
        band = band_of(score)
        feature, lost = (a.T for a in top_reasons(ch.lost_points(x)))
        scale = models.settings.scale

        def moved(rows: np.ndarray, j: int, values: np.ndarray) -> np.ndarray:
            xm = x[rows]
            xm[:, j] = values
            return scale.from_pd(ch.pd_from_margin(ch.margin(xm)))

        reasons = card.tables.challenger_columns(feature, lost, ch.features, frame,
                                                 Rescore(score, moved))
        version = models.model_version + CHALLENGER_SUFFIX
    else:
        score, band, p = card.score, card.band, card.pd
        reasons = card.reason_columns()
        version = models.model_version
    out["model_version"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [version])
    out["score"] = score
    out["band"] = pd.Categorical.from_codes(band, [name for _, name in BANDS], validate=False)
    out["pd"] = p
    for d, dim in enumerate(card.dimensions):
        out[dimension_column(dim)] = card.dim_score.get(d, np.full(n, np.nan))
    out.update(reasons)
    # copy=False: the columns are fresh arrays; consolidating them into 2-D blocks would copy
    # every float column once more (a tenth of the time at a million rows)
    return pd.DataFrame({c: out[c] for c in scores_columns(passthrough, card.dimensions)},
                        index=pd.RangeIndex(n), copy=False)

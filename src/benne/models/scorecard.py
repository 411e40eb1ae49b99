"""The champion: monotone WoE binning, IV and correlation selection, logistic regression, points.

Training, in order:

1. every candidate column is binned: :class:`~benne.binning.MonotoneBinner` in the direction
   of its :class:`~benne.dimensions.FeatureMeta`; :class:`~benne.binning.CategoricalBinner`
   for text; :class:`~benne.binning.CodeBinner` for a numeric column whose direction is
   ``"auto"`` and which holds at most ``max_codes`` distinct integers (states, not amounts);
2. columns whose information value is below ``min_iv``, or not significant (G-test of
   independence of the bins and the target, p ≥ ``max_p``), are dropped as low IV. The p-value
   guards against noise: the binner chose its cuts on the same rows, so an IV that looks
   useful on a few thousand rows can be chance, and the level is 1 %, not 5 %.
   Categorical columns are screened **out of fold** (:func:`_oof_screen`): grouping dozens or
   thousands of levels by their bad rate fits the noise of those very rows, so a column of
   random labels passes an in-sample test easily. Each of ``SCREEN_FOLDS`` stratified folds is
   binned by a binner fitted on the other folds; the IV uses the held-out rows' shares with
   the other folds' WoE, and the G-test sums the held-out folds' statistics and degrees of
   freedom (bins fixed before the held-out rows are seen, so the test is honest, and its level
   is ``OOF_P_FACTOR · max_p``, the conventional 5 % at the default: the stricter 1 % guards
   against the in-sample bias, which is gone out of fold, and at 1 % the held-out test, which
   has a little less power, dropped a column of 690 rows with an out-of-fold IV of 0.06). A
   noise column has an out-of-fold IV near zero or below and a p-value of chance, and is
   left out;
3. correlation pruning on the WoE columns: in decreasing IV, a column is kept unless its
   |Pearson r| with a kept column exceeds ``max_corr``. Above :data:`MAX_CORR_ROWS` rows the
   correlations are taken on every ``⌈n / MAX_CORR_ROWS⌉``-th row (evenly spaced,
   deterministic): at 200,000 rows a correlation's standard error is below 0.003, and the
   ``(n, k)`` WoE matrix of a million rows cost more than the rest of the fit;
4. logistic regression of the bad flag on the bins (:mod:`benne.models.binfit`): one logit
   term per bin, fitted jointly with a ridge penalty ``l2``, constrained to keep the order of
   the bins' own WoE, so regular bins stay monotone in the feature's direction and missing and
   special bins (own counts, own WoE) keep their place. A feature whose bins come out less
   than a point apart adds nothing and is dropped;
5. points: ``-factor · term`` per bin, rounded to integers, plus an equal share of the offset
   ``offset - factor · intercept`` (split as integers: the remainder goes one point each to the
   first features), so ``score = clip(Σ points, min, max)``. Because the factor is positive,
   points fall as the risk term rises: they move monotonically with risk, and rounding cannot
   reverse an order (it can only tie).

``pd`` comes from the logistic model itself, not from the rounded points.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benne.binning import CategoricalBinner, CodeBinner, MonotoneBinner
from benne.dimensions import FeatureMeta
from benne.models.data import numeric_column, select_columns, target_vector, text_column
from benne.models.settings import Scale, TrainSettings

__all__ = ["MAX_CORR_ROWS", "OOF_P_FACTOR", "ScorecardFeature", "ScorecardModel", "train_scorecard"]

Binner = MonotoneBinner | CategoricalBinner | CodeBinner
MAX_CORR_ROWS = 200_000
_LOADERS: dict[str, Callable[[dict[str, Any]], Binner]] = {
    "numeric": MonotoneBinner.from_dict,
    "categorical": CategoricalBinner.from_dict,
    "codes": CodeBinner.from_dict,
}


@dataclass
class ScorecardFeature:
    """One feature of a scorecard: its binning, logit term and integer points per bin."""

    meta: FeatureMeta
    binner: Binner
    logit: np.ndarray
    points: np.ndarray

    @property
    def numeric_input(self) -> bool:
        """Whether the binner reads the column as numbers (else as text)."""
        return not isinstance(self.binner, CategoricalBinner)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def attainable(self) -> np.ndarray:
        """Bins a person can be in: those seen in training (empty bins carry no evidence)."""
        return ~self.binner.empty_

    @property
    def max_points(self) -> int:
        return int(self.points[self.attainable].max())

    @property
    def min_points(self) -> int:
        return int(self.points[self.attainable].min())

    def bin_index(self, frame: pd.DataFrame, source: str = "the input") -> np.ndarray:
        if self.numeric_input:
            return self.binner.bin_index(numeric_column(frame, self.name, source))
        return self.binner.bin_index(text_column(frame, self.name, source))


@dataclass
class ScorecardModel:
    """A fitted scorecard. ``features`` are in scoring order (ties in reasons follow it)."""

    features: list[ScorecardFeature]
    intercept: float
    scale: Scale
    selection: dict[str, dict[str, Any]] = field(default_factory=dict)
    model_version: str = ""

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def bin_matrix(self, frame: pd.DataFrame, source: str = "the input") -> np.ndarray:
        """``(n, k)`` bin index of every row and feature."""
        out = np.empty((len(frame), len(self.features)), dtype=np.int16)
        for j, f in enumerate(self.features):
            out[:, j] = f.bin_index(frame, source)
        return out

    def points_matrix(self, bins: np.ndarray) -> np.ndarray:
        """``(n, k)`` points of every row and feature from the bin matrix (table look-ups)."""
        out = np.empty(bins.shape, dtype=np.int32)
        for j, f in enumerate(self.features):
            np.take(f.points, bins[:, j], out=out[:, j])
        return out

    def pd_from_bins(self, bins: np.ndarray) -> np.ndarray:
        logit = np.full(bins.shape[0], self.intercept)
        for j, f in enumerate(self.features):
            logit += np.take(f.logit, bins[:, j])
        return 1.0 / (1.0 + np.exp(-logit))

    def score_from_points(self, points: np.ndarray) -> np.ndarray:
        total = points.sum(axis=1, dtype=np.int64)
        return np.clip(total, self.scale.min, self.scale.max).astype(np.int32)

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pd_from_bins(self.bin_matrix(frame))

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return self.score_from_points(self.points_matrix(self.bin_matrix(frame)))

    def table(self) -> pd.DataFrame:
        """Every bin of every feature: feature, dimension, bin, bounds, counts, WoE, points."""
        parts = []
        for f in self.features:
            t = f.binner.table()
            t.insert(0, "feature", f.name)
            t.insert(1, "dimension", f.meta.dimension)
            t["logit"] = f.logit
            t["points"] = f.points
            parts.append(t)
        return pd.concat(parts, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intercept": self.intercept,
            "scale": self.scale.to_dict(),
            "features": [{"name": f.name, "dimension": f.meta.dimension,
                          "direction": f.meta.direction, "description": f.meta.description,
                          "tip": f.meta.tip, "logit": f.logit.tolist(),
                          "points": f.points.tolist(), "binning": f.binner.to_dict()}
                         for f in self.features],
            "selection": self.selection,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], model_version: str = "") -> ScorecardModel:
        feats = []
        for fd in d["features"]:
            meta = FeatureMeta(fd["name"], fd["dimension"], fd["direction"], fd["description"],
                               fd["tip"])
            b = fd["binning"]
            binner: Binner = _LOADERS[b["type"]](b)
            feats.append(ScorecardFeature(meta, binner, np.asarray(fd["logit"], dtype=np.float64),
                                          np.asarray(fd["points"], dtype=np.int32)))
        return cls(feats, float(d["intercept"]), Scale(**d["scale"]), d.get("selection", {}),
                   model_version)


def _g_test_p(binner: Binner) -> float:
    """p-value of the G-test that the binner's bins and the target are independent."""
    from scipy.stats import chi2

    goods, bads = binner.goods_.astype(np.float64), binner.bads_.astype(np.float64)
    seen = (goods + bads) > 0
    goods, bads = goods[seen], bads[seen]
    n = goods.sum() + bads.sum()
    if seen.sum() < 2 or goods.sum() == 0 or bads.sum() == 0:
        return 1.0
    observed = np.concatenate([goods, bads])
    expected = np.concatenate([(goods + bads) * goods.sum(), (goods + bads) * bads.sum()]) / n
    pos = observed > 0
    g = 2.0 * float(np.sum(observed[pos] * np.log(observed[pos] / expected[pos])))
    return float(chi2.sf(g, int(seen.sum()) - 1))


SCREEN_FOLDS = 5
OOF_P_FACTOR = 5.0


def _oof_screen(binner: CategoricalBinner, values: pd.Series, bad: np.ndarray,
                sample_weight: np.ndarray | None = None, folds: int = SCREEN_FOLDS,
                seed: int = 0) -> tuple[float, float]:
    """Out-of-fold IV and G-test p-value of a categorical column (see the module docstring).

    The folds are a seeded per-class shuffle (deterministic); each is binned by a fresh
    binner with ``binner``'s parameters fitted on the others. The IV is the held-out folds'
    ``Σ (good share − bad share) · WoE`` with the WoE of the fit that did not see them,
    averaged over the folds by weight; the G statistics and degrees of freedom are summed.
    """
    from scipy.stats import chi2

    n = len(bad)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    rng = np.random.default_rng(seed)
    fold = np.empty(n, dtype=np.int64)
    for value in (False, True):
        idx = np.flatnonzero(bad == value)
        fold[rng.permutation(idx)] = np.arange(idx.size) % folds
    iv, g_sum, df, weight = 0.0, 0.0, 0, 0.0
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        fitted = CategoricalBinner(max_bins=binner.max_bins,
                                   min_bin_share=binner.min_bin_share)
        fitted.fit(values[~test], bad[~test], sample_weight=w[~test])
        idx = fitted.bin_index(values[test])
        wt, bt = w[test], bad[test]
        size = fitted.woe_.size
        bads = np.bincount(idx, weights=wt * bt, minlength=size)
        goods = np.bincount(idx, weights=wt * (1 - bt), minlength=size)
        tg, tb = float(goods.sum()), float(bads.sum())
        if tg <= 0 or tb <= 0:
            continue
        iv += float(np.sum((goods / tg - bads / tb) * fitted.woe_)) * (tg + tb)
        weight += tg + tb
        seen = (goods + bads) > 0
        if seen.sum() >= 2:
            obs = np.concatenate([goods[seen], bads[seen]])
            rows = goods[seen] + bads[seen]
            exp = np.concatenate([rows * tg, rows * tb]) / (tg + tb)
            pos = obs > 0
            g_sum += 2.0 * float(np.sum(obs[pos] * np.log(obs[pos] / exp[pos])))
            df += int(seen.sum()) - 1
    p = float(chi2.sf(g_sum, df)) if df > 0 else 1.0
    return (iv / weight if weight > 0 else 0.0), p


def _prune_correlated(woe: np.ndarray, ivs: np.ndarray, max_corr: float,
                      sample_weight: np.ndarray | None = None
                      ) -> tuple[list[int], dict[int, int]]:
    """Columns kept (in decreasing IV) and, for each dropped one, the kept column it tracks."""
    corr = _weighted_corr(woe, sample_weight)
    order = np.lexsort((np.arange(len(ivs)), -ivs))
    kept: list[int] = []
    dropped: dict[int, int] = {}
    for j in order:
        clash = [k for k in kept if abs(corr[j, k]) > max_corr]
        if clash:
            dropped[int(j)] = clash[0]
        else:
            kept.append(int(j))
    return kept, dropped


def _points(features: list[tuple[FeatureMeta, Binner, np.ndarray]], intercept: float,
            scale: Scale) -> list[np.ndarray]:
    base = int(np.rint(scale.offset - scale.factor * intercept))
    q, r = divmod(base, len(features))
    out = []
    for j, (_, _, logit) in enumerate(features):
        share = q + (1 if j < r else 0)
        out.append((np.rint(-scale.factor * logit) + share).astype(np.int32))
    return out


def _weighted_corr(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Weighted Pearson correlations of the columns of ``x``. The sums are ``np.einsum``
    loops, not a BLAS product: on cores shared with other busy processes, BLAS threads that
    wait on each other made this small product take seconds."""
    w = np.ones(x.shape[0]) if w is None else w
    total = max(float(w.sum()), 1e-300)
    centred = x - np.einsum("i,ij->j", w, x) / total
    cov = np.einsum("ij,ik->jk", centred * w[:, None], centred) / total
    std = np.sqrt(np.diag(cov))
    std = np.where(std > 0, std, 1.0)
    return cov / std[:, None] / std[None, :]


def train_scorecard(
    frame: pd.DataFrame,
    target: str,
    meta: Mapping[str, FeatureMeta] | None = None,
    *,
    settings: TrainSettings | None = None,
    sample_weight: np.ndarray | None = None,
) -> ScorecardModel:
    """Fit a scorecard on a modelling frame (features + 0/1 ``target``; 1 = bad): the candidate
    columns chosen by :func:`~benne.models.data.select_columns`, then :class:`Scorecard`."""
    s = settings or TrainSettings()
    y = target_vector(frame, target)
    names, metas, _, skipped = select_columns(frame, target, meta, s)
    from benne.models.estimators import scorecard_from_settings

    est = scorecard_from_settings(s, {c: metas[c] for c in names})
    est.fit(frame[names], y, sample_weight=sample_weight)
    model = est.model_
    model.selection = {**{c: {"status": "skipped", "why": why} for c, why in skipped.items()},
                       **model.selection}
    digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()
    model.model_version = f"sc-{digest[:12]}"
    return model

"""The champion: monotone WoE binning, IV and correlation selection, logistic regression, points.

Training, in order:

1. every candidate column is binned (:class:`~benne.binning.MonotoneBinner` in the direction of
   its :class:`~benne.dimensions.FeatureMeta`, :class:`~benne.binning.CategoricalBinner` for
   text);
2. columns whose information value is below ``min_iv`` are dropped;
3. correlation pruning on the WoE columns: in decreasing IV, a column is kept unless its
   |Pearson r| with a kept column exceeds ``max_corr``;
4. logistic regression of the bad flag on the WoE columns (scikit-learn, L-BFGS, deterministic);
   WoE is higher for safer bins, so every coefficient must be negative — a column with a
   non-negative coefficient would make points move against risk, so it is dropped and the
   regression refitted until all signs are right;
5. points: ``-factor · coefficient · WoE`` per bin, rounded to integers, plus an equal share of
   the offset ``offset - factor · intercept`` (split as integers: the remainder goes one point
   each to the first features), so ``score = clip(Σ points, min, max)``. Because the factor is
   positive and the coefficients negative, points rise with WoE: they move monotonically with
   risk, and rounding cannot reverse an order (it can only tie).

``pd`` comes from the logistic model itself, not from the rounded points.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benne.binning import CategoricalBinner, MonotoneBinner
from benne.dimensions import FeatureMeta
from benne.models.data import numeric_column, select_columns, target_vector
from benne.models.settings import Scale, TrainSettings

__all__ = ["ScorecardFeature", "ScorecardModel", "train_scorecard"]

Binner = MonotoneBinner | CategoricalBinner


@dataclass
class ScorecardFeature:
    """One feature of a scorecard: its binning, coefficient and integer points per bin."""

    meta: FeatureMeta
    binner: Binner
    coefficient: float
    points: np.ndarray

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
        if isinstance(self.binner, MonotoneBinner):
            return self.binner.bin_index(numeric_column(frame, self.name, source))
        return self.binner.bin_index(frame[self.name])


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
            logit += np.take(f.coefficient * f.binner.woe_, bins[:, j])
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
            t["coefficient"] = f.coefficient
            t["points"] = f.points
            parts.append(t)
        return pd.concat(parts, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intercept": self.intercept,
            "scale": self.scale.to_dict(),
            "features": [{"name": f.name, "dimension": f.meta.dimension,
                          "direction": f.meta.direction, "description": f.meta.description,
                          "tip": f.meta.tip, "coefficient": f.coefficient,
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
            binner: Binner = (MonotoneBinner.from_dict(b) if b["type"] == "numeric"
                              else CategoricalBinner.from_dict(b))
            feats.append(ScorecardFeature(meta, binner, float(fd["coefficient"]),
                                          np.asarray(fd["points"], dtype=np.int32)))
        return cls(feats, float(d["intercept"]), Scale(**d["scale"]), d.get("selection", {}),
                   model_version)


def _fit_binner(values: pd.Series, y: np.ndarray, meta: FeatureMeta, kind: str,
                s: TrainSettings) -> Binner:
    if kind == "categorical":
        return CategoricalBinner(max_bins=s.max_bins, min_bin_share=s.min_bin_share).fit(values, y)
    return MonotoneBinner(meta.direction, max_bins=s.max_bins, min_bin_share=s.min_bin_share,
                          max_prebins=s.max_prebins, special_values=s.special_values
                          ).fit(numeric_column(values.to_frame(), str(values.name)), y)


def _prune_correlated(woe: np.ndarray, ivs: np.ndarray, max_corr: float
                      ) -> tuple[list[int], dict[int, int]]:
    """Columns kept (in decreasing IV) and, for each dropped one, the kept column it tracks."""
    std = woe.std(axis=0)
    centred = (woe - woe.mean(axis=0)) / np.where(std > 0, std, 1.0)
    corr = centred.T @ centred / woe.shape[0]
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


def _logistic(woe: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000, tol=1e-6)
    lr.fit(woe, y)
    return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


def _points(features: list[tuple[FeatureMeta, Binner, float]], intercept: float,
            scale: Scale) -> list[np.ndarray]:
    base = int(np.rint(scale.offset - scale.factor * intercept))
    q, r = divmod(base, len(features))
    out = []
    for j, (_, binner, coef) in enumerate(features):
        share = q + (1 if j < r else 0)
        out.append((np.rint(-scale.factor * coef * binner.woe_) + share).astype(np.int32))
    return out


def train_scorecard(
    frame: pd.DataFrame,
    target: str,
    meta: Mapping[str, FeatureMeta] | None = None,
    *,
    settings: TrainSettings | None = None,
) -> ScorecardModel:
    """Fit a scorecard on a modelling frame (features + 0/1 ``target``; 1 = bad)."""
    s = settings or TrainSettings()
    y = target_vector(frame, target)
    names, metas, kinds, skipped = select_columns(frame, target, meta, s)
    selection: dict[str, dict[str, Any]] = {c: {"status": "skipped", "why": why}
                                            for c, why in skipped.items()}
    binners = {c: _fit_binner(frame[c], y, metas[c], kinds[c], s) for c in names}
    for c in names:
        selection[c] = {"iv": binners[c].iv_, "status": "low iv", "why": f"IV < {s.min_iv}"}
    cands = [c for c in names if binners[c].iv_ >= s.min_iv]
    if not cands:
        cands = [max(names, key=lambda c: (binners[c].iv_, -names.index(c)))]
    bins = {c: binners[c].bin_index(frame[c] if kinds[c] == "categorical"
                                    else numeric_column(frame, c)) for c in cands}
    woe = np.column_stack([binners[c].woe_[bins[c]] for c in cands])
    woe_iv = np.array([binners[c].iv_ for c in cands])
    kept, dropped = _prune_correlated(woe, woe_iv, s.max_corr)
    for j, k in dropped.items():
        selection[cands[j]].update(status="correlated", why=f"|r| > {s.max_corr} with {cands[k]}")
    active = sorted(kept)  # frame order
    while True:
        coef, intercept = _logistic(woe[:, active], y)
        wrong = [a for a, c in zip(active, coef, strict=True) if c >= 0]
        if not wrong or len(active) == 1:
            break
        if len(wrong) == len(active):  # keep the strongest alone: one WoE column fits right
            wrong = [a for a in active if a != max(active, key=lambda a: (woe_iv[a], -a))]
        for a in wrong:
            selection[cands[a]].update(status="wrong sign",
                                       why="its coefficient would make points move against risk")
        active = [a for a in active if a not in wrong]
    chosen = [(metas[cands[a]], binners[cands[a]], float(c))
              for a, c in zip(active, coef, strict=True)]
    points = _points(chosen, intercept, s.scale)
    feats = [ScorecardFeature(m, b, c, p) for (m, b, c), p in zip(chosen, points, strict=True)]
    for f in feats:
        selection[f.name].update(status="selected", why="")
    model = ScorecardModel(feats, intercept, s.scale, selection)
    digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()
    model.model_version = f"sc-{digest[:12]}"
    return model

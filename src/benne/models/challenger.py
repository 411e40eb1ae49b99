"""The challenger: LightGBM with monotone constraints, Platt-calibrated, on the same scale.

- Monotone constraints come from the feature directions (``increasing`` → +1 on the bad
  probability, ``decreasing`` → -1, ``auto`` → 0: a flat table states no direction).
- A stratified, seeded ``calibration_share`` of the training rows is held out: it stops the
  boosting early and fits the Platt calibration (a logistic regression on the raw margin).
  Platt rather than isotonic because it is strictly increasing, so the ranking (AUC) of the
  calibrated probability is the booster's, and it cannot create ties.
- Determinism: ``deterministic=True``, ``force_row_wise=True``, a fixed ``num_threads`` and the
  seed; the native model text is then the same for the same data and settings.
- Reasons: LightGBM's own TreeSHAP (``pred_contrib=True``) gives each feature's contribution to
  the raw margin; times the Platt slope and the scale factor it is points. A feature that
  pushed the risk up "lost" those points against the model's average person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benne.dimensions import FeatureMeta
from benne.models.data import numeric_column, select_columns, target_vector
from benne.models.settings import Scale, TrainSettings

__all__ = ["ChallengerModel", "stratified_split", "train_challenger"]

_MONOTONE = {"increasing": 1, "decreasing": -1, "auto": 0}


def stratified_split(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Boolean mask of a seeded, per-class ``share`` of the rows (True = held out)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(y), dtype=bool)
    for value in (0, 1):
        idx = np.flatnonzero(y == value)
        rng.shuffle(idx)
        out[idx[: int(round(len(idx) * share))]] = True
    return out


@dataclass
class ChallengerModel:
    """A fitted challenger: the booster, its inputs and its calibration."""

    booster: Any
    features: list[str]
    metas: dict[str, FeatureMeta]
    categories: dict[str, list[str]]
    platt: tuple[float, float]
    scale: Scale
    best_iteration: int

    def matrix(self, frame: pd.DataFrame, source: str = "the input") -> np.ndarray:
        """Feature matrix; text categories become their index in the training list (NaN if
        unseen or missing, which LightGBM sends down its missing-value branch)."""
        out = np.empty((len(frame), len(self.features)), dtype=np.float64)
        for j, c in enumerate(self.features):
            if c in self.categories:
                codes = pd.Categorical(frame[c].astype("string"), categories=self.categories[c])
                col = codes.codes.astype(np.float64)
                col[col < 0] = np.nan
                out[:, j] = col
            else:
                out[:, j] = numeric_column(frame, c, source)
        return out

    def margin(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, raw_score=True, num_threads=1)

    def pd_from_margin(self, margin: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * margin + b)))

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pd_from_margin(self.margin(self.matrix(frame)))

    def lost_points(self, x: np.ndarray) -> np.ndarray:
        """``(n, k)`` points each feature cost (positive) or gave (negative), from TreeSHAP."""
        contrib = self.booster.predict(x, pred_contrib=True, num_threads=1)[:, :-1]
        return np.rint(contrib * self.platt[0] * self.scale.factor).astype(np.int32)

    def manifest(self) -> dict[str, Any]:
        return {"features": self.features, "categories": self.categories,
                "platt": list(self.platt), "best_iteration": self.best_iteration,
                "monotone_constraints": [_MONOTONE[self.metas[c].direction]
                                         for c in self.features]}

    @classmethod
    def from_native(cls, text: str, manifest: dict[str, Any], metas: dict[str, FeatureMeta],
                    scale: Scale) -> ChallengerModel:
        import lightgbm as lgb

        booster = lgb.Booster(model_str=text)
        return cls(booster, list(manifest["features"]), metas,
                   {k: list(v) for k, v in manifest["categories"].items()},
                   (float(manifest["platt"][0]), float(manifest["platt"][1])), scale,
                   int(manifest["best_iteration"]))


def train_challenger(
    frame: pd.DataFrame,
    target: str,
    meta: Mapping[str, FeatureMeta] | None = None,
    *,
    settings: TrainSettings | None = None,
) -> ChallengerModel:
    """Fit the LightGBM challenger on the same candidate columns the scorecard may use."""
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression

    s = settings or TrainSettings()
    y = target_vector(frame, target)
    names, metas, kinds, _ = select_columns(frame, target, meta, s)
    categories = {c: sorted(frame[c].dropna().astype(str).unique().tolist())
                  for c in names if kinds[c] == "categorical"}
    model = ChallengerModel(None, names, metas, categories, (1.0, 0.0), s.scale, 0)
    x = model.matrix(frame, "the training data")
    held = stratified_split(y, s.calibration_share, s.seed)
    params = {
        "objective": "binary", "learning_rate": s.challenger_learning_rate,
        "num_leaves": s.challenger_leaves, "min_data_in_leaf": 50, "lambda_l2": 1.0,
        "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
        "monotone_constraints": [_MONOTONE[metas[c].direction] for c in names],
        "monotone_constraints_method": "advanced",
        "deterministic": True, "force_row_wise": True, "num_threads": s.threads,
        "seed": s.seed, "verbose": -1,
    }
    cat_idx = [j for j, c in enumerate(names) if c in categories]
    train_set = lgb.Dataset(x[~held], y[~held], feature_name=names,
                            categorical_feature=cat_idx or "auto", free_raw_data=False)
    valid_set = lgb.Dataset(x[held], y[held], reference=train_set)
    booster = lgb.train(params, train_set, num_boost_round=s.challenger_rounds,
                        valid_sets=[valid_set],
                        callbacks=[lgb.early_stopping(50, verbose=False)])
    booster.free_dataset()
    model.booster = booster
    model.best_iteration = int(booster.best_iteration or booster.current_iteration())
    margin = np.asarray(booster.predict(x[held], raw_score=True,
                                        num_iteration=model.best_iteration))
    lr = LogisticRegression(C=1e6, solver="lbfgs", tol=1e-10).fit(margin[:, None], y[held])
    model.platt = (float(lr.coef_[0, 0]), float(lr.intercept_[0]))
    # keep only the trees used, so the native file is exactly the model that scores
    model.booster = lgb.Booster(model_str=booster.model_to_string(
        num_iteration=model.best_iteration))
    return model

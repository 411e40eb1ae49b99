"""The challenger: LightGBM with monotone constraints, Platt-calibrated, on the same scale.

- Monotone constraints come from the feature directions (``increasing`` → +1 on the bad
  probability, ``decreasing`` → -1, ``auto`` → 0: a flat table states no direction).
- Internal stratified cross-validation (``cv_folds``) picks the round count by early stopping
  and gives out-of-fold margins for the Platt calibration (a logistic regression on the raw
  margin); the shipped booster is then trained on every row (see :class:`Challenger`).
  Platt rather than isotonic because it is strictly increasing, so the ranking (AUC) of the
  calibrated probability is the booster's, and it cannot create ties.
- Determinism: ``deterministic=True``, ``force_row_wise=True`` and the seed; the native model
  text is then the same for the same data and settings on any number of threads (the trees are
  identical; only LightGBM's ``[num_threads: N]`` parameter line differs, and
  :func:`model_text` leaves it out). Training therefore uses every available core by default
  (:func:`available_cores`), with OpenMP threads that wait passively (:func:`import_lightgbm`).
- Reasons: LightGBM's own TreeSHAP (``pred_contrib=True``) gives each feature's contribution to
  the raw margin; times the Platt slope and the scale factor it is points. A feature that
  pushed the risk up "lost" those points against the model's average person.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benne.dimensions import FeatureMeta
from benne.exceptions import ConfigError
from benne.models.data import numeric_column, select_columns, target_vector, text_column
from benne.models.settings import Scale, TrainSettings

__all__ = ["MONOTONE", "ChallengerModel", "available_cores", "import_lightgbm", "model_text",
           "stratified_split", "train_challenger"]

MONOTONE = {"increasing": 1, "decreasing": -1, "auto": 0}
_THREADS_LINE = re.compile(r"^\[num_threads: [^\]]*\]\n", re.MULTILINE)


def available_cores() -> int:
    """The threads the challenger trains with by default: ``OMP_NUM_THREADS`` when set (the
    usual cap on OpenMP threads, e.g. one per worker of a parallel test run), else the CPUs
    this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    cap = os.environ.get("OMP_NUM_THREADS", "").strip()
    if cap:
        first = cap.split(",")[0].strip()  # OpenMP allows a list, one count per nesting level
        if not (first.isdigit() and int(first) >= 1):
            raise ConfigError(f"OMP_NUM_THREADS must be a thread count >= 1; got {cap!r}.")
        return int(first)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def import_lightgbm() -> Any:
    """``lightgbm``, with its OpenMP threads told to wait passively unless the caller chose.

    LightGBM runs on libgomp, whose idle threads spin for a while before they sleep; on cores
    that other busy processes share, a spinning thread takes the core its partner needs: with
    another process busy on one of 2 cores, a 2-thread fit of 300,000 rows took 94 s against
    12 s on one thread, and with ``OMP_WAIT_POLICY=PASSIVE`` 15 s (against 13 s on one thread)
    on a machine busier still. libgomp reads the variable when it is
    loaded, so it is set (if unset) just before the first import; a process that loaded
    lightgbm earlier keeps its own policy.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import lightgbm

    return lightgbm


def model_text(booster: Any, num_iteration: int | None = None) -> str:
    """The booster's native text without the thread count it was trained with, which does not
    change the model (see the module docstring): the same data and settings give the same
    text, and so the same artifact checksum, on any machine."""
    return _THREADS_LINE.sub("", booster.model_to_string(num_iteration=num_iteration))


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
                codes = pd.Categorical(text_column(frame, c, source).astype("string"),
                                       categories=self.categories[c])
                col = codes.codes.astype(np.float64)
                col[col < 0] = np.nan
                out[:, j] = col
            else:
                out[:, j] = numeric_column(frame, c, source)
        return out

    def margin(self, x: np.ndarray, threads: int = 1) -> np.ndarray:
        """The booster's raw margin of each row; ``threads`` share the rows (the result does
        not depend on them). One by default: batch scoring already runs blocks in parallel."""
        return self.booster.predict(x, raw_score=True, num_threads=threads)

    def pd_from_margin(self, margin: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * margin + b)))

    def predict_pd(self, frame: pd.DataFrame, threads: int = 1) -> np.ndarray:
        return self.pd_from_margin(self.margin(self.matrix(frame), threads))

    def lost_points(self, x: np.ndarray) -> np.ndarray:
        """``(n, k)`` points each feature cost (positive) or gave (negative), from TreeSHAP."""
        contrib = self.booster.predict(x, pred_contrib=True, num_threads=1)[:, :-1]
        return np.rint(contrib * self.platt[0] * self.scale.factor).astype(np.int32)

    def manifest(self) -> dict[str, Any]:
        return {"features": self.features, "categories": self.categories,
                "platt": list(self.platt), "best_iteration": self.best_iteration,
                "monotone_constraints": [MONOTONE[self.metas[c].direction]
                                         for c in self.features]}

    @classmethod
    def from_native(cls, text: str, manifest: dict[str, Any], metas: dict[str, FeatureMeta],
                    scale: Scale) -> ChallengerModel:
        booster = import_lightgbm().Booster(model_str=text)
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
    sample_weight: np.ndarray | None = None,
    refit_of: ChallengerModel | None = None,
    groups: np.ndarray | None = None,
) -> ChallengerModel:
    """Fit the LightGBM challenger on the same candidate columns the scorecard may use.

    ``refit_of`` (a challenger fitted on part of these rows) skips the cross-validation: the
    booster trains ``refit_of.best_iteration`` rounds on every row and keeps its Platt
    calibration, both chosen out of fold by that fit (see :func:`~benne.models.train_models`).
    ``groups`` keeps each group's rows (a person's observations) in one cross-validation fold.
    """
    s = settings or TrainSettings()
    y = target_vector(frame, target)
    names, metas, kinds, _ = select_columns(frame, target, meta, s)
    from benne.models.estimators import challenger_from_settings

    est = challenger_from_settings(s, {c: metas[c] for c in names},
                                   [c for c in names if kinds[c] == "categorical"])
    if refit_of is not None:
        est.set_params(cv=None, n_estimators=refit_of.best_iteration,
                       calibration=refit_of.platt)
    return est.fit(frame[names], y, sample_weight=sample_weight, groups=groups).model_

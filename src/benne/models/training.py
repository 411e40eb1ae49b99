"""Training both models, validating them side by side, and the training frames.

:func:`train_models` keeps a seeded, stratified ``holdout_share`` of the training frame aside
(whole groups, a person's every row, when ``groups`` is given), fits the scorecard and the
challenger on the rest and measures AUC, Gini and KS on that holdout: an honest estimate of
models fitted this way. The models it returns (and that are shipped) are then fitted again on
**every** training row; the out-of-time frame (features as of a later date), when given, is
measured on those. The challenger's refit does not cross-validate again: it trains the round
count that the first fit's internal cross-validation chose by early stopping and keeps the
Platt calibration fitted on that cross-validation's out-of-fold margins. A second
cross-validation would run on a sample of a third more rows (above ``cv_rows`` rows, one of
the same size) and cost as much as the first again; the round count is then the one of a fit
on three quarters of the rows, applied to all of them. The frames come from a flat table
(:func:`read_table`) or from the store through :mod:`benne.pipeline`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benne.dimensions import FeatureMeta
from benne.exceptions import SourceFileError
from benne.models.challenger import (
    ChallengerModel,
    available_cores,
    stratified_split,
    train_challenger,
)
from benne.models.data import select_columns, target_vector
from benne.models.reasons import Reason, build_catalog
from benne.models.scorecard import ScorecardModel, train_scorecard
from benne.models.settings import TrainSettings

__all__ = [
    "TrainedModels",
    "data_fingerprint",
    "discrimination",
    "grouped_split",
    "read_table",
    "train_models",
]


@dataclass
class TrainedModels:
    """The champion scorecard, the challenger, their shared reason catalog and metrics."""

    scorecard: ScorecardModel
    challenger: ChallengerModel | None
    settings: TrainSettings
    metas: dict[str, FeatureMeta]
    reasons: dict[str, Reason]
    metrics: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        return self.scorecard.model_version

    def code_of(self, feature: str) -> str:
        return next(code for code, r in self.reasons.items() if r.feature == feature)


def discrimination(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """AUC, Gini and KS of a risk ordering (higher = riskier)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(y, risk))
    fpr, tpr, _ = roc_curve(y, risk)
    return {"auc": round(auc, 6), "gini": round(2 * auc - 1, 6),
            "ks": round(float(np.max(tpr - fpr)), 6), "rows": int(len(y)),
            "bad_rate": round(float(np.mean(y)), 6)}


def _evaluate(models: TrainedModels, frame: pd.DataFrame, target: str) -> dict[str, Any]:
    y = target_vector(frame, target, "the validation data")
    out = {"scorecard": discrimination(y, -models.scorecard.score(frame).astype(float))}
    out["scorecard_pd"] = discrimination(y, models.scorecard.predict_pd(frame))
    if models.challenger is not None:
        p = models.challenger.predict_pd(frame, threads=available_cores())
        out["challenger"] = discrimination(y, -models.settings.scale.from_pd(p).astype(float))
        out["challenger_pd"] = discrimination(y, p)
    return out


def data_fingerprint(*frames: pd.DataFrame) -> str:
    """SHA-256 of the column names and row hashes of the frames (order-sensitive)."""
    h = hashlib.sha256()
    for frame in frames:
        h.update("\x1f".join(map(str, frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def grouped_split(y: np.ndarray, groups: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Boolean mask of a seeded ``share`` of the groups (True = held out), whole groups only.

    Groups with a bad row and groups without one are drawn apart, so both keep their share.
    """
    codes, first = pd.factorize(pd.Series(groups), sort=True)
    any_bad = np.zeros(len(first), dtype=bool)
    np.logical_or.at(any_bad, codes, y == 1)
    rng = np.random.default_rng(seed)
    held = np.zeros(len(first), dtype=bool)
    for value in (False, True):
        idx = np.flatnonzero(any_bad == value)
        rng.shuffle(idx)
        held[idx[: int(round(len(idx) * share))]] = True
    return held[codes]


def train_models(
    train_frame: pd.DataFrame,
    target: str,
    meta: Mapping[str, FeatureMeta] | None = None,
    *,
    oot_frame: pd.DataFrame | None = None,
    settings: TrainSettings | None = None,
    challenger: bool = True,
    groups: np.ndarray | None = None,
) -> TrainedModels:
    """Holdout metrics from models fitted without the holdout, then both models refitted on
    every row (what is returned); OOT metrics from those.

    ``groups`` (one label per row, e.g. the person) keeps each group wholly in or out of the
    holdout, and in one fold of the challenger's cross-validation, so no person is both
    trained and validated on.
    """
    s = settings or TrainSettings()
    y = target_vector(train_frame, target)
    names, metas, _, skipped = select_columns(train_frame, target, meta, s)
    catalog = build_catalog([metas[c] for c in names])
    # each fit selects its columns again: it must know the columns declared protected too
    known = {**(meta or {}), **metas}
    held = (stratified_split(y, s.holdout_share, s.seed + 1) if groups is None
            else grouped_split(y, np.asarray(groups), s.holdout_share, s.seed + 1))
    fit, hold = train_frame[~held], train_frame[held]
    trial = TrainedModels(train_scorecard(fit, target, known, settings=s),
                          train_challenger(fit, target, known, settings=s,
                                           groups=None if groups is None
                                           else np.asarray(groups)[~held]) if challenger
                          else None, s, metas, catalog)
    holdout = _evaluate(trial, hold, target)
    sc = train_scorecard(train_frame, target, known, settings=s)
    ch = (train_challenger(train_frame, target, known, settings=s, refit_of=trial.challenger)
          if trial.challenger is not None else None)
    models = TrainedModels(sc, ch, s, metas, catalog, excluded=dict(skipped))
    models.metrics = {"holdout": holdout}
    if oot_frame is not None:
        models.metrics["oot"] = _evaluate(models, oot_frame, target)
    frames = [train_frame] + ([oot_frame] if oot_frame is not None else [])
    models.fingerprint = data_fingerprint(*frames)
    return models


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame; the file is named in every error."""
    path = Path(path)
    if not path.is_file():
        raise SourceFileError("the table file does not exist", where=str(path),
                              fix="check the path of the table")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".txt"):
        raise SourceFileError(f"unsupported table format {suffix or '(none)'}", where=str(path),
                              fix="use a .csv or .parquet file")
    try:
        frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # the reader's own message says what is wrong in the file
        raise SourceFileError(f"cannot read {path.name}: {str(exc).splitlines()[0]}",
                              where=str(path), fix="check that the file is valid") from exc
    if frame.empty:
        raise SourceFileError(f"{path.name} has no rows", where=str(path),
                              fix="give a table with one row per person under its header")
    return frame

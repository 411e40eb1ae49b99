"""The scorecard fitted from counts an engine summed (:mod:`benne.scale.counts`).

:func:`train_scorecard_counted` is :func:`benne.models.scorecard.train_scorecard` with the
rows replaced by their statistics: the same candidate columns (:func:`select_counted` applies
the rules of :func:`benne.models.data.select_columns` that a store's features meet: excluded,
protected and others'-data columns, empty and constant ones), the same estimator
(:func:`benne.models.estimators.scorecard_from_settings`) fitted with
:meth:`~benne.models.Scorecard.fit_counts`, the same model version digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from benne.binning.stats import ColumnCounts
from benne.dimensions import FeatureMeta
from benne.exceptions import InputError
from benne.models.data import auto_meta, policy_skip
from benne.models.scorecard import ScorecardModel
from benne.models.settings import TrainSettings

__all__ = ["select_counted", "train_scorecard_counted"]


def select_counted(columns: Sequence[str], counts: Mapping[str, ColumnCounts],
                   meta: Mapping[str, FeatureMeta] | None, settings: TrainSettings,
                   ) -> tuple[list[str], dict[str, FeatureMeta], dict[str, str]]:
    """Feature columns in ``columns`` order, their metadata and the skipped columns with why
    (the wording of :func:`~benne.models.data.select_columns`)."""
    features: list[str] = []
    metas: dict[str, FeatureMeta] = {}
    skipped: dict[str, str] = {}
    for name in columns:
        if name in settings.exclude:
            continue
        why = policy_skip(name, settings, meta)
        if why:
            skipped[name] = why
            continue
        cc = counts[name]
        if cc.values.size == 0:
            skipped[name] = "empty: no values"
            continue
        if cc.values.size == 1 and cc.missing_goods + cc.missing_bads == 0:
            skipped[name] = "constant: one value in every row"
            continue
        features.append(name)
        metas[name] = meta[name] if meta is not None and name in meta else auto_meta(name)
    if not features:
        raise InputError("no usable feature columns in the training data",
                         fix="the data needs at least one numeric or text column beside the "
                             "target and the excluded ones")
    return features, metas, skipped


def train_scorecard_counted(counter: Any, columns: Sequence[str],
                            meta: Mapping[str, FeatureMeta] | None = None, *,
                            settings: TrainSettings | None = None) -> ScorecardModel:
    """The scorecard of the rows ``counter`` (a :class:`~benne.scale.FrameCounter` or
    :class:`~benne.scale.SparkCounter`) counts, from their statistics alone."""
    from benne.models.estimators import scorecard_from_settings

    s = settings or TrainSettings()
    wanted = [c for c in columns if c not in s.exclude]
    counts = counter.column_counts(wanted)
    names, metas, skipped = select_counted(wanted, counts, meta, s)
    est = scorecard_from_settings(s, {c: metas[c] for c in names})
    est.fit_counts({c: counts[c] for c in names}, counter.combinations)
    model: ScorecardModel = est.model_
    model.selection = {**{c: {"status": "skipped", "why": why} for c, why in skipped.items()},
                       **model.selection}
    digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()
    model.model_version = f"sc-{digest[:12]}"
    return model

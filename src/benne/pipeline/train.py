"""Training from the store: one as-of date for everyone, or one row per decision.

Both paths hand plain frames to :func:`benne.models.train_models` and add to the manifest what
the model is: the ``outcome`` it predicts (the label rule in words, or the lender's own
target), the ``model_kind`` — ``bureau`` when it reads only what the bureau holds about the
person, ``lender`` when it also needs ``application_columns`` (amount, term, product: what a
lender knows of one application), which only batch scoring can supply, so the service refuses
to publish such a model — and the thin-file and thick-file counts it was trained on.

With several observations of one person, the holdout is drawn by person
(:func:`benne.models.training.grouped_split`): no person is both trained and validated on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from benne.exceptions import InputError
from benne.pipeline.frames import (
    KEY_COLUMNS,
    SEGMENT,
    frames_from_store,
    key_column,
    observation_frame,
)

__all__ = ["Trained", "segment_counts", "train_from_observations", "train_from_store"]


@dataclass
class Trained:
    """The trained models, what to add to their manifest, and the frames they came from."""

    models: Any  # benne.models.TrainedModels
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    train: pd.DataFrame | None = None
    oot: pd.DataFrame | None = None


def segment_counts(frame: pd.DataFrame, target: str) -> dict[str, dict[str, int]]:
    """Rows and bads of the thin-file and thick-file segments of a labelled frame."""
    out = {}
    for name, flag in (("thin_file", 1), ("thick_file", 0)):
        part = frame[frame[SEGMENT] == flag]
        y = pd.to_numeric(part[target], errors="coerce")
        out[name] = {"rows": int(len(part)), "bads": int((y == 1).sum())}
    return out


def _settings(settings: Any, frame: pd.DataFrame, dropped: Sequence[str] = ()) -> Any:
    from benne.models import TrainSettings

    s = settings or TrainSettings()
    keys = tuple(c for c in KEY_COLUMNS if c in frame.columns)
    return dataclasses.replace(s, exclude=tuple(dict.fromkeys(s.exclude + keys
                                                              + tuple(dropped))))


def _groups(frame: pd.DataFrame) -> Any:
    """Persons (or shops) as holdout groups when one appears more than once, else None (row
    split)."""
    ids = frame["merchant_id" if "merchant_id" in frame.columns else "person_id"]
    return ids.to_numpy() if ids.duplicated().any() else None


def train_from_store(
    store: Path | str, as_of: dt.date, *, oot_as_of: dt.date | None = None,
    rule: str | None = None, horizon_months: int | None = None, settings: Any = None,
    challenger: bool = True, without: Sequence[str] = (), engine: str = "duckdb",
    lake: Path | None = None, entity: str = "person",
) -> Trained:
    """Features as of ``as_of`` and the rule's labels after it; ``oot_as_of`` validates.

    ``entity="merchant"`` trains the shops' model: their features, the ``merchant`` rule
    unless another shops' rule is named, and ``entity`` in the manifest (scoring, the report
    and the service read it).
    """
    from benne.features.registry import feature_meta
    from benne.labels import get_rule
    from benne.models import train_models
    from benne.pipeline.frames import _rule_for

    rule = _rule_for(rule, entity)
    chosen = get_rule(rule, horizon_months=horizon_months)
    train, oot = frames_from_store(store, as_of, oot_as_of, rule=rule,
                                   horizon_months=horizon_months, engine=engine, lake=lake,
                                   entity=entity)
    meta = feature_meta(store)  # built-in features and the store's custom sources
    dropped = [n for n, m in meta.items() if m.dimension in without]
    s = _settings(settings, train, dropped)
    models = train_models(train, "bad", meta, oot_frame=oot, settings=s, challenger=challenger,
                          groups=_groups(train))
    extra: dict[str, Any] = {
        "outcome": chosen.describe(),
        "label_rule": chosen.to_dict(),
        "model_kind": "bureau",
        "entity": entity,
        "application_columns": [],
        "training_window": {
            "train_as_of": as_of.isoformat(),
            "oot_as_of": oot_as_of.isoformat() if oot_as_of else None,
            "horizon_months": chosen.horizon_months, "bad_definition": chosen.describe()},
        "segments": {"train": segment_counts(train, "bad")}
                    | ({"oot": segment_counts(oot, "bad")} if oot is not None else {}),
    }
    if without:
        extra["without_dimensions"] = list(without)
    return Trained(models, extra, train, oot)


def train_from_observations(
    store: Path | str, observations: pd.DataFrame, *, target: str = "target",
    rule: str | None = None, horizon_months: int | None = None,
    oot_from: dt.datetime | None = None, settings: Any = None, challenger: bool = True,
    without: Sequence[str] = (), engine: str = "duckdb", lake: Path | None = None,
    source: str = "the observations", entity: str = "person",
) -> Trained:
    """One row per decision: features strictly before each ``observed_at``, the lender's
    target (or the store's rule) and the application columns; holdout grouped by person.

    Observations at or after ``oot_from`` form the out-of-time sample.
    """
    from benne.features.registry import feature_meta
    from benne.models import train_models

    built = observation_frame(store, observations, target=target, rule=rule,
                              horizon_months=horizon_months, engine=engine, lake=lake,
                              source=source, entity=entity)
    frame = built.frame
    frame = frame[frame[target].notna()].reset_index(drop=True)  # unlabelled: scoring only
    oot = None
    if oot_from is not None:
        late = (frame["observed_at"] >= pd.Timestamp(oot_from)).to_numpy()
        oot = frame[late].reset_index(drop=True)
        frame = frame[~late].reset_index(drop=True)
        if frame.empty or oot.empty:
            raise InputError(f"--oot-as-of {oot_from:%Y-%m-%d} leaves "
                             f"{'no training' if frame.empty else 'no out-of-time'} rows",
                             where=source, fix="pick a date inside the observations' period")
    meta = feature_meta(store)  # built-in features and the store's custom sources
    dropped = [n for n, m in meta.items() if m.dimension in without]
    s = _settings(settings, frame, dropped)
    models = train_models(frame, target, meta, oot_frame=oot, settings=s, challenger=challenger,
                          groups=_groups(frame))
    extra: dict[str, Any] = {
        "outcome": built.outcome,
        "model_kind": "lender" if built.application_columns else "bureau",
        "entity": entity,
        "application_columns": built.application_columns,
        "training_data": {"observations": source, "target": target, "rows": int(len(frame)),
                          "people": int(frame[key_column(entity)].nunique()),
                          "holdout": "grouped by person"},
        "segments": {"train": segment_counts(frame, target)}
                    | ({"oot": segment_counts(oot, target)} if oot is not None else {}),
    }
    if rule is not None:
        from benne.labels import get_rule

        extra["label_rule"] = get_rule(rule, horizon_months=horizon_months).to_dict()
    if without:
        extra["without_dimensions"] = list(without)
    return Trained(models, extra, frame, oot)

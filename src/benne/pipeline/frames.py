"""Frames from the store: features of a spine joined with its labels and its segment.

Every frame carries the spine's keys (``person_id``, ``as_of``; for observations also
``observed_at`` and ``decision_id``), the features, ``thin_file`` and the target. ``thin_file``
is 1 when the person had no credit statement strictly before the observation (no credit
record at the time: every credit-history feature is missing), else 0; it is a segment for
validation, never a feature. None of the key columns is ever a feature (:data:`KEY_COLUMNS`).

Shops (``entity="merchant"``) go through the same frames keyed by ``merchant_id``; their
segment ``thin_file`` marks a *new shop*: one that has not traded a full year before the
observation (``shop__age_days`` missing or under 365), the shops' counterpart of a person
without a credit record. Their default rule is ``merchant`` (:mod:`benne.labels`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benne.exceptions import InputError

__all__ = [
    "KEY_COLUMNS",
    "SEGMENT",
    "ObservationFrame",
    "DEFAULT_RULES",
    "frames_from_store",
    "key_column",
    "observation_frame",
    "population_frame",
    "thin_file",
]

SEGMENT = "thin_file"
# Spine keys, the segment and the label's status: carried through, never features.
KEY_COLUMNS = ("person_id", "merchant_id", "as_of", "observed_at", "decision_id", "entity_kind",
               "entity_id", SEGMENT, "label_status")
_CREDIT_RECORD = "credit__months_on_file"
_SHOP_AGE = "shop__age_days"
# The label rule an entity kind is trained on when none is named.
DEFAULT_RULES = {"person": "credit", "merchant": "merchant"}


def key_column(entity: str) -> str:
    """The id column of an entity kind's frames (``person_id``, ``merchant_id``)."""
    from benne.features.spine import ID_COLUMNS

    return ID_COLUMNS[entity]


def thin_file(features: pd.DataFrame) -> pd.Series:
    """1 where the row had no credit record before its observation, else 0 (int8); for
    shops (frames with ``merchant_id``), 1 where the shop had not traded a full year."""
    if "merchant_id" in features.columns:
        if _SHOP_AGE not in features.columns:
            raise InputError(f"the features lack {_SHOP_AGE}, which tells new shops",
                             fix="compute the shops' stability features too")
        age = features[_SHOP_AGE]
        return (age.isna() | (age < 365)).astype(np.int8).rename(SEGMENT)
    if _CREDIT_RECORD not in features.columns:
        raise InputError(f"the features lack {_CREDIT_RECORD}, which tells thin-file rows",
                         fix="compute the credit-history features too")
    return features[_CREDIT_RECORD].isna().astype(np.int8).rename(SEGMENT)


def _rule_for(rule: str | None, entity: str) -> str:
    """The rule named, or the entity's default; a rule must label the entity's kind."""
    from benne.labels import get_rule

    name = rule or DEFAULT_RULES[entity]
    if get_rule(name).entity != entity:
        raise InputError(f"label rule {name!r} labels {get_rule(name).entity}s, not "
                         f"{entity}s", where="rule",
                         fix=f"use rule {DEFAULT_RULES[entity]!r} for {entity}s")
    return name


def population_frame(store: Path | str, as_of: dt.date, *, rule: str | None = None,
                     horizon_months: int | None = None, engine: str = "duckdb",
                     lake: Path | None = None, target: str = "bad",
                     entity: str = "person") -> pd.DataFrame:
    """Everyone registered before ``as_of`` (every shop opened before it, for
    ``entity="merchant"``): features, ``thin_file``, ``label_status`` and the ``target`` (0/1,
    missing for no outcome or excluded), sorted by id. ``rule`` defaults to the entity's
    (``credit`` for people, ``merchant`` for shops)."""
    from benne.features import compute_features
    from benne.labels import get_rule, label_table

    chosen = get_rule(_rule_for(rule, entity), horizon_months=horizon_months)
    x = compute_features(store, as_of, engine=engine, lake=lake, entity=entity).to_pandas()
    y = label_table(store, as_of, chosen)
    frame = x.merge(y.rename(columns={"status": "label_status", "bad": target}),
                    on=[key_column(entity), "as_of"], how="left")
    frame["label_status"] = frame["label_status"].fillna("no outcome")
    frame[target] = frame[target].astype("float64")
    frame[SEGMENT] = thin_file(frame)
    return frame


def frames_from_store(
    store: Path | str, train_as_of: dt.date, oot_as_of: dt.date | None = None, *,
    rule: str | None = None, horizon_months: int | None = None, engine: str = "duckdb",
    lake: Path | None = None, entity: str = "person",
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Features as of each date joined with the labels of the rule (labelled rows only).

    The frames keep ``person_id``, ``as_of`` and ``thin_file`` (not features) and the 0/1
    target ``bad``. People already in default at the date are not in them.
    """

    def labelled(day: dt.date) -> pd.DataFrame:
        frame = population_frame(store, day, rule=rule, horizon_months=horizon_months,
                                 engine=engine, lake=lake, entity=entity)
        frame = frame[frame["label_status"].isin(("good", "bad"))].drop(columns="label_status")
        if frame.empty:
            who = "people" if entity == "person" else f"{entity}s"
            raise InputError(f"no labelled {who} as of {day}", where=str(store),
                             fix="pick an as-of date with a performance window of data after "
                                 "it (benne labels build shows who is labelled)")
        frame["bad"] = frame["bad"].astype("int64")
        return frame.reset_index(drop=True)

    return labelled(train_as_of), (labelled(oot_as_of) if oot_as_of is not None else None)


@dataclass
class ObservationFrame:
    """Features of each observation beside its own columns, in the observations' order."""

    frame: pd.DataFrame
    target: str  # "" when the frame has none
    application_columns: list[str] = field(default_factory=list)
    outcome: str = ""


def observation_frame(
    store: Path | str, observations: pd.DataFrame, *, target: str | None = "target",
    rule: str | None = None, horizon_months: int | None = None, engine: str = "duckdb",
    lake: Path | None = None, source: str = "the observations", entity: str = "person",
) -> ObservationFrame:
    """One row per decision: keys, features as of ``observed_at``, the application columns
    (every other column of ``observations``), ``thin_file`` and the target.

    The target is the observations' own ``target`` column (as the lender recorded it) or,
    with ``rule``, the store's label of that rule from each observation's date (rows without
    a label are dropped then); ``target=None`` reads no target (scoring).
    """
    from benne.features import compute_features
    from benne.features.spine import SPINE_COLUMNS

    obs = observations.reset_index(drop=True)
    x = compute_features(store, obs, engine=engine, lake=lake, entity=entity).to_pandas()
    features = [c for c in x.columns if c not in KEY_COLUMNS]
    own = [c for c in obs.columns if c not in (*SPINE_COLUMNS, key_column(entity))
           and (target is None or c != target)]
    clash = [c for c in own if c in features or c in KEY_COLUMNS]
    if clash:
        raise InputError(f"{source} have column(s) named like bureau features or keys: "
                         f"{', '.join(map(str, clash))}", where=source,
                         fix="rename the application columns (e.g. app_amount)")
    frame = pd.concat([x, obs[own]], axis=1)
    frame[SEGMENT] = thin_file(frame)
    if target is None:
        return ObservationFrame(frame, "", [str(c) for c in own], "")
    if rule is not None:
        from benne.labels import get_rule, label_table

        chosen = get_rule(rule, horizon_months=horizon_months)
        labels = label_table(store, obs, chosen)
        frame[target] = labels["bad"].astype("float64").to_numpy()
        frame = frame[labels["status"].isin(("good", "bad")).to_numpy()].reset_index(drop=True)
        outcome = chosen.describe()
    else:
        if target not in obs.columns:
            raise InputError(f"{source} have no target column {target!r}", where=source,
                             fix="name the 0/1 outcome column with --target, or label from "
                                 "the store with --rule")
        frame[target] = obs[target].to_numpy()
        outcome = (f"the lender's recorded outcome '{target}' (1 = bad) of each decision in "
                   f"{source}")
    return ObservationFrame(frame, target, [str(c) for c in own], outcome)

"""Scoring observations: features as of each decision, the decision id passed through.

The scores table of :func:`benne.scoring.score_frame` with the observation's keys first:
``decision_id, person_id, observed_at, as_of, thin_file``, then the observation's own columns
the model does not read, then the scores. A lender model's application columns must be in the
observations; a bureau model needs none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benne.exceptions import InputError
from benne.pipeline.frames import SEGMENT, key_column, observation_frame

__all__ = ["score_observations"]

_KEYS = ("decision_id", "person_id", "observed_at", "as_of", SEGMENT)


def score_observations(
    models: Any, store: Path | str, observations: pd.DataFrame, *, challenger: bool = False,
    application_columns: Sequence[str] = (), engine: str = "duckdb", lake: Path | None = None,
    source: str = "the observations", entity: str = "person",
) -> pd.DataFrame:
    """Score each observation as of its ``observed_at`` (see the module docstring); shops
    (``entity="merchant"``) are keyed by ``merchant_id``."""
    from benne.scoring import score_frame

    missing = [c for c in application_columns if c not in observations.columns]
    if missing:
        raise InputError(f"this lender model needs application column(s) "
                         f"{', '.join(missing)}, which {source} lack", where=source,
                         fix="add the application's columns the model was trained with")
    built = observation_frame(store, observations, target=None, engine=engine, lake=lake,
                              source=source, entity=entity)
    frame = built.frame
    used = set(models.scorecard.feature_names)
    if challenger and models.challenger is not None:
        used |= set(models.challenger.features)
    own = [c for c in built.application_columns if c not in used]
    keys = [key_column(entity) if k == "person_id" else k for k in _KEYS]
    return score_frame(models, frame, challenger=challenger, passthrough=[*keys, *own],
                       source=source)

"""The pipeline: the wiring from the store to the frames models learn from and score.

Model code takes frames and knows no engine and no store; this layer, above features, labels
and models, turns an observation spine into those frames and back into outputs:

- :mod:`~benne.pipeline.frames`: features and labels of a spine (one as-of date for everyone,
  or one row per decision), with the thin-file segment of every row;
- :mod:`~benne.pipeline.train`: training from the store or from observations (holdout grouped
  by person; every model names the outcome it predicts; lender models record the application
  columns they need);
- :mod:`~benne.pipeline.score`: scoring observations with the decision id passed through.

Public API::

    frames_from_store(store, train_as_of, oot_as_of=None, *, rule="credit") -> (train, oot)
    population_frame(store, as_of, *, rule="credit") -> frame   # everyone, target or missing
    observation_frame(store, observations, *, target="target") -> ObservationFrame
    train_from_store(store, as_of, *, oot_as_of=None, ...) -> Trained
    train_from_observations(store, observations, *, target="target", ...) -> Trained
    score_observations(models, store, observations, *, challenger=False) -> scores frame
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.pipeline.frames import (
        KEY_COLUMNS,
        SEGMENT,
        ObservationFrame,
        frames_from_store,
        observation_frame,
        population_frame,
        thin_file,
    )
    from benne.pipeline.score import score_observations
    from benne.pipeline.train import Trained, train_from_observations, train_from_store

__all__ = [
    "KEY_COLUMNS",
    "SEGMENT",
    "ObservationFrame",
    "Trained",
    "frames_from_store",
    "observation_frame",
    "population_frame",
    "score_observations",
    "thin_file",
    "train_from_observations",
    "train_from_store",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "KEY_COLUMNS": "frames", "SEGMENT": "frames", "ObservationFrame": "frames",
    "frames_from_store": "frames", "observation_frame": "frames",
    "population_frame": "frames", "thin_file": "frames",
    "score_observations": "score",
    "Trained": "train", "train_from_observations": "train", "train_from_store": "train",
})

"""Models: the monotone WoE scorecard (champion), the LightGBM challenger, the model folder.

Public API (the estimators follow scikit-learn: ``fit``, ``predict_proba``, ``clone``)::

    Scorecard(binning=BinningProcess(...), estimator=None, scale=Scale(...)).fit(X, y)
    Challenger(...).fit(X, y)

    train_scorecard(frame, target, meta=None, *, settings=None) -> ScorecardModel
    train_challenger(frame, target, meta=None, *, settings=None) -> ChallengerModel
    train_models(train_frame, target, meta=None, *, oot_frame=None, settings=None)
        -> TrainedModels
    save_model(models, folder, *, manifest_extra=None) -> Path
    load_model(folder) -> TrainedModels          # raises TamperedArtifactError on mismatch
    export_sql(models) -> str
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.models.artifact import artifact_checksum, load_model, save_model
    from benne.models.challenger import ChallengerModel, train_challenger
    from benne.models.estimators import Challenger, Scorecard
    from benne.models.reasons import Reason
    from benne.models.scorecard import ScorecardModel, train_scorecard
    from benne.models.settings import BANDS, Scale, TrainSettings
    from benne.models.sql import export_sql
    from benne.models.training import (
        TrainedModels,
        data_fingerprint,
        read_table,
        train_models,
    )

__all__ = [
    "BANDS",
    "Challenger",
    "ChallengerModel",
    "Reason",
    "Scale",
    "Scorecard",
    "ScorecardModel",
    "TrainSettings",
    "TrainedModels",
    "artifact_checksum",
    "data_fingerprint",
    "export_sql",
    "load_model",
    "read_table",
    "save_model",
    "train_challenger",
    "train_models",
    "train_scorecard",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "artifact_checksum": "artifact",
    "load_model": "artifact",
    "save_model": "artifact",
    "Challenger": "estimators",
    "ChallengerModel": "challenger",
    "train_challenger": "challenger",
    "Reason": "reasons",
    "Scorecard": "estimators",
    "ScorecardModel": "scorecard",
    "train_scorecard": "scorecard",
    "BANDS": "settings",
    "Scale": "settings",
    "TrainSettings": "settings",
    "export_sql": "sql",
    "TrainedModels": "training",
    "data_fingerprint": "training",
    "read_table": "training",
    "train_models": "training",
})

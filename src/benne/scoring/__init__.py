"""Scoring: batch scores with band, pd, dimension sub-scores and reason codes.

Public API::

    score_frame(models, frame, *, challenger=False, passthrough=()) -> pandas.DataFrame
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.scoring.batch import score_frame, scores_columns
    from benne.scoring.reasons import TopReasons, dimension_scores, top_reasons

__all__ = ["TopReasons", "dimension_scores", "score_frame", "scores_columns", "top_reasons"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "score_frame": "batch", "scores_columns": "batch",
    "TopReasons": "reasons", "dimension_scores": "reasons", "top_reasons": "reasons",
})

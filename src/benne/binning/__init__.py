"""Binning: mergeable pre-bin statistics, the exact monotone merge, and WoE binners.

``stats`` counts goods and bads per pre-bin (what an engine computes), ``solver`` finds the
optimal monotone grouping of those counts, ``binner`` wraps both as estimators.
"""

from benne.binning.binner import CategoricalBinner, CodeBinner, MonotoneBinner
from benne.binning.solver import SMOOTHING, monotone_merge, smoothed_woe
from benne.binning.stats import PrebinStats, prebin_index, prebin_stats, quantile_edges

__all__ = [
    "SMOOTHING",
    "CategoricalBinner",
    "CodeBinner",
    "MonotoneBinner",
    "PrebinStats",
    "monotone_merge",
    "prebin_index",
    "prebin_stats",
    "quantile_edges",
    "smoothed_woe",
]

"""Binning: mergeable pre-bin statistics, the exact monotone merge, and WoE binners.

``stats`` counts goods and bads per pre-bin (what an engine computes), ``solver`` finds the
optimal monotone grouping of those counts, ``binner`` wraps both for one column and
``process`` (:class:`BinningProcess`) bins a whole table as a scikit-learn transformer.
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports
from benne.binning.binner import CategoricalBinner, CodeBinner, MonotoneBinner
from benne.binning.solver import SMOOTHING, monotone_merge, smoothed_woe
from benne.binning.stats import (
    ColumnCounts,
    PrebinStats,
    prebin_index,
    prebin_stats,
    quantile_edges,
)

if TYPE_CHECKING:
    from benne.binning.process import BinningProcess

__all__ = [
    "SMOOTHING",
    "BinningProcess",
    "CategoricalBinner",
    "CodeBinner",
    "ColumnCounts",
    "MonotoneBinner",
    "PrebinStats",
    "monotone_merge",
    "prebin_index",
    "prebin_stats",
    "quantile_edges",
    "smoothed_woe",
]

# BinningProcess needs scikit-learn, which scoring does not: imported on first use
__getattr__, __dir__ = lazy_exports(__name__, {"BinningProcess": "process"})

"""Scale-out: training statistics and batch scoring on Spark from the one implementation.

- :mod:`benne.scale.counts`: the sufficient statistics of the scorecard, counted in memory or
  on Spark (only counts reach Python);
- :mod:`benne.scale.train`: the scorecard fitted from those counts, the challenger on a sample;
- :mod:`benne.scale.score`: the scores table computed per Spark partition by
  :func:`benne.scoring.score_frame` itself, written as partitioned Parquet.
"""

from benne.scale.counts import FrameCounter, SparkCounter, bin_combinations
from benne.scale.train import select_counted, train_scorecard_counted

__all__ = ["FrameCounter", "SparkCounter", "bin_combinations", "select_counted",
           "train_scorecard_counted"]

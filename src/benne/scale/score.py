"""The scores table on Spark: :func:`benne.scoring.score_frame` itself, once per partition.

Each partition (an Arrow batch as a pandas frame) is scored by the one implementation the
command line and the service use, through ``mapInPandas``, so the score, band, pd, dimension
sub-scores and the four reason codes, texts and what-if scores cannot drift from the
one-machine scores: the same function computes them. The model travels to the executors
inside the function (pickled once per task); one thread per task, Spark's tasks being the
parallelism. Text columns (band, reasons, model version) leave as strings.

:func:`write_scores` writes the table as Parquet partitioned by ``band`` (one folder per band:
the adverse-action and marketing runs read one band without scanning the others).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benne.exceptions import InputError

__all__ = ["score_spark", "scores_schema", "write_scores"]


def scores_schema(models: Any, passthrough_fields: Sequence[Any]) -> Any:
    """The Spark schema of the scores table after the ``passthrough_fields``."""
    from pyspark.sql import types as T

    from benne.dimensions import DIMENSIONS, dimension_column
    from benne.scoring.batch import scores_columns
    from benne.scoring.reasons import MAX_REASONS

    types: dict[str, Any] = {"model_version": T.StringType(), "score": T.IntegerType(),
                             "band": T.StringType(), "pd": T.DoubleType()}
    types |= {dimension_column(d): T.DoubleType() for d in DIMENSIONS}
    for i in range(1, MAX_REASONS + 1):
        types |= {f"reason_{i}": T.StringType(), f"reason_{i}_text": T.StringType(),
                  f"reason_{i}_what_if": T.IntegerType()}
    names = [f.name for f in passthrough_fields]
    return T.StructType(list(passthrough_fields) + [
        T.StructField(c, types[c], True) for c in scores_columns() if c not in names])


def score_spark(models: Any, df: Any, *, passthrough: Sequence[str] = (),
                challenger: bool = False, source: str = "the input") -> Any:
    """The scores table of every row of the Spark DataFrame ``df`` (lazy; see the module
    docstring): ``passthrough`` columns first, then :func:`~benne.scoring.scores_columns`."""
    from pyspark.sql import functions as F

    from benne.scoring import score_frame

    needed = list(models.scorecard.feature_names)
    if challenger and models.challenger is not None:
        needed += [c for c in models.challenger.features if c not in needed]
    missing = [c for c in [*needed, *passthrough] if c not in df.columns]
    if missing:
        raise InputError(f"{source} lacks the column(s) {', '.join(missing)}",
                         where=f"{source}, columns",
                         fix="score a table with the features the model was trained on")
    keep = list(dict.fromkeys([*passthrough, *needed]))
    fields = {f.name: f for f in df.schema.fields}
    schema = scores_schema(models, [fields[c] for c in passthrough])
    names = [f.name for f in schema.fields]
    pass_list = list(passthrough)

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            out = score_frame(models, batch, challenger=challenger, passthrough=pass_list,
                              threads=1, source=source)
            for c in out.columns:
                if isinstance(out[c].dtype, pd.CategoricalDtype):
                    out[c] = out[c].astype(object).where(out[c].notna(), None)
            yield out[names]

    return df.select(*[F.col(f"`{c}`") for c in keep]).mapInPandas(score, schema)


def write_scores(scores: Any, out: Path | str, *, partition_by: Sequence[str] = ("band",)
                 ) -> None:
    """Write a scores DataFrame as Parquet under folder ``out`` (replaced), partitioned."""
    scores.write.mode("overwrite").partitionBy(*partition_by).parquet(str(out))

"""The training statistics, counted in memory or on Spark: one definition, two engines.

A scorecard needs two statistics of the labelled rows, never the rows themselves
(:meth:`benne.models.Scorecard.fit_counts`):

1. per column, the good/bad counts of each distinct value (:class:`~benne.binning.ColumnCounts`):
   from them the pre-bin edges (exact inverted-CDF quantiles, each value weighted by its rows),
   the pre-bin counts, and the per-level or per-code counts follow in Python;
2. once the columns are binned, the good/bad counts of each combination of the candidate
   columns' bin indices: the joint bin-level fit and the WoE correlations are sums over rows of
   functions of the bins and the target only, so rows with the same bins are one row weighted.

In memory (:class:`FrameCounter`) both are NumPy/pandas group-bys of a frame; on Spark
(:class:`SparkCounter`) the first is one grouped aggregation of the columns stacked as
(column, value) pairs, the second a ``mapInPandas`` that bins each partition with the fitted
binners' own ``bin_index`` (the one implementation scoring uses) and counts its combinations,
summed by a grouped aggregation. Both return the same integer tables, which the fit sorts into
one canonical order, so the model is the same file whichever engine counted.

A missing value is NULL or NaN on both engines; the target is 0/1 (1 = bad).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from benne.binning.stats import ColumnCounts
from benne.exceptions import InputError

__all__ = ["FrameCounter", "SparkCounter", "bin_combinations", "draw", "spark_draw"]


def bin_combinations(binning: Any, columns: Sequence[str], frame: pd.DataFrame,
                     target: str) -> pd.DataFrame:
    """Good/bad counts per combination of the bins of ``columns`` in ``frame``: one column of
    bin indices per column, ``bad`` (0/1) and ``n`` (rows)."""
    where = [binning.columns_.index(c) for c in columns]
    keys = {c: binning.column_bins(frame, j).astype(np.int64)
            for c, j in zip(columns, where, strict=True)}
    keys["bad"] = frame[target].to_numpy().astype(np.int64)
    table = pd.DataFrame(keys)
    out = table.groupby(list(table.columns), sort=True).size().reset_index(name="n")
    out["n"] = out["n"].astype(np.int64)
    return out


def _check_target(values: np.ndarray, where: str) -> None:
    ok = np.isin(values, (0, 1))
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise InputError(f"the target must be 0 or 1; got {_plain(values[row])!r}",
                         where=f"{where}, row {row + 1}", fix="label every training row 0 or 1")


# One draw of people for both engines: a person is in when the first 8 hex digits of
# SHA-256("<seed>:<salt>:<person_id>"), as an integer, modulo a million fall below share × 10⁶.
_DRAW_SCALE = 1_000_000


def draw(person_id: pd.Series, share: float, seed: int, salt: str) -> np.ndarray:
    """Which rows' persons are drawn (the same people :func:`spark_draw` draws)."""
    import hashlib

    limit = int(round(share * _DRAW_SCALE))
    memo: dict[str, bool] = {}
    out = np.empty(len(person_id), dtype=bool)
    for i, pid in enumerate(person_id.astype(str)):
        hit = memo.get(pid)
        if hit is None:
            h = hashlib.sha256(f"{seed}:{salt}:{pid}".encode()).hexdigest()
            hit = memo[pid] = int(h[:8], 16) % _DRAW_SCALE < limit
        out[i] = hit
    return out


def spark_draw(column: str, share: float, seed: int, salt: str) -> Any:
    """The Spark condition of :func:`draw` on a person column."""
    from pyspark.sql import functions as F

    digest = F.sha2(F.concat(F.lit(f"{seed}:{salt}:"), F.col(column).cast("string")), 256)
    value = F.conv(F.substring(digest, 1, 8), 16, 10).cast("long")
    return (value % _DRAW_SCALE) < int(round(share * _DRAW_SCALE))


def _score_table(table: pd.DataFrame, summed: bool = False) -> pd.DataFrame:
    """Rows per (score, bad), sorted."""
    if not summed:
        table = table.groupby(["score", "bad"]).size().reset_index(name="n")
    table = table.groupby(["score", "bad"], as_index=False)["n"].sum()
    return table.sort_values(["score", "bad"]).reset_index(drop=True).astype(np.int64)


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("person_id", "as_of", "observed_at", "decision_id") if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _segments(table: pd.DataFrame, segment: str) -> dict[str, dict[str, int]]:
    out = {}
    for name, flag in (("thin_file", 1), ("thick_file", 0)):
        part = table[table[segment] == flag]
        out[name] = {"rows": int(part["size"].sum()), "bads": int(part["sum"].sum())}
    return out


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


class FrameCounter:
    """The statistics of a labelled frame, counted in this process."""

    def __init__(self, frame: pd.DataFrame, target: str) -> None:
        _check_target(frame[target].to_numpy(), "the training frame")
        self.frame = frame
        self.target = target

    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def column_counts(self, columns: Sequence[str]) -> dict[str, ColumnCounts]:
        y = self.frame[self.target].to_numpy().astype(bool)
        return {c: ColumnCounts.of(self.frame[c], y) for c in columns}

    def combinations(self, binning: Any, columns: Sequence[str]) -> pd.DataFrame:
        return bin_combinations(binning, columns, self.frame, self.target)

    def rows(self) -> int:
        return len(self.frame)

    def split(self, share: float, seed: int, salt: str = "holdout"
              ) -> tuple[FrameCounter, FrameCounter]:
        """The rows whose person is out of :func:`draw` and those in it."""
        held = draw(self.frame["person_id"], share, seed, salt)
        return (FrameCounter(self.frame[~held].reset_index(drop=True), self.target),
                FrameCounter(self.frame[held].reset_index(drop=True), self.target))

    def score_counts(self, scorecard: Any) -> pd.DataFrame:
        """Rows per (score, bad) of the scorecard's scores."""
        return _score_table(pd.DataFrame({"score": scorecard.score(self.frame).astype(np.int64),
                                          "bad": self.frame[self.target].astype(np.int64)}))

    def collect(self) -> pd.DataFrame:
        """Every row, by person then as-of date."""
        return _in_order(self.frame)

    def segment_counts(self, segment: str) -> dict[str, dict[str, int]]:
        return _segments(self.frame.groupby(segment)[self.target]
                         .agg(["size", "sum"]).reset_index(), segment)


class SparkCounter:
    """The statistics of a labelled Spark DataFrame: only counts come back to Python."""

    def __init__(self, df: Any, target: str) -> None:
        self.df = df
        self.target = target
        self._memo: dict[tuple[str, ...], dict[str, ColumnCounts]] = {}

    def columns(self) -> list[str]:
        return list(self.df.columns)

    def column_counts(self, columns: Sequence[str]) -> dict[str, ColumnCounts]:
        """Per-value counts of ``columns``: one grouped aggregation (remembered per list)."""
        key = tuple(columns)
        if key not in self._memo:
            self._memo[key] = self._column_counts(columns)
        return self._memo[key]

    def _column_counts(self, columns: Sequence[str]) -> dict[str, ColumnCounts]:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        df = self.df
        types = {f.name: f.dataType for f in df.schema.fields}
        bad_target = df.filter(~F.col(self.target).isin(0, 1) | F.col(self.target).isNull())
        wrong = bad_target.select(self.target).limit(1).collect()
        if wrong:
            raise InputError(f"the target must be 0 or 1; got {wrong[0][0]!r}",
                             where=f"the training data, field {self.target}",
                             fix="label every training row 0 or 1")
        numeric = [c for c in columns if isinstance(types[c], T.NumericType | T.BooleanType)]
        text = [c for c in columns if c not in numeric]
        out: dict[str, ColumnCounts] = {}
        for group, cast in ((numeric, "double"), (text, "string")):
            if not group:
                continue
            pairs = [F.struct(F.lit(i).alias("c"), F.col(f"`{c}`").cast(cast).alias("v"))
                     for i, c in enumerate(group)]
            stacked = df.select(F.col(self.target).cast("long").alias("_bad"),
                                F.explode(F.array(*pairs)).alias("_p"))
            v = F.col("_p.v")
            if cast == "double":
                v = F.when(F.isnan(v), F.lit(None)).otherwise(v)
            counted = (stacked.select(F.col("_p.c").alias("c"), v.alias("v"), "_bad")
                       .groupBy("c", "v")
                       .agg(F.count(F.lit(1)).alias("n"), F.sum("_bad").alias("b")))
            rows = counted.toPandas()
            for i, c in enumerate(group):
                part = rows[rows["c"] == i]
                missing = part["v"].isna().to_numpy()
                n = part["n"].to_numpy(dtype=np.int64)
                b = part["b"].to_numpy(dtype=np.int64)
                out[c] = ColumnCounts.build(
                    part["v"].to_numpy()[~missing], (n - b)[~missing], b[~missing],
                    int((n - b)[missing].sum()), int(b[missing].sum()), text=cast == "string")
        return {c: out[c] for c in columns}

    def rows(self) -> int:
        return int(self.df.count())

    def split(self, share: float, seed: int, salt: str = "holdout"
              ) -> tuple[SparkCounter, SparkCounter]:
        """The rows whose person is out of :func:`draw` and those in it (the same people)."""
        held = spark_draw("person_id", share, seed, salt)
        return (SparkCounter(self.df.filter(~held), self.target),
                SparkCounter(self.df.filter(held), self.target))

    def score_counts(self, scorecard: Any) -> pd.DataFrame:
        """Rows per (score, bad) of the scorecard's scores, scored per partition."""
        from pyspark.sql import functions as F

        names = list(scorecard.feature_names)
        target = self.target

        def count(batches: Any) -> Any:
            for batch in batches:
                if len(batch):
                    yield _score_table(pd.DataFrame({
                        "score": scorecard.score(batch).astype(np.int64),
                        "bad": batch[target].astype(np.int64)}))

        picked = self.df.select(*[F.col(f"`{c}`") for c in names], F.col(target))
        table = (picked.mapInPandas(count, "score long, bad long, n long")
                 .groupBy("score", "bad").agg(F.sum("n").alias("n")).toPandas())
        return _score_table(table.astype(np.int64), summed=True)

    def collect(self) -> pd.DataFrame:
        """Every row, by person then as-of date (for a sample: LightGBM runs on one machine)."""
        return _in_order(self.df.toPandas())

    def segment_counts(self, segment: str) -> dict[str, dict[str, int]]:
        from pyspark.sql import functions as F

        table = (self.df.groupBy(segment)
                 .agg(F.count(F.lit(1)).alias("size"), F.sum(self.target).alias("sum"))
                 .toPandas())
        return _segments(table, segment)

    def combinations(self, binning: Any, columns: Sequence[str]) -> pd.DataFrame:
        from pyspark.sql import functions as F

        target = self.target
        cols = list(columns)
        schema = ", ".join(f"`{c}` long" for c in cols) + ", bad long, n long"

        def count(batches: Any) -> Any:
            for batch in batches:
                if len(batch):
                    yield bin_combinations(binning, cols, batch, target)

        picked = self.df.select(*[F.col(f"`{c}`") for c in cols], F.col(target))
        summed = (picked.mapInPandas(count, schema)
                  .groupBy(*[F.col(f"`{c}`") for c in cols], "bad")
                  .agg(F.sum("n").alias("n")))
        table = summed.toPandas()
        for c in [*cols, "bad", "n"]:
            table[c] = table[c].astype(np.int64)
        return table


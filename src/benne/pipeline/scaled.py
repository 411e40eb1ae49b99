"""Training from counts: the path ``benne train --engine spark`` takes, on either engine.

The rows never reach Python whole; only statistics do (:mod:`benne.scale.counts`):

- features come from the one as-of query (:mod:`benne.features`) — on Spark as a DataFrame
  left on the cluster — and labels from the one label implementation
  (:func:`benne.labels.label_table`, on the store; its per-person table is joined on Spark);
- the **holdout** is a draw of people by a hash of their id and the seed
  (:func:`benne.scale.counts.draw`; the same people on both engines, about ``holdout_share`` of
  them, not stratified); a scorecard fitted from the counts of the other rows is measured on
  it from the counts of (score, bad), which give AUC, Gini and KS exactly;
- the shipped **scorecard** is fitted from the counts of every training row; the out-of-time
  metrics come from the (score, bad) counts of the later date's rows;
- the **challenger** (LightGBM) is not distributed here: it is trained on a sample of people
  (``challenger_sample`` rows expected, the same hash draw with another salt), collected to
  this process in person order; its holdout metrics come from the sample's holdout people,
  and its refit on the whole sample keeps the round count and calibration the first fit's
  cross-validation chose (as in :func:`~benne.models.train_models`).

``engine="duckdb"`` runs the same steps on in-memory frames (:class:`~benne.scale.FrameCounter`):
the statistics are the same integers, so the model folder is the same file by file
(checksums equal) as the Spark run's. The manifest records ``training: "counts"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benne.exceptions import InputError
from benne.pipeline.frames import KEY_COLUMNS, SEGMENT, frames_from_store
from benne.pipeline.train import Trained

__all__ = ["CHALLENGER_SAMPLE", "counted_discrimination", "score_on_spark", "spark_population",
           "train_counted_from_store"]

CHALLENGER_SAMPLE = 200_000
_CREDIT_RECORD = "credit__months_on_file"


def counted_discrimination(table: pd.DataFrame) -> dict[str, float]:
    """AUC, Gini and KS of scores (lower = riskier) from rows per (score, bad): what
    :func:`benne.models.training.discrimination` gives on the rows."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y = table["bad"].to_numpy()
    w = table["n"].to_numpy(dtype=np.float64)
    risk = -table["score"].to_numpy(dtype=np.float64)
    if len(np.unique(y)) < 2:
        raise InputError("the sample to measure holds only goods or only bads",
                         fix="train on more people or a later as-of date")
    auc = float(roc_auc_score(y, risk, sample_weight=w))
    fpr, tpr, _ = roc_curve(y, risk, sample_weight=w)
    n = float(w.sum())
    return {"auc": round(auc, 6), "gini": round(2 * auc - 1, 6),
            "ks": round(float(np.max(tpr - fpr)), 6), "rows": int(n),
            "bad_rate": round(float(w[y == 1].sum() / n), 6)}


def spark_population(session: Any, store: Path | str, lake: Path, as_of: dt.date, *,
                     rule: str, horizon_months: int | None) -> Any:
    """Everyone labelled good or bad as of ``as_of``: the features on Spark joined with the
    rule's labels, ``thin_file`` and the 0/1 ``bad`` (a Spark DataFrame)."""
    from pyspark.sql import functions as F

    from benne.features.engines import SparkEngine
    from benne.labels import get_rule, label_table

    engine = SparkEngine(lake, session=session)
    catalog = engine.catalog()
    features = engine.features_frame(catalog.resolve(None), as_of, catalog=catalog)
    labels = label_table(store, as_of, get_rule(rule, horizon_months=horizon_months))
    labels = labels[labels["status"].isin(("good", "bad"))]
    if labels.empty:
        raise InputError(f"no labelled people as of {as_of}", where=str(store),
                         fix="pick an as-of date with a performance window of data after "
                             "it (benne labels build shows who is labelled)")
    labelled = session.createDataFrame(pd.DataFrame({
        "person_id": labels["person_id"].astype(str),
        "bad": labels["bad"].astype(np.int64)}))
    joined = features.join(F.broadcast(labelled) if len(labels) < 2_000_000 else labelled,
                           on="person_id", how="inner")
    return joined.withColumn(SEGMENT, F.col(_CREDIT_RECORD).isNull().cast("tinyint"))


def _fingerprint(counts: dict[str, Any]) -> str:
    """SHA-256 of the training statistics (what the scorecard saw)."""
    h = hashlib.sha256()
    for name, cc in counts.items():
        h.update(json.dumps([name, [str(v) for v in cc.values], cc.goods.tolist(),
                             cc.bads.tolist(), cc.missing_goods, cc.missing_bads]).encode())
    return h.hexdigest()


def train_counted_from_store(
    store: Path | str, as_of: dt.date, *, oot_as_of: dt.date | None = None,
    rule: str = "credit", horizon_months: int | None = None, settings: Any = None,
    challenger: bool = True, challenger_sample: int = CHALLENGER_SAMPLE,
    without: Sequence[str] = (), engine: str = "duckdb", lake: Path | None = None,
    session: Any = None,
) -> Trained:
    """Train from the store's features and labels by counts (see the module docstring)."""
    import dataclasses

    from benne.features.registry import feature_meta
    from benne.labels import get_rule
    from benne.models import TrainedModels, TrainSettings
    from benne.models.challenger import train_challenger
    from benne.models.reasons import build_catalog
    from benne.scale import FrameCounter, SparkCounter, train_scorecard_counted
    from benne.scale.train import select_counted

    if challenger_sample < 1:
        raise InputError(f"challenger_sample must be at least 1; got {challenger_sample}",
                         where="--challenger-sample", fix="give a number of rows, e.g. 200000")
    chosen = get_rule(rule, horizon_months=horizon_months)
    tmp = None
    counters: list[Any] = []
    if engine == "spark":
        import tempfile

        from benne.features.api import export_store_to_lake
        from benne.scale.session import spark_session

        session = session or spark_session()
        if lake is None:
            tmp = Path(tempfile.mkdtemp(prefix="benne-lake-"))
            export_store_to_lake(Path(store), tmp)
            lake = tmp
        frames = [spark_population(session, store, lake, day, rule=rule,
                                   horizon_months=horizon_months).cache()
                  for day in (as_of, oot_as_of) if day is not None]
        counters = [SparkCounter(f, "bad") for f in frames]
    elif engine == "duckdb":
        train_frame, oot_frame = frames_from_store(store, as_of, oot_as_of, rule=rule,
                                                   horizon_months=horizon_months)
        counters = [FrameCounter(f, "bad") for f in (train_frame, oot_frame) if f is not None]
    else:
        raise InputError(f"engine must be 'duckdb' or 'spark'; got {engine!r}",
                         fix="use --engine duckdb or --engine spark")
    try:
        train = counters[0]
        oot = counters[1] if len(counters) > 1 else None
        meta = feature_meta(store)
        dropped = [n for n, m in meta.items() if m.dimension in without]
        s = settings or TrainSettings()
        columns = [c for c in train.columns() if c not in KEY_COLUMNS and c != "bad"]
        s = dataclasses.replace(s, exclude=tuple(dict.fromkeys(s.exclude + tuple(dropped))))
        rest, held = train.split(s.holdout_share, s.seed + 1)
        trial = train_scorecard_counted(rest, columns, meta, settings=s)
        sc = train_scorecard_counted(train, columns, meta, settings=s)
        counts = train.column_counts([c for c in columns if c not in s.exclude])
        names, metas, skipped = select_counted([c for c in columns if c not in s.exclude],
                                               counts, meta, s)
        metrics: dict[str, Any] = {
            "holdout": {"scorecard": counted_discrimination(held.score_counts(trial))}}
        ch = None
        n_rows = train.rows()
        if challenger:
            share = min(1.0, challenger_sample / max(n_rows, 1))
            sample = train if share >= 1.0 else train.split(share, s.seed, "challenger")[1]
            s_rest, s_held = sample.split(s.holdout_share, s.seed + 1)
            keep = [*names, "bad"]
            s_rest_frame, s_held_frame = s_rest.collect(), s_held.collect()
            trial_ch = train_challenger(s_rest_frame[keep], "bad", metas, settings=s)
            from benne.models.training import discrimination

            p = trial_ch.predict_pd(s_held_frame)
            y = s_held_frame["bad"].to_numpy()
            metrics["holdout"]["challenger"] = discrimination(
                y, -s.scale.from_pd(p).astype(float))
            whole = pd.concat([s_rest_frame, s_held_frame], ignore_index=True)
            whole = whole.sort_values(["person_id", "as_of"], kind="stable")
            ch = train_challenger(whole[keep].reset_index(drop=True), "bad", metas, settings=s,
                                  refit_of=trial_ch)
        models = TrainedModels(sc, ch, s, metas, build_catalog([metas[c] for c in names]),
                               excluded=dict(skipped))
        if oot is not None:
            metrics["oot"] = {"scorecard": counted_discrimination(oot.score_counts(sc))}
        models.metrics = metrics
        models.fingerprint = _fingerprint(counts)
        extra: dict[str, Any] = {
            "outcome": chosen.describe(),
            "label_rule": chosen.to_dict(),
            "model_kind": "bureau",
            "application_columns": [],
            "training": {"from": "counts", "challenger_sample": int(challenger_sample),
                         "holdout": "people drawn by a hash of their id and the seed"},
            "training_window": {
                "train_as_of": as_of.isoformat(),
                "oot_as_of": oot_as_of.isoformat() if oot_as_of else None,
                "horizon_months": chosen.horizon_months, "bad_definition": chosen.describe()},
            "segments": {"train": train.segment_counts(SEGMENT)}
                        | ({"oot": oot.segment_counts(SEGMENT)} if oot is not None else {}),
        }
        if without:
            extra["without_dimensions"] = list(without)
        return Trained(models, extra)
    finally:
        for c in counters:
            if isinstance(c, SparkCounter):
                c.df.unpersist()
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def score_on_spark(model_dir: Path | None, out: Path, *, input_path: Path | None = None,
                   observations: Path | None = None, db: Path | None = None,
                   as_of: Any = None, lake: Path | None = None, challenger: bool = False,
                   session: Any = None) -> dict[str, Any]:
    """``benne score --engine spark``: the scores table computed on Spark
    (:func:`benne.scale.score.score_spark`) into the Parquet folder ``out``, partitioned by
    band. The rows are a features table (``input_path``: Parquet file or folder, or CSV with
    a header), everyone in the store as of ``as_of`` (features on Spark), or the decisions of
    ``observations`` (features on Spark through the observation spine, keys passed through)."""
    import shutil
    import tempfile
    import time

    from benne.config import load_settings
    from benne.features.api import export_store_to_lake
    from benne.features.engines import SparkEngine
    from benne.models import load_model, read_table
    from benne.scale.score import score_spark, write_scores
    from benne.scale.session import spark_session

    if sum(x is not None for x in (input_path, observations, as_of)) != 1:
        raise InputError("give one of --input, --observations or --as-of", where="--input",
                         fix="score a features table, decisions, or the store as of a date")
    if out.suffix.lower() == ".csv":
        raise InputError(f"--engine spark writes a folder of Parquet; got {out.name}",
                         where="--out", fix="name a folder, e.g. --out scores/")
    settings = load_settings()
    models = load_model(model_dir or settings.model_dir)
    session = session or spark_session()
    t0 = time.perf_counter()
    tmp: Path | None = None
    try:
        store = Path(db or settings.store)
        lake = lake or settings.lake
        if lake is None and input_path is None:
            tmp = Path(tempfile.mkdtemp(prefix="benne-lake-"))
            export_store_to_lake(store, tmp)
            lake = tmp
        if input_path is not None:
            reader = session.read
            df = (reader.option("header", True).option("inferSchema", True).csv(str(input_path))
                  if input_path.suffix.lower() in (".csv", ".txt")
                  else reader.parquet(str(input_path)))
            used = set(models.scorecard.feature_names)
            if challenger and models.challenger is not None:
                used |= set(models.challenger.features)
            passthrough = [c for c in df.columns if c not in used]
            source = input_path.name
        elif as_of is not None:
            assert lake is not None
            day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
            engine = SparkEngine(lake, session=session)
            catalog = engine.catalog()
            df = engine.features_frame(catalog.resolve(None), day, catalog=catalog)
            passthrough, source = ["person_id", "as_of"], f"the store as of {day}"
        else:
            assert observations is not None
            from benne.pipeline.frames import observation_frame
            from benne.pipeline.score import _KEYS

            built = observation_frame(store, read_table(observations), target=None,
                                      engine="spark", lake=lake, source=observations.name)
            df = session.createDataFrame(built.frame)
            passthrough = [*_KEYS, *built.application_columns]
            source = observations.name
        write_scores(score_spark(models, df, passthrough=passthrough, challenger=challenger,
                                 source=source), out)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = int(session.read.parquet(str(out)).count())
    return {"rows": rows, "out": str(out), "engine": "spark",
            "model_version": models.model_version
            + ("+challenger" if challenger else ""),
            "seconds": round(time.perf_counter() - t0, 3)}

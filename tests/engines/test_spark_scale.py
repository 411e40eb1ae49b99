"""Spark and DuckDB on one simulated store: the same features, the same pre-bin counts, the
same model folder (checksums equal) and the same scores and reason codes for every person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benne.features import compute_features
from benne.features.api import export_store_to_lake
from benne.features.engines import SparkEngine
from benne.ingest import ingest
from benne.models import save_model
from benne.models.artifact import artifact_checksum, load_model
from benne.pipeline.frames import KEY_COLUMNS
from benne.pipeline.scaled import train_counted_from_store
from benne.scale import FrameCounter, SparkCounter
from benne.scale.score import score_spark, write_scores
from benne.scoring import score_frame
from benne.simulate import simulate

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

AS_OF = dt.date(2024, 10, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("scale")
    simulate(1_200, work / "sources", seed=11)
    path = work / "benne.duckdb"
    ingest([work / "sources"], None, path, now=dt.datetime(2026, 1, 1))
    export_store_to_lake(path, work / "lake")
    return path


def _spark_features(spark: Any, store: Path) -> Any:
    engine = SparkEngine(store.parent / "lake", session=spark)
    catalog = engine.catalog()
    return engine.features_frame(catalog.resolve(None), AS_OF, catalog=catalog)


def test_features_and_prebin_counts_are_the_same_on_both_engines(spark: Any,
                                                                  store: Path) -> None:
    duck = compute_features(store, AS_OF)
    on_spark = _spark_features(spark, store)
    assert on_spark.toArrow().sort_by("person_id").cast(duck.schema).equals(duck)
    frame = duck.to_pandas()
    rng = np.random.default_rng(0)  # any 0/1 target: the counts must agree whatever it is
    frame["bad"] = (rng.random(len(frame)) < 0.2).astype(np.int64)
    labelled = spark.createDataFrame(frame[["person_id", "bad"]])
    columns = [c for c in frame.columns if c not in KEY_COLUMNS and c != "bad"]
    here = FrameCounter(frame, "bad").column_counts(columns)
    there = SparkCounter(on_spark.join(labelled, "person_id"), "bad").column_counts(columns)
    assert list(there) == columns
    for c in columns:
        assert there[c] == here[c], c
        assert there[c].prebin_stats(100) == here[c].prebin_stats(100), c


def test_model_folder_and_scores_are_the_same_on_both_engines(spark: Any, store: Path,
                                                              tmp_path: Path) -> None:
    kw: dict[str, Any] = {"challenger_sample": 600}
    duck = train_counted_from_store(store, AS_OF, engine="duckdb", **kw)
    on_spark = train_counted_from_store(store, AS_OF, engine="spark",
                                        lake=store.parent / "lake", session=spark, **kw)
    save_model(duck.models, tmp_path / "duck", manifest_extra=duck.manifest_extra)
    save_model(on_spark.models, tmp_path / "spark", manifest_extra=on_spark.manifest_extra)
    assert artifact_checksum(tmp_path / "duck") == artifact_checksum(tmp_path / "spark")
    assert on_spark.models.challenger is not None
    assert on_spark.models.metrics["holdout"]["scorecard"]["rows"] > 100

    models = load_model(tmp_path / "spark")
    later = dt.date(2025, 1, 1)
    one = score_frame(models, compute_features(store, later).to_pandas(),
                      passthrough=["person_id"])
    engine = SparkEngine(store.parent / "lake", session=spark)
    catalog = engine.catalog()
    features = engine.features_frame(catalog.resolve(None), later, catalog=catalog)
    write_scores(score_spark(models, features, passthrough=["person_id"]), tmp_path / "scores")
    two = pd.read_parquet(tmp_path / "scores")
    assert sorted(p.name for p in (tmp_path / "scores").iterdir() if p.is_dir()) \
        == sorted(f"band={b}" for b in two["band"].unique())
    two = two.sort_values("person_id").reset_index(drop=True)[list(one.columns)]
    assert len(two) == len(one) > 1000
    assert one["reason_1"].notna().any()
    for c in one.columns:
        left = one[c].astype(object).where(one[c].notna(), None).tolist()
        right = two[c].astype(object).where(two[c].notna(), None).tolist()
        assert left == right, c


def test_train_and_score_commands_run_on_spark(spark: Any, store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from benne.cli import main

    lake = str(store.parent / "lake")
    code = main(["train", "--db", str(store), "--as-of", "2024-10-01", "--engine", "spark",
                 "--lake", lake, "--no-challenger", "--out", str(tmp_path / "m"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["training"]["from"] == "counts"
    code = main(["score", "--model", str(tmp_path / "m"), "--engine", "spark", "--db",
                 str(store), "--lake", lake, "--as-of", "2025-01-01", "--out",
                 str(tmp_path / "scores"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    scores = pd.read_parquet(tmp_path / "scores")
    assert summary["rows"] == len(scores) == compute_features(store, dt.date(2025, 1, 1)).num_rows
    assert set(scores["model_version"]) == {manifest["model_version"]}
    code = main(["score", "--model", str(tmp_path / "m"), "--engine", "spark", "--db",
                 str(store), "--out", str(tmp_path / "s.csv"), "--as-of", "2025-01-01"])
    assert code != 0 and "folder of Parquet" in capsys.readouterr().err

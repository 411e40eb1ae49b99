"""Shops' features: DuckDB on the store and Spark on the exported lake give the same table,
for one as-of date and for an observation spine of shops (a small simulated store)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from benne.features import compute_features
from benne.features.api import export_store_to_lake
from benne.features.merchants import MERCHANT_FEATURES
from benne.ingest import ingest
from benne.simulate import simulate
from benne.simulate.params import Params

AS_OF = dt.date(2024, 10, 1)


@pytest.fixture(scope="module")
def shop_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shops")
    sim = simulate(400, folder / "sim", seed=4, start=dt.date(2023, 6, 1), months=18,
                   params=Params(shop_owner_rate=0.4))
    store = folder / "s.duckdb"
    ingest([sim.paths[s] for s in ("identity", "merchants", "merchant_sales", "credit")],
           None, store, now=dt.datetime(2026, 1, 1))
    with duckdb.connect(str(store)) as con:
        owners = [r[0] for r in con.execute(
            "SELECT owner_person_id FROM merchants ORDER BY 1").fetchall()]
        # two earlier runs (the later one counts) and one on the as-of day (never counts)
        rows = [(p, d, "m1", s + i % 97) for i, p in enumerate(owners)
                for d, s in (("2024-03-01", 500), ("2024-07-01", 600), ("2024-10-01", 900))]
        con.executemany("INSERT INTO scores_history (person_id, as_of, model_version, score) "
                        "VALUES (?, ?::DATE, ?, ?)", rows)
    return store


def _both(store: Path, as_of: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    lake = store.parent / "lake"
    if not lake.exists():
        export_store_to_lake(store, lake)
    duck = compute_features(store, as_of, entity="merchant").to_pandas()
    spark = compute_features(None, as_of, engine="spark", lake=lake,
                             entity="merchant").to_pandas()
    return duck, spark


def _equal(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(duck.columns) == list(spark.columns)
    assert duck["merchant_id"].tolist() == spark["merchant_id"].tolist()
    for f in MERCHANT_FEATURES:
        a, b = duck[f.name].to_numpy(), spark[f.name].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), f.name
        assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-12, atol=0), f.name


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_shop_features_agree_on_one_date(shop_store: Path, spark: Any) -> None:
    duck, sp = _both(shop_store, AS_OF)
    _equal(duck, sp)
    assert len(duck) > 50
    assert duck.columns[0] == "merchant_id"
    # the owner's prior score is the latest run strictly before as_of
    assert duck["shop_owner_scores__prior_score"].between(600, 700).all()
    # every feature family is filled for someone
    assert duck[[f.name for f in MERCHANT_FEATURES]].notna().any().all()


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_shop_features_agree_on_observations(shop_store: Path, spark: Any) -> None:
    with duckdb.connect(str(shop_store), read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "SELECT merchant_id FROM merchants ORDER BY 1 LIMIT 6").fetchall()]
    obs = pd.DataFrame({"merchant_id": ids * 2,
                        "observed_at": ["2024-05-03T10:00:00"] * 6 + ["2024-11-20"] * 6})
    duck, sp = _both(shop_store, obs)
    _equal(duck, sp)
    assert duck["merchant_id"].tolist() == ids * 2
    early, late = duck.iloc[:6], duck.iloc[6:]
    assert (early["shop_owner_scores__prior_score"] < 600).all()
    assert (late["shop_owner_scores__prior_score"] >= 900).all()

"""One test body, two engines: DuckDB on the store and Spark on the exported lake agree with
the oracle (and so with each other) to float tolerance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benne.features import compute_features
from benne.features.api import export_store_to_lake
from tests.property.strategies_features import AS_OF, PEOPLE, days, moments, worlds, write_store
from tests.property.test_features_oracle import (
    assert_matches,
    assert_observations_match,
    expected_observations,
    expected_rows,
    observation_frame,
    registered_before,
)

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("spark", id="spark",
                 marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")]),
]


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark")  # the shared local session
    return request.param


def _compute(engine: str, store: Path, as_of: Any, **kw: Any) -> Any:
    if engine == "spark":
        lake = store.parent / "lake"
        export_store_to_lake(store, lake)
        return compute_features(None, as_of, engine="spark", lake=lake, **kw)
    return compute_features(store, as_of, engine="duckdb", **kw)


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
# Few examples: a Spark run costs seconds even on tiny data (the DuckDB engine is checked on
# many more in tests/property).
@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds(max_events=12),
       pairs=st.lists(st.tuples(st.sampled_from(PEOPLE), days), min_size=3, max_size=8))
def test_engine_matches_oracle(engine: str, tmp_path_factory: Any, world: dict[str, Any],
                               pairs: list[tuple[str, dt.date]]) -> None:
    folder = tmp_path_factory.mktemp(engine)
    store = write_store(folder / "s.duckdb", world)
    pairs = [*pairs, *registered_before(world, AS_OF)]
    table = _compute(engine, store, pd.DataFrame(pairs, columns=["person_id", "as_of"]))
    assert_matches(table, expected_rows(world, sorted(set(pairs))))


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@settings(max_examples=2, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds(max_events=12),
       observations=st.lists(st.tuples(st.sampled_from(PEOPLE), moments), min_size=3,
                             max_size=8))
def test_engine_observations_match_oracle(engine: str, tmp_path_factory: Any,
                                          world: dict[str, Any],
                                          observations: list[tuple[str, dt.datetime]]) -> None:
    store = write_store(tmp_path_factory.mktemp(engine) / "s.duckdb", world)
    frame = observation_frame(observations)
    table = _compute(engine, store, frame)
    assert_observations_match(table, expected_observations(world, observations),
                              list(frame["decision_id"]))


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_without_lake_exports_the_store(spark: Any, tmp_path: Path) -> None:
    world = {"tables": {"identity": [{
        "person_id": "p1", "registered_at": dt.datetime(2020, 1, 1), "real_name_verified": True,
        "birth_year": 1990, "gender": "male", "region": "west",
        "phone_number_since": dt.date(2019, 5, 1), "device_os": "ios", "email_domain": "x.org",
    }], "orders": [{
        "order_id": "o1", "person_id": "p1", "merchant_id": None,
        "ordered_at": dt.datetime(2024, 2, 1, 2, 0), "amount": 10.5, "category": "books",
        "status": "delivered", "hour": 2,
    }]}, "excluded": [], "scores": []}
    store = write_store(tmp_path / "s.duckdb", world)
    spark_out = compute_features(store, AS_OF, engine="spark")
    duck_out = compute_features(store, AS_OF)
    assert spark_out.equals(duck_out)
    assert spark_out.column("orders__night_share_365d").to_pylist() == [1.0]

"""Features users define (a Python file, no global registry) and custom-source families give
the same numbers on DuckDB and on Spark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from benne.features import compute_features
from benne.features.api import export_store_to_lake
from benne.features.registry import load_definitions
from benne.ingest import ingest_mapping
from tests.property.strategies_ingest import NOW

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("spark", id="spark",
                 marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")]),
]

DEFINITIONS = '''
from ibis import _

from benne.features.definitions import Agg, Feature, Window

FEATURES = [
    Feature("orders__books_count_365d", "behaviour", "orders",
            Agg("count", where=_.category == "books", window=Window(365)), "decreasing",
            "Number of book orders in the last 12 months.", "Read more."),
    Feature("topups__big_share", "fulfilment", "topups",
            Agg("share", predicate=_.amount >= 5.0), "decreasing",
            "Share of top-ups of 5 or more.", "Top up in larger amounts."),
]
'''

MAPPING = '''
[sources.topups]
dimension = "fulfilment"
id = "ref"
time = "at"
amount = "amount"
categories = ["network"]

[[files]]
path = "people.csv"
source = "identity"

[[files]]
path = "orders.csv"
source = "orders"
[files.constants]
status = "delivered"
hour = 12

[[files]]
path = "topups.csv"
source = "topups"
'''


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def _store(tmp: Path) -> Path:
    (tmp / "people.csv").write_text("person_id,registered_at,real_name_verified\n"
                                    "p1,2023-01-01,true\np2,2023-01-01,false\n")
    (tmp / "orders.csv").write_text(
        "order_id,person_id,ordered_at,amount,category\n"
        "o1,p1,2024-01-05 10:00:00,10,books\no2,p1,2024-02-05 10:00:00,12,books\n"
        "o3,p2,2024-02-05 10:00:00,8,games\no4,p1,2024-06-05 10:00:00,8,books\n")
    (tmp / "topups.csv").write_text(
        "ref,person_id,at,amount,network\nt1,p1,2024-01-01 08:00,2,mtn\n"
        "t2,p1,2024-02-01 08:00,6,mtn\nt3,p2,2024-02-10 08:00,9,glo\n")
    (tmp / "m.toml").write_text(MAPPING)
    ingest_mapping(tmp / "m.toml", tmp / "s.duckdb", now=NOW)
    return tmp / "s.duckdb"


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_user_and_custom_features_on_both_engines(engine: str, tmp_path: Path) -> None:
    store = _store(tmp_path)
    (tmp_path / "mine.py").write_text(DEFINITIONS)
    mine = load_definitions(tmp_path / "mine.py")
    kw: dict[str, Any] = {"engine": engine, "definitions": mine}
    if engine == "spark":
        export_store_to_lake(store, tmp_path / "lake")
        table = compute_features(None, dt.date(2024, 3, 1), lake=tmp_path / "lake", **kw)
    else:
        table = compute_features(store, dt.date(2024, 3, 1), **kw)
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert rows["p1"]["orders__books_count_365d"] == 2.0  # the June order is after as-of
    assert rows["p2"]["orders__books_count_365d"] == 0.0
    assert rows["p1"]["topups__big_share"] == 0.5
    assert rows["p2"]["topups__big_share"] == 1.0
    assert rows["p1"]["topups__count_365d"] == 2.0
    assert rows["p1"]["topups__network_mtn_share"] == 1.0
    assert rows["p2"]["topups__amount_sum_365d"] == 9.0
    # the built-in features are still all there
    assert "bills__on_time_share_365d" in table.column_names
    # and nothing was registered globally: without the definitions they are unknown
    assert "orders__books_count_365d" not in compute_features(
        store, dt.date(2024, 3, 1)).column_names


def test_features_list_shows_custom_and_user_features(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    from benne.cli import main

    store = _store(tmp_path)
    (tmp_path / "mine.py").write_text(DEFINITIONS)
    capsys.readouterr()
    assert main(["features", "list", "--db", str(store), "--definitions",
                 str(tmp_path / "mine.py"), "--dimension", "fulfilment"]) == 0
    out = capsys.readouterr().out
    assert "topups__amount_trend_90d" in out and "topups__big_share" in out
    assert "topups__network_glo_share_365d" in out
    assert "orders__books_count_365d" not in out  # behaviour, filtered out


def test_features_command_lists_empty_and_constant_features(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    from benne.cli import main

    store = _store(tmp_path)
    capsys.readouterr()
    assert main(["features", "--as-of", "2024-03-01", "--db", str(store), "--out",
                 str(tmp_path / "f.parquet")]) == 0
    out = capsys.readouterr().out
    assert "empty for everyone" in out and "bills__on_time_share_365d" in out
    assert "one value for everyone" in out and "orders__night_share_365d" in out

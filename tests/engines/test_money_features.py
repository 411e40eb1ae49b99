"""Fixed-amount thresholds follow the store's currency, on DuckDB and on Spark alike: converted
from US dollars with the rate the mapping gives, or left empty (and said so) without one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benne.exceptions import ConfigError
from benne.features import compute_features
from benne.features.api import export_store_to_lake
from benne.ingest import ingest_mapping
from tests.property.strategies_ingest import NOW

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("spark", id="spark",
                 marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")]),
]
LARGE = ("transfers__large_in_count_365d", "transfers__large_in_share_365d")
AS_OF = dt.date(2024, 6, 1)

# Amounts in naira. At 1,500 naira to the dollar the 100-dollar threshold is 150,000 naira:
# p1 receives 149,999 (below), 150,000 and 200,000 (at or above) and 50,000 (below), and sends
# 300,000 to p2 (outgoing, not counted for p1); p3 receives nothing.
TRANSFERS = ("id,from,to,at,amount\n"
             "t1,p2,p1,2024-01-10 09:00,149999\n"
             "t2,p2,p1,2024-02-10 09:00,150000\n"
             "t3,p2,p1,2024-03-10 09:00,200000\n"
             "t4,p3,p1,2024-04-10 09:00,50000\n"
             "t5,p1,p2,2024-05-10 09:00,300000\n"
             "t6,p3,p1,2024-07-10 09:00,900000\n")  # after as-of: never counts


def _mapping(top: str) -> str:
    return top + '''
[[files]]
path = "people.csv"
source = "identity"

[[files]]
path = "transfers.csv"
source = "transfers"
[files.columns]
transfer_id = "id"
from_person = "from"
to_person = "to"
at = "at"
amount = "amount"
'''


def _store(tmp: Path, top: str) -> Path:
    (tmp / "people.csv").write_text("person_id,registered_at,real_name_verified\n"
                                    "p1,2023-01-01,true\np2,2023-01-01,true\n"
                                    "p3,2023-01-01,false\n")
    (tmp / "transfers.csv").write_text(TRANSFERS)
    (tmp / "m.toml").write_text(_mapping(top))
    ingest_mapping(tmp / "m.toml", tmp / "s.duckdb", now=NOW)
    return tmp / "s.duckdb"


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def _features(engine: str, store: Path, tmp: Path) -> dict[str, dict[str, Any]]:
    if engine == "spark":
        export_store_to_lake(store, tmp / "lake")
        table = compute_features(None, AS_OF, engine="spark", lake=tmp / "lake",
                                 features=[*LARGE, "transfers__in_count_90d"])
    else:
        table = compute_features(store, AS_OF, features=[*LARGE, "transfers__in_count_90d"])
    return {r["person_id"]: r for r in table.to_pylist()}


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_threshold_is_converted_with_the_mappings_dollar_rate(engine: str,
                                                              tmp_path: Path) -> None:
    store = _store(tmp_path, 'currency = "NGN"\n[currencies]\nUSD = 1500\n')
    rows = _features(engine, store, tmp_path)
    # hand-counted against 150,000 naira (against a raw 100 p1 would count 4)
    assert rows["p1"]["transfers__large_in_count_365d"] == 2.0
    assert rows["p1"]["transfers__large_in_share_365d"] == 0.5
    assert rows["p2"]["transfers__large_in_count_365d"] == 1.0
    assert rows["p2"]["transfers__large_in_share_365d"] == 1.0
    assert rows["p3"]["transfers__large_in_count_365d"] == 0.0  # sends, never receives
    assert rows["p3"]["transfers__large_in_share_365d"] is None


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_without_a_dollar_rate_the_features_are_empty_and_said_so(
        engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path, 'currency = "NGN"\n')
    capsys.readouterr()
    rows = _features(engine, store, tmp_path)
    assert all(rows[p][n] is None for p in rows for n in LARGE)
    assert rows["p1"]["transfers__in_count_90d"] == 2.0  # March and April: still computed
    err = capsys.readouterr().err
    notice = [line for line in err.splitlines() if "left empty" in line]
    assert len(notice) == 1
    assert all(n in notice[0] for n in LARGE)
    assert "NGN" in notice[0] and "USD = " in notice[0] and "[currencies]" in notice[0]


def test_features_command_prints_the_notice_once(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from benne.cli import main

    store = _store(tmp_path, 'currency = "NGN"\n')
    capsys.readouterr()
    assert main(["features", "--as-of", str(AS_OF), "--db", str(store), "--out",
                 str(tmp_path / "f.parquet")]) == 0
    err = capsys.readouterr().err
    assert sum("left empty" in line for line in err.splitlines()) == 1


def test_the_store_records_its_currency(tmp_path: Path) -> None:
    store = _store(tmp_path, 'currency = "NGN"\n[currencies]\nUSD = 1500\n')
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT * FROM store_currency").fetchall() == [("NGN", 1500.0)]
    # loading again without a rate keeps the recorded one
    (tmp_path / "m.toml").write_text(_mapping('currency = "NGN"\n'))
    result = ingest_mapping(tmp_path / "m.toml", store, now=NOW)
    assert (result.currency, result.usd_rate) == ("NGN", 1500.0)
    # another currency in the same store is refused, nothing loaded
    (tmp_path / "m.toml").write_text(_mapping('currency = "KES"\n'))
    with pytest.raises(ConfigError, match="holds amounts in NGN"):
        ingest_mapping(tmp_path / "m.toml", store, now=NOW)


def test_a_store_loaded_in_dollars_refuses_a_first_other_currency(tmp_path: Path) -> None:
    store = _store(tmp_path, "")  # no currency named: the store is in US dollars
    with duckdb.connect(str(store), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert "store_currency" not in tables
    (tmp_path / "m.toml").write_text(_mapping('currency = "NGN"\n'))
    with pytest.raises(ConfigError, match="holds amounts in USD"):
        ingest_mapping(tmp_path / "m.toml", store, now=NOW)


def test_amounts_converted_to_dollars_keep_the_dollar_threshold(tmp_path: Path) -> None:
    # the transfers are in naira, converted at load into a reporting currency of US dollars
    _store(tmp_path, "")
    (tmp_path / "m.toml").write_text(_mapping('currency = "USD"\n[currencies]\nNGN = 0.0005\n')
                                     .replace('source = "transfers"\n',
                                              'source = "transfers"\ncurrency = "NGN"\n'))
    store = tmp_path / "usd.duckdb"
    ingest_mapping(tmp_path / "m.toml", store, now=NOW)
    rows = {r["person_id"]: r for r in compute_features(store, AS_OF, features=list(LARGE))
            .to_pylist()}
    # 0.0005 dollars a naira: 200,000 naira is 100 dollars, 150,000 is 75 dollars
    assert rows["p1"]["transfers__large_in_count_365d"] == 1.0
    assert rows["p2"]["transfers__large_in_count_365d"] == 1.0


def test_descriptions_state_the_converted_amount(tmp_path: Path) -> None:
    from benne.features.registry import feature_meta

    meta = feature_meta(_store(tmp_path, 'currency = "NGN"\n[currencies]\nUSD = 1500\n'))
    assert "150,000 NGN or more" in meta["transfers__large_in_count_365d"].description
    assert "of 100 or more" in feature_meta()["transfers__large_in_count_365d"].description


def test_a_dollar_rate_that_is_not_a_positive_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[currencies\] USD must be a positive number"):
        _store(tmp_path, 'currency = "NGN"\n[currencies]\nUSD = "1500"\n')


@pytest.mark.parametrize("top,said", [
    ('currency = "NGN"\n[currencies]\nUSD = 1500\n', "amounts in NGN; one US dollar = 1,500 NGN"),
    ('currency = "NGN"\n', "no value of the US dollar in NGN"),
])
def test_ingest_says_the_store_currency(tmp_path: Path, top: str, said: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from benne.cli import main

    _store(tmp_path, top)
    capsys.readouterr()
    assert main(["ingest", "--mapping", str(tmp_path / "m.toml"), "--db",
                 str(tmp_path / "again.duckdb")]) == 0
    assert said in capsys.readouterr().out

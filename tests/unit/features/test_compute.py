"""compute_features on small hand-made stores: contract, edges and errors."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from benne.exceptions import ConfigError, NotFoundError, ValidationError
from benne.features import FEATURES, compute_features
from tests.property.strategies_features import write_store

AS_OF = dt.date(2024, 3, 1)


def _person(pid: str, registered: dt.datetime) -> dict:
    return {"person_id": pid, "registered_at": registered, "real_name_verified": True,
            "birth_year": 1980, "gender": "other", "region": "east",
            "phone_number_since": dt.date(2024, 3, 1), "device_os": None, "email_domain": None}


def _bill(i: int, due: dt.date, paid: dt.date | None) -> dict:
    return {"bill_id": f"b{i}", "person_id": "p1", "biller_type": "phone",
            "issued_at": due - dt.timedelta(days=10), "due_at": due, "amount": 20.0,
            "paid_at": paid}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    world = {"tables": {
        "identity": [_person("p1", dt.datetime(2020, 1, 1)),
                     _person("p2", dt.datetime(2024, 3, 1, 0, 0))],  # registers at as_of
        "bills": [
            _bill(1, dt.date(2024, 2, 1), dt.date(2024, 1, 30)),   # on time
            _bill(2, dt.date(2024, 2, 20), dt.date(2024, 3, 1)),   # paid at as_of: unknown
            _bill(3, dt.date(2023, 3, 1), dt.date(2023, 3, 5)),    # due 366 days ago
            _bill(4, dt.date(2024, 3, 1), None),                   # due at as_of: not yet
        ],
    }, "excluded": [], "scores": []}
    return write_store(tmp_path / "s.duckdb", world)


def test_contract_columns_types_and_order(store: Path) -> None:
    table = compute_features(store, AS_OF)
    assert table.schema.names == ["person_id", "as_of", *(f.name for f in FEATURES)]
    assert table.schema.field("as_of").type == pa.date32()
    assert all(table.schema.field(f.name).type == pa.float64() for f in FEATURES)
    # p2 registered exactly at as_of: not yet a person at that date
    assert table.column("person_id").to_pylist() == ["p1"]


def test_bill_edges_and_missing_versus_zero(store: Path) -> None:
    row = compute_features(store, AS_OF).to_pylist()[0]
    assert row["bills__count_365d"] == 2          # b1 and b2; b3 is 366 days old, b4 not due
    assert row["bills__on_time_share_365d"] == 0.5
    assert row["bills__unpaid_365d"] == 1         # b2's payment on as_of is not known yet
    assert row["bills__max_days_late_365d"] == 0
    assert row["orders__count_365d"] is None      # never observed: missing, not zero
    assert row["identity__phone_tenure_days"] is None  # number held only from as_of on
    assert row["identity__account_age_days"] == (AS_OF - dt.date(2020, 1, 1)).days


def test_selected_features_come_in_the_order_asked(store: Path) -> None:
    names = ["bills__unpaid_365d", "savings__months_of_spend_365d"]
    table = compute_features(store, AS_OF, features=names)
    assert table.column_names == ["person_id", "as_of", *names]
    with pytest.raises(NotFoundError, match="unknown feature"):
        compute_features(store, AS_OF, features=["nope__x"])


def test_per_person_dates_table_is_validated(store: Path) -> None:
    frame = pd.DataFrame({"person_id": ["p1", "p1", "p1"],
                          "as_of": [dt.date(2024, 1, 15), AS_OF, AS_OF]})
    table = compute_features(store, frame)
    assert table.column("as_of").to_pylist() == [dt.date(2024, 1, 15), AS_OF]
    assert table.column("bills__count_365d").to_pylist() == [1.0, 2.0]
    with pytest.raises(ValidationError) as err:
        compute_features(store, pd.DataFrame({"person_id": ["p1", None], "as_of": [AS_OF] * 2}))
    assert err.value.where == "as-of table, row 2, field person_id"
    with pytest.raises(ValidationError, match="no column 'as_of'"):
        compute_features(store, pd.DataFrame({"person_id": ["p1"]}))


def test_store_without_dispute_or_score_tables_still_works(tmp_path: Path) -> None:
    path = tmp_path / "bare.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE identity AS SELECT 'p9' AS person_id, "
                    "TIMESTAMP '2020-01-01' AS registered_at, true AS real_name_verified, "
                    "1990 AS birth_year, 'male' AS gender, 'x' AS region, "
                    "NULL::DATE AS phone_number_since, 'ios' AS device_os, "
                    "NULL AS email_domain, 'p9' AS _record_id")
    row = compute_features(path, AS_OF).to_pylist()[0]
    assert row["identity__device_ios"] == 1.0
    assert row["transfers__counterparty_prior_score_mean_365d"] is None


def test_errors_are_one_line_and_name_the_fix(tmp_path: Path, store: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        compute_features(tmp_path / "none.duckdb", AS_OF)
    with pytest.raises(ConfigError, match="engine must be"):
        compute_features(store, AS_OF, engine="pandas")
    with pytest.raises(ValidationError, match="as_of must be a date"):
        compute_features(store, dt.datetime(2024, 1, 1))
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError) as err:
        compute_features(None, AS_OF, engine="spark", lake=tmp_path)
    assert err.value.fix == "pip install 'benne[spark]'"


def test_several_observations_of_one_person_within_one_day(tmp_path: Path) -> None:
    """An order at 10:00 counts for the 14:00 decision, not for the 09:00 one; a statement of
    that day counts for neither (a date is known at the end of its day); ids pass through."""
    from tests.property.strategies_features import write_store

    day = dt.date(2024, 3, 1)
    world = {"tables": {
        "identity": [{"person_id": "p1", "registered_at": dt.datetime(2020, 1, 1),
                      "real_name_verified": True, "birth_year": 1990, "gender": "male",
                      "region": "west", "phone_number_since": None, "device_os": "ios",
                      "email_domain": None}],
        "orders": [{"order_id": "o1", "person_id": "p1", "merchant_id": None,
                    "ordered_at": dt.datetime(2024, 3, 1, 10, 0), "amount": 10.0,
                    "category": "books", "status": "delivered", "hour": 10}],
        "credit": [{"account_id": "a1", "person_id": "p1", "product": "bnpl",
                    "statement_at": day, "limit": 300.0, "balance": 10.0,
                    "days_past_due": 0, "status": "open"}],
    }, "excluded": [], "scores": []}
    store = write_store(tmp_path / "s.duckdb", world)
    frame = pd.DataFrame({"person_id": ["p1", "p1", "p1"],
                          "observed_at": ["2024-03-01T14:00:00", "2024-03-01T09:00:00",
                                          "2024-03-01T14:00:00"],
                          "decision_id": ["L3", "L1", "L2"]})
    table = compute_features(store, frame, features=["orders__count_365d",
                                                     "credit__months_on_file"])
    assert table.column("decision_id").to_pylist() == ["L3", "L1", "L2"]
    assert table.column("observed_at").to_pylist() == [
        dt.datetime(2024, 3, 1, 14), dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 1, 14)]
    assert table.column("as_of").to_pylist() == [day] * 3
    assert table.column("orders__count_365d").to_pylist() == [1.0, None, 1.0]
    assert table.column("credit__months_on_file").to_pylist() == [None, None, None]
    next_day = compute_features(store, pd.DataFrame({"person_id": ["p1"],
                                                     "observed_at": ["2024-03-02"]}),
                                features=["credit__months_on_file"])
    assert next_day.column("credit__months_on_file").to_pylist() == [1.0]
    assert next_day.column("decision_id").to_pylist() == [None]


def test_observation_spine_is_validated(store: Path) -> None:
    with pytest.raises(ValidationError) as err:
        compute_features(store, pd.DataFrame({"person_id": ["p1", "p1"],
                                              "observed_at": ["2024-01-01", "soon"]}))
    assert err.value.where == "the observations, row 2, field observed_at"
    with pytest.raises(ValidationError, match="decision_id 'x' appears twice"):
        compute_features(store, pd.DataFrame({"person_id": ["p1", "p1"],
                                              "observed_at": ["2024-01-01"] * 2,
                                              "decision_id": ["x", "x"]}))
    with pytest.raises(ValidationError, match="entity_kind must be 'person' here; got 'shop'"):
        compute_features(store, pd.DataFrame({"entity_kind": ["shop"], "entity_id": ["m1"],
                                              "observed_at": ["2024-01-01"]}))

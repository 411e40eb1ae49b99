"""Labels: who is labelled, who is bad, the window edges, disputes and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from benne.exceptions import NotFoundError, ValidationError
from benne.labels import add_months, make_labels
from tests.property.strategies_features import write_store

AS_OF = dt.date(2023, 1, 31)


def _statement(person: str, account: str, day: dt.date, dpd: int = 0,
               status: str = "open") -> dict:
    return {"account_id": account, "person_id": person, "product": "credit_card",
            "statement_at": day, "limit": 1000.0, "balance": 100.0, "days_past_due": dpd,
            "status": status}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    credit = [
        _statement("good", "a1", dt.date(2023, 3, 1), dpd=30),
        _statement("bad_dpd", "a2", dt.date(2023, 6, 1), dpd=90),
        _statement("bad_co", "a3", dt.date(2023, 2, 1), status="charged_off"),
        _statement("edge_start", "a4", AS_OF, dpd=120),           # first day counts
        _statement("edge_end", "a5", dt.date(2024, 1, 31), dpd=120),  # as_of + 12 months: out
        _statement("edge_end", "a5b", dt.date(2024, 1, 30)),       # last day in: labelled good
        _statement("before", "a6", dt.date(2023, 1, 30), dpd=200),  # before as_of: no label
        _statement("disputed", "a7", dt.date(2023, 5, 1), dpd=150),
        _statement("disputed", "a8", dt.date(2023, 5, 1)),
    ]
    world = {"tables": {"credit": credit}, "excluded": [("credit", "a7|2023-05-01")],
             "scores": []}
    return write_store(tmp_path / "s.duckdb", world)


def test_labels_follow_the_performance_definition(store: Path) -> None:
    labels = make_labels(store, AS_OF)
    assert list(labels.columns) == ["person_id", "as_of", "bad"]
    assert dict(zip(labels.person_id, labels.bad, strict=True)) == {
        "bad_co": 1, "bad_dpd": 1, "disputed": 0, "edge_end": 0, "edge_start": 1, "good": 0,
    }
    assert set(labels.as_of) == {AS_OF}
    assert str(labels.bad.dtype) == "int64"


def test_threshold_and_horizon_are_configurable(store: Path) -> None:
    strict = make_labels(store, AS_OF, dpd_threshold=30)
    assert dict(zip(strict.person_id, strict.bad, strict=True))["good"] == 1
    short = make_labels(store, AS_OF, horizon_months=2)
    assert set(short.person_id) == {"bad_co", "edge_start", "good"}  # until 2023-03-31


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 11, 15), 14) == dt.date(2025, 1, 15)


def test_bad_input_is_refused(store: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="horizon_months"):
        make_labels(store, AS_OF, horizon_months=0)
    with pytest.raises(ValidationError, match="as_of must be a date"):
        make_labels(store, "2023-01-01")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="does not exist"):
        make_labels(tmp_path / "missing.duckdb", AS_OF)

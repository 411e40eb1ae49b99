"""Each validation rule refuses the row with the field and reason, and keeps the raw record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benne.ingest import ingest
from tests.property.strategies_ingest import NOW, people_rows, valid_row, write_rows


def _quarantine(store: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT source, row_number, field, reason, raw_record "
                           "FROM quarantine ORDER BY ingest_id, row_number").fetchall()
    finally:
        con.close()


@pytest.fixture
def people(tmp_path: Path) -> Path:
    store = tmp_path / "s.duckdb"
    ingest([write_rows(tmp_path / "identity.csv", "identity", people_rows())], None, store,
           now=NOW)
    return store


CASES = [
    # (source, override, field, reason)
    ("orders", {"amount": -0.01}, "amount", "negative value"),
    ("orders", {"person_id": "p404"}, "person_id", "unknown person"),
    ("orders", {"category": "weapons"}, "category",
     "not one of groceries|electronics|fashion|home|beauty|books|travel|games|luxury|lottery"
     "|other"),
    ("orders", {"ordered_at": "yesterday"}, "ordered_at", "not a valid timestamp"),
    ("orders", {"amount": "NaN"}, "amount", "not a finite number"),
    ("orders", {"order_id": ""}, "order_id", "required field is empty"),
    ("orders", {"ordered_at": dt.datetime(2025, 1, 3)}, "ordered_at",
     "after the moment of loading (2025-01-01 00:00)"),
    ("orders", {"ordered_at": "30/6/19 22:57:49"}, "ordered_at", "not a valid timestamp"),
    ("orders", {"ordered_at": "1899-12-31 10:00:00"}, "ordered_at",
     "before 1900: check the date format"),
    ("bills", {"due_at": dt.date(2026, 1, 3)}, "due_at",
     "absurdly in the future (after 2026-01-02)"),
    ("credit", {"days_past_due": -3}, "days_past_due", "negative value"),
    ("credit", {"days_past_due": 5000}, "days_past_due", "above the maximum 3650"),
    ("bills", {"paid_at": dt.date(2023, 12, 1)}, "paid_at", "paid before issued"),
    ("bills", {"due_at": dt.date(2023, 12, 1)}, "due_at", "due before issued"),
    ("identity", {"birth_year": 1850}, "birth_year", "below the minimum 1900"),
    ("identity", {"real_name_verified": "maybe"}, "real_name_verified",
     "not a valid true/false"),
    ("transfers", {"to_person": "stranger"}, "to_person", "unknown person"),
    ("merchant_sales", {"merchant_id": "m404"}, "merchant_id", "unknown merchant"),
    ("merchant_sales", {"rating": 6}, "rating", "above the maximum 5"),
    ("savings", {"at": "2024-02-30"}, "at", "not a valid date"),
]


@pytest.mark.parametrize(("source", "override", "field", "reason"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3][:20]}" for c in CASES])
def test_rule_refuses_row_naming_field_and_reason(people: Path, tmp_path: Path, source: str,
                                                  override: dict[str, Any], field: str,
                                                  reason: str) -> None:
    if source == "merchant_sales":  # the shop m0 must exist for the valid row
        ingest([write_rows(tmp_path / "merchants.csv", "merchants",
                           [valid_row("merchants", 0)])], None, people, now=NOW)
    new = {"person": "p_new"} if source == "identity" else {}  # not yet in the store
    good, bad = valid_row(source, 0, **new), valid_row(source, 1, **override)
    path = write_rows(tmp_path / f"{source}.csv", source, [good, bad])
    result = ingest([path], None, people, now=NOW)
    assert (result.rows_read, result.loaded, result.quarantined) == (2, 1, 1)
    [(src, row, got_field, got_reason, raw)] = [q for q in _quarantine(people) if q[0] == source]
    assert (src, row, got_field, got_reason) == (source, 2, field, reason)
    raw_record = json.loads(raw)
    assert set(raw_record) == set(good)  # every column of the original row is kept
    written = override[field]
    if isinstance(written, str) and written:  # an empty cell is kept as null
        assert raw_record[field] == written


def test_optional_fields_may_be_empty_and_rows_keep_their_types(people: Path,
                                                                tmp_path: Path) -> None:
    row = valid_row("bills", 0, paid_at=None)
    ingest([write_rows(tmp_path / "bills.csv", "bills", [row])], None, people, now=NOW)
    con = duckdb.connect(str(people), read_only=True)
    got = con.execute("SELECT bill_id, issued_at, amount, paid_at, _record_id, _version "
                      "FROM bills").fetchall()
    con.close()
    assert got == [("b0", dt.date(2024, 1, 1), 30.0, None, "b0", 1)]


def test_references_see_rows_loaded_earlier_in_the_same_command(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    people = write_rows(tmp_path / "identity.csv", "identity", people_rows(("p7",)))
    orders = write_rows(tmp_path / "orders.csv", "orders", [valid_row("orders", 0, person="p7")])
    result = ingest([orders, people], None, store, now=NOW)  # given out of order on purpose
    assert [f.source for f in result.files] == ["identity", "orders"]
    assert (result.loaded, result.quarantined) == (2, 0)


def test_integers_refuse_fractions_and_floats_refuse_text(people: Path, tmp_path: Path) -> None:
    rows = [valid_row("orders", 0, hour="7"), valid_row("orders", 1, hour=" 8 "),
            valid_row("orders", 2, hour="7.0"), valid_row("orders", 3, amount="1e3")]
    result = ingest([write_rows(tmp_path / "orders.csv", "orders", rows)], None, people,
                    now=NOW)
    assert (result.loaded, result.quarantined) == (3, 1)
    assert [(r[1], r[2], r[3]) for r in _quarantine(people)] == [
        (3, "hour", "not a valid whole number")]

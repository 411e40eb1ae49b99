"""For any mix of valid and broken rows, the accounting holds and valid rows land exactly once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings

from benne.ingest import ingest
from tests.property.strategies_ingest import NOW, order_loads, people_rows, write_rows


def _store_with_people(folder: Path) -> Path:
    store = folder / "s.duckdb"
    ingest([write_rows(folder / "identity.csv", "identity", people_rows())], None, store,
           now=NOW)
    return store


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(load=order_loads())
def test_accounting_holds_and_valid_rows_are_stored_once(load: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = _store_with_people(folder)
        path = write_rows(folder / "orders.csv", "orders", load["rows"])
        first = ingest([path], None, store, now=NOW)
        again = ingest([path], None, store, now=NOW)

        for r in (first, again):
            assert r.rows_read == len(load["rows"])
            assert r.rows_read == r.loaded + r.quarantined + r.duplicates
            assert r.quarantined == len(load["broken"])
            assert r.corrected == 0
        assert first.new == len(load["valid"])
        assert first.duplicates == load["repeats"]
        assert again.new == 0 and again.duplicates == len(load["valid"]) + load["repeats"]

        con = duckdb.connect(str(store), read_only=True)
        try:
            stored = con.execute(
                "SELECT order_id, person_id, amount, status, hour, count(*) OVER "
                "(PARTITION BY order_id) FROM orders ORDER BY order_id"
            ).fetchall()
            quarantined = con.execute(
                "SELECT row_number, field, reason FROM quarantine ORDER BY row_number"
            ).fetchall()
            log = con.execute("SELECT rows_read, loaded, quarantined, duplicates "
                              "FROM ingest_log WHERE source = 'orders' ORDER BY ingest_id"
                              ).fetchall()
        finally:
            con.close()
        expected = sorted((k, v["person_id"], v["amount"], v["status"], v["hour"], 1)
                          for k, v in load["valid"].items())
        assert stored == expected
        assert quarantined == sorted(load["broken"])  # kept once although loaded twice
        assert log == [(r.rows_read, r.loaded, r.quarantined, r.duplicates)
                       for r in (first, again)]

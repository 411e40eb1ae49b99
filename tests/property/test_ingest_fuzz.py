"""Damaged CSV never ends in a traceback: it loads, quarantines, or fails with one clear line."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from benne.cli import main
from benne.ingest import ingest
from tests.property.strategies_ingest import NOW, damaged_csv, people_rows, write_rows


@pytest.fixture(scope="module")
def people_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("people")
    store = folder / "s.duckdb"
    ingest([write_rows(folder / "identity.csv", "identity", people_rows())], None, store,
           now=NOW)
    return store


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=damaged_csv())
def test_damaged_csv_loads_or_fails_in_one_line(data: bytes, people_store: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = folder / "s.duckdb"
        shutil.copy(people_store, store)
        capsys.readouterr()
        (folder / "orders.csv").write_bytes(data)
        code = main(["--json", "ingest", str(folder / "orders.csv"), "--db", str(store)])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "internal error" not in err, err
        con = duckdb.connect(str(store), read_only=True)
        try:
            orders = con.execute("SELECT count(*) FROM orders").fetchall()[0][0]
            logged = con.execute(
                "SELECT count(*) FROM ingest_log WHERE source = 'orders'").fetchall()[0][0]
        finally:
            con.close()
        if code == 0:
            summary = json.loads(out)
            assert summary["rows_read"] == (summary["loaded"] + summary["quarantined"]
                                            + summary["duplicates"])
            assert orders == summary["loaded"] and logged == 1
        else:
            assert code == 2, err
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), err
            assert "orders.csv" in lines[0]
            if "nothing was loaded from" in lines[0]:  # every row refused: kept in quarantine
                summary = json.loads(out)
                assert summary["loaded"] == 0 and orders == 0 and logged == 1
            else:
                assert orders == 0 and logged == 0  # nothing of the failed load was kept

"""examples/card_events: the public card data mapped with its mapping file alone, trained end
to end (reads ../shared/data/card_events in place)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, shared_data

EXAMPLE = ROOT / "examples" / "card_events"


@pytest.mark.slow
def test_card_events_maps_and_trains_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    shared_data("card_events/credit_record.csv.zip")
    monkeypatch.setattr(sys, "argv", ["run.py", "--workdir", str(tmp_path)])
    runpy.run_path(str(EXAMPLE / "run.py"), run_name="__main__")
    out = capsys.readouterr().out
    with duckdb.connect(str(tmp_path / "card_events.duckdb"), read_only=True) as con:
        counts = dict(con.execute("SELECT source, sum(rows_read) FROM ingest_log "
                                  "GROUP BY 1").fetchall())
        reasons = con.execute("SELECT DISTINCT field, reason FROM quarantine").fetchall()
        [(custom,)] = con.execute("SELECT name FROM custom_sources").fetchall()
    assert counts == {"identity": 438_557, "applications": 438_557, "credit": 1_048_575}
    # only statements of accounts without an application are refused
    assert reasons == [("person_id", "unknown person")]
    assert custom == "applications"
    test_auc = [float(line.split("AUC")[1].split()[0]) for line in out.splitlines()
                if line.startswith("oot") and " scorecard " in line]
    assert test_auc and test_auc[0] > 0.65, out
    assert (tmp_path / "model" / "manifest.json").is_file()

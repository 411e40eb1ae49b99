"""``benne features``: list, compute with and without the subcommand, errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from benne.cli import main
from benne.features import FEATURES
from tests.property.strategies_features import write_store


@pytest.fixture
def store(tmp_path: Path) -> Path:
    people = [{"person_id": p, "registered_at": dt.datetime(2021, 5, 1),
               "real_name_verified": False, "birth_year": 1999, "gender": "female",
               "region": "r", "phone_number_since": None, "device_os": "android",
               "email_domain": None} for p in ("a", "b", "c")]
    return write_store(tmp_path / "s.duckdb", {"tables": {"identity": people},
                                               "excluded": [], "scores": []})


def test_list_prints_every_feature(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "features", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)["features"]
    assert [f["name"] for f in listed] == [f.name for f in FEATURES]
    assert all(f["tip"] and f["description"] for f in listed)


def test_compute_as_the_issue_writes_it(store: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.parquet"
    code = main(["--json", "features", "--as-of", "2024-01-01", "--db", str(store),
                 "--out", str(out)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 3 and summary["features"] == len(FEATURES)
    table = pq.read_table(out)
    assert table.column("person_id").to_pylist() == ["a", "b", "c"]


def test_compute_subcommand_with_people_file(store: Path, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("person_id,as_of\nb,2022-01-01\nc,2023-06-30\n")
    out = tmp_path / "f.parquet"
    assert main(["-q", "features", "compute", "--db", str(store), "--people", str(people),
                 "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column("as_of").to_pylist() == [dt.date(2022, 1, 1), dt.date(2023, 6, 30)]


def test_user_mistakes_give_one_line_errors(store: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", "--as-of", "2024-01-01", "--db", str(store)]) == 2
    assert "--out" in capsys.readouterr().err
    bad = tmp_path / "people.csv"
    bad.write_text("id\nx\n")
    assert main(["features", "--people", str(bad), "--as-of", "2024-01-01",
                 "--db", str(store), "--out", str(tmp_path / "o.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: people file has no person_id column") and err.count("\n") == 1


def test_observations_file_keeps_timestamps_and_decision_ids(store: Path, tmp_path: Path
                                                             ) -> None:
    obs = tmp_path / "loans.csv"
    obs.write_text("decision_id,person_id,observed_at\nL2,b,2022-01-01T15:30:00\n"
                   "L1,b,2022-01-01T09:00:00\nL3,c,2023-06-30\n")
    out = tmp_path / "f.parquet"
    assert main(["-q", "features", "--observations", str(obs), "--db", str(store),
                 "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names[:4] == ["person_id", "observed_at", "decision_id", "as_of"]
    assert table.column("decision_id").to_pylist() == ["L2", "L1", "L3"]
    assert table.column("observed_at").to_pylist() == [
        dt.datetime(2022, 1, 1, 15, 30), dt.datetime(2022, 1, 1, 9), dt.datetime(2023, 6, 30)]

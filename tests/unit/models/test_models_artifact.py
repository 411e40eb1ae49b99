"""The model folder: round trip, determinism, tamper detection, SQL export in DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from benne.exceptions import ModelError, TamperedArtifactError
from benne.models import (
    TrainSettings,
    artifact_checksum,
    export_sql,
    load_model,
    save_model,
    train_models,
)
from benne.scoring import score_frame

from .conftest import META, assert_same_scores


def test_round_trip_scores_identically(trained, frame, tmp_path: Path) -> None:
    folder = save_model(trained, tmp_path / "m", manifest_extra={"population": "test"})
    assert sorted(p.name for p in folder.iterdir()) == [
        "CHECKSUMS.sha256", "challenger.txt", "manifest.json", "reasons.json",
        "scorecard.csv", "scorecard.json"]
    loaded = load_model(folder)
    for ch in (False, True):
        assert_same_scores(score_frame(trained, frame, challenger=ch),
                           score_frame(loaded, frame, challenger=ch))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["population"] == "test"
    assert manifest["scale"] == {"base_points": 600.0, "base_odds": 10.0, "pdo": 20.0,
                                 "min": 350, "max": 950}
    assert {"numpy", "pandas", "scikit-learn", "lightgbm"} <= set(manifest["package_versions"])
    assert len(manifest["data_fingerprint"]) == 64
    card = pd.read_csv(folder / "scorecard.csv")
    assert {"feature", "label", "lower", "upper", "count", "bad_rate", "woe", "points"} \
        <= set(card.columns)


def test_same_data_settings_seed_same_checksum(frame, tmp_path: Path) -> None:
    s = TrainSettings(special_values=(-9.0,), exclude=("person_id",), seed=3)
    a = save_model(train_models(frame, "bad", META, settings=s), tmp_path / "a")
    b = save_model(train_models(frame, "bad", META, settings=s), tmp_path / "b")
    assert artifact_checksum(a) == artifact_checksum(b)
    c = save_model(train_models(frame.iloc[:-1], "bad", META, settings=s), tmp_path / "c")
    assert artifact_checksum(a) != artifact_checksum(c)


@pytest.mark.parametrize("victim", ["scorecard.json", "challenger.txt", "manifest.json"])
def test_tampered_artifact_refuses_to_load(trained, tmp_path: Path, victim: str) -> None:
    folder = save_model(trained, tmp_path / "m")
    path = folder / victim
    text = path.read_text()
    path.write_text(text.replace("0", "1", 1))
    with pytest.raises(TamperedArtifactError, match=victim):
        load_model(folder)


def test_missing_checksums_or_folder(trained, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model folder"):
        load_model(tmp_path / "absent")
    folder = save_model(trained, tmp_path / "m")
    (folder / "CHECKSUMS.sha256").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_model(folder)


def test_sql_export_gives_the_python_scores_in_duckdb(trained, frame) -> None:
    assert "city" in trained.scorecard.feature_names   # a categorical feature is covered
    sql = export_sql(trained)
    data = frame.copy()
    data.loc[:50, "city"] = None
    data.loc[51:60, "city"] = "atlantis"              # unseen category
    con = duckdb.connect()
    con.register("people", data)
    got = con.execute(f"SELECT {sql} AS score FROM people").fetchnumpy()["score"]
    want = score_frame(trained, data)["score"].to_numpy()
    np.testing.assert_array_equal(got.astype(int), want)


def test_code_feature_in_sql_and_round_trip(frame, tmp_path: Path) -> None:
    # no metadata: a flat table, so the few-valued days-past-due column is binned as codes
    s = TrainSettings(exclude=("person_id",), special_values=(-9.0,))
    models = train_models(frame, "bad", settings=s)
    kinds = {f.name: f.binner.to_dict()["type"] for f in models.scorecard.features}
    assert kinds["credit__worst_dpd_365d"] == "codes"
    data = frame.copy()
    data.loc[:40, "credit__worst_dpd_365d"] = 975.0      # a code never seen in training
    con = duckdb.connect()
    con.register("people", data)
    got = con.execute(f"SELECT {export_sql(models)} AS score FROM people").fetchnumpy()["score"]
    want = score_frame(models, data)["score"].to_numpy()
    np.testing.assert_array_equal(got.astype(int), want)
    loaded = load_model(save_model(models, tmp_path / "m"))
    assert_same_scores(score_frame(loaded, data), score_frame(models, data))


def test_thread_count_does_not_change_the_model(frame, tmp_path: Path) -> None:
    """One or two LightGBM threads: the same booster, files and artifact checksum."""
    folders = []
    for threads in (1, 2):
        s = TrainSettings(special_values=(-9.0,), exclude=("person_id",), threads=threads)
        folders.append(save_model(train_models(frame, "bad", META, settings=s),
                                  tmp_path / f"t{threads}"))
    one, two = folders
    text = (one / "challenger.txt").read_text()
    assert "Tree=0" in text and "num_threads" not in text
    assert text == (two / "challenger.txt").read_text()
    assert artifact_checksum(one) == artifact_checksum(two)
    assert "threads" not in json.loads((one / "manifest.json").read_text())["settings"]

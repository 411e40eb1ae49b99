"""``benne train`` from the store: features and labels as of dates, out-of-time validation, and
the interpersonal dimension switched off per model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from benne.cli import main
from benne.features.registry import feature_meta
from benne.ingest import ingest
from benne.simulate import simulate

pytestmark = pytest.mark.xdist_group("realism")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("train_store")
    simulate(5_000, work / "sources", seed=3)
    path = work / "benne.duckdb"
    ingest([work / "sources"], None, path, now=dt.datetime(2026, 1, 1))
    return path


def _train(store: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main(["train", "--db", str(store), "--as-of", "2024-10-01", "--oot-as-of",
                 "2025-01-01", "--no-challenger", "--out", str(out), "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_train_from_store_with_out_of_time_validation(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    summary = _train(store, tmp_path / "m", capsys)
    dims = {feature_meta()[f].dimension for f in summary["features"]}
    assert "relationships" in dims and "credit_history" in dims
    assert summary["metrics"]["oot"]["scorecard"]["rows"] > 1000
    assert 0.65 < summary["metrics"]["oot"]["scorecard"]["auc"] < 0.9
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["training_window"]["train_as_of"] == "2024-10-01"


def test_interpersonal_dimension_can_be_switched_off(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    summary = _train(store, tmp_path / "m", capsys, "--without-dimension", "relationships")
    meta = feature_meta()
    assert summary["features"]
    assert all(meta[f].dimension != "relationships" for f in summary["features"])
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["without_dimensions"] == ["relationships"]

"""The model layer and the commands, with a real model trained on synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benne.cli import main
from benne.dimensions import FeatureMeta
from benne.report import SECTIONS
from benne.report.model import report_from_model
from tests.unit.report.synthetic import FEATURES, make_scored

DIMENSION = {"bills": "fulfilment", "orders": "behaviour", "savings": "fulfilment",
             "transfers": "relationships"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benne.models import save_model, train_models

    frame = make_scored(4000, seed=21)
    frame = frame[frame["target"].notna()].rename(columns={"target": "bad"})
    meta = {f: FeatureMeta(f, DIMENSION[f.split("__")[0]], "auto", f"about {f}", "tip")
            for f in FEATURES}
    models = train_models(frame[[*FEATURES, "bad"]].astype({"bad": int}), "bad", meta)
    out = tmp_path_factory.mktemp("model") / "champion"
    save_model(models, out)
    return out


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("samples")
    frames = {
        "baseline": make_scored(3000, seed=31),
        "fresh": make_scored(3000, seed=32),
        "shifted": make_scored(3000, seed=33, shift=0.8),
    }
    paths = {}
    for name, frame in frames.items():
        frame = frame.drop(columns=["score", "pd", "band"]).rename(columns={"target": "bad"})
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    frames["fresh"].drop(columns=["score", "pd", "band"]).to_csv(folder / "fresh.csv",
                                                                 index=False)
    paths["fresh_csv"] = folder / "fresh.csv"
    return paths


def test_report_from_model_scores_and_reports_every_section(
    model_dir: Path, samples: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    report = report_from_model(model_dir, samples["fresh"], target="bad",
                               baseline=samples["baseline"], out=out, n_boot=30)
    html = out.read_text(encoding="utf-8")
    for key, heading in SECTIONS:
        assert f'<section id="{key}">' in html and f"<h2>{heading}</h2>" in html
    assert report.discrimination["models"]["champion"]["auc"]["value"] > 0.6
    assert [a["name"] for a in report.fairness["attributes"]] == [
        "age band", "gender", "region"]
    assert "switch_off" in report.fairness
    assert report.features["source"] == "scorecard"
    assert {i["name"] for i in report.features["items"]} <= set(FEATURES)
    assert report.stability["available"]
    # same inputs, same file
    again = tmp_path / "again.html"
    report_from_model(model_dir, samples["fresh"], target="bad",
                      baseline=samples["baseline"], out=again, n_boot=30)
    assert again.read_bytes() == out.read_bytes()


def test_monitor_exits_0_on_a_fresh_sample_and_3_on_a_shifted_one(
    model_dir: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["monitor", "--model", str(model_dir), "--baseline", str(samples["baseline"])]
    assert main([*args, "--recent", str(samples["fresh_csv"]), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["drifted"] == [] and "score" in summary["psi"]
    assert main([*args, "--recent", str(samples["shifted"])]) == 3
    captured = capsys.readouterr()
    assert "PSI" in captured.out
    error = captured.err.strip()
    assert error.startswith("error: drift over PSI 0.25")
    assert "score" in error and FEATURES[0] in error


def test_report_command_writes_the_file(
    model_dir: Path, samples: dict[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    code = main(["report", "--model", str(model_dir), "--data", str(samples["fresh"]),
                 "--protected", "gender,region", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["out"] == str(out) and summary["rows"] == 3000
    assert out.stat().st_size > 10_000


def test_user_mistakes_are_one_line_errors(
    model_dir: Path, samples: dict[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.parquet"
    assert main(["report", "--quiet", "--model", str(model_dir), "--data", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(missing) in err
    assert main(["report", "--model", str(model_dir), "--data", str(samples["fresh"]),
                 "--protected", "religion"]) == 2
    assert "protected column 'religion' is not in the data" in capsys.readouterr().err
    assert main(["report", "--model", str(tmp_path), "--data", str(samples["fresh"])]) == 2
    assert "model cannot be verified" in capsys.readouterr().err
    bad = pd.read_parquet(samples["fresh"]).assign(bad=7)
    bad.to_parquet(tmp_path / "bad.parquet")
    assert main(["report", "--model", str(model_dir), "--data", str(tmp_path / "bad.parquet")
                 ]) == 2
    assert "row 1, field bad" in capsys.readouterr().err

"""The pipeline on a simulated store: labels exclude the already-defaulted, training and
scoring by decision keep the decision ids, the holdout never splits a person, and the service
refuses a lender model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from benne.cli import main
from benne.exceptions import ModelError
from benne.models.training import grouped_split
from benne.pipeline import frames_from_store, train_from_observations

AS_OF = dt.date(2024, 10, 1)


def test_people_already_in_default_are_not_training_rows(sim_store: Path) -> None:
    with duckdb.connect(str(sim_store), read_only=True) as con:
        defaulted = {r[0] for r in con.execute("""
            SELECT person_id FROM credit WHERE statement_at < ?
            QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY statement_at DESC) = 1
                AND (days_past_due >= 90 OR status = 'charged_off')""", [AS_OF]).fetchall()}
        active = {r[0] for r in con.execute(
            "SELECT DISTINCT c.person_id FROM credit c JOIN identity i USING (person_id) "
            "WHERE c.statement_at >= ? AND c.statement_at < ? AND i.registered_at < ?",
            [AS_OF, dt.date(2025, 10, 1), AS_OF]).fetchall()}
    assert defaulted & active, "the store must hold defaulted people with later statements"
    train, _ = frames_from_store(sim_store, AS_OF)
    assert not set(train["person_id"]) & defaulted
    assert set(train["person_id"]) == active - defaulted
    assert set(train["thin_file"]) == {0, 1}  # first credit lines give thin-file outcomes


def test_grouped_split_never_splits_a_group() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 300, 2_000).astype(str)
    y = (rng.random(2_000) < 0.1).astype(np.int8)
    held = grouped_split(y, groups, 0.25, seed=1)
    frame = pd.DataFrame({"g": groups, "held": held})
    assert (frame.groupby("g")["held"].nunique() == 1).all()
    assert 0.18 < held.mean() < 0.32
    assert (held == grouped_split(y, groups, 0.25, seed=1)).all()


def test_decision_holdout_is_grouped_by_person(sim_store: Path, decisions: pd.DataFrame,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import benne.models.training as training

    seen: dict[str, np.ndarray] = {}
    real = training.grouped_split

    def spy(y: np.ndarray, groups: np.ndarray, share: float, seed: int) -> np.ndarray:
        seen["groups"], seen["held"] = groups, real(y, groups, share, seed)
        return seen["held"]

    monkeypatch.setattr(training, "grouped_split", spy)
    trained = train_from_observations(sim_store, decisions.drop(columns="app_amount"),
                                      challenger=False)
    assert trained.train is not None
    assert list(trained.train["decision_id"]) == list(decisions["decision_id"])
    assert (seen["groups"] == trained.train["person_id"].to_numpy()).all()
    by_person = pd.DataFrame({"p": seen["groups"], "held": seen["held"]})
    assert (by_person.groupby("p")["held"].nunique() == 1).all()
    assert trained.manifest_extra["model_kind"] == "bureau"
    assert trained.models.metrics["holdout"]["scorecard"]["rows"] == int(seen["held"].sum())


def test_decision_ids_through_train_and_score_and_the_service_refuses_a_lender_model(
        sim_store: Path, decisions: pd.DataFrame, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    obs = tmp_path / "loans.csv"
    decisions.to_csv(obs, index=False)
    lender = tmp_path / "lender"
    assert main(["--json", "train", "--db", str(sim_store), "--observations", str(obs),
                 "--no-challenger", "--out", str(lender)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert "target" in summary["outcome"]
    manifest = json.loads((lender / "manifest.json").read_text())
    assert manifest["model_kind"] == "lender"
    assert manifest["application_columns"] == ["app_amount"]
    assert manifest["outcome"] == summary["outcome"]

    later = decisions.drop(columns="target").head(40)
    later_file = tmp_path / "new_loans.csv"
    later.to_csv(later_file, index=False)
    out = tmp_path / "scores.parquet"
    assert main(["score", "--model", str(lender), "--db", str(sim_store), "--observations",
                 str(later_file), "--out", str(out)]) == 0
    scores = pd.read_parquet(out)
    assert list(scores.columns[:5]) == ["decision_id", "person_id", "observed_at", "as_of",
                                        "thin_file"]
    assert list(scores["decision_id"]) == list(later["decision_id"])
    assert scores["score"].between(350, 950).all()
    without = tmp_path / "no_amount.csv"
    later.drop(columns="app_amount").to_csv(without, index=False)
    assert main(["score", "--model", str(lender), "--db", str(sim_store), "--observations",
                 str(without), "--out", str(tmp_path / "x.parquet")]) == 2
    assert "needs application column(s) app_amount" in capsys.readouterr().err

    from benne.service import load_scores

    with pytest.raises(ModelError, match="lender model"):
        load_scores(f"sqlite:///{tmp_path / 'svc.sqlite'}", out, model_dir=lender)


def test_thin_file_people_are_trained_on_and_validated_apart(sim_store: Path,
                                                             tmp_path: Path) -> None:
    from benne.models import save_model
    from benne.pipeline import population_frame, train_from_store
    from benne.report.model import report_from_model

    trained = train_from_store(sim_store, AS_OF, oot_as_of=dt.date(2025, 1, 1),
                               challenger=False)
    segments = trained.manifest_extra["segments"]["train"]
    assert segments["thin_file"]["rows"] > 100 and segments["thin_file"]["bads"] > 0
    assert "credit obligation" in trained.manifest_extra["outcome"]
    card = trained.models.scorecard.table()
    credit_missing = card[(card["dimension"] == "credit_history") & (card["kind"] == "missing")]
    assert len(credit_missing) and (~credit_missing["empty"]).all()  # learnt, not neutral
    folder = save_model(trained.models, tmp_path / "m", manifest_extra=trained.manifest_extra)

    data = population_frame(sim_store, dt.date(2025, 1, 1))
    truth = pd.read_parquet(sim_store.parent / "sources" / "truth.parquet",
                            columns=["person_id", "creditworthiness"])
    data = data.merge(truth, on="person_id")
    report = report_from_model(folder, data, target="bad", latent="creditworthiness",
                               n_boot=50)
    thin, thick = report.segments["segments"]
    assert thin["rows"] > thin["labelled"] > 0 and "auc" in thin
    assert thin["auc"]["value"] > 0.6
    assert thin["predicted_within"], (thin["predicted"], thin["bad_rate"])
    assert thin["latent_rank_correlation"] > 0.3 and thick["latent_rank_correlation"] > 0.3
    assert dict(report.model_card)["Outcome predicted"] == trained.manifest_extra["outcome"]

"""Other people's data stays theirs: counterparty features enter a model only when asked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benne.features.registry import FEATURES
from benne.models import TrainSettings, train_models
from benne.models.reasons import read_column_dictionary
from benne.models.settings import is_others_data
from benne.scoring import score_frame


def _frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    mine = rng.normal(size=n)
    theirs = rng.uniform(0, 1, n)
    eta = 0.8 * mine + 2.5 * theirs - 2.5
    return pd.DataFrame({
        "transfers__in_count_90d": mine,
        "transfers__counterparty_delinquent_share_365d": theirs,
        "bad": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int),
    })


def test_registry_marks_exactly_the_counterparties_credit_features() -> None:
    marked = {f.name for f in FEATURES if is_others_data(f.name)}
    assert marked == {"transfers__counterparty_delinquent_share_365d",
                      "transfers__counterparty_worst_dpd_mean_365d",
                      "transfers__counterparty_prior_score_mean_365d",
                      "transfers__counterparty_prior_score_min_365d"}


def test_off_by_default_and_enabled_explicitly() -> None:
    frame = _frame()
    off = train_models(frame, "bad", challenger=False)
    name = "transfers__counterparty_delinquent_share_365d"
    assert name not in off.scorecard.feature_names
    assert "other people's" in off.scorecard.selection[name]["why"]
    on = train_models(frame, "bad", settings=TrainSettings(others_data=True), challenger=False)
    assert name in on.scorecard.feature_names


def test_a_column_dictionary_gives_flat_columns_real_texts(tmp_path) -> None:
    frame = _frame().rename(columns={"transfers__in_count_90d": "late_payments"})
    path = tmp_path / "columns.csv"
    path.write_text("column,description,tip,dimension,direction\n"
                    "late_payments,Late payments on your loans,Pay every instalment on time,"
                    "credit_history,increasing\n", encoding="utf-8")
    models = train_models(frame, "bad", read_column_dictionary(path), challenger=False)
    out = score_frame(models, frame)
    texts = [t for t in out["reason_1_text"].astype(object) if isinstance(t, str)
             and t.startswith("Late payments")]
    assert texts and all("Pay every instalment on time" in t and "yours is " in t
                         for t in texts)
    assert not any("Your value of late_payments" in str(t)
                   for t in out["reason_1_text"].astype(object))


def test_the_report_measures_what_others_data_adds_and_whom_it_costs(tmp_path) -> None:
    from benne.models import save_model
    from benne.report.model import report_from_model

    frame = _frame()
    frame["gender"] = np.where(frame["transfers__counterparty_delinquent_share_365d"] > 0.7,
                               "f", "m")
    on = train_models(frame, "bad", settings=TrainSettings(others_data=True), challenger=False)
    save_model(on, tmp_path / "on")
    fa = report_from_model(tmp_path / "on", frame, protected=["gender"], n_boot=10).fairness
    assert fa["others_features"] == ["transfers__counterparty_delinquent_share_365d"]
    od = fa["others_data"]
    assert od["auc_on"] > od["auc_off"]                      # what they add
    per = {g["group"]: g for g in od["groups"]}
    assert per["f"]["approval_off"] > per["f"]["approval_on"]  # whom they cost
    off = train_models(frame, "bad", challenger=False)
    save_model(off, tmp_path / "off")
    fa = report_from_model(tmp_path / "off", frame, protected=["gender"], n_boot=10).fairness
    assert "others_data" not in fa and fa["others_features"] == []

"""The service publishes bureau models only: a model that needs application columns is refused
where the service takes a model in (at start-up and when scores are loaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from benne.config import Settings
from benne.exceptions import ModelError
from benne.models import TrainSettings, save_model, train_models
from benne.service import create_app


def _model(folder: Path, application_columns: list[str]) -> Path:
    rng = np.random.default_rng(0)
    n = 2_000
    frame = pd.DataFrame({"bills__on_time_share_365d": rng.beta(5, 2, n),
                          "app_amount": rng.integers(1, 50, n) * 100.0})
    logit = -1.0 - 3.0 * (frame["bills__on_time_share_365d"] - 0.7) + frame["app_amount"] / 4000
    frame["bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    if not application_columns:
        frame = frame.drop(columns="app_amount")
    models = train_models(frame, "bad", settings=TrainSettings(), challenger=False)
    return save_model(models, folder, manifest_extra={
        "model_kind": "lender" if application_columns else "bureau",
        "application_columns": application_columns, "outcome": "test outcome"})


def test_the_service_refuses_to_start_with_a_lender_model(tmp_path: Path) -> None:
    lender = _model(tmp_path / "lender", ["app_amount"])
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite'}", model_dir=lender)
    with pytest.raises(ModelError, match="lender model") as err:
        with TestClient(create_app(settings)):
            pass
    assert "app_amount" in str(err.value) and "benne score --observations" in err.value.fix

    bureau = _model(tmp_path / "bureau", [])
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.sqlite'}", model_dir=bureau)
    with TestClient(create_app(settings)) as client:
        assert client.get("/openapi.json").status_code == 200

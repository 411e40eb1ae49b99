"""Shops end to end: simulate, ingest, train the shops' scorecard through the people's
pipeline, score shops; the holdout AUC sits in the realistic band and the scorecard is
within 0.02 of LightGBM on the same features."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from benne.cli import main
from benne.dimensions import MERCHANT_DIMENSIONS, dimension_column
from benne.ingest import ingest
from benne.labels import label_table
from benne.pipeline import train_from_store
from benne.simulate import simulate
from benne.simulate.params import Params

AS_OF = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def shop_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shops")
    # More shop owners than the default (3%), so a holdout of shops has enough defaults to
    # measure an AUC: about 6,000 shops, 2,600 of them with a merchant loan in the window.
    sim = simulate(30_000, folder / "sim", seed=3, params=Params(shop_owner_rate=0.2))
    store = folder / "s.duckdb"
    ingest([sim.paths[s] for s in ("identity", "merchants", "merchant_sales", "credit")],
           None, store, now=dt.datetime(2026, 1, 1))
    return store


@pytest.fixture(scope="module")
def trained(shop_store: Path) -> Any:
    return train_from_store(shop_store, AS_OF, entity="merchant")


def test_merchant_label_rule_reads_merchant_loans_only(shop_store: Path) -> None:
    shops = label_table(shop_store, AS_OF, "merchant")
    people = label_table(shop_store, AS_OF, "credit")
    assert list(shops.columns) == ["merchant_id", "as_of", "status", "bad"]
    assert shops["merchant_id"].str.startswith("M").all()
    counts = shops["status"].value_counts()
    assert counts["good"] > 1_500 and counts["bad"] > 100
    assert 0.04 < counts["bad"] / (counts["good"] + counts["bad"]) < 0.15
    # a shop's owner may be bad on another debt while the shop's loan is good, never the
    # reverse (the merchant loan is one of the owner's obligations)
    owner = {f"M{m[1:]}": s for m, s in zip(people["person_id"], people["status"], strict=True)}
    bad_shops = shops[shops["status"] == "bad"]["merchant_id"]
    assert all(owner[m] in ("bad", "excluded") for m in bad_shops)


def test_shop_holdout_auc_is_realistic_and_near_lightgbm(trained: Any) -> None:
    holdout = trained.models.metrics["holdout"]
    card, gbm = holdout["scorecard"]["auc"], holdout["challenger"]["auc"]
    assert 0.70 <= card <= 0.85, card
    assert abs(card - gbm) <= 0.02, (card, gbm)
    assert trained.manifest_extra["entity"] == "merchant"
    assert trained.manifest_extra["label_rule"]["rule"] == "merchant"
    dims = {f.meta.dimension for f in trained.models.scorecard.features}
    assert dims <= set(MERCHANT_DIMENSIONS) and len(dims) >= 3


def test_train_and_score_shops_from_the_command_line(
        shop_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # the service database the disputes live in
    model = tmp_path / "shops"
    assert main(["--quiet", "train", "--entity", "merchant", "--db", str(shop_store),
                 "--as-of", "2024-10-01", "--no-challenger", "--without-dimension", "owner",
                 "--out", str(model)]) == 0
    feats = tmp_path / "shop_features.parquet"
    assert main(["--quiet", "features", "--entity", "merchant", "--db", str(shop_store),
                 "--as-of", "2025-06-01", "--out", str(feats)]) == 0
    out = tmp_path / "shop_scores.parquet"
    assert main(["--quiet", "score", "--entity", "merchant", "--model", str(model),
                 "--input", str(feats), "--out", str(out)]) == 0
    scores = pd.read_parquet(out)
    assert scores["merchant_id"].str.startswith("M").all()
    assert scores["score"].between(350, 950).all()
    assert [dimension_column(d) for d in MERCHANT_DIMENSIONS] == [
        c for c in scores.columns if c.startswith("dim_")]
    assert scores[dimension_column("owner")].isna().all()  # the dimension was left out
    assert scores["reason_1_text"].notna().mean() > 0.9
    # reasons about refunds or ratings compare the shop with its category's norm
    texts = pd.concat([scores[f"reason_{i}_text"] for i in range(1, 5)]).dropna()
    normed = texts[texts.str.contains("your category's norm")]
    assert len(normed) > 20
    assert normed.str.contains(r"(?:above|below|at) your category's norm \(\w+ shops: ").all()
    # one row per decision: shops' loan applications, each as of its own moment
    apps = tmp_path / "applications.csv"
    ids = scores["merchant_id"].head(3).tolist()
    pd.DataFrame({"merchant_id": ids, "observed_at": ["2025-03-01T10:00:00"] * 3,
                  "decision_id": ["a1", "a2", "a3"]}).to_csv(apps, index=False)
    decided = tmp_path / "decisions.parquet"
    assert main(["--quiet", "score", "--entity", "merchant", "--model", str(model),
                 "--observations", str(apps), "--db", str(shop_store),
                 "--out", str(decided)]) == 0
    decisions = pd.read_parquet(decided)
    assert decisions["decision_id"].tolist() == ["a1", "a2", "a3"]
    assert decisions["merchant_id"].tolist() == ids
    assert decisions["score"].between(350, 950).all()
    # a people's model refuses to score shops, and the other way round
    capsys.readouterr()
    assert main(["score", "--model", str(model), "--input", str(feats),
                 "--out", str(tmp_path / "x.parquet")]) == 2
    assert "scores merchants, not persons" in capsys.readouterr().err


def test_report_has_the_shops_sections(trained: Any, tmp_path: Path) -> None:
    from benne.models import save_model
    from benne.report.model import report_from_model

    folder = tmp_path / "model"
    save_model(trained.models, folder, manifest_extra=trained.manifest_extra)
    out = tmp_path / "report.html"
    report = report_from_model(folder, trained.train, target="bad", out=out, n_boot=20)
    shops = report.shops
    assert shops["available"]
    cats = {c["category"]: c for c in shops["categories"]}
    assert set(cats) == {"food", "fashion", "electronics", "home", "beauty", "services",
                         "agriculture"}
    assert sum(c["rows"] for c in cats.values()) == len(trained.train)
    assert sum(c["bads"] for c in cats.values()) == int(trained.train["bad"].sum())
    assert all(0.5 < c["auc"] < 1.0 for c in cats.values() if c["bads"] >= 20)
    assert [d["dimension"] for d in shops["dimensions"]] == [
        d for d in MERCHANT_DIMENSIONS if any(d == f.meta.dimension
                                              for f in trained.models.scorecard.features)]
    assert [s["name"] for s in report.segments["segments"]] == ["new_shop", "established_shop"]
    html = out.read_text(encoding="utf-8")
    assert "Shops by category and dimension" in html and "New and established shops" in html

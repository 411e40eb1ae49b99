"""The default scale: one fixed map of the probability of default, bands people reach.

The data tests fit the scorecard on every public data set beside the project and check what the
README promises: under 0.5 % of scores clipped at either end, and each band's observed bad rate
inside the probability-of-default range documented for it (within a 95 % binomial interval, so
a band of a few dozen people is not failed on noise). The demo test runs the default demo.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from benne.models import TrainSettings, train_scorecard
from benne.models.settings import BANDS, Scale, band_of, band_pd_ranges
from tests.conftest import shared_data


def test_band_pd_ranges_are_contiguous_and_follow_the_map() -> None:
    scale = Scale()
    rows = band_pd_ranges(scale)
    assert [r["band"] for r in rows] == [name for _, name in BANDS]
    assert rows[0]["pd_high"] == 1.0 and rows[-1]["pd_low"] == 0.0
    for lower, upper in zip(rows, rows[1:], strict=False):
        assert lower["pd_low"] == pytest.approx(upper["pd_high"])
        assert lower["high"] + 1 == upper["low"]
    for r in rows:
        # a PD inside the band's range scores inside the band's scores
        mid = np.sqrt(max(r["pd_low"], 1e-6) * min(r["pd_high"], 0.97))
        assert r["low"] <= int(scale.from_pd(np.array([mid]))[0]) <= r["high"]
    # the documented table: good is 1.7 %-9.1 %, the floor 99.8 %
    good = rows[2]
    assert good["pd_low"] == pytest.approx(0.0174, abs=5e-4)
    assert good["pd_high"] == pytest.approx(0.0909, abs=5e-4)
    assert scale.pd_at(350) == pytest.approx(0.998, abs=1e-3)


def test_score_is_one_monotone_map_of_pd() -> None:
    p = np.concatenate([[1e-7], np.linspace(1e-5, 1 - 1e-5, 5001)])
    s = Scale().from_pd(p)
    assert (np.diff(s) <= 0).all()
    assert s[0] == 950 and s[-1] == 350


def _check(name: str, score: np.ndarray, raw_pd: np.ndarray, y: np.ndarray | None) -> None:
    scale = Scale()
    raw = scale.offset + scale.factor * np.log((1 - raw_pd) / raw_pd)
    low, high = float(np.mean(raw < scale.min - 0.5)), float(np.mean(raw > scale.max + 0.5))
    assert low < 0.005 and high < 0.005, (name, low, high)
    if y is None:
        return
    bands = band_of(score)
    for i, r in enumerate(band_pd_ranges(scale)):
        m = bands == i
        n, bad = int(m.sum()), int(y[m].sum())
        if n < 30:
            continue
        lo = beta.ppf(0.025, bad, n - bad + 1) if bad else 0.0
        hi = beta.ppf(0.975, bad + 1, n - bad) if bad < n else 1.0
        assert lo <= r["pd_high"] and hi >= r["pd_low"], (name, r["band"], n, bad / n)


def _prepared(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = shared_data(name)
    meta = json.loads((folder / "meta.json").read_text())
    text = {c: str for c in meta.get("categorical", [])}
    train = pd.read_csv(folder / "train.csv", dtype=text)
    test = pd.read_csv(folder / "test.csv", dtype=text).merge(
        pd.read_csv(folder / "test_labels.csv"), on="row_id")
    return train, test


@pytest.mark.slow
@pytest.mark.parametrize("name", ["credit_risk", "polish_bankruptcy", "credit_approval", "taiwan"])
def test_public_data_sets_are_not_clipped_and_bands_hold_their_pd(name: str) -> None:
    if name == "taiwan":
        df = pd.read_csv(shared_data("taiwan/UCI_Credit_Card.csv")).drop(columns=["ID"])
        test_rows = np.random.default_rng(42).random(len(df)) < 0.3
        train, test = df[~test_rows], df[test_rows].assign(row_id=0)
        target, settings = "Y", TrainSettings(special_values=(-2.0, -1.0))
    else:
        train, test = _prepared(name)
        target, settings = "target", TrainSettings()
    sc = train_scorecard(train, target, settings=settings)
    frame = test.drop(columns=["row_id", target])
    y = test[target].to_numpy()
    _check(name, sc.score(frame), sc.predict_pd(frame), y)
    # approvals at the scale's band edges are neither all nor none on the high-bad-rate sets
    if name == "credit_approval":
        assert 0.0 < float(np.mean(sc.score(frame) >= 550)) < 1.0


@pytest.mark.slow
def test_default_demo_population_reaches_the_bands(tmp_path) -> None:
    from benne.demo import run_demo

    out = run_demo(tmp_path / "demo")
    scores = pd.read_parquet(out.paths["scores"])
    latest = scores[scores["as_of"] == scores["as_of"].max()]
    share = latest["band"].value_counts(normalize=True)
    median_band = band_of(np.array([int(np.median(latest["score"]))]))[0]
    assert BANDS[median_band][1] == "good"
    assert share.get("very good", 0) + share.get("excellent", 0) >= 0.05
    assert share.get("poor", 0) <= 0.25
    assert (latest["score"] >= 690).any()
    _check("demo", latest["score"].to_numpy(), latest["pd"].to_numpy(), None)
    # out of time (labelled as of the earlier run): each band's bad rate inside its
    # documented range, and falling from poor to excellent
    from benne.models import load_model
    from benne.scoring import score_frame

    oot = pd.read_parquet(tmp_path / "demo" / "features" / "report_data.parquet")
    oot = oot[oot["bad"].notna()].reset_index(drop=True)  # people with an outcome
    scored = score_frame(load_model(out.paths["model"]), oot)
    y = oot["bad"].to_numpy()
    _check("demo oot", scored["score"].to_numpy(), scored["pd"].to_numpy(), y)
    rates = [y[scored["band"].to_numpy() == name].mean() for _, name in BANDS
             if (scored["band"] == name).sum() >= 30]
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False)), rates

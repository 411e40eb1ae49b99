"""Realistic difficulty: bad rate, scorecard AUC and signal in every dimension, on seed 42.

The features and the scorecard here are the test's own (see ``realism.py``), so the bands hold
for the data itself, whatever the official features and models become.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression

from benne.simulate import SimulationSummary, simulate

from .realism import DIMENSIONS, feature_frame, realism_report


@pytest.fixture(scope="module")
def report(population: SimulationSummary) -> dict[str, float]:
    return realism_report(population.out, population.as_of)


@pytest.fixture(scope="module")
def truth(population: SimulationSummary) -> pd.DataFrame:
    return pd.read_parquet(population.truth)


def test_bad_rate_among_people_with_credit_is_in_band(
        report: dict[str, float], population: SimulationSummary) -> None:
    assert 0.03 <= report["bad_rate"] <= 0.10
    # The summary reports the same rate from the simulated truth.
    assert population.bad_rate == pytest.approx(report["bad_rate"], abs=1e-9)


def test_scorecard_on_simulated_features_reaches_realistic_auc(report: dict[str, float]) -> None:
    assert 0.70 <= report["auc"] <= 0.85


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_each_dimension_carries_signal_but_none_alone_dominates(
        report: dict[str, float], dimension: str) -> None:
    assert report[f"iv_{dimension}"] > 0.02
    assert 0.52 < report[f"auc_{dimension}"] < 0.75
    assert report[f"auc_{dimension}"] < report["auc"]


def test_bad_rate_follows_the_target(tmp_path: Path) -> None:
    low = simulate(6_000, tmp_path / "low", seed=5, target_bad_rate=0.03)
    high = simulate(6_000, tmp_path / "high", seed=5, target_bad_rate=0.10)
    assert 0.015 < low.bad_rate < 0.05
    assert 0.07 < high.bad_rate < 0.14


def test_no_credit_share_is_the_thin_file(population: SimulationSummary,
                                          truth: pd.DataFrame, tmp_path: Path) -> None:
    assert truth.has_credit.mean() == pytest.approx(0.6, abs=0.005)
    first = duckdb.execute(f"""
        SELECT person_id, min(statement_at) AS first_at, bool_and(product = 'bnpl') AS bnpl_only,
               count(DISTINCT account_id) AS accounts
        FROM '{population.paths['credit']}' GROUP BY person_id""").df()
    thin = truth[~truth.has_credit].merge(first, on="person_id", how="left")
    # Thin-file people start with no credit; some obtain one small pay-later line over time.
    assert thin.first_line_at.isna().equals(thin.first_at.isna())
    assert (thin.dropna(subset=["first_at"]).first_at.dt.date
            == thin.dropna(subset=["first_at"]).first_line_at).all()
    assert thin.bnpl_only.dropna().all() and (thin.accounts.dropna() == 1).all()
    assert (thin.first_at.dropna() >= pd.Timestamp(population.start)).all()
    assert 0.3 < thin.first_line_at.notna().mean() < 0.7
    # Their outcome follows their latent risk: the ones who default are less creditworthy.
    lab = thin[thin.labelled]
    assert lab.defaulted.sum() > 20
    cw = lab.groupby("defaulted").creditworthiness.mean()
    assert cw[True] < cw[False] - 0.3
    other = simulate(3_000, tmp_path, seed=5, no_credit_share=0.7)
    other_truth = pd.read_parquet(other.truth)
    assert other_truth.has_credit.mean() == pytest.approx(0.3, abs=0.005)


def test_coverage_varies_as_in_life(population: SimulationSummary) -> None:
    """Not everyone has every source; most people have most of them."""
    con = duckdb.connect()
    shares = {}
    for name, column in [("orders", "person_id"), ("bills", "person_id"),
                         ("savings", "person_id"), ("transfers", "from_person"),
                         ("addresses", "person_id"), ("merchants", "owner_person_id")]:
        n = con.execute(f"SELECT count(DISTINCT {column}) "
                        f"FROM '{population.paths[name]}'").fetchone()[0]
        shares[name] = n / population.people
    assert 0.6 < shares["orders"] < 0.95
    assert 0.6 < shares["bills"] < 0.95
    assert 0.3 < shares["savings"] < 0.7
    assert 0.5 < shares["transfers"] < 0.95
    assert 0.85 < shares["addresses"] < 0.99
    assert 0.01 < shares["merchants"] < 0.08


def test_friends_resemble_each_other(population: SimulationSummary) -> None:
    pairs = duckdb.execute(f"""
        SELECT a.creditworthiness, b.creditworthiness
        FROM '{population.paths['transfers']}' t
        JOIN '{population.truth}' a ON a.person_id = t.from_person
        JOIN '{population.truth}' b ON b.person_id = t.to_person""").fetchnumpy()
    x, y = pairs.values()
    assert np.corrcoef(x, y)[0, 1] > 0.2


def test_traits_correlate_as_in_life(truth: pd.DataFrame, population: SimulationSummary) -> None:
    ident = pd.read_parquet(population.paths["identity"])
    df = truth.merge(ident, on="person_id")
    age = population.start.year - df.birth_year
    corr = df[["creditworthiness", "income", "conscientiousness", "stability"]].corr()
    assert corr.loc["creditworthiness", "conscientiousness"] > 0.25
    assert corr.loc["creditworthiness", "income"] > 0.15
    assert np.corrcoef(np.minimum(age, 47), df.income)[0, 1] > 0.1  # income grows with age
    phone_years = (pd.Timestamp(population.as_of) - pd.to_datetime(df.phone_number_since)
                   ).dt.days / 365.25
    assert df.stability.corr(np.log1p(phone_years)) > 0.2  # stability drives phone tenure


def _loglik(x: np.ndarray, y: np.ndarray) -> float:
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, y)
    p = np.clip(model.predict_proba(x)[:, 1], 1e-12, 1 - 1e-12)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_protected_attributes_shape_income_not_the_outcome(
        truth: pd.DataFrame, population: SimulationSummary) -> None:
    ident = pd.read_parquet(population.paths["identity"])
    df = truth.merge(ident, on="person_id")
    protected = np.column_stack([
        (population.start.year - df.birth_year - 40) / 13,
        (df.gender == "male").astype(float),
        (df.region == "capital").astype(float),
        (df.region == "highlands").astype(float),
    ])
    # As in real data: income differs by gender and region.
    assert df.income[df.gender == "male"].mean() - df.income[df.gender == "female"].mean() > 0.1
    by_region = df.groupby("region").income.mean()
    assert by_region["capital"] - by_region["highlands"] > 0.3
    # Given creditworthiness, the protected attributes add nothing to the outcome
    # (likelihood-ratio test among labelled people) ...
    lab = df.labelled.to_numpy()
    y = df.defaulted.to_numpy()[lab].astype(int)
    cw = df[["creditworthiness"]].to_numpy()[lab]
    with_protected = np.column_stack([cw, protected[lab]])
    lr = 2 * (_loglik(with_protected, y) - _loglik(cw, y))
    assert chi2.sf(lr, df=protected.shape[1]) > 0.01
    # ... although on their own they do predict it, through income (so the test has power).
    lr_alone = 2 * (_loglik(protected[lab], y) - _loglik(np.zeros((lab.sum(), 1)), y))
    assert chi2.sf(lr_alone, df=protected.shape[1]) < 0.01


def test_signal_comes_from_the_footprint_not_from_the_label_window(
        population: SimulationSummary) -> None:
    """Features use only rows before as-of; the label window is after it and holds the 90+."""
    frame = feature_frame(population.out, population.as_of)
    assert frame.worst_dpd.max() >= 90  # some were already behind before as-of ...
    assert (frame.bad == 1).sum() > (frame.worst_dpd >= 90).sum()  # ... most bads were not

"""A small synthetic modelling frame whose risk directions are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.dimensions import FeatureMeta


def synthetic_frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dpd = rng.poisson(1.0, n).astype(float) * 15          # riskier when higher
    on_time = rng.beta(5, 2, n)                           # safer when higher
    returns = rng.gamma(2.0, 1.0, n)                      # riskier when higher
    tenure = rng.uniform(0, 120, n)                       # safer when higher
    city = rng.choice(["north", "south", "east", "west"], n)
    eta = (0.03 * dpd - 2.5 * on_time + 0.3 * returns - 0.01 * tenure
           + pd.Series(city).map({"north": 0.0, "south": 0.4, "east": 0.8, "west": 0.1}).to_numpy())
    bad = (rng.random(n) < 1 / (1 + np.exp(-(eta - 0.3)))).astype(int)
    dpd[rng.random(n) < 0.08] = np.nan
    on_time[rng.random(n) < 0.05] = -9.0                  # special: "no bills"
    return pd.DataFrame({
        "person_id": [f"p{i:05d}" for i in range(n)],
        "credit__worst_dpd_365d": dpd,
        "bills__on_time_share_365d": on_time,
        "orders__returns_365d": returns,
        "identity__tenure_months": tenure,
        "transfers__noise": rng.normal(size=n),
        "city": city,
        "gender": rng.choice(["f", "m"], n),
        "bad": bad,
    })


META = {
    "credit__worst_dpd_365d": FeatureMeta("credit__worst_dpd_365d", "credit_history",
                                          "increasing", "Worst days past due in 12 months",
                                          "pay every instalment on time"),
    "bills__on_time_share_365d": FeatureMeta("bills__on_time_share_365d", "fulfilment",
                                             "decreasing", "Share of bills paid on time",
                                             "pay utility bills before the due date"),
    "orders__returns_365d": FeatureMeta("orders__returns_365d", "behaviour", "increasing",
                                        "Returned orders in 12 months", "return fewer orders"),
    "identity__tenure_months": FeatureMeta("identity__tenure_months", "identity", "decreasing",
                                           "Months since the account was opened",
                                           "keep your account open"),
    "transfers__noise": FeatureMeta("transfers__noise", "relationships", "auto",
                                    "Noise", "nothing to do"),
}


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="session")
def trained(frame: pd.DataFrame):
    from benne.models import TrainSettings, train_models

    settings = TrainSettings(special_values=(-9.0,), exclude=("person_id",))
    return train_models(frame, "bad", META, settings=settings)


def assert_same_scores(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Column-wise equality (pandas' assert_frame_equal is very slow on text categoricals)."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if isinstance(x.dtype, pd.CategoricalDtype):
            assert list(x.cat.categories) == list(y.cat.categories), c
            np.testing.assert_array_equal(x.cat.codes.to_numpy(), y.cat.codes.to_numpy())
        else:
            np.testing.assert_array_equal(x.to_numpy(), y.to_numpy(), err_msg=c)

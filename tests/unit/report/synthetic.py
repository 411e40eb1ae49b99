"""Synthetic scored frames for report tests: known protected attributes, known drift.

Shared by the unit tests and the browser test, so both read the same kind of data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = (
    "bills__on_time_share_365d",
    "orders__count_90d",
    "savings__months_365d",
    "transfers__counterparties_365d",
)
BANDS = ((550, "poor"), (600, "fair"), (650, "good"), (700, "very good"))


def band_of(score: np.ndarray) -> np.ndarray:
    uppers = np.array([u for u, _ in BANDS])
    labels = np.array([b for _, b in BANDS] + ["excellent"], dtype=object)
    return labels[np.searchsorted(uppers, score, side="right")]


def make_scored(n: int = 2000, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    """A scored frame whose risk depends on the features; ``shift`` moves the features."""
    rng = np.random.default_rng(seed)
    on_time = np.clip(rng.beta(5, 2, n) - shift * 0.3, 0, 1)
    orders = rng.poisson(6 + 4 * shift, n).astype(float)
    savings = rng.exponential(3 + 3 * shift, n)
    counterparties = rng.poisson(4, n).astype(float)
    savings[rng.random(n) < 0.2] = np.nan
    counterparties[rng.random(n) < 0.1] = np.nan
    logit = -1.5 - 3.0 * (on_time - 0.7) - 0.1 * np.nan_to_num(savings, nan=1.0)
    logit = logit - 0.05 * np.nan_to_num(counterparties, nan=2.0)
    p = 1 / (1 + np.exp(-logit))
    y = (rng.random(n) < p).astype(float)
    y[rng.random(n) < 0.15] = np.nan  # no credit product: scored, not labelled
    score = np.clip(np.round(600 + 40 / np.log(2) * (np.log((1 - p) / p) - np.log(50))
                             + 150), 350, 950).astype(int)
    return pd.DataFrame({
        "person_id": [f"p{i}" for i in range(n)],
        "as_of": pd.Timestamp("2024-01-01"),
        "score": score,
        "pd": p,
        "band": band_of(score),
        "target": y,
        "gender": rng.choice(["female", "male", "other"], n, p=[0.49, 0.49, 0.02]),
        "birth_year": rng.integers(1950, 2005, n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        FEATURES[0]: on_time,
        FEATURES[1]: orders,
        FEATURES[2]: savings,
        FEATURES[3]: counterparties,
    })


def make_scorecard(frame: pd.DataFrame) -> pd.DataFrame:
    """Quartile bins of each feature with counts, bad rates, WoE and points."""
    rows = []
    lab = frame[frame["target"].notna()]
    for f in FEATURES:
        cut = pd.qcut(lab[f], 4, duplicates="drop")
        g = lab.groupby(cut, observed=True)["target"].agg(["size", "mean"])
        for i, (interval, r) in enumerate(g.iterrows()):
            rows.append({"feature": f, "bin": str(interval), "count": int(r["size"]),
                         "bad_rate": float(r["mean"]), "woe": 0.1 * i, "points": 5.0 * i})
    return pd.DataFrame(rows)

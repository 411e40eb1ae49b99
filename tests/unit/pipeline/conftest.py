"""One small simulated store for the pipeline tests, and decisions on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benne.ingest import ingest
from benne.simulate import simulate

START = dt.date(2023, 10, 1)


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pipeline_store")
    simulate(2_500, work / "sources", seed=5, start=START, months=27)
    path = work / "benne.duckdb"
    ingest([work / "sources"], None, path, now=dt.datetime(2026, 1, 1))
    return path


@pytest.fixture(scope="session")
def decisions(sim_store: Path) -> pd.DataFrame:
    """Loan decisions: up to three per person (two on one day for some), a lender's target
    (the store's credit rule from each decision's date, as the lender would have recorded)
    and an application amount."""
    from benne.labels import label_table

    rng = np.random.default_rng(3)
    people = [f"P{n:07d}" for n in range(1, 2_501)]
    rows = []
    for i, person in enumerate(people):
        day = dt.datetime(2024, 9, 1) + dt.timedelta(days=int(rng.integers(0, 120)),
                                                     hours=int(rng.integers(8, 20)))
        moments = [day]
        if i % 3 == 0:
            moments.append(day + dt.timedelta(hours=2))  # a second application that day
        if i % 5 == 0:
            moments.append(day + dt.timedelta(days=40))
        for m in moments:
            rows.append({"decision_id": f"L{len(rows):05d}", "person_id": person,
                         "observed_at": m, "app_amount": float(rng.integers(1, 50) * 100)})
    frame = pd.DataFrame(rows)
    labels = label_table(sim_store, frame[["person_id", "observed_at"]])
    frame["target"] = labels["bad"].astype("float64").to_numpy()
    return frame[labels["status"].isin(("good", "bad")).to_numpy()].reset_index(drop=True)

"""The simulated population is realistic for benne's own pipeline, not only for a test proxy.

Simulate → ingest → point-in-time features → labels → scorecard, exactly as ``benne demo`` and
a user would run them, on a fixed seed. The bands are issue #3's: a 12-month bad rate of 3–10%
among people with credit, a scorecard AUC between 0.70 and 0.85 (published digital-footprint
models reach about 0.70 alone and 0.74 with bureau data), and every dimension carrying signal on
its own (IV > 0.02) while none alone exceeds AUC 0.75.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from benne.dimensions import DIMENSIONS
from benne.features import compute_features
from benne.features.registry import feature_meta
from benne.ingest import ingest
from benne.labels import make_labels
from benne.models import TrainSettings, train_models
from benne.simulate import simulate

pytestmark = pytest.mark.xdist_group("realism")

TRAIN_AS_OF = dt.date(2024, 10, 1)
OOT_AS_OF = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    work: Path = tmp_path_factory.mktemp("realism")
    simulate(12_000, work / "sources", seed=42)
    store = work / "benne.duckdb"
    ingest([work / "sources"], None, store, now=dt.datetime(2026, 1, 1))
    out = []
    for as_of in (TRAIN_AS_OF, OOT_AS_OF):
        x = compute_features(store, as_of).to_pandas()
        out.append(x.merge(make_labels(store, as_of), on=["person_id", "as_of"]))
    return out[0], out[1]


def _fit(train: pd.DataFrame, oot: pd.DataFrame, names: list[str]):  # type: ignore[no-untyped-def]
    meta = feature_meta()
    cols = [*names, "bad"]
    return train_models(train[cols], "bad", {n: meta[n] for n in names}, oot_frame=oot[cols],
                        settings=TrainSettings(seed=0), challenger=False)


def test_bad_rate_among_people_with_credit(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, oot = frames
    for frame in (train, oot):
        assert 0.03 <= frame["bad"].mean() <= 0.10


def test_scorecard_on_all_features_is_realistically_hard(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    train, oot = frames
    names = [c for c in train.columns if c in feature_meta()]
    metrics = _fit(train, oot, names).metrics
    assert 0.70 <= metrics["holdout"]["scorecard"]["auc"] <= 0.85
    assert 0.70 <= metrics["oot"]["scorecard"]["auc"] <= 0.85


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_each_dimension_alone_carries_some_but_not_all_signal(
    frames: tuple[pd.DataFrame, pd.DataFrame], dimension: str,
) -> None:
    train, oot = frames
    meta = feature_meta()
    names = [c for c in train.columns if c in meta and meta[c].dimension == dimension]
    assert names, f"no feature of {dimension}"
    models = _fit(train, oot, names)
    assert models.scorecard.features, f"{dimension}: no feature passed the IV filter (0.02)"
    best_iv = max(f.binner.iv_ for f in models.scorecard.features)
    assert best_iv > 0.02, f"{dimension}: best IV {best_iv:.4f}"
    auc = models.metrics["oot"]["scorecard"]["auc"]
    assert 0.52 < auc < 0.75, f"{dimension}: out-of-time AUC {auc:.3f}"

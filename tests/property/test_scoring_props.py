"""Properties of scoring: monotone in each feature's risk direction; reasons only from losses."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from benne.models import TrainSettings, train_models
from benne.scoring import score_frame, top_reasons
from tests.unit.models.conftest import META, synthetic_frame

NUMERIC = [n for n, m in META.items() if m.direction in ("increasing", "decreasing")]


@cache
def _models():
    s = TrainSettings(special_values=(-9.0,), exclude=("person_id",))
    return train_models(synthetic_frame(4000, seed=2), "bad", META, settings=s, challenger=False)


@cache
def _rows() -> pd.DataFrame:
    return synthetic_frame(300, seed=9)


@given(st.integers(0, 299), st.sampled_from(NUMERIC), st.floats(0, 200), st.floats(0, 200))
def test_score_is_monotone_in_the_risk_direction(row, feature, a, b) -> None:
    models = _models()
    if feature not in models.scorecard.feature_names:
        return
    lo, hi = sorted((a, b))
    base = _rows().iloc[[row, row]].reset_index(drop=True)
    base[feature] = [lo, hi]
    out = score_frame(models, base)
    s_lo, s_hi = out["score"].tolist()
    if META[feature].direction == "increasing":   # higher value = riskier = not more points
        assert s_hi <= s_lo
    else:
        assert s_hi >= s_lo


@given(st.integers(0, 299))
def test_reasons_only_from_features_that_lost_points(row) -> None:
    models = _models()
    sc = models.scorecard
    frame = _rows().iloc[[row]].reset_index(drop=True)
    out = score_frame(models, frame)
    pts = sc.points_matrix(sc.bin_matrix(frame))[0]
    for r in range(1, 5):
        code = out.at[0, f"reason_{r}"]
        if isinstance(code, str) and models.reasons[code].source:
            # missing data: some feature of that source is missing and lost points
            bins = sc.bin_matrix(frame)[0]
            assert any(bins[j] == f.binner.n_bins_ and pts[j] < f.max_points
                       for j, f in enumerate(sc.features)
                       if f.name.startswith(models.reasons[code].source))
        elif isinstance(code, str):
            f = sc.features[sc.feature_names.index(models.reasons[code].feature)]
            assert pts[sc.feature_names.index(f.name)] < f.max_points


@given(st.lists(st.lists(st.integers(-50, 50), min_size=6, max_size=6), min_size=1,
                max_size=40))
def test_top_reasons_equals_sorting(rows) -> None:
    lost = np.array(rows)
    feature, pts = top_reasons(lost)
    for i, r in enumerate(lost):
        want = [j for j in sorted(range(6), key=lambda j: (-r[j], j)) if r[j] > 0][:4]
        assert [j for j in feature[i] if j >= 0] == want
        assert [p for p in pts[i] if p > 0] == [r[j] for j in want]

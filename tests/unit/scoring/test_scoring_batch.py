"""score_frame: the scores contract, reasons against a naive oracle, dimensions, threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.dimensions import DIMENSIONS
from benne.exceptions import InputError
from benne.models import TrainSettings, train_models
from benne.scoring import score_frame, scores_columns, top_reasons
from tests.unit.models.conftest import META, assert_same_scores, synthetic_frame


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return synthetic_frame(5000, seed=11)


@pytest.fixture(scope="module")
def models(data: pd.DataFrame):
    s = TrainSettings(special_values=(-9.0,), exclude=("person_id",))
    return train_models(data, "bad", META, settings=s)


def test_contract_columns_and_values(models, data) -> None:
    out = score_frame(models, data, passthrough=["person_id"])
    assert list(out.columns) == scores_columns(["person_id"])
    assert out["person_id"].tolist() == data["person_id"].tolist()
    assert out["score"].between(350, 950).all() and out["pd"].between(0, 1).all()
    bands = pd.cut(out["score"], [349, 549, 599, 649, 699, 950],
                   labels=["poor", "fair", "good", "very good", "excellent"])
    assert (out["band"].astype(str) == bands.astype(str)).all()
    assert (out["model_version"] == models.model_version).all()
    for dim in DIMENSIONS:
        col = out[f"dim_{dim}"].dropna()
        assert col.between(0, 100).all()
    # relationships has no feature in the scorecard (its only feature is noise): NULL
    assert out["dim_relationships"].isna().all()


def test_dimension_is_null_when_its_data_is_missing(models, data) -> None:
    out = score_frame(models, data)
    missing = data["credit__worst_dpd_365d"].isna().to_numpy()
    assert out["dim_credit_history"].isna().to_numpy().tolist() == missing.tolist()


def test_reasons_match_a_naive_oracle(models, data) -> None:
    out = score_frame(models, data)
    sc = models.scorecard
    pts = sc.points_matrix(sc.bin_matrix(data))
    maxp = np.array([f.max_points for f in sc.features])
    lost = maxp - pts
    for i in range(0, len(data), 97):
        ranked = sorted(range(len(sc.features)), key=lambda j: (-lost[i, j], j))
        want = [models.code_of(sc.feature_names[j]) for j in ranked if lost[i, j] > 0][:4]
        got = [out.at[i, f"reason_{r}"] for r in range(1, 5)]
        assert [g for g in got if isinstance(g, str)] == want
        for r, code in enumerate(want, start=1):
            j = sc.feature_names.index(models.reasons[code].feature)
            assert out.at[i, f"reason_{r}_text"].endswith(f" — about +{lost[i, j]} points.")


def test_top_reasons_ties_follow_feature_order() -> None:
    lost = np.array([[5, 5, 0, 5, 5, 5], [0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    feature, pts = top_reasons(lost)
    assert feature.tolist() == [[0, 1, 3, 4], [-1, -1, -1, -1], [5, 4, 3, 2]]
    assert pts.tolist() == [[5, 5, 5, 5], [0, 0, 0, 0], [6, 5, 4, 3]]


def test_threads_and_blocks_do_not_change_the_output(models, data) -> None:
    import benne.scoring.batch as batch

    big = pd.concat([data] * 30, ignore_index=True)   # 150k rows: several blocks
    one = score_frame(models, big, threads=1)
    two = score_frame(models, big, threads=2)
    assert_same_scores(one, two)
    assert len(big) > 2 * batch.BLOCK


def test_challenger_reasons_only_from_features_that_cost_points(models, data) -> None:
    out = score_frame(models, data, challenger=True)
    ch = models.challenger
    lost = ch.lost_points(ch.matrix(data))
    for i in range(0, len(data), 211):
        codes = [c for c in (out.at[i, f"reason_{r}"] for r in range(1, 5)) if isinstance(c, str)]
        for code in codes:
            assert lost[i, ch.features.index(models.reasons[code].feature)] > 0


def test_missing_feature_column_is_an_input_error(models, data) -> None:
    with pytest.raises(InputError, match="credit__worst_dpd_365d"):
        score_frame(models, data.drop(columns=["credit__worst_dpd_365d"]))
    with pytest.raises(InputError, match="pass-through"):
        score_frame(models, data, passthrough=["nope"])


def test_reason_text_reads_as_sentences() -> None:
    from benne.models.reasons import Reason, reason_text

    r = Reason("BH01", "f", "behaviour", "Days since you moved into your current address",
               "keep your address up to date.")
    assert reason_text(r, 32) == ("Days since you moved into your current address. "
                                  "Keep your address up to date — about +32 points.")

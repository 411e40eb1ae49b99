"""score_frame: the scores contract, reasons against a naive oracle, dimensions, threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.dimensions import DIMENSIONS
from benne.exceptions import InputError
from benne.models import TrainSettings, train_models
from benne.models.reasons import gain_text
from benne.scoring import score_frame, scores_columns, top_reasons
from benne.scoring.reasons import ReasonTables
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


def _oracle(models, data: pd.DataFrame) -> tuple[list[list[tuple[str, int]]], np.ndarray]:
    """Per row: the top four (code, points lost), a missing value's loss summed into its
    source's missing-data reason; and the raw points total."""
    from benne.models.reasons import missing_code

    sc = models.scorecard
    bins = sc.bin_matrix(data)
    pts = sc.points_matrix(bins)
    maxp = np.array([f.max_points for f in sc.features])
    lost = maxp - pts
    sources: list[str] = []
    for f in sc.features:
        if missing_code(f.name) not in sources:
            sources.append(missing_code(f.name))
    out = []
    for i in range(len(data)):
        cand = []
        src = dict.fromkeys(sources, 0)
        for j, f in enumerate(sc.features):
            if bins[i, j] == f.binner.n_bins_:
                src[missing_code(f.name)] += int(lost[i, j])
            else:
                cand.append((int(lost[i, j]), j, models.code_of(f.name)))
        cand += [(v, len(sc.features) + g, c) for g, (c, v) in enumerate(src.items())]
        ranked = sorted((c for c in cand if c[0] > 0), key=lambda c: (-c[0], c[1]))[:4]
        out.append([(c, v) for v, _, c in ranked])
    return out, pts.sum(axis=1)


def test_reasons_match_a_naive_oracle(models, data) -> None:
    out = score_frame(models, data)
    want, total = _oracle(models, data)
    for i in range(0, len(data), 37):
        got = [out.at[i, f"reason_{r}"] for r in range(1, 5)]
        assert [g for g in got if isinstance(g, str)] == [c for c, _ in want[i]]
        for r, (_code, lost) in enumerate(want[i], start=1):
            assert out.at[i, f"reason_{r}_text"].endswith(f" — {gain_text(lost)}.")
            assert out.at[i, f"reason_{r}_what_if"] == min(950, max(350, total[i] + lost))
        for r in range(len(want[i]) + 1, 5):
            assert pd.isna(out.at[i, f"reason_{r}_what_if"])


def _value_in_bin(f, b: int, data: pd.DataFrame) -> object:
    """A value of the training data that falls in bin ``b`` of feature ``f``."""
    col = data[f.name]
    at = f.bin_index(data) == b
    assert at.any()
    return col[at].iloc[0]


def test_what_if_equals_rescoring_with_the_feature_moved(models, data) -> None:
    """The what-if score of a reason is the score of the same person with that feature (or,
    for missing data, every missing feature of its source) moved to its best bin."""
    from benne.models.reasons import missing_code

    sc = models.scorecard
    tables = ReasonTables(models)
    out = score_frame(models, data)
    bins = sc.bin_matrix(data)
    checked = 0
    for i in range(0, len(data), 53):
        for r in range(1, 5):
            code = out.at[i, f"reason_{r}"]
            if not isinstance(code, str):
                continue
            moved = data.iloc[[i]].reset_index(drop=True).copy()
            for j, f in enumerate(sc.features):
                b = bins[i, j]
                if code == models.code_of(f.name):
                    best = tables.tip(j, b).best
                elif b == f.binner.n_bins_ and code == missing_code(f.name):
                    best = int(np.flatnonzero((f.points == f.max_points) & f.attainable)[0])
                else:
                    continue
                moved[f.name] = [_value_in_bin(f, best, data)]
            rescored = int(score_frame(models, moved)["score"].iloc[0])
            assert out.at[i, f"reason_{r}_what_if"] == rescored, (i, code)
            checked += 1
    assert checked > 50


def test_each_tip_points_from_the_persons_bin_towards_the_best_bin(models, data) -> None:
    from benne.binning import MonotoneBinner
    from benne.models.reasons import range_text
    from benne.scoring.reasons import ReasonTables

    sc = models.scorecard
    tables = ReasonTables(models)
    seen = set()
    for j, f in enumerate(sc.features):
        t = f.binner.table()
        for b in range(len(f.points)):
            tip = tables.tip(j, b)
            if b == f.binner.n_bins_ or f.points[b] == f.max_points:
                assert tip is None
                continue
            if not f.attainable[b]:
                continue
            assert f.points[tip.best] == f.max_points and f.attainable[tip.best]
            assert tip.yours_text == range_text(t["lower"][b], t["upper"][b], t["label"][b])
            if tip.toward == "higher":
                assert t["lower"][tip.best] >= t["upper"][b]
            elif tip.toward == "lower":
                assert t["upper"][tip.best] <= t["lower"][b]
            else:
                assert not (isinstance(f.binner, MonotoneBinner)
                            and t["kind"][b] == t["kind"][tip.best] == "regular")
            seen.add(tip.toward)
    assert {"higher", "lower"} <= seen
    # the text a person reads names both bins, in that order
    out = score_frame(models, data)
    for i in range(0, len(data), 101):
        code = out.at[i, "reason_1"]
        if isinstance(code, str) and code in [models.code_of(n) for n in sc.feature_names]:
            j = [models.code_of(n) for n in sc.feature_names].index(code)
            tip = tables.tip(j, sc.bin_matrix(data.iloc[[i]])[0, j])
            text = out.at[i, "reason_1_text"]
            generic = text.startswith("Your value of ")
            yours = f" is {tip.yours_text}" if generic else f"yours is {tip.yours_text}"
            best = f"best range is {tip.best_text}" if generic else f"best is {tip.best_text}"
            assert text.index(yours) < text.index(best), text


def test_a_missing_value_never_gets_a_text_written_for_a_present_value(models, data) -> None:
    missing = data["credit__worst_dpd_365d"].isna().to_numpy()
    for challenger in (False, True):
        out = score_frame(models, data, challenger=challenger)
        code = models.code_of("credit__worst_dpd_365d")
        for r in range(1, 5):
            col = out[f"reason_{r}"].astype(object).to_numpy()
            text = out[f"reason_{r}_text"].astype(object).to_numpy()
            assert not (col[missing] == code).any()
            said = [t for t in text[missing] if isinstance(t, str)]
            assert not any("Worst days past due" in t for t in said)
        named = 0
        for r in range(1, 5):
            col = out[f"reason_{r}"].astype(object).to_numpy()
            text = out[f"reason_{r}_text"].astype(object).to_numpy()
            assert not (col[~missing] == "MD01").any()
            named += int((col[missing] == "MD01").sum())
            assert all(t.startswith("No credit record yet: ") for t in text[col == "MD01"])
        assert named > 0, challenger


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
            reason = models.reasons[code]
            if reason.source:   # missing data: one of the source's missing features lost
                assert any(lost[i, j] > 0 and pd.isna(data.at[i, c])
                           for j, c in enumerate(ch.features) if c.startswith(reason.source))
            else:
                assert lost[i, ch.features.index(reason.feature)] > 0


def test_challenger_what_if_is_its_own_score_with_the_feature_moved(models, data) -> None:
    # a value reason with a range: rescoring the person with the feature at the nearest value
    # of the scorecard's best bin gives exactly the what-if, which beats the score; the text
    # names the person's bin and the best one with the points gained
    out = score_frame(models, data, challenger=True)
    ch, sc = models.challenger, models.scorecard
    tables = ReasonTables(models)
    by_code = {models.code_of(n): n for n in ch.features}
    checked = 0
    for i in range(0, len(data), 37):
        for r in range(1, 5):
            code, what_if = out.at[i, f"reason_{r}"], out.at[i, f"reason_{r}_what_if"]
            if pd.isna(what_if):
                continue
            name = by_code[code]
            k = [f.name for f in sc.features].index(name)
            value = float(data.at[i, name])
            tip = tables.tip(k, int(sc.features[k].binner.bin_index(np.array([value]))[0]))
            lower, upper = tables.bounds[k]
            lo, hi = lower[tip.best], upper[tip.best]
            moved = data.iloc[[i]].copy()
            moved[name] = np.nextafter(lo, np.inf) if value <= lo else hi
            again = int(models.settings.scale.from_pd(ch.predict_pd(moved))[0])
            assert int(what_if) == again > int(out.at[i, "score"])
            text = out.at[i, f"reason_{r}_text"]
            assert tip.yours_text in text and tip.best_text in text, text
            assert text.endswith(f"{gain_text(again - int(out.at[i, 'score']))}."), text
            checked += 1
    assert checked >= 20
    # the reasons themselves are the TreeSHAP ones whatever their texts
    assert out["reason_1"].notna().sum() > 0


def test_missing_feature_column_is_an_input_error(models, data) -> None:
    with pytest.raises(InputError, match="credit__worst_dpd_365d"):
        score_frame(models, data.drop(columns=["credit__worst_dpd_365d"]))
    with pytest.raises(InputError, match="pass-through"):
        score_frame(models, data, passthrough=["nope"])


def test_reason_text_reads_as_sentences() -> None:
    from benne.models.reasons import Reason, reason_text, value_text

    r = Reason("ID05", "f", "identity", "Days since you moved into your current address",
               "stay at your current address.")
    assert reason_text(r, 32) == ("Days since you moved into your current address. "
                                  "Stay at your current address — about +32 points.")
    assert value_text(r, "up to 90", "over 730", "higher", 12, generic=False) == (
        "Days since you moved into your current address: yours is up to 90, the best is over "
        "730. Stay at your current address — about +12 points.")
    g = Reason("OT-000000", "credit_amount", "other", "Your value of credit_amount", "")
    assert value_text(g, "over 5,000", "up to 2,000", "lower", 7, generic=True) == (
        "Your value of credit_amount is over 5,000; the best range is up to 2,000: bring it "
        "down towards that range — about +7 points.")
    assert reason_text(r, 1).endswith("Stay at your current address — about +1 point.")
    assert gain_text(2) == "about +2 points"

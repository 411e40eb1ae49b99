"""The thin-file / thick-file section: per-segment validation, a plain statement without
outcomes, the predicted-versus-observed check and the rank correlation with a latent truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benne.report.html import render_html
from benne.report.sections import build_report
from benne.report.segments import segment_section, wilson
from tests.unit.report.synthetic import make_scored


def _frame(seed: int = 0) -> pd.DataFrame:
    frame = make_scored(3000, seed=seed)
    rng = np.random.default_rng(seed)
    frame["thin_file"] = (rng.random(len(frame)) < 0.3).astype(np.int8)
    frame["latent"] = -np.log(frame["pd"] / (1 - frame["pd"])) + rng.normal(0, 0.5, len(frame))
    return frame


def test_each_segment_is_validated_apart() -> None:
    frame = _frame()
    y = frame["target"].astype(float)
    out = segment_section(frame, y, segment="thin_file", latent="latent", n_boot=50)
    thin, thick = out["segments"]
    assert (thin["name"], thick["name"]) == ("thin_file", "thick_file")
    assert thin["rows"] + thick["rows"] == len(frame)
    assert thin["labelled"] == int(y[frame["thin_file"] == 1].notna().sum())
    assert 0.5 < thin["auc"]["value"] < 1 and thin["auc"]["low"] < thin["auc"]["high"]
    assert thin["latent_rank_correlation"] > 0.5  # the score ranks like the latent truth
    low, high = thin["bad_rate"]["low"], thin["bad_rate"]["high"]
    assert thin["predicted_within"] == (low <= thin["predicted"] <= high)
    assert sum(b["count"] for b in thin["bands"]) == thin["rows"]
    assert "statement" not in thin


def test_a_segment_without_outcomes_says_so() -> None:
    frame = _frame(1)
    y = frame["target"].astype(float).where(frame["thin_file"] == 0)
    out = segment_section(frame, y, segment="thin_file", n_boot=20)
    thin = out["segments"][0]
    assert thin["labelled"] == 0 and "auc" not in thin and "predicted" not in thin
    assert thin["statement"].startswith("No row of this segment has an outcome")
    report = build_report(frame.assign(target=y), generated_at="test", target="target",
                          n_boot=20)
    page = render_html(report)
    assert "Thin file and thick file" in page and "No row of this segment has an outcome" in page


def test_a_mean_prediction_off_the_observed_rate_is_flagged() -> None:
    frame = _frame(2)
    y = frame["target"].astype(float)
    skewed = frame.assign(pd=np.where(frame["thin_file"] == 1, frame["pd"] * 3, frame["pd"]))
    thin = segment_section(skewed, y, segment="thin_file", n_boot=20)["segments"][0]
    assert thin["predicted_within"] is False
    assert wilson(0, 0) != wilson(0, 0)  # nan without rows
    lo, hi = wilson(5, 100)
    assert lo < 0.05 < hi


def test_without_a_segment_column_the_section_says_why() -> None:
    frame = make_scored(500)
    out = segment_section(frame, frame["target"].astype(float), segment="thin_file")
    assert out["available"] is False and "thin_file" in out["reason"]

"""A shop's refund and rating reasons name its category's norm of the run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benne.scoring.merchants import MIN_PEERS, category_of, with_category_norms


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    n_food, n_home = MIN_PEERS + 5, MIN_PEERS - 1
    n = n_food + n_home
    features = pd.DataFrame({
        "shop__category_food": [1] * n_food + [0] * n_home,
        "shop__category_home": [0] * n_food + [1] * n_home,
        "shop_sales__refund_rate_365d": np.r_[np.linspace(0.01, 0.05, n_food),
                                              np.full(n_home, 0.09)],
    })
    scores = pd.DataFrame({"reason_1": ["MR01"] * n, "reason_1_text": ["Refunds."] * n,
                           "reason_2": ["MT01"] * n, "reason_2_text": ["Sales."] * n})
    return scores, features


def test_refund_reasons_name_the_category_norm() -> None:
    scores, features = _frames()
    out = with_category_norms(scores, features)
    assert out["reason_1_text"].iloc[MIN_PEERS + 4] == (
        "Refunds. Your refund rate is 5.0%, above your category's norm (food shops: 3.0%).")
    assert out["reason_1_text"].iloc[0].endswith("1.0%, below your category's norm "
                                                 "(food shops: 3.0%).")
    # too few home shops for a norm; other reasons untouched; the input is not changed
    assert (out["reason_1_text"].iloc[-1], out["reason_2_text"].iloc[0]) == ("Refunds.",
                                                                            "Sales.")
    assert (scores["reason_1_text"] == "Refunds.").all()


def test_category_of_reads_the_indicators() -> None:
    _, features = _frames()
    got = category_of(features)
    assert got.iloc[0] == "food" and got.iloc[-1] == "home"

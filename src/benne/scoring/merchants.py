"""Shops' reasons against their category's norm: "refund rate above your category's norm".

A shop owner acts on a comparison with shops like theirs more readily than on a bin edge. After
a shops' scoring run, each reason about refunds or ratings gets one more sentence: the median
of the shop's category over the shops scored in the same run (the norm) beside the shop's own
value, and whether it is above or below it. The norm is the run's own median, not a training
statistic: it moves with the platform, as a shop owner's peers do. A category with fewer than
:data:`MIN_PEERS` shops in the run gets no comparison (too few peers for a norm), nor does a
shop whose category or value is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benne.features.merchants import category_feature
from benne.models.reasons import FEATURE_CODES
from benne.scoring.reasons import MAX_REASONS
from benne.sources import MERCHANT_CATEGORIES

__all__ = ["MIN_PEERS", "NORM_FEATURES", "category_of", "with_category_norms"]

MIN_PEERS = 20
# feature -> (what it is, shown as a percentage)
NORM_FEATURES: dict[str, tuple[str, bool]] = {
    "shop_sales__refund_rate_365d": ("refund rate", True),
    "shop_sales__refund_rate_90d": ("refund rate this quarter", True),
    "shop_sales__rating_365d": ("average rating", False),
}


def category_of(features: pd.DataFrame) -> pd.Series:
    """Each shop's category from its 0/1 category features (missing when none is 1)."""
    out = pd.Series(pd.NA, index=features.index, dtype="object")
    for c in MERCHANT_CATEGORIES:
        col = category_feature(c)
        if col in features.columns:
            out[features[col].to_numpy() == 1] = c
    return out


def _shown(value: float, percent: bool) -> str:
    return f"{value:.1%}" if percent else f"{value:.2f}"


def with_category_norms(scores: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """``scores`` (rows aligned with ``features``) with the category comparison appended to
    the text of every reason about a feature of :data:`NORM_FEATURES`."""
    out = scores.copy()
    category = category_of(features).to_numpy()
    for feature, (what, percent) in NORM_FEATURES.items():
        if feature not in features.columns:
            continue
        code = FEATURE_CODES[feature]
        value = features[feature].to_numpy(dtype=np.float64)
        frame = pd.DataFrame({"c": category, "v": value}).dropna()
        sizes = frame.groupby("c")["v"].size()
        norms = frame.groupby("c")["v"].median()[sizes >= MIN_PEERS]
        for i in range(1, MAX_REASONS + 1):
            codes, texts = f"reason_{i}", f"reason_{i}_text"
            if codes not in out.columns:
                continue
            hit = (out[codes] == code).to_numpy()
            if not hit.any():
                continue
            text = out[texts].astype("object").to_numpy().copy()
            for r in np.flatnonzero(hit):
                c, v = category[r], value[r]
                if pd.isna(c) or np.isnan(v) or c not in norms.index:
                    continue
                norm = float(norms[c])
                side = "above" if v > norm else "below" if v < norm else "at"
                text[r] = (f"{text[r]} Your {what} is {_shown(v, percent)}, {side} your "
                           f"category's norm ({c.replace('_', ' ')} shops: "
                           f"{_shown(norm, percent)}).")
            out[texts] = text
    return out

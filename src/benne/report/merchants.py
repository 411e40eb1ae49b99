"""The report's sections for shops: how a shops' model does per category and per dimension.

Shown only for a model trained on shops (manifest ``entity`` ``merchant``). Per category: the
shops, those with an outcome, the bad rate with its Wilson interval, the mean predicted default,
the mean score and the AUC within the category (when it has goods and bads), so a lender sees
whether the score ranks shops within a trade and not only across trades. Per dimension: the
mean sub-score (0-100) and the share of shops with no data in it, which shows where shops'
records are thin. The segments section calls new shops (under a year of trading) and
established shops what it calls thin and thick files for people.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benne.dimensions import MERCHANT_DIMENSION_LABELS, MERCHANT_DIMENSIONS, dimension_column
from benne.report import metrics
from benne.report.segments import wilson
from benne.scoring.merchants import category_of

__all__ = ["shops_section"]


def shops_section(scored: pd.DataFrame, y: pd.Series, scores: pd.DataFrame) -> dict[str, Any]:
    """Per category and per dimension (see the module docstring); ``scored`` holds the data
    with ``score`` and ``pd``, ``scores`` the scoring run's dimension columns, same rows."""
    category = category_of(scored).fillna("unknown").to_numpy()
    rows = []
    for c in sorted(set(category)):
        m = category == c
        part, yy = scored[m], y[m]
        lab = yy.notna().to_numpy()
        n, bads = int(lab.sum()), int(yy[lab].sum())
        row: dict[str, Any] = {"category": str(c), "rows": int(m.sum()), "labelled": n,
                               "bads": bads, "score_mean": float(part["score"].mean())}
        if n:
            low, high = wilson(bads, n)
            row["bad_rate"] = {"value": bads / n, "low": low, "high": high}
            if "pd" in part.columns:
                row["predicted"] = float(part.loc[lab, "pd"].mean())
        if 0 < bads < n:
            risk = part["pd"] if "pd" in part.columns else -part["score"]
            row["auc"] = metrics.auc(risk.to_numpy(dtype=float)[lab],
                                     yy[lab].to_numpy().astype(int))
        rows.append(row)
    dims = []
    for d in MERCHANT_DIMENSIONS:
        col = dimension_column(d)
        if col not in scores.columns:
            continue
        v = scores[col].to_numpy(dtype=float)
        dims.append({"dimension": d, "label": MERCHANT_DIMENSION_LABELS[d],
                     "mean": float(np.nanmean(v)) if (~np.isnan(v)).any() else float("nan"),
                     "no_data": float(np.isnan(v).mean()) if len(v) else float("nan")})
    return {"available": True, "categories": rows, "dimensions": dims}

"""Tables of a report built from a scored frame: bands, deciles, feature bins, information value.

Each function returns plain rows (lists of dicts of numbers and strings) so the HTML, a JSON
dump and the tests read the same structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from benne.report import metrics

__all__ = [
    "band_table",
    "data_bins",
    "decile_table",
    "information_value",
    "is_monotone",
    "scorecard_bins",
]

_EPS = 0.5  # added to good and bad counts of a bin with none, so its WoE stays finite


def is_monotone(rates: Sequence[float]) -> bool:
    """True when bad rates never rise as the score rises (missing rates are skipped)."""
    r = [x for x in rates if not np.isnan(x)]
    return all(b <= a for a, b in zip(r, r[1:], strict=False))


def _group_rows(
    score: pd.Series, y: pd.Series, pdv: pd.Series | None, keys: pd.Series
) -> list[dict[str, Any]]:
    frame = pd.DataFrame({"score": score, "y": y, "key": keys})
    if pdv is not None:
        frame["pd"] = pdv
    agg: dict[str, tuple[str, str]] = {
        "count": ("score", "size"),
        "min_score": ("score", "min"),
        "max_score": ("score", "max"),
        "mean_score": ("score", "mean"),
        "labelled": ("y", "count"),
        "bads": ("y", "sum"),
    }
    if pdv is not None:
        agg["predicted"] = ("pd", "mean")
    g = frame.groupby("key", sort=False, observed=True).agg(**agg)
    g = g.sort_values("mean_score")
    total = len(frame)
    rows = []
    for key, r in g.iterrows():
        row: dict[str, Any] = {
            "group": str(key),
            "count": int(r["count"]),
            "share": float(r["count"]) / total,
            "min_score": float(r["min_score"]),
            "max_score": float(r["max_score"]),
            "labelled": int(r["labelled"]),
            "bad_rate": float(r["bads"] / r["labelled"]) if r["labelled"] else float("nan"),
        }
        if pdv is not None:
            row["predicted"] = float(r["predicted"])
        rows.append(row)
    return rows


def band_table(
    score: pd.Series, y: pd.Series, band: pd.Series, pdv: pd.Series | None = None
) -> list[dict[str, Any]]:
    """Per band, lowest scores first: count, share, score range, bad rate, mean predicted."""
    return _group_rows(score, y, pdv, band.astype(str))


def decile_table(
    score: pd.Series, y: pd.Series, pdv: pd.Series | None = None, groups: int = 10
) -> list[dict[str, Any]]:
    """Per score decile (1 = lowest scores). Edges are quantiles with duplicates dropped, so
    a score value never straddles two deciles and tied scores can leave fewer than ten."""
    edges = np.unique(np.quantile(score.to_numpy(dtype=float), np.linspace(0, 1, groups + 1)))
    codes = np.searchsorted(edges[1:-1], score.to_numpy(dtype=float), side="right")
    rows = _group_rows(score, y, pdv, pd.Series(codes + 1, index=score.index))
    return rows


def information_value(count: np.ndarray, bad_rate: np.ndarray) -> float:
    """IV = sum (good% - bad%) ln(good% / bad%) over bins, from counts and bad rates."""
    bads = np.asarray(count, dtype=float) * np.asarray(bad_rate, dtype=float)
    goods = np.asarray(count, dtype=float) - bads
    empty = (bads == 0) | (goods == 0)
    bads, goods = np.where(empty, bads + _EPS, bads), np.where(empty, goods + _EPS, goods)
    g, b = goods / goods.sum(), bads / bads.sum()
    return float(((g - b) * np.log(g / b)).sum())


def scorecard_bins(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The model's own bins per feature, with their IV, in the model's order.

    The bin's text is ``label`` when the table has one (``bin`` is then its number); the IV is
    the table's own ``iv`` column summed when present, else computed from counts. Empty bins
    (a missing bin nobody fell in) have no bad rate and add nothing to the IV.
    """
    text = "label" if "label" in table.columns else "bin"
    out: dict[str, dict[str, Any]] = {}
    for feature, bins in table.groupby("feature", sort=False):
        rows = [
            {
                "bin": str(r[text]),
                "count": int(r["count"]),
                "bad_rate": float(r["bad_rate"]),
                "woe": float(r["woe"]),
                "points": float(r["points"]) if pd.notna(r.get("points")) else None,
            }
            for _, r in bins.iterrows()
        ]
        if "iv" in bins.columns:
            iv = float(bins["iv"].fillna(0.0).sum())
        else:
            seen = bins[bins["count"] > 0]
            iv = information_value(seen["count"].to_numpy(), seen["bad_rate"].to_numpy())
        out[str(feature)] = {"bins": rows, "iv": iv}
    return out


def data_bins(values: pd.Series, y: pd.Series, bins: int = 5) -> dict[str, Any]:
    """Quantile bins of a feature over labelled rows when no scorecard is given.

    WoE is ``ln(good% / bad%)`` (higher is safer); points are unknown without a scorecard.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    t = y.to_numpy(dtype=float)
    edges = metrics.psi_edges(v, bins)
    idx = np.where(np.isnan(v), len(edges) + 1, np.searchsorted(edges, v, side="right"))
    lows = np.concatenate([[-np.inf], edges])
    highs = np.concatenate([edges, [np.inf]])
    counts, rates, labels = [], [], []
    for k in range(len(edges) + 2):
        m = idx == k
        if not m.any():
            continue
        counts.append(int(m.sum()))
        rates.append(float(t[m].mean()))
        labels.append("missing" if k > len(edges) else f"[{lows[k]:.4g}, {highs[k]:.4g})")
    c, r = np.array(counts, dtype=float), np.array(rates)
    bads, goods = c * r, c - c * r
    empty = (bads == 0) | (goods == 0)
    bads, goods = np.where(empty, bads + _EPS, bads), np.where(empty, goods + _EPS, goods)
    woe = np.log((goods / goods.sum()) / (bads / bads.sum()))
    rows = [
        {"bin": lab, "count": n, "bad_rate": rate, "woe": float(w), "points": None}
        for lab, n, rate, w in zip(labels, counts, rates, woe, strict=True)
    ]
    return {"bins": rows, "iv": information_value(c, r)}

"""Thin file and thick file: the model validated separately on each segment.

A row is *thin-file* when the person had no credit record at the observation (the pipeline's
``thin_file`` column), *thick-file* otherwise. For each segment: how many rows and outcomes it
has, discrimination (AUC with a bootstrap interval), the observed bad rate with its 95% Wilson
interval against the mean predicted probability of default (inside the interval: no systematic
over- or under-scoring), calibration by band, the score distribution over the bands, and — when
the data carries a latent truth (a simulation's creditworthiness) — the Spearman rank
correlation of the score with it. A segment without outcomes says so plainly instead of showing
numbers. The scorecard's missing bins are listed with the training rows they were learnt from:
a missing bin learnt from nobody would score thin-file people on no evidence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benne.report import metrics

__all__ = ["SEGMENTS", "missing_bins", "segment_section", "wilson"]

SEGMENTS = (("thin_file", 1, "Thin file (no credit record at the observation)"),
            ("thick_file", 0, "Thick file (a credit record at the observation)"))
# A shops' model: the same 0/1 column marks a shop under a year of trading.
SHOP_SEGMENTS = (("new_shop", 1, "New shop (under a year of trading at the observation)"),
                 ("established_shop", 0, "Established shop (a year of trading or more)"))
HEADINGS = {"person": "Thin file and thick file", "merchant": "New and established shops"}


def wilson(bads: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a bad rate (``nan`` bounds without rows)."""
    if n == 0:
        return float("nan"), float("nan")
    from scipy.stats import binomtest

    ci = binomtest(int(bads), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def _band_rows(part: pd.DataFrame, y: pd.Series) -> list[dict[str, Any]]:
    if "band" not in part.columns:
        return []
    rows = []
    total = len(part)
    groups = part.assign(_y=y).groupby(part["band"].astype(str), observed=True, sort=False)
    for band, g in sorted(groups, key=lambda kv: float(kv[1]["score"].min())):
        lab = g["_y"].notna()
        n, bads = int(lab.sum()), int(g.loc[lab, "_y"].sum())
        low, high = wilson(bads, n)
        predicted = float(g.loc[lab, "pd"].mean()) if n and "pd" in g.columns else float("nan")
        rows.append({
            "band": str(band), "count": int(len(g)), "share": len(g) / total if total else 0.0,
            "labelled": n, "bads": bads,
            "bad_rate": bads / n if n else float("nan"), "low": low, "high": high,
            "predicted": predicted,
            "within": bool(n and low <= predicted <= high),
        })
    return rows


def _segment(part: pd.DataFrame, y: pd.Series, name: str, title: str, latent: str | None,
             seed: int, n_boot: int) -> dict[str, Any]:
    lab = y.notna().to_numpy()
    n, bads = int(lab.sum()), int(y[lab].sum())
    score = part["score"].to_numpy(dtype=float)
    out: dict[str, Any] = {
        "name": name, "title": title, "rows": int(len(part)), "labelled": n, "bads": bads,
        "score_mean": float(score.mean()) if len(score) else float("nan"),
        "score_quartiles": (np.quantile(score, [0.25, 0.5, 0.75]).tolist() if len(score)
                            else []),
        "bands": _band_rows(part, y),
    }
    if n == 0:
        out["statement"] = (f"No row of this segment has an outcome in the data: its scores "
                            f"({len(part):,} rows) cannot be validated here.")
    elif bads == 0 or bads == n:
        out["statement"] = (f"The {n:,} rows with an outcome are all "
                            f"{'good' if bads == 0 else 'bad'}: discrimination cannot be "
                            "measured on this segment.")
    if n:
        low, high = wilson(bads, n)
        out["bad_rate"] = {"value": bads / n, "low": low, "high": high}
        if "pd" in part.columns:
            predicted = float(part.loc[lab, "pd"].mean())
            out["predicted"] = predicted
            out["predicted_within"] = bool(low <= predicted <= high)
    if 0 < bads < n:
        risk = (part["pd"] if "pd" in part.columns else -part["score"]).to_numpy(dtype=float)
        ci = metrics.bootstrap_ci(risk[lab], y[lab].to_numpy().astype(int), ("auc",),
                                  n_boot=n_boot, seed=seed)["auc"]
        out["auc"] = {"value": ci.value, "low": ci.low, "high": ci.high}
    if latent is not None and latent in part.columns and len(part) > 2:
        from scipy.stats import spearmanr

        known = part[latent].notna().to_numpy()
        if known.sum() > 2:
            rho = spearmanr(score[known], part[latent].to_numpy(dtype=float)[known]).statistic
            out["latent_rank_correlation"] = float(rho)
    return out


def missing_bins(scorecard_table: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Each scorecard feature's missing bin: the training rows it was learnt from, its bad
    rate, WoE and points (``empty``: learnt from nobody, so neutral)."""
    if scorecard_table is None or "kind" not in scorecard_table.columns:
        return []
    rows = scorecard_table[scorecard_table["kind"] == "missing"]
    return [{"feature": str(r["feature"]), "dimension": str(r.get("dimension", "")),
             "count": int(r["count"]), "bad_rate": float(r["bad_rate"]),
             "woe": float(r["woe"]), "points": int(r["points"]) if "points" in r else None,
             "empty": bool(r["empty"])}
            for _, r in rows.iterrows()]


def segment_section(scored: pd.DataFrame, y: pd.Series, *, segment: str | None,
                    latent: str | None = None, scorecard_table: pd.DataFrame | None = None,
                    seed: int = 0, n_boot: int = 200, entity: str = "person") -> dict[str, Any]:
    """The report's thin-file / thick-file section (see the module docstring); for shops
    (``entity="merchant"``) new and established shops."""
    if segment is None or segment not in scored.columns:
        return {"available": False,
                "reason": "the data has no thin_file column (the pipeline adds it to the "
                          "frames it builds from the store)"}
    flag = pd.to_numeric(scored[segment], errors="coerce")
    parts = []
    for name, value, title in (SHOP_SEGMENTS if entity == "merchant" else SEGMENTS):
        m = (flag == value).to_numpy()
        parts.append(_segment(scored[m], y[m], name, title, latent, seed, n_boot))
    return {"available": True, "segment": segment, "latent": latent, "segments": parts,
            "heading": HEADINGS[entity],
            "missing_bins": missing_bins(scorecard_table)}

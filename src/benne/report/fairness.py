"""Fairness by protected group at the cut-offs where decisions happen.

Approval is measured at several cut-offs that matter for the data at hand
(:func:`choose_cutoffs`): the lower edge of every band that approves between 5 % and 95 % of
people, and the cut-off that approves a given share (50 % by default), never one fixed score
that may approve nobody or everybody. At each, per group: the approval rate, the adverse-impact
ratio against the most-approved group with a 95 % interval (the log method for a ratio of two
proportions), the standardised mean difference of the score against everyone else, the rates
of good people declined (false negatives) and bad people approved (false positives), the AUC
and the mean predicted against the observed bad rate. :func:`proxy_check` asks of every model
feature how strongly it goes with each protected attribute (Cramér's V) and what the
adverse-impact ratio would be with that feature dropped (its points replaced by their mean).

Protected attributes never enter a model; they come with the data only to be measured here.
A numeric protected column is banded before it is grouped, since a group per birth year says
nothing: a ``birth_year`` column (or any numeric column whose values look like years) becomes
an age at the data's ``as_of`` and then an age band; any other numeric column with many values
in 0-120 is taken as an age and banded the same way. Groups smaller than ``MIN_GROUP`` rows get
counts only ("too few"), because a rate over a handful of people is noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from benne.exceptions import InputError
from benne.report import metrics

__all__ = [
    "AGE_BANDS",
    "MIN_GROUP",
    "UNAVAILABLE",
    "age_band",
    "choose_cutoffs",
    "cramers_v",
    "group_table",
    "protected_groups",
    "proxy_check",
    "ratio_interval",
    "switch_off_effect",
]

MIN_GROUP = 30
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "under 18"),
    (26, "18–25"),
    (36, "26–35"),
    (46, "36–45"),
    (56, "46–55"),
)
_OLDEST = "56+"
_MISSING = "missing"
UNAVAILABLE = "not in the data"  # the one group of a protected attribute the data lacks


def age_band(ages: pd.Series) -> pd.Series:
    """Band ages into 18–25, 26–35, 36–45, 46–55 and 56+ (below 18 and missing named too)."""
    a = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=float)
    uppers = np.array([u for u, _ in AGE_BANDS], dtype=float)
    labels = np.array([lab for _, lab in AGE_BANDS] + [_OLDEST], dtype=object)
    idx = np.searchsorted(uppers, np.nan_to_num(a, nan=0.0), side="right")
    out = labels[idx]
    out[np.isnan(a)] = _MISSING
    return pd.Series(out, index=ages.index, dtype=object)


def _looks_like_years(name: str, values: pd.Series) -> bool:
    v = values.dropna()
    return "birth" in name.lower() or (len(v) > 0 and v.between(1900, 2100).all())


def protected_groups(
    frame: pd.DataFrame, protected: Sequence[str], as_of: date | None = None
) -> dict[str, pd.Series]:
    """Group labels per protected attribute, keyed by the name shown in the report.

    ``birth_year`` becomes ``age band`` (needs ``as_of``); other columns keep their names. A
    protected field of the schemas that the data lacks, or a column with no value at all, is
    reported as ``<name> (unavailable)`` with one group, so the report says which protected
    attributes could not be measured instead of measuring placeholders.
    """
    from benne.sources import SOURCES

    schema_protected = {f.name for src in SOURCES.values() for f in src.fields if f.protected}
    out: dict[str, pd.Series] = {}
    for col in protected:
        if (col in schema_protected and col not in frame.columns) or (
                col in frame.columns and frame[col].isna().all()):
            # the data holds no value of it: say so rather than group everyone as "missing"
            out[f"{col} (unavailable)"] = pd.Series(UNAVAILABLE, index=frame.index,
                                                    dtype=object)
            continue
        if col not in frame.columns:
            raise InputError(
                f"protected column {col!r} is not in the data",
                where=f"column {col}",
                fix="name columns the data holds with --protected, e.g. --protected gender,region",
            )
        values = frame[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 10:
            if _looks_like_years(col, values):
                if as_of is None:
                    raise InputError(
                        f"column {col!r} holds birth years but the data has no as_of date",
                        where=f"column {col}",
                        fix="add an as_of column to the data so ages can be computed",
                    )
                out["age band"] = age_band(as_of.year - values)
            elif values.dropna().between(0, 120).all():
                out[f"{col} band"] = age_band(values)
            else:
                raise InputError(
                    f"protected column {col!r} is numeric and does not look like an age",
                    where=f"column {col}",
                    fix="band it into a few labelled groups before reporting",
                )
        else:
            out[col] = values.astype(object).where(values.notna(), _MISSING).astype(str)
    return out


def choose_cutoffs(score: np.ndarray, *, approval_rate: float = 0.5,
                   extra: int | None = None) -> list[dict[str, Any]]:
    """The cut-offs worth judging fairness at, lowest first.

    Each band's lower edge that approves between 5 % and 95 % of the people, the lowest score
    whose approval is closest to ``approval_rate``, and ``extra`` (a cut-off asked for).
    """
    from benne.models.settings import BANDS

    s = np.asarray(score, dtype=float)
    out: dict[int, dict[str, Any]] = {}
    if not len(s):
        return []
    for low, name in BANDS[1:]:
        rate = float((s >= low).mean())
        if 0.05 <= rate <= 0.95:
            out[low] = {"cutoff": low, "label": f"{name} and above", "approval": rate}
    values = np.unique(s)
    rates = np.array([(s >= v).mean() for v in values])
    best = int(values[int(np.argmin(np.abs(rates - approval_rate)))])
    label = f"approves {approval_rate:.0%}"
    out.setdefault(best, {"cutoff": best, "label": label, "approval": float((s >= best).mean())})
    if out[best]["label"] != label:
        out[best]["label"] += f"; {label}"
    out[best]["main"] = True
    if extra is not None:
        out.setdefault(int(extra), {"cutoff": int(extra), "label": "asked for",
                                    "approval": float((s >= extra).mean())})
    return [out[c] for c in sorted(out)]


def ratio_interval(a: float, n_a: int, b: float, n_b: int, z: float = 1.96
                   ) -> tuple[float, float]:
    """95 % interval of the ratio of two proportions ``a / b`` (the log, or Katz, method).

    A zero proportion has no log: the interval is then (0, upper) or undefined (NaN)."""
    if n_a <= 0 or n_b <= 0 or b <= 0:
        return float("nan"), float("nan")
    if a <= 0:
        return 0.0, float("nan")
    se = math.sqrt(max((1 - a) / (n_a * a), 0.0) + max((1 - b) / (n_b * b), 0.0))
    r = a / b
    return r * math.exp(-z * se), r * math.exp(z * se)


def _smd(x: np.ndarray, rest: np.ndarray) -> float:
    if len(x) < 2 or len(rest) < 2:
        return float("nan")
    pooled = math.sqrt((x.var(ddof=1) + rest.var(ddof=1)) / 2.0)
    return float((x.mean() - rest.mean()) / pooled) if pooled > 0 else 0.0


def group_table(
    scored: pd.DataFrame,
    groups: pd.Series,
    *,
    target: str,
    cutoff: int,
) -> list[dict[str, Any]]:
    """One row per group: approval at ``score >= cutoff``, adverse-impact ratio and its 95 %
    interval, AUC, mean predicted against observed bad rate, the good declined (false
    negative) and bad approved (false positive) rates, the mean score's gap to everyone's mean
    and its standardised mean difference against everyone else.

    The adverse-impact ratio divides by the most-approved group large enough to measure.
    """
    score = scored["score"].to_numpy(dtype=float)
    approved = score >= cutoff
    overall_mean = float(score.mean()) if len(score) else float("nan")
    has_y = target in scored.columns
    rows: list[dict[str, Any]] = []
    for name in sorted(groups.unique(), key=str):
        m = (groups == name).to_numpy()
        n = int(m.sum())
        row: dict[str, Any] = {"group": str(name), "count": n, "too_few": n < MIN_GROUP}
        if n >= MIN_GROUP:
            row["approval"] = float(approved[m].mean())
            row["mean_score"] = float(score[m].mean())
            row["score_gap"] = row["mean_score"] - overall_mean
            row["smd"] = _smd(score[m], score[~m])
            if has_y:
                y = scored[target].to_numpy(dtype=float)
                lab = m & ~np.isnan(y)
                row["labelled"] = int(lab.sum())
                if lab.any():
                    row["auc"] = metrics.auc(-score[lab], y[lab])
                    row["observed"] = float(y[lab].mean())
                    good, bad = lab & (y == 0), lab & (y == 1)
                    if good.any():
                        row["fnr"] = float((~approved[good]).mean())
                    if bad.any():
                        row["fpr"] = float(approved[bad].mean())
                    if "pd" in scored.columns:
                        row["predicted"] = float(scored["pd"].to_numpy(dtype=float)[lab].mean())
        rows.append(row)
    measured = [r for r in rows if "approval" in r]
    rates = {str(r["group"]): float(r["approval"]) for r in measured}
    air = metrics.adverse_impact_ratio(rates)
    ref = max(measured, key=lambda r: (r["approval"], r["count"]), default=None)
    for r in rows:
        if r["group"] in air:
            r["air"] = air[str(r["group"])]
            r["four_fifths"] = bool(air[str(r["group"])] >= 0.8)
            if ref is not None and r is not ref:
                lo, hi = ratio_interval(r["approval"], r["count"], ref["approval"], ref["count"])
                r["air_low"], r["air_high"] = lo, hi
            r["reference"] = r is ref
    return rows


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V of two categorical arrays (0: independent, 1: one determines the other)."""
    from scipy.stats import chi2_contingency

    table = pd.crosstab(pd.Series(a), pd.Series(b)).to_numpy()
    if min(table.shape) < 2:
        return 0.0
    chi2 = float(chi2_contingency(table, correction=False)[0])
    n = table.sum()
    return float(math.sqrt(chi2 / (n * (min(table.shape) - 1))))


def _min_air(approved: np.ndarray, labels: pd.Series) -> float:
    rates = {}
    for name in labels.unique():
        m = (labels == name).to_numpy()
        if m.sum() >= MIN_GROUP:
            rates[str(name)] = float(approved[m].mean())
    air = metrics.adverse_impact_ratio(rates)
    vals = [v for v in air.values() if not math.isnan(v)]
    return min(vals) if vals else float("nan")


def proxy_check(
    score: np.ndarray,
    points: pd.DataFrame,
    groups: dict[str, pd.Series],
    *,
    cutoff: int,
) -> list[dict[str, Any]]:
    """Per protected attribute and model feature: Cramér's V of the feature's bins (its points
    per person) with the groups, and the lowest adverse-impact ratio at ``cutoff`` with the
    feature dropped (its points replaced by their mean) against that with every feature.
    Strongest association first."""
    s = np.asarray(score, dtype=float)
    out: list[dict[str, Any]] = []
    for attribute, labels in groups.items():
        base = _min_air(s >= cutoff, labels)
        for feature in points.columns:
            pts = points[feature].to_numpy(dtype=float)
            dropped = s - pts + np.rint(pts.mean())
            out.append({"attribute": attribute, "feature": str(feature),
                        "cramers_v": cramers_v(pts, labels.to_numpy()),
                        "air_min": base, "air_min_dropped": _min_air(dropped >= cutoff, labels)})
    out.sort(key=lambda r: (-float(r["cramers_v"]), str(r["attribute"]), str(r["feature"])))
    return out


def switch_off_effect(
    scored: pd.DataFrame,
    switched: pd.DataFrame,
    groups: dict[str, pd.Series],
    *,
    target: str,
    cutoff: int,
) -> dict[str, Any]:
    """What changes when the interpersonal dimension is off: AUC and approval per group.

    ``switched`` is the same people scored with the relationships features missing.
    """
    if len(switched) != len(scored):
        raise InputError(
            "the switched-off scores do not hold the same rows as the scores",
            where=f"{len(switched)} rows against {len(scored)}",
            fix="score the same frame with the relationships features set to missing",
        )
    before = scored["score"].to_numpy(dtype=float)
    after = switched["score"].to_numpy(dtype=float)
    out: dict[str, Any] = {
        "approval_on": float((before >= cutoff).mean()),
        "approval_off": float((after >= cutoff).mean()),
        "mean_change": float((after - before).mean()),
    }
    if target in scored.columns:
        y = scored[target].to_numpy(dtype=float)
        lab = ~np.isnan(y)
        out["auc_on"] = metrics.auc(-before[lab], y[lab])
        out["auc_off"] = metrics.auc(-after[lab], y[lab])
    per_group: list[dict[str, Any]] = []
    for attribute, labels in groups.items():
        for name in sorted(labels.unique(), key=str):
            m = (labels == name).to_numpy()
            n = int(m.sum())
            row: dict[str, Any] = {"attribute": attribute, "group": str(name), "count": n,
                                      "too_few": n < MIN_GROUP}
            if n >= MIN_GROUP:
                row["approval_on"] = float((before[m] >= cutoff).mean())
                row["approval_off"] = float((after[m] >= cutoff).mean())
                row["change"] = row["approval_off"] - row["approval_on"]
            per_group.append(row)
    out["groups"] = per_group
    return out

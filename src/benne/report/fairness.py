"""Fairness by protected group: approval at a cutoff, adverse impact, AUC and calibration.

Protected attributes never enter a model; they come with the data only to be measured here.
A numeric protected column is banded before it is grouped, since a group per birth year says
nothing: a ``birth_year`` column (or any numeric column whose values look like years) becomes
an age at the data's ``as_of`` and then an age band; any other numeric column with many values
in 0-120 is taken as an age and banded the same way. Groups smaller than ``MIN_GROUP`` rows get
counts only ("too few"), because a rate over a handful of people is noise.
"""

from __future__ import annotations

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
    "group_table",
    "protected_groups",
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


def group_table(
    scored: pd.DataFrame,
    groups: pd.Series,
    *,
    target: str,
    cutoff: int,
) -> list[dict[str, Any]]:
    """One row per group: approval at ``score >= cutoff``, adverse-impact ratio, AUC,
    mean predicted against observed bad rate, and the mean score's gap to everyone's mean.

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
            if has_y:
                y = scored[target].to_numpy(dtype=float)
                lab = m & ~np.isnan(y)
                row["labelled"] = int(lab.sum())
                if lab.any():
                    row["auc"] = metrics.auc(-score[lab], y[lab])
                    row["observed"] = float(y[lab].mean())
                    if "pd" in scored.columns:
                        row["predicted"] = float(scored["pd"].to_numpy(dtype=float)[lab].mean())
        rows.append(row)
    rates = {str(r["group"]): float(r["approval"]) for r in rows if "approval" in r}
    air = metrics.adverse_impact_ratio(rates)
    for r in rows:
        if r["group"] in air:
            r["air"] = air[str(r["group"])]
            r["four_fifths"] = bool(air[str(r["group"])] >= 0.8)
    return rows


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

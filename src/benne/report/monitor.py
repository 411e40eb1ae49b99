"""Drift monitoring: PSI of the score and of every model feature, recent against baseline.

Works on plain frames (``stability_table``) so the report's stability section, ``benne
monitor`` and a scheduler all compute the same numbers. Thresholds follow the industry habit:
below 0.1 stable, 0.1-0.25 watch, above 0.25 drifted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from benne.exceptions import DriftError, InputError
from benne.report import metrics

__all__ = [
    "DRIFT",
    "WATCH",
    "Stability",
    "check_drift",
    "format_table",
    "stability_table",
    "status",
]

WATCH = 0.1
DRIFT = 0.25


@dataclass(frozen=True)
class Stability:
    """The PSI of one column and the share of missing values on both sides."""

    name: str
    psi: float
    status: str
    missing_baseline: float
    missing_recent: float


def status(value: float, watch: float = WATCH, drift: float = DRIFT) -> str:
    """``stable``, ``watch`` or ``drift`` for one PSI value."""
    if value > drift:
        return "drift"
    if value > watch:
        return "watch"
    return "stable"


def stability_table(
    baseline: pd.DataFrame,
    recent: pd.DataFrame,
    columns: Sequence[str],
    *,
    bins: int = 10,
    watch: float = WATCH,
    drift: float = DRIFT,
) -> list[Stability]:
    """One row per column: PSI, status, and missing shares in both samples."""
    rows: list[Stability] = []
    for col in columns:
        for name, frame in (("baseline", baseline), ("recent", recent)):
            if col not in frame.columns:
                raise InputError(
                    f"column {col!r} is missing from the {name} data",
                    where=f"column {col}",
                    fix="give baseline and recent data with the same model features",
                )
        b = pd.to_numeric(baseline[col], errors="coerce").to_numpy(dtype=float)
        r = pd.to_numeric(recent[col], errors="coerce").to_numpy(dtype=float)
        value = metrics.psi(b, r, bins)
        rows.append(Stability(
            name=col,
            psi=value,
            status=status(value, watch, drift),
            missing_baseline=float(pd.isna(b).mean()) if len(b) else 0.0,
            missing_recent=float(pd.isna(r).mean()) if len(r) else 0.0,
        ))
    return rows


def check_drift(rows: Sequence[Stability], drift: float = DRIFT) -> None:
    """Raise :class:`DriftError` (exit 3) naming every column whose PSI exceeds ``drift``."""
    over = [r for r in rows if r.psi > drift]
    if over:
        names = ", ".join(f"{r.name} (PSI {r.psi:.3f})" for r in over)
        raise DriftError(
            f"drift over PSI {drift:g} in {len(over)} of {len(rows)} columns: {names}",
            fix="check the recent data's sources, then retrain or recalibrate the model",
        )


def format_table(rows: Sequence[Stability]) -> str:
    """A plain text table for the terminal."""
    width = max([len(r.name) for r in rows] + [6])
    lines = [f"{'column':<{width}}  {'PSI':>7}  status  missing base/recent"]
    for r in rows:
        lines.append(
            f"{r.name:<{width}}  {r.psi:>7.4f}  {r.status:<6}  "
            f"{r.missing_baseline:.1%} / {r.missing_recent:.1%}"
        )
    return "\n".join(lines)

"""Plots of a report as PNG ``data:`` URIs, so the HTML is one file that opens offline.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas rather than pyplot: no
global figure registry, no GUI backend, nothing left open between calls. PNGs are written
without the "Software" metadata so the same numbers give the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "approval_plot",
    "bad_rate_plot",
    "calibration_plot",
    "feature_plot",
    "histogram_plot",
    "ks_plot",
    "psi_plot",
    "roc_plot",
]

_GOOD, _BAD, _GREY, _RED, _AMBER = "#2a7ab0", "#c0392b", "#9aa5b1", "#c0392b", "#e0a030"
_COLOURS = {"champion": "#2a7ab0", "challenger": "#e07b39"}


def _figure(width: float = 5.0, height: float = 3.2) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3)
    return fig, ax


def _uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def roc_plot(models: dict[str, dict[str, Any]]) -> str:
    """ROC curves of the champion and the challenger, with the chance line."""
    fig, ax = _figure(4.2, 3.6)
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle="--", linewidth=1, label="chance")
    for name, m in models.items():
        if m.get("available"):
            ax.plot(m["roc"]["fpr"], m["roc"]["tpr"], color=_COLOURS.get(name, "black"),
                    label=f"{name} (AUC {m['auc']['value']:.3f})")
    ax.set(xlabel="false-positive rate (goods declined)", ylabel="true-positive rate (bads caught)",
           xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right", fontsize=8)
    return _uri(fig)


def ks_plot(model: dict[str, Any]) -> str:
    """Cumulative shares of bads and goods along the score, the KS gap marked."""
    curve = model["ks_curve"]
    x, bad, good = np.asarray(curve["x"]), np.asarray(curve["bad"]), np.asarray(curve["good"])
    fig, ax = _figure()
    ax.plot(x, bad, color=_BAD, label="bads")
    ax.plot(x, good, color=_GOOD, label="goods")
    i = int(np.argmax(np.abs(bad - good)))
    ax.vlines(x[i], min(bad[i], good[i]), max(bad[i], good[i]), color="black", linewidth=2,
              label=f"KS {model['ks']['value']:.3f}")
    ax.set(xlabel=curve["axis"], ylabel="cumulative share", ylim=(0, 1))
    ax.legend(fontsize=8)
    return _uri(fig)


def histogram_plot(hist: dict[str, list[float]]) -> str:
    """Stacked score histogram of goods, bads and unlabelled rows."""
    edges = np.asarray(hist["edges"])
    width, left = np.diff(edges), edges[:-1]
    fig, ax = _figure(6.0, 3.2)
    bottom = np.zeros(len(left))
    for key, colour in (("good", _GOOD), ("bad", _BAD), ("unlabelled", _GREY)):
        counts = np.asarray(hist[key], dtype=float)
        if counts.sum():
            ax.bar(left, counts, width=width, bottom=bottom, align="edge", color=colour,
                   label=key, edgecolor="white", linewidth=0.3)
            bottom += counts
    ax.set(xlabel="score", ylabel="people")
    ax.legend(fontsize=8)
    return _uri(fig)


def bad_rate_plot(rows: Sequence[dict[str, Any]], xlabel: str) -> str:
    """Bad rate per group (bands or deciles), lowest scores on the left."""
    fig, ax = _figure()
    labels = [str(r["group"]) for r in rows]
    ax.bar(labels, [r["bad_rate"] for r in rows], color=_BAD)
    ax.set(xlabel=xlabel, ylabel="bad rate")
    ax.tick_params(axis="x", labelsize=8)
    return _uri(fig)


def calibration_plot(table: Sequence[dict[str, Any]]) -> str:
    """Observed against predicted bad rate per probability decile, with the diagonal."""
    fig, ax = _figure(4.2, 3.6)
    pred = [r["predicted"] for r in table]
    obs = [r["observed"] for r in table]
    top = max(pred + obs + [0.01]) * 1.05
    ax.plot([0, top], [0, top], color=_GREY, linestyle="--", linewidth=1, label="perfect")
    ax.plot(pred, obs, marker="o", color=_GOOD, label="deciles")
    ax.set(xlabel="predicted bad rate", ylabel="observed bad rate", xlim=(0, top), ylim=(0, top))
    ax.legend(fontsize=8)
    return _uri(fig)


def feature_plot(item: dict[str, Any]) -> str:
    """Bad rate per bin of one feature."""
    fig, ax = _figure(5.0, 2.4)
    labels = [str(b["bin"]) for b in item["bins"]]
    ax.bar(range(len(labels)), [b["bad_rate"] for b in item["bins"]], color=_BAD)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    ax.set(ylabel="bad rate")
    return _uri(fig)


def psi_plot(rows: Sequence[dict[str, Any]], watch: float, drift: float) -> str:
    """PSI per column, horizontal bars coloured by status, thresholds marked."""
    height = 1.2 + 0.22 * len(rows)
    fig, ax = _figure(6.0, height)
    colours = {"stable": _GOOD, "watch": _AMBER, "drift": _RED}
    names = [str(r["name"]) for r in rows][::-1]
    ax.barh(names, [r["psi"] for r in rows][::-1],
            color=[colours[str(r["status"])] for r in rows][::-1])
    ax.axvline(watch, color=_AMBER, linestyle="--", linewidth=1)
    ax.axvline(drift, color=_RED, linestyle="--", linewidth=1)
    ax.set(xlabel="PSI against the baseline")
    ax.tick_params(axis="y", labelsize=7)
    return _uri(fig)


def approval_plot(rows: Sequence[dict[str, Any]], attribute: str) -> str:
    """Approval rate per group with the four-fifths line of the most-approved group."""
    measured = [r for r in rows if not r["too_few"]]
    fig, ax = _figure(5.0, 2.8)
    labels = [str(r["group"]) for r in measured]
    rates = [r["approval"] for r in measured]
    ax.bar(labels, rates, color=[_GOOD if r.get("four_fifths") else _RED for r in measured])
    if rates:
        ax.axhline(0.8 * max(rates), color=_RED, linestyle="--", linewidth=1,
                   label="4/5 of the highest")
        ax.legend(fontsize=8)
    ax.set(xlabel=attribute, ylabel="approval rate", ylim=(0, 1))
    ax.tick_params(axis="x", labelsize=8)
    return _uri(fig)

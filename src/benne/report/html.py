"""Render a :class:`~benne.report.sections.Report` as one self-contained HTML page.

The page holds its CSS inline and its plots as ``data:`` URIs: no script, no font, no CDN, so
it opens offline and can be mailed or archived as it is. The template autoescapes, because
feature names, group labels and the model card come from user data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from benne.report import plots
from benne.report.sections import SECTIONS, Report

__all__ = ["render_html", "write_html"]


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def _signed(value: float, digits: int = 1) -> str:
    """``+1.2`` / ``-0.4``; a value that rounds to zero shows as ``+0.0``, never ``-0.0``."""
    return f"{round(value, digits) + 0.0:+.{digits}f}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("benne.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["signed"] = _signed
    return env


def _figures(report: Report) -> dict[str, Any]:
    models = report.discrimination["models"]
    figs: dict[str, Any] = {"roc": plots.roc_plot(models), "ks": {}}
    for name, m in models.items():
        if m.get("available"):
            figs["ks"][name] = plots.ks_plot(m)
    dist = report.distribution
    figs["histogram"] = plots.histogram_plot(dist["histogram"])
    figs["deciles"] = plots.bad_rate_plot(dist["deciles"], "score decile (1 = lowest)")
    if "bands" in dist:
        figs["bands"] = plots.bad_rate_plot(dist["bands"], "band")
    if report.calibration.get("available"):
        figs["calibration"] = plots.calibration_plot(report.calibration["table"])
    figs["features"] = {i["name"]: plots.feature_plot(i) for i in report.features["items"]}
    st = report.stability
    if st.get("available"):
        figs["psi"] = plots.psi_plot(st["rows"], st["watch"], st["drift"])
    figs["fairness"] = {
        a["name"]: plots.approval_plot(a["rows"], a["name"])
        for a in report.fairness["attributes"]
    }
    return figs


def render_html(report: Report) -> str:
    """The report as one HTML document (a string)."""
    template = _environment().get_template("report.html.j2")
    return template.render(r=report, sections=SECTIONS, fig=_figures(report))


def write_html(report: Report, out: Path) -> Path:
    """Write the report to ``out`` (UTF-8) and return the path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out

"""Validation, monitoring and fairness: metrics, the HTML report and drift checks.

Layers, from the bottom: :mod:`~benne.report.metrics` (pure NumPy numbers),
:mod:`~benne.report.fairness`, :mod:`~benne.report.tables` and :mod:`~benne.report.monitor`
(tables from frames), :mod:`~benne.report.sections` (a :class:`Report` as plain data),
:mod:`~benne.report.html` and :mod:`~benne.report.plots` (the page), and
:mod:`~benne.report.model` (load a model folder, score a data file, report or monitor).
Everything above ``model`` works on plain pandas frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.report.html import render_html, write_html
    from benne.report.monitor import Stability, check_drift, stability_table
    from benne.report.sections import SECTIONS, Report, build_report

__all__ = [
    "SECTIONS",
    "Report",
    "Stability",
    "build_report",
    "check_drift",
    "render_html",
    "stability_table",
    "write_html",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "SECTIONS": "sections", "Report": "sections", "build_report": "sections",
    "Stability": "monitor", "check_drift": "monitor", "stability_table": "monitor",
    "render_html": "html", "write_html": "html",
})

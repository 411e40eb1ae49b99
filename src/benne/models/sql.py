"""The scorecard as one SQL expression, for scoring inside a database.

``LEAST(max, GREATEST(min, <points of feature 1> + <points of feature 2> + ...))`` where each
feature's points are a ``CASE``: missing (``NULL``) first, then each special value, then the
regular bins by their upper bounds (right-closed, as in Python), the last bin as ``ELSE``.
Categorical and code features list each group's categories or codes; anything else is the
unseen bin. Numbers are
written with ``repr`` so the bounds are the exact doubles Python compares with. Missing values
must arrive as SQL ``NULL`` (DuckDB reads pandas ``NaN`` and empty CSV fields as ``NULL``).
"""

from __future__ import annotations

from benne.binning import CodeBinner, MonotoneBinner
from benne.models.scorecard import ScorecardFeature
from benne.models.training import TrainedModels

__all__ = ["export_sql", "feature_sql"]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _num(v: float) -> str:
    return repr(float(v))


def feature_sql(f: ScorecardFeature) -> str:
    """``CASE`` giving one feature's points."""
    col = _ident(f.name)
    b = f.binner
    parts = [f"CASE WHEN {col} IS NULL THEN {int(f.points[b.n_bins_])}"]
    if isinstance(b, MonotoneBinner):
        for i, s in enumerate(b.special_values_):
            parts.append(f"WHEN {col} = {_num(s)} THEN {int(f.points[b.n_bins_ + 1 + i])}")
        for i, cut in enumerate(b.cuts_):
            parts.append(f"WHEN {col} <= {_num(cut)} THEN {int(f.points[i])}")
        parts.append(f"ELSE {int(f.points[b.n_bins_ - 1])} END")
    elif isinstance(b, CodeBinner):
        for i, s in enumerate(b.special_values_):
            parts.append(f"WHEN {col} = {_num(s)} THEN {int(f.points[b.n_bins_ + 1 + i])}")
        for i, group in enumerate(b.groups_):
            parts.append(f"WHEN {col} IN ({', '.join(_num(c) for c in group)}) "
                         f"THEN {int(f.points[i])}")
        parts.append(f"ELSE {int(f.points[-1])} END")
    else:
        text = f"CAST({col} AS VARCHAR)"
        for i, group in enumerate(b.groups_):
            parts.append(f"WHEN {text} IN ({', '.join(_lit(c) for c in group)}) "
                         f"THEN {int(f.points[i])}")
        parts.append(f"ELSE {int(f.points[b.n_bins_ + 1])} END")
    return " ".join(parts)


def export_sql(models: TrainedModels) -> str:
    """The champion's integer score as one SQL expression over the feature columns."""
    sc = models.scorecard
    terms = "\n  + ".join(feature_sql(f) for f in sc.features)
    return f"LEAST({sc.scale.max}, GREATEST({sc.scale.min},\n    {terms}\n))"

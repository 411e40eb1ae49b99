"""The declarative vocabulary of features: windows, aggregations and feature definitions.

A definition says *what* to compute and nothing about *how* or *where*: a view (the per-person
event stream of a source), a window of days before the as-of date, an aggregation kind, and
Ibis deferred expressions (``_.status == "returned"``) for the value and the filter. The as-of
semantics live in :mod:`benne.features.asof`, which compiles these definitions into one Ibis
expression; the engines only run it.

Why the aggregation kinds are a closed set: each kind has one documented meaning of "missing"
(the oracle in the tests implements the same table), and the two engines are guaranteed to agree
because every kind compiles to aggregates both SQL dialects have.

Missing versus zero, for a person who is *observed* in a view (at least one event before as-of):

=========================  ==========================================================
kind                       value when no event falls in the window
=========================  ==========================================================
count, sum, nunique        0 (observed, nothing happened)
mean, share, max, min,     missing (undefined on an empty window)
latest, days_since_*
ratio                      missing when the denominator is missing or zero
=========================  ==========================================================

A person never observed in the view gets missing for every feature of it.

Money is summed as ``DECIMAL(18, 2)`` (see :func:`money`): decimal sums are exact, so the result
does not depend on row order or on how an engine splits the work, which keeps features
bit-for-bit deterministic (floating-point sums are not associative).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import ibis.expr.types as ir
from ibis.common.deferred import Deferred

from benne.dimensions import Direction, FeatureMeta
from benne.exceptions import ConfigError

__all__ = [
    "Agg",
    "AggKind",
    "Derived",
    "Feature",
    "Ratio",
    "Window",
    "money",
]

AggKind = Literal[
    "count", "sum", "mean", "share", "max", "min", "nunique", "latest",
    "days_since_first", "days_since_last",
]

# Value or predicate: an Ibis deferred (``_.amount``) resolved against the view's rows.
Expr: TypeAlias = Deferred | Callable[[ir.Table], ir.Value]


def money(value: Deferred) -> Deferred:
    """Cast a money amount to an exact decimal (cents) before summing it."""
    return value.cast("decimal(18, 2)")


@dataclass(frozen=True)
class Window:
    """Days ``[as_of - start, as_of - end)``; ``Window(90)`` is the last 90 days."""

    start: int
    end: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.end < self.start:
            raise ConfigError(f"window needs 0 <= end < start; got {self.start}, {self.end}.",
                              fix="give a window whose start lies further back than its end")


@dataclass(frozen=True)
class Agg:
    """One aggregation of a view's rows, optionally windowed and filtered.

    ``value`` is required for sum, mean, max, min, nunique and latest; ``predicate`` is the
    "success" condition of a share (the ``where`` filter narrows both numerator and
    denominator). ``window=None`` means all history before as-of.
    """

    kind: AggKind
    value: Expr | None = None
    where: Expr | None = None
    window: Window | None = None
    predicate: Expr | None = None

    def __post_init__(self) -> None:
        needs_value = {"sum", "mean", "max", "min", "nunique", "latest"}
        if self.kind in needs_value and self.value is None:
            raise ConfigError(f"aggregation {self.kind!r} needs a value expression.",
                              fix="give the column or expression to aggregate")
        if self.kind == "share" and self.predicate is None:
            raise ConfigError("aggregation 'share' needs a predicate.",
                              fix="give the condition whose share is measured")


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator`` of two aggregations of the same view (trends, rates)."""

    numerator: Agg
    denominator: Agg


@dataclass(frozen=True)
class Derived:
    """A feature computed from other features' values (possibly of other views).

    ``fn`` receives the named feature columns (Ibis values) in the order of ``inputs``.
    """

    inputs: tuple[str, ...]
    fn: Callable[..., ir.Value]


@dataclass(frozen=True)
class Feature:
    """A feature definition: what it measures, from which view, and what it tells the person."""

    name: str
    dimension: str
    view: str
    aggregation: Agg | Ratio | Derived
    direction: Direction
    description: str
    tip: str
    windows: tuple[Window, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if "__" not in self.name:
            raise ConfigError(f"feature name must be '<source>__<what>'; got {self.name!r}.",
                              fix="name the feature after its source, e.g. orders__count_90d")
        # Validates dimension and direction in one place.
        self.meta()
        if not self.windows:
            object.__setattr__(self, "windows", _windows_of(self.aggregation))

    def meta(self) -> FeatureMeta:
        return FeatureMeta(self.name, self.dimension, self.direction, self.description, self.tip)

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary (for ``benne features list --json``)."""
        agg = self.aggregation
        kind = ("derived" if isinstance(agg, Derived) else
                "ratio" if isinstance(agg, Ratio) else agg.kind)
        return {
            "name": self.name,
            "dimension": self.dimension,
            "source": self.view,
            "aggregation": kind,
            "windows": [f"{w.start}d" if not w.end else f"{w.start}d..{w.end}d"
                        for w in self.windows],
            "direction": self.direction,
            "description": self.description,
            "tip": self.tip,
        }


def _windows_of(agg: Agg | Ratio | Derived) -> tuple[Window, ...]:
    if isinstance(agg, Agg):
        return (agg.window,) if agg.window else ()
    if isinstance(agg, Ratio):
        return _windows_of(agg.numerator) + _windows_of(agg.denominator)
    return ()


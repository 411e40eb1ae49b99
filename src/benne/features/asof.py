"""The as-of semantics, written once: definitions + source tables + a spine -> one Ibis expression.

Rules (the oracle in the tests implements the same, independently):

- The spine is the set of observations to compute, one output row each: with one as-of date,
  everyone registered before it; otherwise a table of observations, each with its own
  ``observed_at`` timestamp (a plain date is its midnight), so one person may be observed
  several times, even within one day. ``as_of`` is the date of ``observed_at``.
- An event counts for an observation only if it happened strictly before it. An event with a
  timestamp (an order, a transfer, a registration) counts when ``t < observed_at``; an event
  known only by its date (a statement, a bill, a snapshot) is known at the end of that day, so
  it counts when its date is before the observation's date (``t < as_of``). Windows are
  ``[observed_at - start, observed_at - end)`` for timestamps and ``[as_of - start,
  as_of - end)`` for dates. Nothing at or after the observation can change a feature, so there
  is no leakage by construction.
- A person with no event before ``as_of`` in a view is *never observed* there: every feature of
  the view is missing (NULL), distinct from zero. See :mod:`benne.features.definitions` for the
  value of each aggregation kind on an empty window.
- The counterparties' prior score uses only scores from runs whose ``as_of`` is earlier than the
  features' ``as_of`` (the latest such run per counterparty), never the current run; their
  credit record uses only their statements dated strictly before ``as_of`` (both are dates).

Engines supply the tables and run the expression; they never restate these rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as idt
import ibis.expr.types as ir
import pyarrow as pa
from ibis.common.deferred import Deferred

from benne.features.definitions import Agg, Derived, Expr, Feature, Ratio, Window
from benne.features.views import COUNTERPARTY_WINDOW_DAYS, VIEWS, custom_view
from benne.sources import SOURCES, arrow_schema
from benne.sources.custom import CustomSource

__all__ = [
    "EXCLUDED", "INPUT_PREFIX", "OBS", "SCORES", "SPINE", "build_expression", "entity_of",
    "input_schemas",
    "input_tables", "required_features",
]

INPUT_PREFIX = "benne_in_"
EXCLUDED, SCORES, SPINE = "excluded_records", "scores_history", "spine"
# The spine's row number: the key of one observation (a person may have several a day).
OBS = "_obs"


@ibis.udf.agg.builtin(name="max_by")
def _max_by(value: idt.float64, key: idt.timestamp) -> idt.float64:  # type: ignore[empty-body]
    """The value on the row with the latest key (DuckDB and Spark both have ``max_by``)."""


def required_features(features: Sequence[Feature], registry: Mapping[str, Feature]
                      ) -> list[Feature]:
    """``features`` plus every feature a derived one needs, in registry order."""
    names: set[str] = set()
    stack = [f.name for f in features]
    while stack:
        name = stack.pop()
        if name in names:
            continue
        names.add(name)
        agg = registry[name].aggregation
        if isinstance(agg, Derived):
            stack.extend(agg.inputs)
    return [f for f in registry.values() if f.name in names]


def _resolve(expr: Expr, rows: ir.Table) -> ir.Value:
    return expr.resolve(rows) if isinstance(expr, Deferred) else expr(rows)


def _bound(rows: ir.Table, days_before: int, day: ir.DateScalar | None) -> ir.Value:
    """``days_before`` days before the observation, in the type of the view's event time:
    from ``observed_at`` for timestamps, from ``as_of`` (its date) for dates.

    With one as-of date for everyone (``day``), the bound is a constant the database folds
    and pushes into the scan, as a hand-written query would.
    """
    stamped = rows.t.type().is_timestamp()
    if day is not None:
        moment: ir.Value = day.cast("timestamp") if stamped else day
    else:
        moment = rows.observed_at if stamped else rows.as_of
    return moment - ibis.interval(days=days_before) if days_before else moment


def _in_window(rows: ir.Table, window: Window | None,
               day: ir.DateScalar | None) -> ir.BooleanValue | None:
    if window is None:
        return None
    cond = rows.t >= _bound(rows, window.start, day)
    if window.end:
        cond = cond & (rows.t < _bound(rows, window.end, day))
    return cond


def _and(*conds: ir.BooleanValue | None) -> ir.BooleanValue | None:
    present = [c for c in conds if c is not None]
    if not present:
        return None
    out = present[0]
    for c in present[1:]:
        out = out & c
    return out


def _f64(value: ir.Value) -> ir.Value:
    return value.cast("float64")


class _Compiler:
    """Collects the aggregates of one view and the final expressions built on them.

    Every aggregate of a view goes into one grouped aggregation (each window and filter a
    conditional aggregate of it), except the distinct counts (``nunique``): each is counted
    on its own, over the distinct (observation, value) pairs of its rows, and joined back to
    that aggregation (see :func:`_with_distinct_counts`). Several distinct counts with
    different values in one grouped aggregation make Spark replicate every row of the view
    once per distinct count, carrying all the other aggregates' inputs with it (its
    ``Expand``); counted apart, each reads two narrow columns. The numbers are the same.
    """

    def __init__(self, rows: ir.Table, day: ir.DateScalar | None) -> None:
        self.rows = rows
        self.day = day
        self._seen: dict[object, str] = {}
        self.aggs: dict[str, ir.Scalar] = {}
        self.distinct: dict[str, tuple[ir.Value, ir.BooleanValue | None]] = {}

    def _add_distinct(self, value: ir.Value, where: ir.BooleanValue | None) -> Deferred:
        """Register a distinct count once (by its value and filter)."""
        key = (value.op(), None if where is None else where.op())
        name = self._seen.get(key)
        if name is None:
            name = self._seen[key] = f"_d{len(self.distinct)}"
            self.distinct[name] = (value, where)
        return ibis._[name]

    def _add(self, value: ir.Scalar) -> Deferred:
        """Register an aggregate once: features sharing a denominator share its column."""
        op = value.op()
        name = self._seen.get(op)
        if name is None:
            name = self._seen[op] = f"_a{len(self.aggs)}"
            self.aggs[name] = value
        return ibis._[name]

    def compile(self, agg: Agg | Ratio) -> Deferred:
        """Register the aggregates of ``agg`` and return its final value (over the groups)."""
        if isinstance(agg, Ratio):
            num, den = self.compile(agg.numerator), self.compile(agg.denominator)
            return num / den.nullif(0.0)
        r = self.rows
        where = _and(_in_window(r, agg.window, self.day),
                     _resolve(agg.where, r) if agg.where is not None else None)
        value: Any = _resolve(agg.value, r) if agg.value is not None else None
        kind = agg.kind
        if kind == "count":
            return _f64(self._add(r.count(where=where)))
        if kind == "sum":
            return ibis.coalesce(_f64(self._add(value.sum(where=where))), 0.0)
        if kind == "mean":
            total = self._add(value.sum(where=where))
            n = self._add(value.count(where=where))
            return _f64(total) / n.nullif(0)
        if kind == "share":
            hit = _and(where, _resolve(agg.predicate, r))
            num = self._add(r.count(where=hit))
            den = self._add(r.count(where=where))
            return _f64(num) / den.nullif(0)
        if kind == "max":
            return _f64(self._add(value.max(where=where)))
        if kind == "min":
            return _f64(self._add(value.min(where=where)))
        if kind == "nunique":
            # an observed person with no value in the window has no row in the count: 0
            return ibis.coalesce(_f64(self._add_distinct(value, where)), 0.0)
        if kind == "latest":
            return self._add(_max_by(_f64(value), r.t.cast("timestamp"), where=where))
        if kind in ("days_since_first", "days_since_last"):
            t = r.t.min(where=where) if kind == "days_since_first" else r.t.max(where=where)
            moment = self._add(t)
            if r.t.type().is_timestamp():
                moment = moment.date()
            return _f64(ibis._.as_of.delta(moment, unit="day"))
        raise ValueError(f"unknown aggregation kind {kind!r}")  # pragma: no cover


def _as_of_rows(events: ir.Table, spine: ir.Table, day: ir.DateScalar | None) -> ir.Table:
    """Every event of a spine person strictly before that observation.

    With one date for everyone this is a filter on a constant (people outside the spine are
    dropped by the final join to the spine); with a table of observations it is a join to the
    spine, on the timestamp for timestamped events and on the date for dated ones.
    """
    if day is not None:
        cut = day.cast("timestamp") if events.t.type().is_timestamp() else day
        kept = events.filter(events.t < cut)
        return kept.select("person_id", as_of=day, **{c: kept[c] for c in events.columns
                                                       if c != "person_id"})
    s = spine.rename(_pid="person_id", _as_of="as_of", _seen="observed_at")
    before = s._seen if events.t.type().is_timestamp() else s._as_of
    joined = events.join(s, [events.person_id == s._pid, events.t < before])
    cols = {c: joined[c] for c in events.columns if c != "person_id"}
    return joined.select(OBS, person_id=joined._pid, as_of=joined._as_of,
                         observed_at=joined._seen, **cols)


def _keys(day: ir.DateScalar | None, *more: str) -> list[str]:
    """Grouping keys: the observation, or only the person when as_of is one constant date."""
    return ["person_id", *more] if day is not None else [OBS, "person_id", "as_of", *more]


def _with_distinct_counts(grouped: ir.Table, comp: _Compiler,
                          day: ir.DateScalar | None) -> ir.Table:
    """``grouped`` (one row per observation of the view) with a column per distinct count of
    ``comp``: the number of distinct non-null values among the rows that pass its filter,
    NULL where none does."""
    key = "person_id" if day is not None else OBS
    rows = comp.rows
    for name, (value, where) in comp.distinct.items():
        kept = rows if where is None else rows.filter(where)
        pairs = kept.select(_k=kept[key], _v=value)
        pairs = pairs.filter(pairs._v.notnull()).distinct()
        counts = pairs.group_by("_k").aggregate(**{name: pairs.count()})
        grouped = grouped.left_join(counts, grouped[key] == counts._k).drop("_k")
    return grouped


def _counterparty_credit(pairs: ir.Table, tables: Mapping[str, ir.Table],
                         day: ir.DateScalar | None) -> ir.Table:
    """``pairs`` plus each counterparty's credit record as known strictly before as_of.

    ``delinquent``: any statement 30+ days past due before as_of (NULL when the counterparty has
    no statement before as_of: no credit record is not a clean one); ``worst_dpd_365d``: the
    worst days past due on their statements of the year before as_of (NULL when none).
    """
    credit = VIEWS["credit"].build(tables)  # type: ignore[misc]
    c = credit.select(_cp=credit.person_id, _t=credit.t, _dpd=credit.days_past_due)
    if day is not None:
        # One date for everyone: each person's record once, then an equi-join on the
        # counterparty (the general path below would redo it for every pair).
        known = c.filter(c._t < day)
        per = known.group_by("_cp").aggregate(
            _worst=known._dpd.max(),
            _worst_year=known._dpd.max(where=known._t >= day - ibis.interval(days=365)))
        j = pairs.left_join(per, pairs.counterparty == per._cp)
    else:
        keys = pairs.select(_o=pairs[OBS], _a=pairs.as_of, _k=pairs.counterparty)
        k = keys.join(c, [keys._k == c._cp, c._t < keys._a])
        per = k.group_by(["_o", "_k"]).aggregate(
            _worst=k._dpd.max(),
            _worst_year=k._dpd.max(where=k._t >= k._a - ibis.interval(days=365)))
        j = pairs.left_join(per, [pairs[OBS] == per._o, pairs.counterparty == per._k])
    return j.select(*pairs.columns, delinquent=j._worst >= 30, worst_dpd_365d=j._worst_year)


def _counterparty_rows(tables: Mapping[str, ir.Table], spine: ir.Table,
                       scores_history: ir.Table, day: ir.DateScalar | None) -> ir.Table:
    """One row per (person, as_of, counterparty) of the year before as_of.

    Columns: ``reciprocal`` (money went both ways in that year), the counterparty's credit
    record before as_of (``delinquent``, ``worst_dpd_365d``; see :func:`_counterparty_credit`)
    and ``prior_score`` (the counterparty's score from the latest scoring run dated before
    as_of, NULL when none).
    """
    rows = _as_of_rows(VIEWS["transfers"].build(tables), spine, day)  # type: ignore[misc]
    rows = rows.filter(_in_window(rows, Window(COUNTERPARTY_WINDOW_DAYS), day))
    pairs = rows.group_by(_keys(day, "counterparty")).aggregate(
        _sent=rows.count(where=rows.outgoing), _received=rows.count(where=~rows.outgoing)
    )
    if day is not None:
        pairs = pairs.mutate(as_of=day)
    pairs = pairs.select(
        *([] if day is not None else [OBS]), "person_id", "as_of", "counterparty",
        reciprocal=(pairs._sent > 0) & (pairs._received > 0),
    )
    pairs = _counterparty_credit(pairs, tables, day)
    # One score per person and run date (several models may score on the same day).
    daily = scores_history.group_by(
        [scores_history.person_id.name("_cp"), scores_history.as_of.name("_run")]
    ).aggregate(_score=_f64(scores_history.score).mean())
    if day is not None:
        # One date for everyone: each counterparty's latest earlier score once, then a plain
        # equi-join (the general path below would redo it for every pair).
        before = daily.filter(daily._run < day)
        prior = before.group_by("_cp").aggregate(
            _prior=_max_by(before._score, before._run.cast("timestamp")))
        j = pairs.left_join(prior, pairs.counterparty == prior._cp)
        return j.select(*pairs.columns, prior_score=j._prior)
    j = pairs.left_join(daily, [pairs.counterparty == daily._cp, daily._run < pairs.as_of])
    return j.group_by(pairs.columns).aggregate(
        prior_score=_max_by(j._score, j._run.cast("timestamp"), where=j._run.notnull())
    )


def input_tables(custom: Sequence[CustomSource] = ()) -> dict[str, ir.Table]:
    """The named inputs of the expression, as unbound Ibis tables (custom sources included).

    Engines expose each under its ``name`` (``INPUT_PREFIX`` + source, ``excluded_records``,
    ``scores_history`` or ``spine``) with these columns; building the expression against
    unbound tables lets it be compiled once and reused for any store or lake.
    """
    sources = [*SOURCES.values(), *(cs.source() for cs in custom)]
    out = {
        src.name: ibis.table(
            ibis.Schema.from_pyarrow(arrow_schema(src)) | {"_record_id": "string"},
            name=INPUT_PREFIX + src.name,
        )
        for src in sources
    }
    out[EXCLUDED] = ibis.table(
        {"source": "string", "record_id": "string"}, name=INPUT_PREFIX + EXCLUDED
    )
    out[SCORES] = ibis.table(
        {"person_id": "string", "as_of": "date", "score": "float64"}, name=INPUT_PREFIX + SCORES
    )
    out[SPINE] = ibis.table({OBS: "int64", "person_id": "string", "observed_at": "timestamp",
                             "as_of": "date"}, name=INPUT_PREFIX + SPINE)
    return out


def input_schemas(custom: Sequence[CustomSource] = ()) -> dict[str, pa.Schema]:
    """Arrow schemas of the inputs, for engines that must stand in an empty table."""
    return {name: t.schema().to_pyarrow() for name, t in input_tables(custom).items()}


def _without_excluded(tables: Mapping[str, ir.Table]) -> dict[str, ir.Table]:
    """Each source with the records under dispute (``excluded_records``) left out."""
    excluded = tables[EXCLUDED]
    out = {}
    for name in tables:
        if name in (EXCLUDED, SCORES, SPINE):
            continue
        t = tables[name]
        gone = excluded.filter(excluded.source == name)
        out[name] = t.anti_join(gone, t._record_id == gone.record_id)
    return out


def entity_of(features: Sequence[Feature], registry: Mapping[str, Feature],
              custom: Sequence[CustomSource] = ()) -> str:
    """The entity kind the views of ``features`` (and of their inputs) belong to.

    Custom sources and user views are people's. Features of two kinds cannot be computed
    together (one spine holds one kind).
    """
    views = {**VIEWS, **{cs.name: custom_view(cs) for cs in custom}}
    kinds = {views[f.view].entity if f.view in views else "person"
             for f in required_features(features, registry)
             if not isinstance(f.aggregation, Derived)}
    if len(kinds) > 1:
        from benne.exceptions import ConfigError

        raise ConfigError(f"features of several entity kinds asked for together: "
                          f"{', '.join(sorted(kinds))}",
                          fix="compute people's and shops' features separately")
    return kinds.pop() if kinds else "person"


def build_expression(
    features: Sequence[Feature],
    registry: Mapping[str, Feature],
    as_of: dt.date | None = None,
    custom: Sequence[CustomSource] = (),
) -> ir.Table:
    """The features table as one Ibis expression over :func:`input_tables`.

    ``features`` are the columns wanted (in that order); ``registry`` resolves the inputs of
    derived features. With ``as_of`` the spine is everyone in ``identity`` registered before
    that date and the columns are ``person_id, as_of``, then the features; without it the
    spine is the ``spine`` input (one row per observation) and the columns are ``_obs``
    (the observation's row number), ``person_id, as_of``, then the features. ``custom``
    sources are views like the built-in ones.

    The features' views say the entity kind (:func:`entity_of`): for shops the spine of one
    date is every shop opened before it, and the key column ``person_id`` holds the
    ``merchant_id``.
    """
    inputs = input_tables(custom)
    views = {**VIEWS, **{cs.name: custom_view(cs) for cs in custom}}
    entity = entity_of(features, registry, custom)
    tables = _without_excluded(inputs)
    tables[SCORES] = inputs[SCORES]  # the owner's earlier scores are a shop's view
    day = None if as_of is None else ibis.literal(as_of, "date")
    if as_of is None:
        spine = inputs[SPINE]
    elif entity == "merchant":
        shops = inputs["merchants"]
        day = ibis.literal(as_of, "date")
        spine = shops.filter(shops.opened_at < day).select(
            person_id=shops.merchant_id, as_of=day).distinct()
    else:
        # The person exists even when their identity record is disputed: the spine reads the
        # identity table as stored; the identity features still leave the record out.
        ident = inputs["identity"]
        day = ibis.literal(as_of, "date")
        spine = ident.filter(ident.registered_at < day.cast("timestamp")).select(
            person_id=ident.person_id, as_of=day
        )
    scores_history = inputs[SCORES]
    needed = required_features(features, registry)
    by_view: dict[str, list[Feature]] = {}
    for f in needed:
        if not isinstance(f.aggregation, Derived):
            by_view.setdefault(f.view, []).append(f)

    wide = spine
    for view_name, feats in by_view.items():
        view = views[view_name]
        if view.build is None:
            rows = _counterparty_rows(tables, spine, scores_history, day)
        else:
            rows = _as_of_rows(view.build(tables), spine, day)
        comp = _Compiler(rows, day)
        finals = {f.name: comp.compile(f.aggregation) for f in feats}  # type: ignore[arg-type]
        grouped = _with_distinct_counts(rows.group_by(_keys(day)).aggregate(**comp.aggs),
                                        comp, day)
        if day is not None:
            grouped = grouped.mutate(as_of=day)
        grouped = grouped.select(
            *([] if day is not None else [OBS]), _pid=grouped.person_id, _as_of=grouped.as_of,
            **{n: v.resolve(grouped) for n, v in finals.items()},
        )
        if day is None:
            grouped = grouped.rename(_o=OBS)
            on = [wide[OBS] == grouped._o]
            drop: tuple[str, ...] = ("_o", "_pid", "_as_of")
        else:
            on = [wide.person_id == grouped._pid]
            drop = ("_pid", "_as_of")
        wide = wide.left_join(grouped, on).drop(*drop)

    for f in needed:
        if isinstance(f.aggregation, Derived):
            args = [wide[name] for name in f.aggregation.inputs]
            wide = wide.mutate(**{f.name: _f64(f.aggregation.fn(*args))})

    keys = ["person_id", "as_of"] if day is not None else [OBS, "person_id", "as_of"]
    return wide.select(*keys, *[_f64(wide[f.name]).name(f.name) for f in features])

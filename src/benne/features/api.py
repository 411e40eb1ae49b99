"""``compute_features``: the features table for people as of a date, per-person dates, or an
observation spine (one row per decision, each with its own timestamp)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from benne import console
from benne.exceptions import ValidationError
from benne.features.definitions import Feature
from benne.features.engines import make_engine

__all__ = ["compute_features", "export_store_to_lake", "features_schema", "make_spine",
           "observation_features_schema"]

OBSERVATION_KEYS = ("person_id", "observed_at", "decision_id", "as_of")


def features_schema(names: Sequence[str]) -> pa.Schema:
    """The features-table contract: person_id, as_of, then one DOUBLE per feature."""
    return pa.schema(
        [pa.field("person_id", pa.string()), pa.field("as_of", pa.date32())]
        + [pa.field(n, pa.float64()) for n in names]
    )


def observation_features_schema(names: Sequence[str]) -> pa.Schema:
    """The features table of an observation spine: person_id, observed_at, decision_id
    (null when the spine has none), as_of (the date of observed_at), then the features."""
    return pa.schema(
        [pa.field("person_id", pa.string()), pa.field("observed_at", pa.timestamp("us")),
         pa.field("decision_id", pa.string()), pa.field("as_of", pa.date32())]
        + [pa.field(n, pa.float64()) for n in names]
    )


def _check_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(
            f"as_of must be a date; got {value!r}", where=where,
            fix="pass a datetime.date such as date(2024, 1, 1)",
        )
    return value


def make_spine(as_of: dt.date | pd.DataFrame, people: Sequence[str] | None) -> pa.Table | None:
    """The (person_id, as_of) pairs, deduplicated, or None for "everyone registered before".

    A table of per-person dates needs ``person_id`` and ``as_of`` columns without blanks;
    ``people``, when given, keeps only those people.
    """
    if isinstance(as_of, pd.DataFrame):
        missing = [c for c in ("person_id", "as_of") if c not in as_of.columns]
        if missing:
            raise ValidationError(
                f"the as-of table has no column {missing[0]!r}", where="as-of table",
                fix="give a table with columns person_id and as_of (YYYY-MM-DD)",
            )
        frame = as_of[["person_id", "as_of"]]
        for i, (pid, day) in enumerate(frame.itertuples(index=False, name=None), start=1):
            if not isinstance(pid, str) or not pid:
                raise ValidationError(f"person_id must be a non-empty string; got {pid!r}",
                                      where=f"as-of table, row {i}, field person_id",
                                      fix="fill in every person_id")
            if isinstance(day, pd.Timestamp):
                if day is pd.NaT or day != day.normalize():
                    raise ValidationError(f"as_of must be a date; got {day!r}",
                                          where=f"as-of table, row {i}, field as_of",
                                          fix="give dates as YYYY-MM-DD")
                day = day.date()
            _check_date(day, f"as-of table, row {i}, field as_of")
        ids = frame["person_id"].tolist()
        days = [d.date() if isinstance(d, pd.Timestamp) else d for d in frame["as_of"]]
        if people is not None:
            keep = set(people)
            pairs = sorted({(p, d) for p, d in zip(ids, days, strict=True) if p in keep})
        else:
            pairs = sorted(set(zip(ids, days, strict=True)))
    else:
        day = _check_date(as_of, "as_of")
        if people is None:
            return None
        pairs = [(p, day) for p in sorted(set(people))]
    return pa.table(
        {"person_id": pa.array([p for p, _ in pairs], pa.string()),
         "as_of": pa.array([d for _, d in pairs], pa.date32())}
    )


def _engine_spine(person_id: pa.Array, observed_at: pa.Array) -> pa.Table:
    """The engines' spine input: row number, person, timestamp and its date."""
    import pyarrow.compute as pc

    stamps = observed_at.cast(pa.timestamp("us"))
    return pa.table({
        "_obs": pa.array(range(len(person_id)), pa.int64()),
        "person_id": person_id.cast(pa.string()),
        "observed_at": stamps,
        "as_of": pc.cast(pc.floor_temporal(stamps, unit="day"), pa.date32()),
    })


def export_store_to_lake(store: Path, lake: Path) -> None:
    """Write the store's tables as ``<lake>/<table>.parquet`` for the Spark engine."""
    from benne.store import export_lake

    export_lake(store, lake)


def compute_features(
    store: Path | str | None = None,
    as_of: dt.date | pd.DataFrame | None = None,
    *,
    engine: str = "duckdb",
    people: Sequence[str] | None = None,
    lake: Path | None = None,
    features: Sequence[str | Feature] | None = None,
    definitions: Sequence[Feature] = (),
    entity: str = "person",
) -> pa.Table:
    """Point-in-time features for (person_id, as_of) pairs, as an Arrow table.

    ``as_of`` is one date for everyone or a table with ``person_id`` and ``as_of`` columns.
    ``people`` defaults to everyone in ``identity`` registered before ``as_of``. Only events
    strictly before each pair's as-of count; features of a source where the person was never
    observed are null. Rows are sorted by person_id then as_of; columns are person_id, as_of,
    then the features in registry order (or in the order of ``features``).

    A table with an ``observed_at`` column is an observation spine (see
    :mod:`benne.features.spine`): one output row per observation in the table's order, with
    columns person_id, observed_at, decision_id, as_of, then the features; several
    observations of one person, even within one day, each see only what came before them.

    ``engine="spark"`` reads Parquet from ``lake``; without a lake the store is exported to a
    temporary one first.

    By default every feature the store can give is computed: the built-in ones and the family
    of each custom source the store records. ``features`` picks some by name, or passes
    definitions (:class:`~benne.features.definitions.Feature`) directly; ``definitions`` adds
    user-defined features to the defaults (and lets ``features`` name them). Nothing is
    registered globally.

    ``entity="merchant"`` computes shops' features (:mod:`benne.features.merchants`) the same
    way: the spine of one date is every shop opened before it, ``people`` and the tables name
    shops by ``merchant_id``, and the key column of the result is ``merchant_id`` in place of
    ``person_id``.
    """
    from benne.features.spine import ENTITY_KINDS, ID_COLUMNS

    if entity not in ENTITY_KINDS:
        raise ValidationError(f"entity must be one of {', '.join(ENTITY_KINDS)}; got {entity!r}",
                              where="entity", fix="use person or merchant")
    key = ID_COLUMNS[entity]
    if (entity != "person" and isinstance(as_of, pd.DataFrame) and key in as_of.columns
            and "observed_at" not in as_of.columns):
        as_of = as_of.rename(columns={key: "person_id"})
    result = _compute(store, as_of, engine=engine, people=people, lake=lake, features=features,
                      definitions=definitions, entity=entity)
    if entity == "person":
        return result
    return result.rename_columns([key if c == "person_id" else c for c in result.column_names])


def _compute(store: Path | str | None, as_of: dt.date | pd.DataFrame | None, *, engine: str,
             people: Sequence[str] | None, lake: Path | None,
             features: Sequence[str | Feature] | None, definitions: Sequence[Feature],
             entity: str) -> pa.Table:
    """:func:`compute_features` with the key column named ``person_id`` for every kind."""
    from benne.config import load_settings

    if as_of is None:
        raise ValidationError("as_of is required", where="as_of",
                              fix="pass a date or a table of person_id, as_of")
    observations = isinstance(as_of, pd.DataFrame) and "observed_at" in as_of.columns
    store_path = Path(store) if store is not None else None
    if store_path is None and not (engine == "spark" and lake is not None):
        store_path = load_settings().store

    tmp: Path | None = None
    if engine == "spark" and lake is None:
        assert store_path is not None
        tmp = Path(tempfile.mkdtemp(prefix="benne-lake-"))
        with console.stage(f"exporting {store_path.name} to Parquet for Spark"):
            export_store_to_lake(store_path, tmp)
        lake = tmp
    spine: pa.Table | None
    if observations:
        from benne.features.spine import read_observations, spine_table

        assert isinstance(as_of, pd.DataFrame)
        spine = spine_table(read_observations(as_of, entity=entity), people)
        keys = _engine_spine(spine.column("entity_id"), spine.column("observed_at"))
    else:
        spine = make_spine(as_of, people)
        keys = None if spine is None else _engine_spine(
            spine.column("person_id"), spine.column("as_of").cast(pa.timestamp("us")))
    try:
        with make_engine(engine, store=store_path, lake=lake) as eng:
            catalog = eng.catalog(definitions)
            chosen = catalog.resolve(list(features) if features is not None else None,
                                     entity=entity)
            names = [f.name for f in chosen]
            if len(set(names)) != len(names):
                raise ValidationError("a feature is asked for twice", where="features",
                                      fix="name each feature once")
            with console.stage(f"computing {len(names)} features on {eng.name}"):
                result = eng.features(chosen, None if keys is not None else as_of, keys,
                                      catalog=catalog)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if keys is None:
        result = result.select(["person_id", "as_of", *names]).cast(features_schema(names))
        return result.sort_by([("person_id", "ascending"), ("as_of", "ascending")])
    result = result.sort_by([("_obs", "ascending")])
    if spine is not None and observations:
        head = {"person_id": spine.column("entity_id"),
                "observed_at": spine.column("observed_at"),
                "decision_id": spine.column("decision_id"), "as_of": keys.column("as_of")}
        out = pa.table({**head, **{n: result.column(n) for n in names}})
        return out.cast(observation_features_schema(names))
    return result.select(["person_id", "as_of", *names]).cast(features_schema(names))

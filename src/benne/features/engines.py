"""Engines: where the one compiled query runs. Each fills a few small hooks.

The as-of expression (:mod:`benne.features.asof`) is built over named, unbound inputs and
compiled once per engine, feature list and spine kind (building and compiling the Ibis graph of
50 features costs seconds; running it on small data costs milliseconds, so the SQL is cached).
An engine only has to expose the inputs under their names and run SQL:

- ``DuckDBEngine`` attaches the DuckDB store read-only to an in-memory connection (a features
  run never locks or changes the store) and exposes each table as a view.
- ``SparkEngine`` reads ``<lake>/<table>.parquet`` (a file or a folder of parts) as temporary
  views.

An input the store lacks becomes an empty table of its schema, so a store with only some
sources still gets the features of those. pyspark is an optional extra: it is imported only
when a Spark engine is made, and its absence raises :class:`~benne.exceptions.ConfigError`
naming the extra to install.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from benne import console
from benne.exceptions import ConfigError, InputError, NotFoundError, StoreError
from benne.features.asof import INPUT_PREFIX, SPINE, build_expression, input_schemas
from benne.features.definitions import Feature
from benne.features.registry import Catalog, builtin_features
from benne.sources.currency import CURRENCY_TABLE, USD, Currency
from benne.sources.custom import CUSTOM_SOURCES_TABLE, CustomSource

__all__ = ["DuckDBEngine", "Engine", "SparkEngine", "compiled_sql", "make_engine"]


@lru_cache(maxsize=64)
def compiled_sql(dialect: str, names: tuple[str, ...], as_of: dt.date | None,
                 currency: Currency = USD) -> str:
    """SQL of the built-in features ``names`` in ``dialect`` ("duckdb" or "pyspark") for a
    store in ``currency``, cached."""
    if dialect == "pyspark":
        from ibis.backends.pyspark import Backend

        Backend.register_options()  # the pyspark compiler reads its options
    registry = {f.name: f for f in builtin_features(currency)}
    expr = build_expression([registry[n] for n in names], registry, as_of)
    return str(ibis.to_sql(expr, dialect=dialect))


def _sql(dialect: str, features: Sequence[Feature], catalog: Catalog,
         as_of: dt.date | None) -> str:
    """SQL of ``features``: cached when all are built-in, compiled afresh otherwise."""
    builtin = {f.name: f for f in builtin_features(catalog.currency)}
    if all(builtin.get(f.name) is f for f in features):
        return compiled_sql(dialect, tuple(f.name for f in features), as_of, catalog.currency)
    if dialect == "pyspark":
        from ibis.backends.pyspark import Backend

        Backend.register_options()
    expr = build_expression(list(features), catalog.registry(features), as_of, catalog.custom)
    return str(ibis.to_sql(expr, dialect=dialect))


class Engine(ABC):
    """Exposes the inputs and runs SQL; the semantics live in ``asof``."""

    name: str
    dialect: str

    @abstractmethod
    def _stored(self) -> set[str]:
        """Names of the tables the store or lake holds."""

    @abstractmethod
    def _expose_stored(self, table: str, as_name: str) -> None:
        """Make the stored ``table`` queryable as ``as_name``."""

    @abstractmethod
    def _expose_arrow(self, data: pa.Table, as_name: str) -> None:
        """Make an Arrow table queryable as ``as_name``."""

    @abstractmethod
    def _run(self, sql: str) -> pa.Table:
        """Run a query and return its result as Arrow."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the engine opened."""

    def custom_sources(self) -> list[CustomSource]:
        """The custom sources the store (or lake) records."""
        if CUSTOM_SOURCES_TABLE not in self._stored():
            return []
        self._expose_stored(CUSTOM_SOURCES_TABLE, INPUT_PREFIX + CUSTOM_SOURCES_TABLE)
        rows = self._run(f"SELECT definition FROM {INPUT_PREFIX}{CUSTOM_SOURCES_TABLE} "
                         "ORDER BY name").column("definition").to_pylist()
        return [CustomSource.from_json(r) for r in rows]

    def currency(self) -> Currency:
        """The currency of the store's amounts (US dollars when it records none)."""
        if CURRENCY_TABLE not in self._stored():
            return USD
        self._expose_stored(CURRENCY_TABLE, INPUT_PREFIX + CURRENCY_TABLE)
        t = self._run(f"SELECT currency, usd_rate FROM {INPUT_PREFIX}{CURRENCY_TABLE}")
        if not t.num_rows:
            return USD
        return Currency(t.column("currency")[0].as_py(), t.column("usd_rate")[0].as_py())

    def catalog(self, definitions: Sequence[Feature] = ()) -> Catalog:
        """Every feature this store can give: built-in (thresholds in the store's currency),
        its custom sources' families (with the category values above each source's floor,
        counted in the store), ``definitions``."""
        custom = self.custom_sources()
        stored = self._stored()
        freq: dict[str, dict[str, list[tuple[str, int]]]] = {}
        for cs in custom:
            if cs.name not in stored or not cs.categories:
                continue
            self._expose_stored(cs.name, INPUT_PREFIX + cs.name)
            q = "`" if self.dialect == "pyspark" else '"'  # how each dialect quotes a name
            for c in cs.categories:
                t = self._run(f"SELECT {q}{c}{q} AS v, count(*) AS n "
                              f"FROM {INPUT_PREFIX}{cs.name} WHERE {q}{c}{q} IS NOT NULL "
                              f"GROUP BY 1 ORDER BY 2 DESC, 1")
                freq.setdefault(cs.name, {})[c] = list(zip(
                    t.column("v").to_pylist(), t.column("n").to_pylist(), strict=True))
        return Catalog.build(custom, freq, definitions, self.currency())

    def features(self, names: Sequence[str | Feature], as_of: dt.date | None,
                 spine: pa.Table | None = None, *, catalog: Catalog | None = None
                 ) -> pa.Table:
        """Compute features ``names`` for everyone registered before ``as_of``, or for
        the (person_id, as_of) pairs of ``spine`` when ``as_of`` is None.

        ``names`` are feature names or definitions; ``catalog`` (default: the store's) says
        which custom sources exist and resolves names."""
        return self._run(self._features_sql(names, as_of, spine, catalog))

    def _features_sql(self, names: Sequence[str | Feature], as_of: dt.date | None,
                      spine: pa.Table | None, catalog: Catalog | None) -> str:
        """Expose the inputs and give the SQL of the features (see :meth:`features`)."""
        catalog = catalog or self.catalog()
        chosen = catalog.resolve(list(names))
        for notice in catalog.notices(chosen):
            console.info(notice)
        stored = self._stored()
        for name, schema in input_schemas(catalog.custom).items():
            if name == SPINE:
                continue
            if name in stored:
                self._expose_stored(name, INPUT_PREFIX + name)
            else:
                if name not in ("excluded_records", "scores_history"):
                    console.info(f"no {name} table in the store; its features will be missing")
                self._expose_arrow(schema.empty_table(), INPUT_PREFIX + name)
        if as_of is None:
            if spine is None:
                raise InputError("features need an as-of date or a spine of (person, as-of) "
                                 "rows; got neither", fix="pass as_of or a spine")
            self._expose_arrow(spine, INPUT_PREFIX + SPINE)
        return _sql(self.dialect, chosen, catalog, as_of)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    """Runs on the DuckDB store file, attached read-only."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, store: Path | str) -> None:
        import duckdb

        path = Path(store)
        if not path.is_file():
            raise NotFoundError(f"store {path} does not exist", where=str(path),
                             fix="load data first with 'benne ingest' or pass --db")
        self.con = duckdb.connect()
        escaped = str(path).replace("'", "''")
        try:
            self.con.execute(f"ATTACH '{escaped}' AS store (READ_ONLY)")
        except duckdb.Error as exc:
            self.con.close()
            if "not a valid DuckDB database" in str(exc):
                raise InputError(f"{path} is not a DuckDB store", where=str(path),
                                 fix="give the store file written by `benne ingest` or "
                                     "`benne demo`") from None
            raise StoreError(f"cannot open store {path}: {str(exc).splitlines()[0]}",
                             where=str(path),
                             fix="check that no other process is writing to it") from exc

    def _stored(self) -> set[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = 'store' AND table_schema = 'main'"
        ).fetchall()
        return {r[0] for r in rows}

    def _expose_stored(self, table: str, as_name: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{as_name}" AS '
                         f'SELECT * FROM store.main."{table}"')

    def _expose_arrow(self, data: pa.Table, as_name: str) -> None:
        self.con.register(as_name, data)

    def _run(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine(Engine):
    """Runs on Spark (local or cluster) over a lake of Parquet tables.

    It uses the active Spark session or starts one, and never stops it: starting Spark costs
    seconds and the caller may reuse it.
    """

    name = "spark"
    dialect = "pyspark"

    def __init__(self, lake: Path | str, *, session: Any | None = None) -> None:
        try:
            import pyspark  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "the Spark engine needs pyspark, which is not installed",
                fix="pip install 'benne[spark]'",
            ) from exc
        self.lake = Path(lake)
        if not self.lake.is_dir():
            raise ConfigError(f"lake folder {self.lake} does not exist", where=str(self.lake),
                              fix="pass --lake DIR with <table>.parquet files, or omit it")
        if session is None:
            from benne.scale.session import spark_session

            session = spark_session()
        self.session = session
        self._views: list[str] = []

    def _stored(self) -> set[str]:
        return {p.name.removesuffix(".parquet") for p in self.lake.glob("*.parquet")}

    def _expose_stored(self, table: str, as_name: str) -> None:
        self.session.read.parquet(str(self.lake / f"{table}.parquet")).createOrReplaceTempView(
            as_name)
        self._views.append(as_name)

    def _expose_arrow(self, data: pa.Table, as_name: str) -> None:
        df = self.session.createDataFrame(data.to_pandas(), schema=_spark_schema(data.schema))
        df.createOrReplaceTempView(as_name)
        self._views.append(as_name)

    def _run(self, sql: str) -> pa.Table:
        return self.session.sql(sql).toArrow()

    def features_frame(self, names: Sequence[str | Feature], as_of: dt.date | None,
                       spine: pa.Table | None = None, *, catalog: Catalog | None = None
                       ) -> Any:
        """The features of :meth:`features` as a Spark DataFrame, left on the cluster (the
        views it reads stay registered until :meth:`close`)."""
        return self.session.sql(self._features_sql(names, as_of, spine, catalog))

    def close(self) -> None:
        for view in self._views:
            self.session.catalog.dropTempView(view)
        self._views.clear()


def _spark_schema(schema: pa.Schema) -> Any:
    """A Spark schema for an Arrow one (Spark infers nothing from an empty frame)."""
    from pyspark.sql import types as T

    mapping = {
        pa.string(): T.StringType(), pa.int64(): T.LongType(), pa.float64(): T.DoubleType(),
        pa.bool_(): T.BooleanType(), pa.date32(): T.DateType(),
        pa.timestamp("us"): T.TimestampNTZType(),
    }
    return T.StructType([T.StructField(f.name, mapping[f.type], True) for f in schema])


def make_engine(name: str, *, store: Path | None, lake: Path | None) -> Engine:
    """The engine called ``name`` ("duckdb" or "spark") on a store or a lake."""
    if name == "duckdb":
        if store is None:
            raise ConfigError("the DuckDB engine needs a store", fix="pass --db FILE")
        return DuckDBEngine(store)
    if name == "spark":
        if lake is None:
            raise ConfigError("the Spark engine needs a lake folder", fix="pass --lake DIR")
        return SparkEngine(lake)
    raise ConfigError(f"engine must be 'duckdb' or 'spark'; got {name!r}",
                      fix="use --engine duckdb or --engine spark")

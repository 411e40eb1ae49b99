"""Point-in-time features: one declarative definition, run on DuckDB or Spark.

- :mod:`~benne.features.definitions`: the vocabulary (windows, aggregation kinds, features).
- :mod:`~benne.features.views`: each source as a per-person event stream.
- :mod:`~benne.features.registry`: the features themselves (``FEATURES``, ``feature_meta``).
- :mod:`~benne.features.spine`: the observation spine (who is featured as of when, with an
  optional decision id).
- :mod:`~benne.features.asof`: the as-of semantics, written once, compiled to one Ibis
  expression.
- :mod:`~benne.features.engines`: ``DuckDBEngine`` (the store) and ``SparkEngine`` (a Parquet
  lake) supply tables and run that expression.
- :mod:`~benne.features.api`: :func:`compute_features`.

Why Ibis: the definitions are Ibis deferred expressions and the as-of compiler builds one Ibis
expression, which Ibis compiles to DuckDB SQL and to Spark SQL; there is no second copy of any
feature to keep in step. Ibis 12 runs on pyspark 4 here, compiles filtered aggregates to
``FILTER (WHERE ...)`` on DuckDB (the same shape a hand-written query has), and leaves the only
dialect gap we met, "value on the latest row", to a builtin ``max_by`` that both engines have.
Two choices keep Ibis within reach of hand-written SQL (the benchmark compares the generated
DuckDB query with a hand-written one on the same data): the expression is built over unbound
inputs and compiled once per engine and feature list (building and compiling the graph costs
about a second, running it on small data milliseconds); and with one as-of date for everyone
the as-of join becomes a filter on a constant, grouped by person only, as an analyst would
write it. A table of observations (or of per-person dates) takes the general join, keyed by
the observation's row number, so several observations of one person in one day stay apart.
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.features.api import compute_features, features_schema
    from benne.features.registry import FEATURES, feature_meta

__all__ = ["FEATURES", "compute_features", "feature_meta", "features_schema"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "compute_features": "api", "features_schema": "api",
    "FEATURES": "registry", "feature_meta": "registry",
})

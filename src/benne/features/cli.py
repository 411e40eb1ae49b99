"""``benne features``: list the feature registry, or compute a features table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from benne import console

__all__ = ["register"]


def _compute_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
                     help="Decision date (YYYY-MM-DD): only events strictly before it count."),
        click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
                     help="DuckDB store (default: the store of benne.toml)."),
        click.option("--people", "--observations", "people",
                     type=click.Path(path_type=Path, dir_okay=False, exists=True),
                     help="CSV or Parquet with person_id, and either observed_at (one row per "
                          "decision: a timestamp, optional decision_id passed through) or "
                          "as_of (a date per person)."),
        click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
                     show_default=True, help="Where to compute."),
        click.option("--lake", type=click.Path(path_type=Path, file_okay=False, exists=True),
                     help="Spark only: folder of <table>.parquet (default: export the store)."),
        click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
                     help="Output Parquet file."),
        click.option("--definitions", type=click.Path(path_type=Path, dir_okay=False),
                     help="A Python file whose FEATURES list adds your own feature "
                          "definitions."),
        click.option("--entity", type=click.Choice(["person", "merchant"]), default="person",
                     show_default=True,
                     help="Whose features: people's, or shops' (merchant: every shop opened "
                          "before --as-of, or the merchant_id rows of --observations)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _read_people(path: Path, key: str = "person_id") -> Any:
    """A people file as pandas: person_id (``key``), and as_of when the file has it."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from benne.exceptions import SourceFileError

    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path)
        else:
            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                column_types={key: "string", "decision_id": "string"}))
    except Exception as exc:  # pyarrow raises several error types for unreadable files
        raise SourceFileError(f"cannot read people file: {exc}", where=str(path),
                              fix=f"give a CSV or Parquet file with a {key} column") from exc
    if key not in table.column_names:
        raise SourceFileError(f"people file has no {key} column", where=str(path),
                              fix=f"add a {key} column (and optionally as_of)")
    return table.to_pandas()


def _empty_and_constant(table: Any, keys: int = 2) -> tuple[list[str], list[str]]:
    """Feature columns with no value at all, and those with one value for everyone."""
    import pyarrow.compute as pc

    empty, constant = [], []
    for name in table.column_names[keys:]:
        col = table.column(name)
        if col.null_count == len(col):
            empty.append(name)
        elif pc.count_distinct(col.drop_null()).as_py() == 1 and len(col) > 1:
            constant.append(name)
    return empty, constant


def _compute(as_of: dt.datetime | None, db: Path | None, people: Path | None, engine: str,
             lake: Path | None, out: Path | None, definitions: Path | None = None,
             entity: str = "person") -> None:
    import time

    import pyarrow.parquet as pq

    from benne.config import load_settings
    from benne.features import compute_features

    if out is None:
        raise click.UsageError("Missing option '--out'.")
    key = "merchant_id" if entity == "merchant" else "person_id"
    frame = _read_people(people, key) if people is not None else None
    per_person = frame is not None and ("as_of" in frame.columns
                                        or "observed_at" in frame.columns)
    if as_of is None and not per_person:
        raise click.UsageError("Missing option '--as-of' (or an observed_at or as_of column "
                               "in --people).")
    store = db if db is not None else (None if lake is not None else load_settings().store)
    started = time.perf_counter()
    if per_person:
        target: Any = frame
        who = None
    else:
        target = as_of.date() if as_of is not None else None
        who = frame[key].astype(str).tolist() if frame is not None else None
    if store is not None:
        from benne.service import apply_dispute_holds

        # The disputes live in the service database; upheld or overdue ones hold records out.
        apply_dispute_holds(load_settings().database_url, store)
    from benne.features.registry import load_definitions

    user = load_definitions(definitions) if definitions is not None else []
    table = compute_features(store, target, engine=engine, people=who, lake=lake,
                             definitions=user, entity=entity)
    out.parent.mkdir(parents=True, exist_ok=True)
    with console.stage(f"writing {out.name}"):
        pq.write_table(table, out)
    seconds = time.perf_counter() - started
    keys = 4 if "observed_at" in table.column_names else 2
    empty, constant = _empty_and_constant(table, keys)
    summary = {"out": str(out), "rows": table.num_rows, "features": table.num_columns - keys,
               "engine": engine, "seconds": round(seconds, 2), "empty": empty,
               "constant": constant}
    lines = [f"wrote {table.num_rows} rows x {table.num_columns - keys} features to "
             f"{out} ({engine}, {seconds:.1f} s)"]
    if empty:
        lines.append(f"{len(empty)} feature(s) empty for everyone (no data for them): "
                     + ", ".join(empty))
    if constant:
        lines.append(f"{len(constant)} feature(s) with one value for everyone: "
                     + ", ".join(constant))
    console.emit(summary, "\n".join(lines))


@click.group("features", invoke_without_command=True)
@_compute_options
@click.pass_context
def features(ctx: click.Context, **options: Any) -> None:
    """Build point-in-time features as of a date, or list them.

    Without a subcommand this computes the features table (same as `features compute`):
    one row per person, person_id, as_of, then every feature; only events strictly before
    the as-of date count. With --observations (person_id, observed_at, optional
    decision_id) it is one row per observation, in the file's order: person_id, observed_at,
    decision_id, as_of, then the features, each from what came strictly before observed_at.

    \b
    Example:
      benne features --as-of 2024-01-01 --out features.parquet
      benne features list
      benne features compute --as-of 2024-01-01 --engine spark --out features.parquet
      benne features --entity merchant --as-of 2024-01-01 --out shop_features.parquet
    """
    if ctx.invoked_subcommand is not None:
        return
    if all(v is None or (k == "engine" and v == "duckdb") or (k == "entity" and v == "person")
           for k, v in options.items()):
        click.echo(ctx.get_help())
        return
    _compute(**options)


@features.command("compute")
@_compute_options
def compute(**options: Any) -> None:
    """Compute the features table for everyone (or --people) as of a date.

    \b
    Example:
      benne features compute --as-of 2024-01-01 --db benne.duckdb --out features.parquet
      benne features compute --people dates.csv --out features.parquet
      benne features compute --observations loans.csv --out loan_features.parquet
    """
    _compute(**options)


@features.command("list")
@click.option("--dimension", help="Only features of this dimension.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Also list the features of this store's custom sources.")
@click.option("--definitions", type=click.Path(path_type=Path, dir_okay=False),
              help="Also list the features a Python file's FEATURES list defines.")
@click.option("--entity", type=click.Choice(["person", "merchant"]), default="person",
              show_default=True, help="People's features, or shops'.")
def list_features(dimension: str | None, db: Path | None, definitions: Path | None,
                  entity: str) -> None:
    """List every feature: name, dimension, direction of risk, description and tip.

    Built-in features always; with --db the features of the store's custom sources (declared
    in a mapping); with --definitions your own.

    \b
    Example:
      benne features list
      benne features list --dimension fulfilment --json
      benne features list --db bureau.duckdb --definitions my_features.py
      benne features list --entity merchant
    """
    from benne.dimensions import ENTITY_DIMENSIONS
    from benne.exceptions import NotFoundError
    from benne.features.merchants import MERCHANT_FEATURES
    from benne.features.registry import FEATURES, Catalog, load_definitions

    dims = ENTITY_DIMENSIONS[entity]
    if dimension is not None and dimension not in dims:
        raise NotFoundError(f"unknown dimension {dimension!r}",
                            fix=f"use one of {', '.join(dims)}")
    user = load_definitions(definitions) if definitions is not None else []
    if db is not None:
        from benne.features.engines import DuckDBEngine

        with DuckDBEngine(db) as eng:
            everything = eng.catalog(user).features
    else:
        everything = Catalog.build((), None, user).features if user else FEATURES
    if entity == "merchant":
        everything = MERCHANT_FEATURES
    chosen = [f for f in everything if dimension is None or f.dimension == dimension]
    lines = []
    for f in chosen:
        windows = ",".join(f.describe()["windows"]) or "all history"
        lines.append(f"{f.name:<46} {f.dimension:<15} {f.direction:<10} {windows:<14} "
                     f"{f.description}  Tip: {f.tip}")
    console.emit({"features": [f.describe() for f in chosen]}, "\n".join(lines))


def register(app: click.Group) -> None:
    app.add_command(features)

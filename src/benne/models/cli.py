"""``benne train`` (from the store or a flat table) and ``benne export-sql``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from benne import console


def _numbers(text: str | None) -> tuple[float, ...]:
    from benne.exceptions import InputError

    out = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                out.append(float(part))
            except ValueError:
                raise InputError(f"--special-values must be numbers; got {part.strip()!r}",
                                 where="--special-values",
                                 fix="write them like --special-values=-7,-8,-9") from None
    return tuple(out)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


@click.command("train")
@click.option("--table", type=click.Path(path_type=Path),
              help="Flat modelling table (CSV/Parquet).")
@click.option("--target", help="0/1 target column of --table or --observations (1 = bad).")
@click.option("--db", type=click.Path(path_type=Path), help="Store (DuckDB file).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Training as-of date.")
@click.option("--observations", type=click.Path(path_type=Path, dir_okay=False),
              help="With --db: one row per decision (person_id, observed_at, target, optional "
                   "decision_id and application columns); features as of each observed_at.")
@click.option("--oot-as-of", "oot_as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Out-of-time validation as-of date (with --observations: decisions from "
                   "that date on are the out-of-time sample).")
@click.option("--rule", default=None,
              help="Label rule from the store (benne labels rules; default credit).")
@click.option("--horizon-months", type=click.IntRange(1, 120), default=None,
              help="Performance window of the label rule (default 12).")
@click.option("--out", type=click.Path(path_type=Path), help="Model folder to write.")
@click.option("--special-values", default="", help="Codes that are not values, e.g. =-7,-8,-9.")
@click.option("--exclude", default="", help="Columns that are not features (ids), comma list.")
@click.option("--allow-protected", is_flag=True, help="Let protected attributes be features.")
@click.option("--others-data", is_flag=True,
              help="Let in the features built from other people's credit records or scores.")
@click.option("--columns", "columns", type=click.Path(path_type=Path),
              help="Column dictionary of --table (CSV or TOML: column, description, tip, "
                   "dimension; optional direction, protected) for the reason texts; "
                   "protected=true leaves out a protected attribute whose name does not say "
                   "so.")
@click.option("--no-challenger", is_flag=True, help="Train the scorecard only.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every split.")
@click.option("--without-dimension", "without", multiple=True,
              type=click.Choice(["credit_history", "behaviour", "fulfilment", "identity",
                                 "relationships", "trading", "stability", "reputation",
                                 "owner"]),
              help="Leave a dimension's features out (store mode), e.g. relationships, or "
                   "owner for shops.")
@click.option("--entity", type=click.Choice(["person", "merchant"]), default="person",
              show_default=True,
              help="What is scored (store mode): people, or shops (merchant: their features, "
                   "the merchant rule, keyed by merchant_id).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True,
              help="With --db: spark computes the features on Spark (spark_master setting) and "
                   "fits the scorecard from counts summed there (docs/scaling.md).")
@click.option("--lake", type=click.Path(path_type=Path, file_okay=False),
              help="With --engine spark: folder of <table>.parquet (default: the store, "
                   "exported).")
@click.option("--challenger-sample", type=click.IntRange(1), default=None,
              help="With --engine spark: rows the challenger trains on (LightGBM is not "
                   "distributed; default 200000).")
def train(table: Path | None, target: str | None, db: Path | None, as_of: dt.datetime | None,
          observations: Path | None, oot_as_of: dt.datetime | None, rule: str | None,
          horizon_months: int | None, out: Path | None, special_values: str, exclude: str,
          allow_protected: bool, others_data: bool, columns: Path | None, no_challenger: bool,
          seed: int, without: tuple[str, ...], entity: str, engine: str = "duckdb",
          lake: Path | None = None, challenger_sample: int | None = None) -> None:
    """Train the scorecard and its LightGBM challenger and write the model folder.

    From the store, features as of --as-of are joined with the labels of a rule (default:
    any credit obligation 90+ days past due or charged off in the 12 months after; people
    already in default are left out); --oot-as-of adds an out-of-time validation. With
    --observations, one row per decision: features strictly before each observed_at, the
    lender's target, application columns as candidate features (a lender model, scored in
    batch only), holdout grouped by person. From a flat table, every column but the target
    and --exclude is a candidate feature.

    \b
    Example:
      benne train --db benne.duckdb --as-of 2024-10-01 --oot-as-of 2025-01-01 --out models/m1
      benne train --db benne.duckdb --observations loans.csv --target bad --out models/lender
      benne train --table loans.csv --target bad --special-values=-7,-8 --exclude id --out m2
      benne train --db benne.duckdb --as-of 2024-10-01 --engine spark --out models/m3
      benne train --db benne.duckdb --as-of 2024-10-01 --without-dimension relationships \\
                  --out models/no-relationships
      benne train --entity merchant --db benne.duckdb --as-of 2024-10-01 --out models/shops
    """
    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.models import TrainSettings, read_table, save_model, train_models

    if table is not None and (db is not None or observations is not None):
        raise InputError("give either --table or --db, not both", fix="pick one data source")
    if columns is not None and table is None:
        raise InputError("--columns describes the columns of a flat table (--table)",
                         fix="the store's features have their own descriptions; drop --columns")
    if table is not None and entity != "person":
        raise InputError("--entity merchant trains on the store's shops (--db)",
                         fix="drop --table, or drop --entity")
    if table is not None and engine != "duckdb":
        raise InputError("--engine spark reads the store (--db), not a flat table",
                         fix="train a flat table without --engine")
    if challenger_sample is not None and engine != "spark":
        raise InputError("--challenger-sample goes with --engine spark",
                         fix="add --engine spark or leave --challenger-sample out")
    if engine != "duckdb" and entity != "person":
        raise InputError("--engine spark trains people's scorecards; shops train on DuckDB",
                         fix="drop --engine spark for --entity merchant")
    if table is not None and without:
        raise InputError("--without-dimension needs features from the store (--db)",
                         fix="use --exclude COL,... to leave columns of a flat table out")
    settings = TrainSettings(special_values=_numbers(special_values), exclude=_names(exclude),
                             allow_protected=allow_protected, others_data=others_data, seed=seed)
    extra: dict[str, object] = {}
    folder = out or load_settings().model_dir
    stage = "training the scorecard" + ("" if no_challenger else " and challenger")
    if table is not None:
        if not target:
            raise InputError("--table needs --target", fix="name the 0/1 target column")
        from benne.models.numeric_text import numbers_from_text

        with console.stage(f"reading {table.name}"):
            frame = read_table(table)
        frame, read_as = numbers_from_text(frame, {target, *settings.exclude})
        if read_as:
            extra["read_as_numbers"] = read_as
        meta = None
        if columns is not None:
            from benne.models.reasons import read_column_dictionary

            meta = read_column_dictionary(columns)
        extra["training_data"] = {"table": table.name, "target": target}
        extra["outcome"] = f"the table's target '{target}' (1 = bad)"
        with console.stage(stage):
            models = train_models(frame, target, meta, settings=settings,
                                  challenger=not no_challenger)
    else:
        from benne.pipeline import train_from_observations, train_from_store

        store = db or load_settings().store
        from benne.service import apply_dispute_holds

        # Records held out by the service's disputes (upheld, or open past their deadline).
        apply_dispute_holds(load_settings().database_url, store)
        with console.stage("computing features and labels; " + stage):
            if observations is not None:
                if as_of is not None:
                    raise InputError("--as-of does not go with --observations: each row has "
                                     "its own observed_at", fix="leave --as-of out")
                trained = train_from_observations(
                    store, read_table(observations), target=target or "target", rule=rule,
                    horizon_months=horizon_months, oot_from=oot_as_of, settings=settings,
                    challenger=not no_challenger, without=without, source=observations.name,
                    entity=entity, engine=engine, lake=lake or load_settings().lake)
            else:
                if as_of is None:
                    raise InputError("training from the store needs --as-of",
                                     fix="pass --as-of YYYY-MM-DD, --observations FILE, or "
                                         "--table FILE --target COL")
                if engine == "spark":
                    from benne.pipeline.scaled import CHALLENGER_SAMPLE, train_counted_from_store

                    trained = train_counted_from_store(
                        store, as_of.date(),
                        oot_as_of=oot_as_of.date() if oot_as_of else None,
                        rule=rule or "credit", horizon_months=horizon_months,
                        settings=settings, challenger=not no_challenger, without=without,
                        engine="spark", lake=lake or load_settings().lake,
                        challenger_sample=challenger_sample or CHALLENGER_SAMPLE)
                else:
                    trained = train_from_store(
                        store, as_of.date(), oot_as_of=oot_as_of.date() if oot_as_of else None,
                        rule=rule, horizon_months=horizon_months, settings=settings,
                        challenger=not no_challenger, without=without, entity=entity)
        models, extra = trained.models, trained.manifest_extra
    save_model(models, folder, manifest_extra=extra)
    summary = {"model_dir": str(folder), "model_version": models.model_version,
               "features": models.scorecard.feature_names, "metrics": models.metrics,
               "outcome": extra.get("outcome")}
    if "segments" in extra:
        summary["segments"] = extra["segments"]
    lines = [f"model {models.model_version} written to {folder}",
             f"outcome: {extra.get('outcome')}",
             f"scorecard features ({len(models.scorecard.features)}): "
             + ", ".join(models.scorecard.feature_names)]
    if extra.get("read_as_numbers"):
        units = extra["read_as_numbers"]
        assert isinstance(units, dict)
        summary["read_as_numbers"] = units
        lines.append(f"read as numbers ({len(units)}): " + ", ".join(
            f"{c} (text with {'thousands separators' if u == ',' else repr(u)})"
            for c, u in units.items()))
    if models.excluded:
        summary["excluded"] = models.excluded
        lines.append(f"left out ({len(models.excluded)}):")
        lines += [f"  {c}: {why}" for c, why in models.excluded.items()]
    screened = {c: f"{v.get('status')}: {v.get('why')}" if v.get("why") else str(v.get("status"))
                for c, v in models.scorecard.selection.items()
                if v.get("status") not in ("selected", "skipped")}
    if screened:
        summary["screened"] = screened
        lines.append(f"not in the scorecard ({len(screened)}): " + "; ".join(
            f"{c} ({why})" for c, why in screened.items()))
    for sample, values in models.metrics.items():
        for name in ("scorecard", "challenger"):
            if name in values:
                v = values[name]
                lines.append(f"{sample:<8} {name:<11} AUC {v['auc']:.4f}  Gini {v['gini']:.4f}  "
                             f"KS {v['ks']:.4f}  ({v['rows']:,} rows)")
    console.emit(summary, "\n".join(lines))


@click.command("export-sql")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model folder.")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default: print).")
def export_sql_cmd(model_dir: Path | None, out: Path | None) -> None:
    """Write the scorecard as one SQL expression giving the integer score.

    The expression reads the feature columns by name; missing values must be NULL.

    \b
    Example:
      benne export-sql --model models/champion --out score.sql
    """
    from benne.config import load_settings
    from benne.models import export_sql, load_model

    folder = model_dir or load_settings().model_dir
    sql = export_sql(load_model(folder))
    if out is None:
        console.emit({"sql": sql}, sql)
        return
    out.write_text(sql + "\n", encoding="utf-8")
    console.emit({"sql_file": str(out), "model_dir": str(folder)}, f"wrote {out}")


def register(app: click.Group) -> None:
    app.add_command(train)
    app.add_command(export_sql_cmd)

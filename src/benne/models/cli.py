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
@click.option("--target", help="0/1 target column of --table (1 = bad).")
@click.option("--db", type=click.Path(path_type=Path), help="Store (DuckDB file).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Training as-of date.")
@click.option("--oot-as-of", "oot_as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Out-of-time validation as-of date.")
@click.option("--out", type=click.Path(path_type=Path), help="Model folder to write.")
@click.option("--special-values", default="", help="Codes that are not values, e.g. =-7,-8,-9.")
@click.option("--exclude", default="", help="Columns that are not features (ids), comma list.")
@click.option("--allow-protected", is_flag=True, help="Let protected attributes be features.")
@click.option("--no-challenger", is_flag=True, help="Train the scorecard only.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every split.")
@click.option("--without-dimension", "without", multiple=True,
              type=click.Choice(["credit_history", "behaviour", "fulfilment", "identity",
                                 "relationships"]),
              help="Leave a dimension's features out (store mode), e.g. relationships.")
def train(table: Path | None, target: str | None, db: Path | None, as_of: dt.datetime | None,
          oot_as_of: dt.datetime | None, out: Path | None, special_values: str, exclude: str,
          allow_protected: bool, no_challenger: bool, seed: int,
          without: tuple[str, ...]) -> None:
    """Train the scorecard and its LightGBM challenger and write the model folder.

    From the store, features as of --as-of are joined with the 90+ days-past-due labels of the
    12 months after; --oot-as-of adds an out-of-time validation. From a flat table, every
    column but the target and --exclude is a candidate feature.

    \b
    Example:
      benne train --db benne.duckdb --as-of 2024-10-01 --oot-as-of 2025-01-01 --out models/m1
      benne train --table loans.csv --target bad --special-values=-7,-8 --exclude id --out m2
      benne train --db benne.duckdb --as-of 2024-10-01 --without-dimension relationships \
                  --out models/no-relationships
    """
    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.models import TrainSettings, read_table, save_model, train_models

    if table is not None and db is not None:
        raise InputError("give either --table or --db, not both", fix="pick one data source")
    if table is not None and without:
        raise InputError("--without-dimension needs features from the store (--db)",
                         fix="use --exclude COL,... to leave columns of a flat table out")
    settings = TrainSettings(special_values=_numbers(special_values), exclude=_names(exclude),
                             allow_protected=allow_protected, seed=seed)
    extra: dict[str, object] = {}
    meta = None
    if table is not None:
        if not target:
            raise InputError("--table needs --target", fix="name the 0/1 target column")
        with console.stage(f"reading {table.name}"):
            frame = read_table(table)
        oot = None
        extra["training_data"] = {"table": table.name, "target": target}
    else:
        from benne.features.registry import feature_meta
        from benne.models.training import frames_from_store

        if as_of is None:
            raise InputError("training from the store needs --as-of",
                             fix="pass --as-of YYYY-MM-DD, or --table FILE --target COL")
        store = db or load_settings().store
        target = "bad"
        with console.stage("computing features and labels"):
            frame, oot = frames_from_store(store, as_of.date(),
                                           oot_as_of.date() if oot_as_of else None)
        meta = feature_meta()
        dropped = tuple(n for n, m in meta.items() if m.dimension in without)
        settings = TrainSettings(special_values=settings.special_values,
                                 exclude=tuple(dict.fromkeys(settings.exclude + dropped
                                                             + ("person_id", "as_of"))),
                                 allow_protected=allow_protected, seed=seed)
        if without:
            extra["without_dimensions"] = list(without)
        extra["training_window"] = {
            "train_as_of": as_of.date().isoformat(),
            "oot_as_of": oot_as_of.date().isoformat() if oot_as_of else None,
            "horizon_months": 12, "bad_definition": "90+ days past due"}
    folder = out or load_settings().model_dir
    with console.stage("training the scorecard" + ("" if no_challenger else " and challenger")):
        models = train_models(frame, target, meta, oot_frame=oot, settings=settings,
                              challenger=not no_challenger)
    save_model(models, folder, manifest_extra=extra)
    summary = {"model_dir": str(folder), "model_version": models.model_version,
               "features": models.scorecard.feature_names, "metrics": models.metrics}
    lines = [f"model {models.model_version} written to {folder}",
             f"scorecard features ({len(models.scorecard.features)}): "
             + ", ".join(models.scorecard.feature_names)]
    if models.excluded:
        summary["excluded"] = models.excluded
        lines.append(f"left out ({len(models.excluded)}):")
        lines += [f"  {c}: {why}" for c, why in models.excluded.items()]
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

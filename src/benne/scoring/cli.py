"""``benne score``: score a features file with a model folder."""

from __future__ import annotations

from pathlib import Path

import click

from benne import console


@click.command("score")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model folder.")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              help="Features table (CSV or Parquet).")
@click.option("--observations", type=click.Path(path_type=Path, dir_okay=False),
              help="Instead of --input: one row per decision (person_id, observed_at, optional "
                   "decision_id and application columns); features from the store as of each "
                   "observed_at; the decision id passes through to every output row.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Store for --observations (default: the store of benne.toml).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Scores file; .csv or .parquet by its extension.")
@click.option("--challenger", is_flag=True, help="Score with the challenger instead.")
@click.option("--entity", type=click.Choice(["person", "merchant"]), default="person",
              show_default=True,
              help="What is scored: people, or shops (merchant_id; a shops' model).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True,
              help="spark: score on Spark (spark_master setting) into a folder of Parquet "
                   "partitioned by band (--out DIR).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="With --engine spark: score everyone in the store (--db) as of this date.")
@click.option("--lake", type=click.Path(path_type=Path, file_okay=False),
              help="With --engine spark: folder of <table>.parquet (default: the store, "
                   "exported).")
def score(model_dir: Path | None, input_path: Path | None, observations: Path | None,
          db: Path | None, out: Path, challenger: bool, entity: str, engine: str = "duckdb",
          as_of: object = None, lake: Path | None = None) -> None:
    """Score every row of a features table: score, band, pd, dimensions, reasons.

    The input's columns that are not model features (ids) pass through first. With
    --observations the features come from the store as of each decision's observed_at, and
    decision_id, person_id, observed_at, as_of and thin_file lead every row.

    \b
    Example:
      benne score --model models/champion --input features.parquet --out scores.parquet
      benne score --model models/lender --observations loans.csv --out loan_scores.parquet
      benne score --entity merchant --model models/shops --input shop_features.parquet \\
                  --out shop_scores.parquet
      benne score --model models/champion --engine spark --db benne.duckdb \\
                  --as-of 2025-01-01 --out scores/
    """
    import time

    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.models import load_model, read_table
    from benne.scoring import score_frame

    if engine == "spark" and entity != "person":
        raise InputError("--engine spark scores people; shops are scored on DuckDB",
                         where="--engine", fix="drop --engine spark for --entity merchant")
    if engine == "spark":
        from benne.pipeline.scaled import score_on_spark

        summary = score_on_spark(model_dir, out, input_path=input_path,
                                 observations=observations, db=db, as_of=as_of, lake=lake,
                                 challenger=challenger)
        console.emit(summary, f"scored {summary['rows']:,} rows on Spark into {out} "
                              f"({summary['seconds']:.2f} s)")
        return
    if as_of is not None:
        raise InputError("--as-of scores the whole store on Spark", where="--as-of",
                         fix="add --engine spark, or score a features table with --input")
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"--out must end in .csv or .parquet; got {out.name}", where="--out",
                         fix="name the output file scores.csv or scores.parquet")
    if (input_path is None) == (observations is None):
        raise InputError("give either --input or --observations", where="--input",
                         fix="score a features table, or decisions with --observations")
    import json

    folder = model_dir or load_settings().model_dir
    models = load_model(folder)
    manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    trained_on = manifest.get("entity", "person")
    if trained_on != entity:
        raise InputError(f"the model in {folder} scores {trained_on}s, not {entity}s",
                         where="--entity", fix=f"pass --entity {trained_on} or a {entity}s' "
                                               "model")
    t0 = time.perf_counter()
    if observations is not None:
        from benne.pipeline import score_observations

        frame = read_table(observations)
        with console.stage(f"scoring {len(frame):,} observations"):
            scores = score_observations(
                models, db or load_settings().store, frame, challenger=challenger,
                application_columns=manifest.get("application_columns", []),
                source=observations.name, entity=entity)
    else:
        assert input_path is not None
        from benne.models.numeric_text import apply_numbers_from_text

        used = set(models.scorecard.feature_names)
        if challenger and models.challenger is not None:
            used |= set(models.challenger.features)
        # the model's columns that training read as numbers from text, read the same way; the
        # other columns pass through as they are
        read_as = {c: u for c, u in (manifest.get("read_as_numbers") or {}).items() if c in used}
        frame = apply_numbers_from_text(read_table(input_path), read_as, input_path.name)
        passthrough = [c for c in frame.columns if c not in used]
        with console.stage(f"scoring {len(frame):,} rows"):
            scores = score_frame(models, frame, challenger=challenger, passthrough=passthrough,
                                 source=input_path.name)
        if entity == "merchant":
            from benne.scoring.merchants import with_category_norms

            scores = with_category_norms(scores, frame)
    seconds = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        scores.to_csv(out, index=False)
    else:
        scores.to_parquet(out, index=False)
    summary = {"rows": len(scores), "out": str(out), "model_version": str(
        scores["model_version"].iloc[0]) if len(scores) else models.model_version,
        "mean_score": float(scores["score"].mean()) if len(scores) else None,
        "seconds": round(seconds, 3)}
    console.emit(summary, f"scored {len(scores):,} rows with {summary['model_version']} "
                          f"into {out} ({seconds:.2f} s)")


def register(app: click.Group) -> None:
    app.add_command(score)

"""``benne score``: score a features file with a model folder."""

from __future__ import annotations

from pathlib import Path

import click

from benne import console


@click.command("score")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model folder.")
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path),
              help="Features table (CSV or Parquet).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Scores file; .csv or .parquet by its extension.")
@click.option("--challenger", is_flag=True, help="Score with the challenger instead.")
def score(model_dir: Path | None, input_path: Path, out: Path, challenger: bool) -> None:
    """Score every row of a features table: score, band, pd, dimensions, reasons.

    The input's columns that are not model features (ids) pass through first.

    \b
    Example:
      benne score --model models/champion --input features.parquet --out scores.parquet
    """
    import time

    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.models import load_model, read_table
    from benne.scoring import score_frame

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"--out must end in .csv or .parquet; got {out.name}", where="--out",
                         fix="name the output file scores.csv or scores.parquet")
    folder = model_dir or load_settings().model_dir
    models = load_model(folder)
    frame = read_table(input_path)
    used = set(models.scorecard.feature_names)
    if challenger and models.challenger is not None:
        used |= set(models.challenger.features)
    passthrough = [c for c in frame.columns if c not in used]
    t0 = time.perf_counter()
    with console.stage(f"scoring {len(frame):,} rows"):
        scores = score_frame(models, frame, challenger=challenger, passthrough=passthrough,
                             source=input_path.name)
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

"""``benne report`` (validation, fairness, model card as one HTML file) and ``benne monitor``."""

from __future__ import annotations

from pathlib import Path

import click

from benne import console

__all__ = ["register"]


def _protected(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


@click.command("report")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), required=True,
              help="Model folder (manifest.json, scorecard, challenger).")
@click.option("--data", type=click.Path(path_type=Path), required=True,
              help="Parquet or CSV with the features, the target and the protected columns.")
@click.option("--target", default="bad", show_default=True, help="The 0/1 bad column.")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Sample to measure stability (PSI) against, e.g. the training data.")
@click.option("--protected", default=None,
              help="Comma-separated protected columns; numeric age-like ones are banded "
                   "(default: the sources' protected fields the data holds).")
@click.option("--cutoff", type=int, default=None,
              help="An approval cut-off (score) to judge fairness at, beside the band edges "
                   "that approve 5-95% and the one matching --approval-rate.")
@click.option("--approval-rate", type=click.FloatRange(0.01, 0.99), default=0.5,
              show_default=True, help="Approval rate whose cut-off fairness is judged at.")
@click.option("--generated-at", default=None,
              help="Text stamped as the report's date (default: the inputs' names and hashes).")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--latent", default=None,
              help="A column of latent truth (a simulation's creditworthiness) to rank-correlate "
                   "the score with, per thin-file and thick-file segment.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"),
              show_default=True, help="HTML file to write.")
def report(model_dir: Path, data: Path, target: str, baseline: Path | None,
           protected: str | None, cutoff: int | None, approval_rate: float,
           generated_at: str | None, seed: int, latent: str | None, out: Path) -> None:
    """Write a validation, stability and fairness report as one self-contained HTML file.

    Data with a thin_file column (the pipeline's frames) is also validated per segment:
    thin file (no credit record at the observation) and thick file.

    \b
    Example:
      benne report --model models/champion --data oot.parquet --baseline train.parquet \\
        --protected gender,birth_year,region --out report.html
    """
    from benne.report.model import report_from_model

    with console.stage("scoring and writing the report"):
        rep = report_from_model(model_dir, data, target=target, baseline=baseline,
                                protected=_protected(protected), out=out, cutoff=cutoff,
                                approval_rate=approval_rate,
                                generated_at=generated_at, seed=seed, latent=latent)
    champion = rep.discrimination["models"]["champion"]
    drifted = [r["name"] for r in rep.stability.get("rows", []) if r["status"] == "drift"]
    summary = {
        "out": str(out),
        "rows": rep.data["rows"],
        "auc": champion.get("auc", {}).get("value"),
        "ks": champion.get("ks", {}).get("value"),
        "drifted": drifted,
    }
    auc = summary["auc"]
    human = (f"wrote {out}: {rep.data['rows']:,} rows"
             + (f", AUC {auc:.3f}" if isinstance(auc, float) else "")
             + (f", drift in {', '.join(drifted)}" if drifted else ""))
    console.emit(summary, human)


@click.command("monitor")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), required=True,
              help="Model folder; its features are the ones checked.")
@click.option("--baseline", type=click.Path(path_type=Path), required=True,
              help="Reference sample (Parquet/CSV), features or scores.")
@click.option("--recent", type=click.Path(path_type=Path), required=True,
              help="Recent sample (Parquet/CSV), features or scores.")
def monitor(model_dir: Path, baseline: Path, recent: Path) -> None:
    """Check drift: PSI of the score and of each model feature; exits 3 over 0.25.

    Samples that hold a score column are used as they are, others are scored first. PSI
    bins are the baseline's deciles; 0.1 is watched, above 0.25 is drift.

    \b
    Example:
      benne monitor --model models/champion --baseline train.parquet --recent latest.parquet
      benne monitor --model models/champion --baseline a.csv --recent b.csv --json
    """
    from benne.report.model import monitor_from_model
    from benne.report.monitor import DRIFT, check_drift, format_table

    rows = monitor_from_model(model_dir, baseline, recent)
    summary = {
        "threshold": DRIFT,
        "psi": {r.name: r.psi for r in rows},
        "status": {r.name: r.status for r in rows},
        "drifted": [r.name for r in rows if r.status == "drift"],
    }
    console.emit(summary, format_table(rows))
    check_drift(rows)


def register(app: click.Group) -> None:
    app.add_command(report)
    app.add_command(monitor)

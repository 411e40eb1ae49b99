"""``benne simulate``: write a synthetic population as one Parquet file per source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from benne import console

__all__ = ["register", "simulate_command"]


@click.command("simulate")
@click.option("--people", type=click.IntRange(min=1), required=True,
              help="How many people to simulate.")
@click.option("--seed", type=click.IntRange(min=0), default=42, show_default=True,
              help="Random seed; the same seed gives byte-identical files.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default="2024-01-01",
              show_default=True, help="First day of the simulated window (YYYY-MM-DD).")
@click.option("--months", type=click.IntRange(min=2, max=240), default=24, show_default=True,
              help="Length of the window: footprint before the as-of date, outcomes after.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write <source>.parquet and truth.parquet into.")
@click.option("--no-credit-share", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.4,
              show_default=True, help="Share of people with no credit product at all.")
@click.option("--bad-rate", type=click.FloatRange(0.005, 0.5), default=0.06, show_default=True,
              help="Target 12-month bad rate (90+ days past due) among people with credit.")
def simulate_command(people: int, seed: int, start: dt.datetime, months: int, out: Path,
                     no_credit_share: float, bad_rate: float) -> None:
    """Simulate a population and write one Parquet file per source.

    The window runs from --start for --months; the as-of date is half-way through it. With the
    defaults (--start 2024-01-01 --months 24) the as-of date is 2025-01-01: a year of footprint
    before it and a year of outcomes after it, to 2026-01-01. Files have exactly the schemas
    ingestion validates against (`benne sources`), so they load with no quarantined rows;
    truth.parquet holds the latent traits and simulated defaults for diagnostics.

    \b
    Example:
      benne simulate --people 20000 --out data/sources
      benne simulate --people 1000000 --months 12 --seed 7 --out /tmp/big --json
    """
    from benne.simulate import simulate

    summary = simulate(people, out, seed=seed, start=start.date(), months=months,
                       no_credit_share=no_credit_share, target_bad_rate=bad_rate)
    rows = "\n".join(f"  {name:<15} {n:>12,}" for name, n in summary.rows.items())
    console.emit(
        summary.to_dict(),
        f"simulated {people:,} people from {summary.start} to {summary.end} "
        f"(as-of {summary.as_of}, bad rate {summary.bad_rate:.1%}) into {summary.out}\n{rows}",
    )


def register(app: click.Group) -> None:
    app.add_command(simulate_command)

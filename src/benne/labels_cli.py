"""``benne labels``: the performance rules, the labels they give, and the window's maturity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from benne import console

__all__ = ["register"]


@click.group("labels")
def labels() -> None:
    """Outcome labels as documented rules: print them, build them, justify the window.

    \b
    Example:
      benne labels rules
      benne labels build --db benne.duckdb --as-of 2024-10-01 --out labels.parquet
      benne labels build --observations loans.csv --rule obligations --out labels.parquet
      benne labels maturity --db benne.duckdb
    """


@labels.command("rules")
def rules_cmd() -> None:
    """Print every label rule: the outcome it predicts, whom it reaches, window, threshold.

    \b
    Example:
      benne labels rules
      benne --json labels rules
    """
    from benne.labels import RULES

    lines = []
    for r in RULES.values():
        lines.append(f"{r.name}: {r.describe()}.\n  reaches {r.reaches}.")
    console.emit({"rules": [r.to_dict() for r in RULES.values()]}, "\n".join(lines))


@labels.command("build")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="DuckDB store (default: the store of benne.toml).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="One observation date for everyone in the store.")
@click.option("--observations", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="CSV or Parquet: person_id, observed_at (one row per decision).")
@click.option("--rule", default="credit", show_default=True,
              help="Label rule (benne labels rules).")
@click.option("--horizon-months", type=click.IntRange(1, 120), default=None,
              help="Performance window in months (default: the rule's, 12).")
@click.option("--dpd-threshold", type=click.IntRange(1, 3650), default=None,
              help="Days past due that make an obligation bad (default 90).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Parquet file: person_id, as_of, status, bad (and decision_id).")
def build_cmd(db: Path | None, as_of: dt.datetime | None, observations: Path | None, rule: str,
              horizon_months: int | None, dpd_threshold: int | None, out: Path | None) -> None:
    """Label every observation: good, bad, no outcome, or excluded (already in default).

    \b
    Example:
      benne labels build --as-of 2024-10-01 --out labels.parquet
      benne labels build --observations loans.csv --horizon-months 18
    """
    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.labels import get_rule, label_table
    from benne.models import read_table

    if (as_of is None) == (observations is None):
        raise InputError("give either --as-of or --observations", fix="pick one")
    chosen = get_rule(rule, horizon_months=horizon_months, dpd_threshold=dpd_threshold)
    store = db or load_settings().store
    spine = read_table(observations) if observations is not None else None
    with console.stage(f"labelling with rule {chosen.name}"):
        table = label_table(store, spine if spine is not None else as_of.date(),  # type: ignore[union-attr]
                            chosen)
    if spine is not None and "decision_id" in spine.columns:
        table.insert(0, "decision_id", spine["decision_id"].astype(str).to_numpy())
    counts = {s: int((table["status"] == s).sum()) for s in ("good", "bad", "no outcome",
                                                            "excluded")}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(out, index=False)
    labelled = counts["good"] + counts["bad"]
    rate = counts["bad"] / labelled if labelled else float("nan")
    summary = {"rule": chosen.to_dict(), "rows": len(table), "counts": counts,
               "bad_rate": None if labelled == 0 else round(rate, 6),
               "out": None if out is None else str(out)}
    console.emit(summary, f"{chosen.describe()}\n"
                          + "  ".join(f"{k}: {v:,}" for k, v in counts.items())
                          + (f"  bad rate {rate:.2%}" if labelled else "")
                          + (f"\nwrote {out}" if out is not None else ""))


@labels.command("maturity")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="DuckDB store (default: the store of benne.toml).")
@click.option("--dpd-threshold", type=click.IntRange(1, 3650), default=90, show_default=True)
@click.option("--max-months", type=click.IntRange(1, 120), default=24, show_default=True)
def maturity_cmd(db: Path | None, dpd_threshold: int, max_months: int) -> None:
    """Bad rate of newly opened accounts by months on book: how long a window must be.

    \b
    Example:
      benne labels maturity --db benne.duckdb
    """
    from benne.config import load_settings
    from benne.labels import maturity_months, maturity_table, seasoning_months

    table = maturity_table(db or load_settings().store, dpd_threshold=dpd_threshold,
                           max_months=max_months)
    at, seasoned = maturity_months(table), seasoning_months(table)
    lines = ["months on book  accounts    bad  bad rate  share of final  monthly rate"]
    for r in table.itertuples(index=False):
        lines.append(f"{r.months_on_book:>14}  {r.accounts:>8,}  {r.bad:>5,}  "
                     f"{r.bad_rate:>8.2%}  {r.share_of_final:>14.0%}  {r.monthly_rate:>12.2%}")
    if seasoned is None:
        lines.append("no account went bad yet: the window cannot be judged from this data")
    else:
        twelve = table[table["months_on_book"] == 12]["share_of_final"]
        lines.append(f"the monthly rate of new bads settles from month {seasoned} on: a window "
                     "must reach well past it")
        if len(twelve):
            lines.append(f"a 12-month window sees {float(twelve.iloc[0]):.0%} of the bad rate "
                         f"measured at {int(table['months_on_book'].max())} months on book"
                         + (f"; 90% is reached by month {at}" if at is not None else ""))
    console.emit({"maturity": table.to_dict(orient="records"), "months_to_90pct": at,
                  "seasoned_by_month": seasoned}, "\n".join(lines))


def register(app: click.Group) -> None:
    app.add_command(labels)

"""The performance definition: who went bad in the months after the as-of date.

A person is *labelled* when they have at least one credit statement dated in the performance
window ``[as_of, as_of + horizon)``; people with no credit product there have no label (they are
scored, not trained on). A labelled person is *bad* (1) when any such statement is
``dpd_threshold`` or more days past due or charged off, else good (0).

The window starts *at* as_of, where the features' window ends: features see only what happened
strictly before as_of, labels only what happened from as_of on, so the two never overlap.
Disputed credit statements (``excluded_records``) are left out, as in the features.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from benne.dates import add_months
from benne.exceptions import NotFoundError, StoreError, ValidationError

__all__ = ["add_months", "make_labels"]


def make_labels(
    store: Path | str,
    as_of: dt.date,
    *,
    horizon_months: int = 12,
    dpd_threshold: int = 90,
) -> pd.DataFrame:
    """Labels ``person_id, as_of, bad`` (0/1) for people with credit in the window.

    Rows are sorted by person_id.
    """
    import duckdb

    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise ValidationError(f"as_of must be a date; got {as_of!r}", where="as_of",
                              fix="pass a datetime.date")
    if horizon_months < 1:
        raise ValidationError(f"horizon_months must be >= 1; got {horizon_months}",
                              where="horizon_months", fix="use a positive number of months")
    if dpd_threshold < 1:
        raise ValidationError(f"dpd_threshold must be >= 1; got {dpd_threshold}",
                              where="dpd_threshold", fix="use e.g. 90")
    path = Path(store)
    if not path.is_file():
        raise NotFoundError(f"store {path} does not exist", where=str(path),
                         fix="load data first with 'benne ingest' or pass --db")
    end = add_months(as_of, horizon_months)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        if "credit" not in tables:
            raise StoreError(f"store {path} has no credit table", where=str(path),
                             fix="load credit statements with 'benne ingest'")
        excluded = (
            "AND _record_id NOT IN (SELECT record_id FROM excluded_records "
            "WHERE source = 'credit')" if "excluded_records" in tables else ""
        )
        frame = con.execute(
            f"""
            SELECT person_id, ?::DATE AS as_of,
                   max(CASE WHEN days_past_due >= ? OR status = 'charged_off' THEN 1 ELSE 0 END)
                       AS bad
            FROM credit
            WHERE statement_at >= ? AND statement_at < ? {excluded}
            GROUP BY person_id
            ORDER BY person_id
            """,
            [as_of, dpd_threshold, as_of, end],
        ).df()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["bad"] = frame["bad"].astype("int64")
    return frame.reset_index(drop=True)

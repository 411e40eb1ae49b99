"""The observation spine: who is featured, labelled and scored, as of when.

One row is one observation: ``entity_kind`` (``person`` or ``merchant``, a shop), ``entity_id``,
``observed_at`` (a timestamp: the moment of the decision) and an optional ``decision_id`` (a
loan application's id, say) that every later stage passes through. Like Feast's entity data
frame, the spine is the one contract training, labelling and scoring share, on either engine.

:func:`read_observations` validates a user's table; a file may give ``person_id`` instead of
``entity_kind``/``entity_id``. ``observed_at`` may be a timestamp or a date (its midnight);
time-zone-aware timestamps are converted to UTC, the store's clock. Observations keep their
order; nothing is deduplicated, so two decisions on one person at the same moment are two rows.

One spine holds one entity kind: features, labels and models are per kind, so
:func:`read_observations` takes the kind expected (``entity``) and refuses rows of another. A
file of shops may give ``merchant_id`` instead of ``entity_kind``/``entity_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from benne.exceptions import ValidationError

__all__ = ["ENTITY_KINDS", "ID_COLUMNS", "SPINE_COLUMNS", "read_observations", "spine_schema"]

ENTITY_KINDS = ("person", "merchant")
# The column a file may name its entities by, per kind.
ID_COLUMNS = {"person": "person_id", "merchant": "merchant_id"}
SPINE_COLUMNS = ("entity_kind", "entity_id", "observed_at", "decision_id")


def spine_schema() -> pa.Schema:
    """The spine's Arrow schema."""
    return pa.schema([
        pa.field("entity_kind", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("observed_at", pa.timestamp("us"), nullable=False),
        pa.field("decision_id", pa.string()),
    ])


def _where(source: str, row: int, field: str) -> str:
    return f"{source}, row {row}, field {field}"


def _timestamps(values: pd.Series, source: str, field: str) -> pd.Series:
    """``observed_at`` as naive UTC timestamps (dates become their midnight)."""
    try:
        stamps = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    except (TypeError, ValueError):  # pragma: no cover - coerce turns bad values into NaT
        stamps = pd.Series(pd.NaT, index=values.index)
    bad = stamps.isna().to_numpy()
    if bad.any():
        i = int(bad.nonzero()[0][0])
        raise ValidationError(
            f"{field} must be a timestamp or a date; got {values.iloc[i]!r}",
            where=_where(source, i + 1, field),
            fix="write it like 2025-03-01T14:30:00 (UTC) or 2025-03-01")
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def read_observations(frame: pd.DataFrame, source: str = "the observations",
                      *, time_column: str = "observed_at", entity: str = "person"
                      ) -> pd.DataFrame:
    """The spine of ``frame``: ``entity_kind, entity_id, observed_at, decision_id``.

    ``frame`` needs ``person_id`` (or ``entity_kind`` and ``entity_id``) and ``time_column``;
    ``decision_id`` is optional and must be unique when given. Errors name the row and field.
    """
    if entity not in ENTITY_KINDS:
        raise ValidationError(f"entity must be one of {', '.join(ENTITY_KINDS)}; got {entity!r}",
                              where="entity", fix="use person or merchant")
    cols = set(map(str, frame.columns))
    id_column = ID_COLUMNS[entity]
    if "entity_id" in cols:
        ids = frame["entity_id"]
        id_field = "entity_id"
        kinds = frame["entity_kind"] if "entity_kind" in cols else pd.Series(
            entity, index=frame.index)
    elif id_column in cols:
        ids, id_field = frame[id_column], id_column
        kinds = pd.Series(entity, index=frame.index)
    else:
        raise ValidationError(f"{source} have no {id_column} column", where=source,
                              fix=f"give one row per decision with {id_column} and observed_at")
    if time_column not in cols:
        raise ValidationError(f"{source} have no {time_column} column", where=source,
                              fix=f"add {time_column}: the moment of each decision "
                                  "(timestamp or date)")
    for i, kind in enumerate(kinds, start=1):
        if kind != entity:
            raise ValidationError(f"entity_kind must be {entity!r} here; got {kind!r}",
                                  where=_where(source, i, "entity_kind"),
                                  fix=f"give one kind per file (entity_kind {entity})")
    text = ids.astype("string")
    blank = (text.isna() | (text.str.len() == 0)).to_numpy()
    if blank.any():
        i = int(blank.nonzero()[0][0])
        raise ValidationError(f"{id_field} must be a non-empty id; got {ids.iloc[i]!r}",
                              where=_where(source, i + 1, id_field),
                              fix=f"fill in every {id_field}")
    out = pd.DataFrame({
        "entity_kind": kinds.astype(str).to_numpy(),
        "entity_id": text.astype(str).to_numpy(),
        "observed_at": _timestamps(frame[time_column], source, time_column).to_numpy(),
        "decision_id": None,
    })
    if "decision_id" in cols:
        dec = frame["decision_id"].astype("string")
        missing = dec.isna().to_numpy()
        if missing.any():
            i = int(missing.nonzero()[0][0])
            raise ValidationError("decision_id is empty", where=_where(source, i + 1,
                                                                       "decision_id"),
                                  fix="give every row its decision id, or leave the column out")
        dup = dec.duplicated().to_numpy()
        if dup.any():
            i = int(dup.nonzero()[0][0])
            raise ValidationError(f"decision_id {dec.iloc[i]!r} appears twice",
                                  where=_where(source, i + 1, "decision_id"),
                                  fix="give each decision its own id")
        out["decision_id"] = dec.astype(str).to_numpy()
    return out


def spine_table(spine: pd.DataFrame, people: Sequence[str] | None = None) -> pa.Table:
    """The spine as Arrow (``people``, when given, keeps only those ids)."""
    if people is not None:
        spine = spine[spine["entity_id"].isin(set(people))]
    return pa.Table.from_pandas(spine[list(SPINE_COLUMNS)], schema=spine_schema(),
                                preserve_index=False)

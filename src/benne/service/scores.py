"""Scores in the service database: loading the batch's scores table, and reading them back.

The scores table contract is in docs/architecture.md. Loading is idempotent per
``(person_id, as_of, model_version)``: a run already held is skipped, a new run of a person is
added beside the old ones, so every person's history is kept.

A reason's ``tip`` comes from the model folder's ``reasons.json`` (code -> feature, statement,
tip) when one is given; ``reason_N_text`` already carries the statement with the points to gain.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from benne.dimensions import DIMENSIONS, dimension_column
from benne.exceptions import ModelError, SourceFileError, ValidationError
from benne.service.db import Score

__all__ = [
    "BANDS",
    "REQUIRED_COLUMNS",
    "check_publishable",
    "history",
    "load_reason_catalogue",
    "load_scores_file",
    "score_dict",
]

BANDS: tuple[str, ...] = ("poor", "fair", "good", "very good", "excellent")
DIM_COLUMNS: tuple[str, ...] = tuple(dimension_column(d) for d in DIMENSIONS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "person_id", "as_of", "model_version", "score", "band", "pd", *DIM_COLUMNS,
    *(f"reason_{i}" for i in range(1, 5)), *(f"reason_{i}_text" for i in range(1, 5)),
)
# the what-if score of each reason (the score with that feature in its best bin), when given
WHAT_IF_COLUMNS: tuple[str, ...] = tuple(f"reason_{i}_what_if" for i in range(1, 5))
_CHUNK = 2000
_SCORES = cast(Table, Score.__table__)


def check_publishable(model_dir: Path) -> None:
    """Refuse a lender model: the score the service publishes may read only what the bureau
    holds about the person, never a lender's application (amount, term, product), which it
    does not have when a partner asks. Lender models are scored in batch only."""
    path = Path(model_dir) / "manifest.json"
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path.name}: {exc}", where=str(path),
                         fix="re-publish the model folder") from exc
    needs = manifest.get("application_columns") or [] if isinstance(manifest, dict) else []
    if needs:
        raise ModelError(
            f"model {manifest.get('model_version', '')} is a lender model: it needs the "
            f"application column(s) {', '.join(map(str, needs))}, which the service does not "
            "hold, so it cannot be published", where=str(path),
            fix="score it in batch (benne score --observations) and publish a bureau model "
                "trained without application columns")


def load_reason_catalogue(model_dir: Path | None) -> dict[str, dict[str, Any]]:
    """``reasons.json`` of a model folder (code -> feature, statement, tip); empty if absent.

    This is where the service takes a model in: a lender model is refused
    (:func:`check_publishable`)."""
    if model_dir is None:
        return {}
    check_publishable(Path(model_dir))
    path = Path(model_dir) / "reasons.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path.name}: {exc}", where=str(path),
                         fix="re-publish the model folder") from exc
    if isinstance(data, list):  # a list of {code, ...} is accepted as well as a mapping
        data = {str(item.get("code")): item for item in data if isinstance(item, dict)}
    if not isinstance(data, dict):
        raise ModelError("reasons.json must map reason codes to their feature, statement and tip",
                         where=str(path), fix="re-publish the model folder")
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def _reasons(row: dict[str, Any], catalogue: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i in range(1, 5):
        code = row.get(f"reason_{i}")
        if code is None:
            continue
        entry = catalogue.get(str(code), {})
        what_if = row.get(f"reason_{i}_what_if")
        out.append({
            "code": str(code),
            "text": row.get(f"reason_{i}_text") or entry.get("statement") or str(code),
            "tip": entry.get("tip"),
            "feature": entry.get("feature") or None,
            "what_if": None if what_if is None else int(what_if),
        })
    return out


def _check_row(row: dict[str, Any], where: str) -> None:
    score = row["score"]
    if score is None or not 350 <= int(score) <= 950:
        raise ValidationError(f"score must be an integer from 350 to 950; got {score!r}",
                              where=f"{where}, field score", fix="re-run the batch scoring")
    if row["band"] not in BANDS:
        raise ValidationError(f"band must be one of {', '.join(BANDS)}; got {row['band']!r}",
                              where=f"{where}, field band", fix="re-run the batch scoring")
    for field in ("person_id", "model_version", "as_of"):
        if row[field] in (None, ""):
            raise ValidationError(f"{field} is required", where=f"{where}, field {field}",
                                  fix="re-run the batch scoring")
    pd_ = row["pd"]
    if pd_ is None or not 0.0 <= float(pd_) <= 1.0 or math.isnan(float(pd_)):
        raise ValidationError(f"pd must be a probability from 0 to 1; got {pd_!r}",
                              where=f"{where}, field pd", fix="re-run the batch scoring")
    for col in DIM_COLUMNS:
        v = row[col]
        if v is not None and math.isnan(float(v)):
            row[col] = v = None  # NaN written by pandas means "no data for this dimension"
        if v is not None and not (0.0 <= float(v) <= 100.0):
            raise ValidationError(f"{col} must be from 0 to 100 or empty; got {v!r}",
                                  where=f"{where}, field {col}", fix="re-run the batch scoring")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def load_scores_file(
    session: Session,
    scores_file: Path,
    *,
    now: datetime,
    catalogue: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Insert the runs of ``scores_file`` not yet held; returns how many rows were added."""
    import pyarrow.parquet as pq

    path = Path(scores_file)
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise SourceFileError(f"cannot read the scores file: {exc}", where=str(path),
                              fix="give the Parquet file written by `benne score`") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise SourceFileError(f"the scores file lacks column(s) {', '.join(missing)}",
                              where=str(path), fix="give the scores table of `benne score`")
    catalogue = catalogue or {}
    now = now.replace(tzinfo=None)
    added, row_number = 0, 0
    columns = list(REQUIRED_COLUMNS) + [c for c in WHAT_IF_COLUMNS
                                        if c in parquet.schema_arrow.names]
    for batch in parquet.iter_batches(batch_size=_CHUNK, columns=columns):
        rows = batch.to_pylist()
        for i, row in enumerate(rows):
            _check_row(row, f"{path.name}, row {row_number + i + 1}")
            row["as_of"] = _as_date(row["as_of"])
            row["person_id"] = str(row["person_id"])
            row["model_version"] = str(row["model_version"])
        row_number += len(rows)
        keys = {(r["person_id"], r["as_of"], r["model_version"]) for r in rows}
        held = {tuple(r) for r in session.execute(
            select(Score.person_id, Score.as_of, Score.model_version).where(
                tuple_(Score.person_id, Score.as_of, Score.model_version).in_(list(keys))))}
        new = []
        for r in rows:
            key = (r["person_id"], r["as_of"], r["model_version"])
            if key in held:
                continue
            held.add(key)
            new.append({
                "person_id": r["person_id"], "as_of": r["as_of"],
                "model_version": r["model_version"], "score": int(r["score"]),
                "band": r["band"], "pd": float(r["pd"]),
                **{c: (None if r[c] is None else float(r[c])) for c in DIM_COLUMNS},
                "reasons": _reasons(r, catalogue), "loaded_at": now,
            })
        if new:
            session.execute(_SCORES.insert(), new)
            added += len(new)
    return added


def history(session: Session, person_id: str) -> list[Score]:
    """Every run of the person, oldest first."""
    stmt = select(Score).where(Score.person_id == person_id).order_by(Score.as_of, Score.id)
    return list(session.execute(stmt).scalars())


def score_dict(score: Any) -> dict[str, Any]:
    """One run (an ORM row or a Core mapping) as plain data, as the API and the export show."""
    get = score.__getitem__ if isinstance(score, Mapping) else partial(getattr, score)
    return {
        "person_id": get("person_id"),
        "as_of": get("as_of"),
        "model_version": get("model_version"),
        "score": get("score"),
        "band": get("band"),
        "pd": get("pd"),
        "dimensions": {d: get(dimension_column(d)) for d in DIMENSIONS},
        "reasons": get("reasons"),
    }

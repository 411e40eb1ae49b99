"""Loading the batch's scores table: idempotent per run, history kept, bad files named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from benne.exceptions import SourceFileError, ValidationError
from benne.service import load_scores
from benne.service.db import Score, make_engine, make_sessionmaker
from tests.unit.service.factory import score_row, write_scores


def _held(url: str) -> list[tuple]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        rows = [(r.person_id, r.as_of, r.model_version, r.score, r.reasons) for r in
                s.execute(select(Score).order_by(Score.person_id, Score.as_of)).scalars()]
    engine.dispose()
    return rows


def test_loading_twice_adds_nothing_and_a_new_run_adds_history(database_url: str,
                                                               tmp_path: Path) -> None:
    first = write_scores(tmp_path / "a.parquet", [score_row("P1", 600), score_row("P2", 700)])
    assert load_scores(database_url, first) == 2
    assert load_scores(database_url, first) == 0
    second = write_scores(tmp_path / "b.parquet", [
        score_row("P1", 640, as_of=date(2024, 9, 30)),
        score_row("P1", 600),  # already held
    ])
    assert load_scores(database_url, second) == 1
    held = _held(database_url)
    assert [(p, a, s) for p, a, _, s, _ in held] == [
        ("P1", date(2024, 6, 30), 600), ("P1", date(2024, 9, 30), 640),
        ("P2", date(2024, 6, 30), 700)]


def test_tips_come_from_the_model_reason_catalogue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    model = tmp_path / "model"
    model.mkdir()
    (model / "reasons.json").write_text(json.dumps({
        "BILLS_LATE": {"feature": "bills__on_time_share_365d", "statement": "late bills",
                       "tip": "Pay utility bills before the due date"}}), encoding="utf-8")
    load_scores(url, write_scores(tmp_path / "a.parquet", [score_row("P1", 600)]),
                model_dir=model)
    reasons = _held(url)[0][4]
    assert reasons[0] == {"code": "BILLS_LATE",
                          "text": "Bills were paid late: +18 points if on time",
                          "tip": "Pay utility bills before the due date",
                          "feature": "bills__on_time_share_365d", "what_if": None}
    assert reasons[1]["tip"] is None  # code absent from the catalogue


def test_a_score_out_of_range_names_file_row_and_field(tmp_path: Path) -> None:
    path = write_scores(tmp_path / "bad.parquet", [score_row("P1", 600), score_row("P2", 990)])
    with pytest.raises(ValidationError) as exc:
        load_scores(f"sqlite:///{tmp_path / 's.sqlite'}", path)
    assert exc.value.where == "bad.parquet, row 2, field score"


def test_a_missing_column_names_it(tmp_path: Path) -> None:
    table = pa.table({"person_id": ["P1"], "score": [600]})
    pq.write_table(table, tmp_path / "thin.parquet")
    with pytest.raises(SourceFileError, match="model_version"):
        load_scores(f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "thin.parquet")


def test_not_parquet_is_a_source_file_error(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(SourceFileError):
        load_scores(f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "x.parquet")


def test_nan_dimension_means_no_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    load_scores(url, write_scores(tmp_path / "a.parquet",
                                  [score_row("P1", 600, dim_relationships=float("nan"))]))
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        assert s.execute(select(Score.dim_relationships)).scalar_one() is None
    engine.dispose()

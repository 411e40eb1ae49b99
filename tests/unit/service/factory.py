"""Small real inputs for the service tests: scores Parquet files and a DuckDB store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benne.dimensions import DIMENSIONS
from benne.sources import SOURCES, arrow_schema, duckdb_type

__all__ = ["score_row", "write_scores", "write_store"]

BANDS = ((549, "poor"), (599, "fair"), (649, "good"), (699, "very good"), (950, "excellent"))


def score_row(person_id: str, score: int, *, as_of: date = date(2024, 6, 30),
              model_version: str = "scorecard-1", **overrides: Any) -> dict[str, Any]:
    """One row of the scores table contract (docs/architecture.md)."""
    band = next((name for top, name in BANDS if score <= top), "excellent")
    row: dict[str, Any] = {
        "person_id": person_id, "as_of": as_of, "model_version": model_version,
        "score": score, "band": band, "pd": round(1 / (1 + 2 ** ((score - 350) / 40)), 6),
        **{f"dim_{d}": float(10 + 15 * i) for i, d in enumerate(DIMENSIONS)},
        "reason_1": "BILLS_LATE", "reason_1_text": "Bills were paid late: +18 points if on time",
        "reason_2": "FEW_MONTHS_SAVINGS",
        "reason_2_text": "Savings cover under one month of spending: +9 points",
        "reason_3": None, "reason_3_text": None, "reason_4": None, "reason_4_text": None,
    }
    row.update(overrides)
    return row


SCORES_SCHEMA = pa.schema(
    [("person_id", pa.string()), ("as_of", pa.date32()), ("model_version", pa.string()),
     ("score", pa.int32()), ("band", pa.string()), ("pd", pa.float64()),
     *[(f"dim_{d}", pa.float64()) for d in DIMENSIONS],
     *[(f"reason_{i}", pa.string()) for i in range(1, 5)],
     *[(f"reason_{i}_text", pa.string()) for i in range(1, 5)]]
)


def write_scores(path: Path, rows: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=SCORES_SCHEMA), path)
    return path


def _record_id(source: str, row: dict[str, Any]) -> str:
    key = SOURCES[source].key
    return "|".join(v.isoformat() if isinstance(v, date) else str(v) for v in
                    (row[k] for k in key))


def write_store(path: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """A DuckDB store with one table per given source: schema columns plus ``_record_id``."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for source, records in rows.items():
            fields = SOURCES[source].fields
            cols = ", ".join(f'"{f.name}" {duckdb_type(f)}' for f in fields)
            con.execute(f'CREATE TABLE "{source}" ({cols}, _record_id VARCHAR, '
                        "_version INTEGER, _loaded_at TIMESTAMP, _ingest_id BIGINT)")
            full = [{**{f.name: None for f in fields}, **r} for r in records]
            table = pa.Table.from_pylist(full, schema=arrow_schema(source))
            table = table.append_column("_record_id",
                                        pa.array([_record_id(source, r) for r in full]))
            con.register("incoming", table)
            names = ", ".join(f'"{f.name}"' for f in fields)
            con.execute(f'INSERT INTO "{source}" SELECT {names}, _record_id, 1, '
                        "TIMESTAMP '2024-07-01', 1 FROM incoming")
            con.unregister("incoming")
    finally:
        con.close()
    return path

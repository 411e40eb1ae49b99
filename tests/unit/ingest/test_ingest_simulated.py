"""The simulator's output loads cleanly, and loading it twice leaves identical tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from benne.ingest import ingest
from benne.simulate import simulate
from benne.sources import SOURCES, load_order


def _tables(store: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        names = [*SOURCES, *(f"{s}__history" for s in SOURCES), "quarantine"]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


def test_simulated_output_loads_and_reloads_to_identical_tables(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    simulate(150, out, seed=7, months=6)
    store = tmp_path / "s.duckdb"
    now = dt.datetime(2024, 7, 1)
    first = ingest([out], None, store, now=now)
    assert [f.source for f in first.files] == load_order()  # truth.parquet is not a source
    assert first.loaded > 0 and first.quarantined == 0 and first.duplicates == 0
    before = _tables(store)
    second = ingest([out], None, store, now=now + dt.timedelta(days=1))
    assert (second.loaded, second.duplicates) == (0, first.rows_read)
    assert _tables(store) == before
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(DISTINCT sha256), count(*) FROM ingest_log").fetchall() == [
        (len(SOURCES), 2 * len(SOURCES))]
    con.close()

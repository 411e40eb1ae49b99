"""The headline contract: simulated files load through real ingestion with nothing quarantined."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from benne.ingest import ingest
from benne.simulate import SimulationSummary


def test_simulated_files_load_with_zero_quarantined_rows(small: SimulationSummary,
                                                         tmp_path: Path) -> None:
    result = ingest([small.out], None, tmp_path / "store.duckdb",
                    now=dt.datetime.combine(small.end, dt.time()))
    assert {Path(f.file).stem for f in result.files} == set(small.rows)  # truth is skipped
    assert result.quarantined == 0 and result.duplicates == 0
    assert result.loaded == result.rows_read == sum(small.rows.values())

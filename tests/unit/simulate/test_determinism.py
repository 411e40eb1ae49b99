"""Same seed, same bytes; another seed, other data; chunks independent of processing order."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benne.simulate import SimulationSummary, add_months, default_as_of, simulate
from benne.simulate.core import _chunk
from benne.simulate.params import Calendar, Params

from .conftest import files


def _hashes(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest()
            for name, path in files(directory).items()}


def test_same_seed_gives_byte_identical_files(small: SimulationSummary, tmp_path: Path) -> None:
    again = simulate(2_500, tmp_path, seed=7, start=dt.date(2023, 3, 15), months=8,
                     chunk_people=1_000)
    assert again.rows == small.rows
    first, second = _hashes(small.out), _hashes(tmp_path)
    assert len(first) == 10  # nine sources and truth
    assert first == second


def test_another_seed_gives_other_data(small: SimulationSummary, tmp_path: Path) -> None:
    other = simulate(2_500, tmp_path, seed=8, start=dt.date(2023, 3, 15), months=8,
                     chunk_people=1_000)
    first, second = _hashes(small.out), _hashes(tmp_path)
    assert all(first[name] != second[name] for name in first)
    assert other.rows["orders"] != small.rows["orders"]


def test_chunks_do_not_depend_on_processing_order() -> None:
    cal, p = Calendar(dt.date(2024, 1, 1), 6), Params()
    forward = [_chunk(i, 1 + 300 * i, 300, cal, p, 0.0, 7, 3) for i in range(3)]
    backward = [_chunk(i, 1 + 300 * i, 300, cal, p, 0.0, 7, 3) for i in reversed(range(3))]
    for (tables_a, truth_a), (tables_b, truth_b) in zip(forward, reversed(backward), strict=True):
        assert truth_a.equals(truth_b)
        assert all(tables_a[name].equals(tables_b[name]) for name in tables_a)
    # ... and the chunks differ from one another.
    assert not forward[0][1].column("income").equals(forward[1][1].column("income"))


def test_the_chunks_cover_everyone_once(small: SimulationSummary) -> None:
    ids = pq.read_table(small.paths["identity"]).column("person_id").to_pylist()
    assert ids == [f"P{n:07d}" for n in range(1, 2_501)]
    assert pq.read_metadata(small.paths["identity"]).num_row_groups == 3


def test_as_of_is_half_way_through_the_window(small: SimulationSummary) -> None:
    assert default_as_of(dt.date(2024, 1, 1), 24) == dt.date(2025, 1, 1)
    assert default_as_of(dt.date(2024, 1, 1), 12) == dt.date(2024, 7, 1)
    assert small.as_of == dt.date(2023, 7, 15) == add_months(small.start, 4)
    assert small.end == dt.date(2023, 11, 15)
    sales = pq.read_table(small.paths["merchant_sales"]).column("day").to_numpy()
    assert sales.min() >= np.datetime64(small.start) and sales.max() < np.datetime64(small.end)


def test_params_change_the_model(tmp_path: Path) -> None:
    """A population without shops still writes both shop files, empty, in their schemas."""
    from benne.simulate import Params

    summary = simulate(400, tmp_path, seed=1, months=4, params=Params(shop_owner_rate=0.0))
    assert summary.rows["merchants"] == summary.rows["merchant_sales"] == 0
    assert pq.read_table(summary.paths["merchants"]).num_rows == 0
    assert not any(p.product == "merchant_loan"
                   for p in pq.read_table(summary.paths["credit"], columns=["product"])
                   .to_pandas().itertuples())

"""Properties over many shapes: id formatting, and valid files for any small configuration."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benne.simulate import simulate
from benne.simulate.arrow import fixed_ids, person_width

from .test_schema_rules import violations


@given(st.lists(st.tuples(st.integers(0, 10**7 - 1), st.integers(0, 999)), max_size=50),
       st.sampled_from(["P", "O", "AB", ""]))
def test_fixed_ids_match_python_formatting(values: list[tuple[int, int]], prefix: str) -> None:
    a = np.array([v[0] for v in values], dtype=np.int64)
    b = np.array([v[1] for v in values], dtype=np.int64)
    got = fixed_ids(prefix, [(a, 7), (b, 3)]).to_pylist()
    assert got == [f"{prefix}{x:07d}{y:03d}" for x, y in values]


def test_fixed_ids_refuse_numbers_wider_than_their_field() -> None:
    with pytest.raises(ValueError, match="width 2"):
        fixed_ids("A", [(np.array([5, 100]), 2)])


def test_person_numbers_widen_beyond_ten_million() -> None:
    assert person_width(9_999_999) == 7 and person_width(10_000_000) == 8


@settings(max_examples=6, deadline=None)
@given(
    people=st.integers(1, 80),
    chunk=st.integers(1, 40),
    months=st.integers(2, 7),
    start=st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
    seed=st.integers(0, 2**32),
)
def test_any_small_configuration_writes_valid_files(people: int, chunk: int, months: int,
                                                    start: dt.date, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(people, Path(tmp), seed=seed, start=start, months=months,
                           chunk_people=chunk)
        assert summary.rows["identity"] == people
        assert violations(Path(tmp)) == {}

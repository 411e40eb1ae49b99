"""Properties over many shapes: id formatting, and valid files for any small configuration."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benne.dates import add_months
from benne.simulate import simulate
from benne.simulate.arrow import fixed_ids, person_width
from benne.simulate.core import _chunk
from benne.simulate.params import Calendar, Params
from benne.sources import arrow_schema

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
# Month ends and leap days: the day of month cannot be carried to every later month.
@example(people=20, chunk=7, months=2, start=dt.date(2024, 1, 29), seed=1)
@example(people=20, chunk=20, months=3, start=dt.date(2024, 1, 30), seed=2)
@example(people=20, chunk=9, months=7, start=dt.date(2024, 1, 31), seed=3)
@example(people=20, chunk=20, months=5, start=dt.date(2023, 3, 31), seed=4)
@example(people=20, chunk=11, months=6, start=dt.date(2024, 2, 29), seed=5)
@example(people=20, chunk=20, months=4, start=dt.date(2023, 2, 28), seed=6)
@example(people=20, chunk=20, months=2, start=dt.date(2025, 12, 31), seed=7)
@example(people=20, chunk=20, months=7, start=dt.date(2028, 8, 31), seed=8)
def test_any_small_configuration_writes_valid_files(people: int, chunk: int, months: int,
                                                    start: dt.date, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(people, Path(tmp), seed=seed, start=start, months=months,
                           chunk_people=chunk)
        assert summary.rows["identity"] == people
        assert violations(Path(tmp)) == {}


def test_add_months_keeps_the_day_or_clips_it_to_the_month_end() -> None:
    assert add_months(dt.date(2024, 1, 31), 0) == dt.date(2024, 1, 31)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 2) == dt.date(2024, 3, 31)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 5, 15), -5) == dt.date(2023, 12, 15)


def test_every_start_day_of_a_leap_year_and_every_month_count_generates_valid_sources() -> None:
    """Every day of 2024 as the start, with 2 to 7 months: every source's rows are generated and
    the month boundaries start on the start day. The bad-rate calibration is skipped (shift 0):
    it is the same code for any start day and runs in the end-to-end loop below."""
    p = Params()
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        for months in range(2, 8):
            cal = Calendar(day, months)
            starts = cal.month_starts
            assert starts[0] == cal.start_day and starts[-1] == cal.end_day
            assert ((starts[1:] - starts[:-1]) >= 28).all()
            tables, truth = _chunk(0, 1, 20, cal, p, 0.0, 2, 7)
            for name, tab in tables.items():
                assert tab.schema.equals(arrow_schema(name), check_metadata=False), name
            assert truth.num_rows == 20
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("months", range(2, 8))
def test_simulate_succeeds_from_every_month_end_of_a_leap_year(months: int) -> None:
    """The whole command path (calibration, chunks, files) from the 28th-31st of each month."""
    starts = [dt.date(2024, m, d) for m in range(1, 13) for d in (28, 29, 30, 31)
              if d <= (add_months(dt.date(2024, m, 1), 1) - dt.timedelta(days=1)).day]
    with tempfile.TemporaryDirectory() as tmp:
        for i, start in enumerate(starts):
            out = Path(tmp) / str(i)
            summary = simulate(8, out, seed=i, start=start, months=months, chunk_people=5)
            assert summary.rows["identity"] == 8
            assert summary.end == add_months(start, months)

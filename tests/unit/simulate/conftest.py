"""Simulated populations shared by the simulate tests (each is simulated once per session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from benne.simulate import SimulationSummary, simulate

# The realism bands are asserted on this population: large enough for steady estimates
# (about 11,000 labelled people, 700 bads), small enough to simulate in a few seconds.
REALISM_PEOPLE = 20_000
REALISM_SEED = 42


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """20,000 people with every default: seed 42, 2024-01-01, 24 months."""
    out = tmp_path_factory.mktemp("population")
    return simulate(REALISM_PEOPLE, out, seed=REALISM_SEED)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """2,500 people in three chunks, a short window starting mid-month."""
    out = tmp_path_factory.mktemp("small")
    return simulate(2_500, out, seed=7, start=dt.date(2023, 3, 15), months=8, chunk_people=1_000)


def files(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(directory.glob("*.parquet"))}

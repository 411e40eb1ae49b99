"""Fixtures of the report tests: scored frames from :mod:`tests.unit.report.synthetic`."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.report.synthetic import make_scored


@pytest.fixture(scope="session")
def scored() -> pd.DataFrame:
    return make_scored(2000, seed=1)


@pytest.fixture(scope="session")
def baseline() -> pd.DataFrame:
    return make_scored(2000, seed=2)

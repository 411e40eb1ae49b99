"""Suite-wide settings: a hypothesis profile for CI and isolation from the caller's config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's BENNE_* variables."""
    for key in list(os.environ):
        if key.startswith("BENNE_") and not key.startswith("BENNE_TEST_"):
            monkeypatch.delenv(key, raising=False)


def shared_data(relative: str) -> Path:
    """A file of ../shared/data; skips outside CI when absent, fails in CI."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI: the shared data sets must be beside the project")
        pytest.skip(f"{path} is absent (the shared data sets live beside the project)")
    return path

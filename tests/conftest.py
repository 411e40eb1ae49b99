"""Suite-wide settings: deterministic hypothesis profiles and isolation from the caller's config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings

# "ci" is the default for every run (`make test`, CI, a bare `pytest`): derandomized, no example
# database, so the same commit gives the same result. "fuzz" (`make fuzz`) hunts bugs: random
# seeds, the example database, and FUZZ_FACTOR times the examples each test asks for.
FUZZ_FACTOR = 10
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=False,
    max_examples=100 * FUZZ_FACTOR,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# In a parallel run (pytest-xdist) every worker is already one busy core: OpenMP code (the
# challenger's LightGBM trains on every core by default) takes one thread per worker unless
# the caller capped it. Set before any OpenMP library loads. Models do not depend on it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every hypothesis test ``property``; under the fuzz profile multiply its examples.

    A test's own ``@settings(max_examples=n)`` wins over any profile, so the fuzz profile scales
    the settings object hypothesis attached to the test (its documented ``settings(parent, ...)``
    copy; the attribute is where ``@settings`` stores it).
    """
    for item in items:
        test = getattr(item, "obj", None)
        if test is None or not is_hypothesis_test(test):
            continue
        item.add_marker(pytest.mark.property)
        if PROFILE == "fuzz":
            own = getattr(test, "_hypothesis_internal_use_settings", None)
            if own is not None and own.max_examples < 100 * FUZZ_FACTOR:
                test._hypothesis_internal_use_settings = settings(
                    own, max_examples=own.max_examples * FUZZ_FACTOR, derandomize=False,
                    database=settings.default.database)


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

"""Hypothesis strategies for binning, scorecards and scoring."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SPECIALS = (-7.0, -8.0, -9.0)


@st.composite
def labelled_column(draw: st.DrawFn, min_size: int = 40, max_size: int = 400
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column with missing and special values, and 0/1 labels with both classes."""
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    discrete = draw(st.booleans())
    x = rng.integers(0, draw(st.integers(2, 30)), n).astype(float) if discrete \
        else np.round(rng.normal(size=n) * draw(st.floats(0.1, 100)), 2)
    slope = draw(st.floats(-2, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(slope * (x - x.mean()) / (x.std() + 1e-9) - 1))))
    x[rng.random(n) < draw(st.floats(0, 0.3))] = np.nan
    for s in SPECIALS:
        x[rng.random(n) < draw(st.floats(0, 0.1))] = s
    y = y.astype(int)
    y[0], y[1] = 0, 1
    return x, y


directions = st.sampled_from(["increasing", "decreasing", "auto"])

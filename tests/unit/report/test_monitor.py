"""Drift on plain frames: PSI per column, statuses, and the error that exits 3."""

from __future__ import annotations

import pandas as pd
import pytest

from benne.exceptions import DriftError, InputError
from benne.report import check_drift, metrics, stability_table
from benne.report.monitor import format_table, status
from tests.unit.report.synthetic import FEATURES, make_scored

COLUMNS = ["score", *FEATURES]


def test_a_fresh_sample_of_the_same_population_is_stable(baseline: pd.DataFrame) -> None:
    fresh = make_scored(2000, seed=99)
    rows = stability_table(baseline, fresh, COLUMNS)
    assert [r.name for r in rows] == COLUMNS
    assert all(r.status == "stable" for r in rows), format_table(rows)
    check_drift(rows)  # no error


def test_a_shifted_sample_drifts_and_the_error_names_the_columns(
    baseline: pd.DataFrame,
) -> None:
    shifted = make_scored(2000, seed=99, shift=0.6)
    rows = stability_table(baseline, shifted, COLUMNS)
    by_name = {r.name: r for r in rows}
    assert by_name["score"].psi == pytest.approx(
        metrics.psi(baseline["score"], shifted["score"]))
    drifted = [r.name for r in rows if r.status == "drift"]
    assert "score" in drifted and FEATURES[0] in drifted
    assert FEATURES[3] not in drifted  # counterparties do not move with the shift
    with pytest.raises(DriftError) as err:
        check_drift(rows)
    assert err.value.exit_code == 3
    for name in drifted:
        assert name in err.value.message
    assert FEATURES[3] not in err.value.message


def test_missing_shares_are_reported(baseline: pd.DataFrame) -> None:
    recent = baseline.assign(**{FEATURES[2]: float("nan")})
    row = stability_table(baseline, recent, [FEATURES[2]])[0]
    assert row.missing_recent == 1.0
    assert row.missing_baseline == pytest.approx(baseline[FEATURES[2]].isna().mean())
    assert row.status == "drift"


def test_thresholds() -> None:
    assert [status(x) for x in (0.0, 0.1, 0.10001, 0.25, 0.2501)] == [
        "stable", "stable", "watch", "watch", "drift"]


def test_a_column_missing_from_one_sample_is_a_clear_error(baseline: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="missing from the recent data"):
        stability_table(baseline, baseline.drop(columns=["score"]), ["score"])

"""Relationships features on hand-made stores: support received and counterparties' credit.

The counterparty join must respect as-of like every other feature: a counterparty's statement
dated on or after as-of, or a counterparty's record never seen before as-of, changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from benne.features import compute_features
from tests.property.strategies_features import write_store

AS_OF = dt.date(2024, 3, 1)
EARLY = dt.date(2023, 12, 1)
REL = ["transfers__in_count_90d", "transfers__in_months_365d", "transfers__in_amount_365d",
       "transfers__large_in_count_365d", "transfers__large_in_share_365d",
       "transfers__in_out_ratio_365d", "transfers__reciprocity_365d",
       "transfers__counterparty_delinquent_share_365d",
       "transfers__counterparty_worst_dpd_mean_365d"]


def _person(pid: str) -> dict[str, Any]:
    return {"person_id": pid, "registered_at": dt.datetime(2020, 1, 1),
            "real_name_verified": True, "birth_year": 1980, "gender": "other",
            "region": "east", "phone_number_since": None, "device_os": None,
            "email_domain": None}


def _transfer(i: int, src: str, dst: str, at: dt.datetime, amount: float) -> dict[str, Any]:
    return {"transfer_id": f"t{i}", "from_person": src, "to_person": dst, "at": at,
            "amount": amount}


def _statement(person: str, day: dt.date, dpd: int) -> dict[str, Any]:
    return {"account_id": f"a-{person}", "person_id": person, "product": "credit_card",
            "statement_at": day, "limit": 1000.0, "balance": 100.0, "days_past_due": dpd,
            "status": "open"}


def _world(credit: list[dict[str, Any]]) -> dict[str, Any]:
    """p1 receives from p2 (twice, once 100 exactly), p3 (99.99) and p4, and pays p2 back."""
    transfers = [
        _transfer(1, "p2", "p1", dt.datetime(2024, 2, 10, 9), 100.0),
        _transfer(2, "p2", "p1", dt.datetime(2023, 6, 3, 12), 250.0),
        _transfer(3, "p3", "p1", dt.datetime(2024, 1, 20, 8), 99.99),
        _transfer(4, "p4", "p1", dt.datetime(2023, 6, 30, 23), 10.0),
        _transfer(5, "p1", "p2", dt.datetime(2024, 2, 28, 23, 59), 50.0),
        _transfer(6, "p2", "p1", dt.datetime(2024, 3, 1, 0, 0), 900.0),   # at as_of: unknown
        _transfer(7, "p1", "p1", dt.datetime(2024, 2, 1), 500.0),          # to oneself
    ]
    return {"tables": {"identity": [_person(p) for p in ("p1", "p2", "p3", "p4")],
                       "transfers": transfers, "credit": credit},
            "excluded": [], "scores": []}


# p2 was 60 days late in the year before as_of and at as_of is 120 days late; p3 is clean
# but its only in-year statement is 0 days past due; p4 has no credit at all.
BASE_CREDIT = [_statement("p2", dt.date(2023, 1, 15), 30),   # delinquent, > 365 days ago
               _statement("p2", dt.date(2024, 1, 15), 60),
               _statement("p3", dt.date(2024, 2, 29), 0)]
FUTURE_CREDIT = [_statement("p2", AS_OF, 120), _statement("p3", dt.date(2024, 3, 2), 90),
                 _statement("p4", AS_OF, 30), _statement("p4", dt.date(2024, 6, 1), 120)]


def _row(path: Path, credit: list[dict[str, Any]], as_of: Any = AS_OF) -> list[dict[str, Any]]:
    store = write_store(path, _world(credit))
    return compute_features(store, as_of, features=REL).to_pylist()


def test_support_received(tmp_path: Path) -> None:
    p1 = _row(tmp_path / "s.duckdb", BASE_CREDIT)[0]
    assert p1["person_id"] == "p1"
    assert p1["transfers__in_count_90d"] == 2                  # t1, t3; t6 is at as_of
    assert p1["transfers__in_months_365d"] == 3                # 2023-06, 2024-01, 2024-02
    assert p1["transfers__in_amount_365d"] == pytest.approx(459.99)
    assert p1["transfers__large_in_count_365d"] == 2           # 100 counts, 99.99 does not
    assert p1["transfers__large_in_share_365d"] == 0.5
    assert p1["transfers__in_out_ratio_365d"] == pytest.approx(459.99 / 50.0)
    assert p1["transfers__reciprocity_365d"] == pytest.approx(1 / 3)  # only p2 both ways


def test_counterparties_credit_known_before_as_of(tmp_path: Path) -> None:
    p1 = _row(tmp_path / "s.duckdb", BASE_CREDIT)[0]
    # p2 delinquent, p3 clean, p4 without credit does not count
    assert p1["transfers__counterparty_delinquent_share_365d"] == 0.5
    # mean over p2 (60) and p3 (0); p2's 30 is older than a year
    assert p1["transfers__counterparty_worst_dpd_mean_365d"] == 30.0
    p4 = next(r for r in _row(tmp_path / "t.duckdb", BASE_CREDIT) if r["person_id"] == "p4")
    assert p4["transfers__counterparty_delinquent_share_365d"] is None  # p1 has no credit
    assert p4["transfers__counterparty_worst_dpd_mean_365d"] is None


def test_counterparties_future_statements_change_nothing(tmp_path: Path) -> None:
    before = _row(tmp_path / "a.duckdb", BASE_CREDIT)
    after = _row(tmp_path / "b.duckdb", BASE_CREDIT + FUTURE_CREDIT)
    assert after == before


def test_counterparties_credit_per_person_dates(tmp_path: Path) -> None:
    """Per-person dates take the general join: each pair sees its own past only."""
    spine = pd.DataFrame({"person_id": ["p1", "p1"], "as_of": [EARLY, AS_OF]})
    early, late = _row(tmp_path / "a.duckdb", BASE_CREDIT + FUTURE_CREDIT, spine)
    # On 2023-12-01 p1 had dealt with p2 and p4 only; p2's 60-day statement came later.
    assert early["transfers__counterparty_delinquent_share_365d"] == 1.0
    assert early["transfers__counterparty_worst_dpd_mean_365d"] == 30.0
    assert late == _row(tmp_path / "b.duckdb", BASE_CREDIT)[0]

"""Label rules: the already-defaulted are excluded, bills reach people without credit,
observations label from their own date, the window's maturity, and ``benne labels``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from benne.cli import main
from benne.exceptions import ValidationError
from benne.labels import (
    RULES,
    get_rule,
    label_table,
    make_labels,
    maturity_table,
    seasoning_months,
)
from tests.property.strategies_features import write_store

AS_OF = dt.date(2024, 1, 1)


def _st(person: str, account: str, day: dt.date, dpd: int = 0, status: str = "open") -> dict:
    return {"account_id": account, "person_id": person, "product": "bnpl",
            "statement_at": day, "limit": 300.0, "balance": 10.0, "days_past_due": dpd,
            "status": status}


def _bill(bill: str, person: str, due: dt.date, paid: dt.date | None) -> dict:
    return {"bill_id": bill, "person_id": person, "biller_type": "phone",
            "issued_at": due - dt.timedelta(days=20), "due_at": due, "amount": 20.0,
            "paid_at": paid}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    credit = [
        # already 90+ at as-of on the latest statement before it: excluded
        _st("defaulted", "d1", dt.date(2023, 12, 5), dpd=95),
        _st("defaulted", "d1", dt.date(2024, 1, 5), dpd=125),
        # was 90+ once but cured before as-of: labelled
        _st("cured", "c1", dt.date(2023, 11, 5), dpd=95),
        _st("cured", "c1", dt.date(2023, 12, 5), dpd=0),
        _st("cured", "c1", dt.date(2024, 2, 5), dpd=0),
        # thin file at as-of, opens a first pay-later line in the window and defaults
        _st("newcomer", "n1", dt.date(2024, 3, 5)),
        _st("newcomer", "n1", dt.date(2024, 7, 5), dpd=92),
    ]
    bills = [
        _bill("b1", "billonly", dt.date(2024, 2, 1), None),            # never paid: bad
        _bill("b2", "payer", dt.date(2024, 2, 1), dt.date(2024, 2, 3)),  # paid: good
        _bill("b3", "late", dt.date(2024, 11, 1), None),  # due too late to see 90 days: none
        _bill("b4", "owing", dt.date(2023, 6, 1), None),   # 90+ days unpaid at as-of: excluded
        _bill("b5", "owing", dt.date(2024, 2, 1), dt.date(2024, 2, 1)),
    ]
    world = {"tables": {"credit": credit, "bills": bills}, "excluded": [], "scores": []}
    return write_store(tmp_path / "s.duckdb", world)


def test_credit_rule_excludes_people_already_in_default(store: Path) -> None:
    table = label_table(store, AS_OF, "credit")
    status = dict(zip(table.person_id, table.status, strict=True))
    assert status["defaulted"] == "excluded"
    assert status["cured"] == "good"
    assert status["newcomer"] == "bad"        # thin file at as-of, labelled by a first line
    assert status["billonly"] == "no outcome"  # the credit rule reads no bills
    labels = make_labels(store, AS_OF)
    assert "defaulted" not in set(labels.person_id)
    assert dict(zip(labels.person_id, labels.bad, strict=True)) == {"cured": 0, "newcomer": 1}


def test_obligations_rule_reaches_people_without_credit(store: Path) -> None:
    table = label_table(store, AS_OF, "obligations")
    status = dict(zip(table.person_id, table.status, strict=True))
    assert status["billonly"] == "bad"
    assert status["payer"] == "good"
    assert status["late"] == "no outcome"
    assert status["owing"] == "excluded"
    assert status["defaulted"] == "excluded"
    assert table["bad"].isna().tolist() == [s not in ("good", "bad") for s in table.status]


def test_observations_are_labelled_from_their_own_date(store: Path) -> None:
    spine = pd.DataFrame({"person_id": ["newcomer", "newcomer", "defaulted"],
                          "observed_at": ["2024-01-01T10:00", "2024-07-06T09:00", "2023-01-01"],
                          "decision_id": ["L1", "L2", "L3"]})
    table = label_table(store, spine)
    # the second decision comes the day after the 92-days-past-due statement: already bad
    assert table.status.tolist() == ["bad", "excluded", "bad"]
    assert table.as_of.tolist() == [dt.date(2024, 1, 1), dt.date(2024, 7, 6),
                                    dt.date(2023, 1, 1)]


def test_window_and_threshold_are_configurable_and_named(store: Path) -> None:
    short = get_rule("credit", horizon_months=3)
    status = dict(zip(*label_table(store, AS_OF, short)[["person_id", "status"]].T.values,
                      strict=True))
    assert status["newcomer"] == "good"  # the default shows in month 7, outside 3 months
    assert "within 3 months" in short.describe()
    assert "60+" in get_rule("credit", dpd_threshold=60).outcome
    with pytest.raises(ValidationError, match="unknown label rule"):
        get_rule("vibes")
    with pytest.raises(ValidationError, match="horizon_months"):
        get_rule("credit", horizon_months=0)


def test_maturity_table_counts_new_accounts_by_months_on_book(tmp_path: Path) -> None:
    months = [dt.date(2023, m, 5) for m in range(1, 13)]
    credit = [_st("old", "o1", d) for d in months]  # open from the first month: left out
    credit += [_st("a", "a1", d, dpd=90 if d.month >= 5 else 0) for d in months[2:]]
    credit += [_st("b", "b1", d) for d in months[2:]]
    credit += [_st("c", "c1", d) for d in months[9:]]  # seen three months only
    store = write_store(tmp_path / "m.duckdb", {"tables": {"credit": credit}, "excluded": [],
                                                "scores": []})
    table = maturity_table(store, max_months=12)
    rows = table.set_index("months_on_book")
    assert rows.loc[1, "accounts"] == 3 and rows.loc[1, "bad"] == 0
    assert rows.loc[3, "accounts"] == 3 and rows.loc[3, "bad"] == 1  # a1 bad in its 3rd month
    assert rows.loc[4, "accounts"] == 2 and rows.loc[4, "bad"] == 1
    assert table["months_on_book"].max() == 10
    assert rows.loc[10, "share_of_final"] == 1.0
    assert rows.loc[3, "new_bad"] == 1 and rows.loc[3, "at_risk"] == 3
    assert rows.loc[4, "at_risk"] == 1 and rows.loc[4, "monthly_rate"] == 0.0  # a1 is bad


def test_seasoning_is_where_the_monthly_rate_settles() -> None:
    new_bad = [0, 0, 40, 30, 30, 10, 10, 10, 10, 10, 10, 10]
    table = pd.DataFrame({"months_on_book": range(1, 13), "at_risk": [1000] * 12,
                          "new_bad": new_bad})
    assert seasoning_months(table) == 6
    assert seasoning_months(table.assign(new_bad=0)) is None


def test_labels_command(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "labels", "rules"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert [r["rule"] for r in rules] == list(RULES)
    out = tmp_path / "labels.parquet"
    assert main(["--json", "labels", "build", "--db", str(store), "--as-of", "2024-01-01",
                 "--rule", "obligations", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["excluded"] == 2 and summary["counts"]["bad"] == 2
    assert set(pd.read_parquet(out).columns) == {"person_id", "as_of", "status", "bad"}
    assert main(["--json", "labels", "maturity", "--db", str(store)]) == 0
    assert "maturity" in json.loads(capsys.readouterr().out)
    assert main(["labels", "build", "--db", str(store)]) == 2
    assert capsys.readouterr().err.startswith("error: give either --as-of or --observations")

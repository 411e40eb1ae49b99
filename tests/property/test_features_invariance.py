"""No leakage and no dependence on row order: features are a function of the past only."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from benne.features import compute_features
from tests.property.strategies_features import AS_OF, PEOPLE, days, worlds, write_store

EVENT_TIME = {"addresses": "moved_in_at", "orders": "ordered_at", "bills": "due_at",
              "savings": "at", "transfers": "at", "credit": "statement_at",
              "merchants": "opened_at", "merchant_sales": "day"}
ID_FIELD = {"orders": "order_id", "bills": "bill_id", "transfers": "transfer_id",
            "credit": "account_id", "merchants": "merchant_id"}


def _not_before(value: dt.date | dt.datetime, day: dt.date) -> bool:
    if isinstance(value, dt.datetime):
        return value >= dt.datetime.combine(day, dt.time())
    return value >= day


def with_future(world: dict[str, Any], later: dict[str, Any], as_of: dt.date,
                pay_after: int) -> dict[str, Any]:
    """``world`` plus every event of ``later`` at or after ``as_of``, plus payments made at or
    after ``as_of`` of bills that were unpaid, plus scoring runs dated on or after ``as_of``."""
    tables = {name: [dict(r) for r in rows] for name, rows in world["tables"].items()}
    for name, field in EVENT_TIME.items():
        for r in later["tables"][name]:
            if not _not_before(r[field], as_of):
                continue
            r = dict(r)
            if name in ID_FIELD:
                r[ID_FIELD[name]] = "f" + r[ID_FIELD[name]]
            tables[name].append(r)
    keys = {(r["person_id"], r["moved_in_at"]) for r in world["tables"]["addresses"]}
    tables["addresses"] = [r for i, r in enumerate(tables["addresses"])
                           if i < len(world["tables"]["addresses"])
                           or (r["person_id"], r["moved_in_at"]) not in keys]
    for name, key in (("savings", ("person_id", "at")), ("merchant_sales", ("merchant_id", "day"))):
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for r in tables[name]:
            k = tuple(r[f] for f in key)
            if k not in seen:
                seen.add(k)
                unique.append(r)
        tables[name] = unique
    for b in tables["bills"]:
        if b["paid_at"] is None:
            b["paid_at"] = max(as_of, b["due_at"]) + dt.timedelta(days=pay_after)
    scores = list(world["scores"]) + [
        dict(s, model_version="later") for s in later["scores"] if s["as_of"] >= as_of]
    return {"tables": tables, "excluded": world["excluded"], "scores": scores}


@settings(max_examples=20)
@given(world=worlds(), later=worlds(), pay_after=st.integers(0, 30))
def test_events_at_or_after_as_of_change_nothing(
    tmp_path_factory: Any, world: dict[str, Any], later: dict[str, Any], pay_after: int
) -> None:
    folder = tmp_path_factory.mktemp("w")
    before = compute_features(write_store(folder / "a.duckdb", world), AS_OF)
    future = with_future(world, later, AS_OF, pay_after)
    after = compute_features(write_store(folder / "b.duckdb", future), AS_OF)
    assert after.equals(before)


@settings(max_examples=20)
@given(world=worlds(), seed=st.integers(0, 2**32 - 1),
       pairs=st.lists(st.tuples(st.sampled_from(PEOPLE), days), min_size=1, max_size=6))
def test_row_order_never_matters(tmp_path_factory: Any, world: dict[str, Any], seed: int,
                                 pairs: list[tuple[str, dt.date]]) -> None:
    rng = random.Random(seed)
    shuffled = {"tables": {n: rng.sample(rows, len(rows)) for n, rows in world["tables"].items()},
                "excluded": rng.sample(world["excluded"], len(world["excluded"])),
                "scores": rng.sample(world["scores"], len(world["scores"]))}
    folder = tmp_path_factory.mktemp("w")
    frame = pd.DataFrame(pairs, columns=["person_id", "as_of"])
    a = compute_features(write_store(folder / "a.duckdb", world), frame)
    b = compute_features(write_store(folder / "b.duckdb", shuffled), frame.sample(frac=1.0,
                         random_state=seed % 2**31))
    assert b.equals(a)

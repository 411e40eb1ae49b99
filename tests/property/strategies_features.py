"""Hypothesis strategies for feature tests: small worlds of events around an as-of date.

A *world* is ``{"tables": {source: [row dict, ...]}, "excluded": [(source, record_id)],
"scores": [score row dict]}``. Event dates cluster on the edges that matter (window starts,
the day before as-of, as-of itself, after as-of) so boundary mistakes are found quickly.
:func:`write_store` writes a world into a real store (``benne.store.open_store``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from benne.sources import ORDER_CATEGORIES, SOURCES, arrow_schema
from benne.store import open_store

__all__ = ["AS_OF", "record_id", "worlds", "write_store"]

AS_OF = dt.date(2024, 3, 1)
PEOPLE = ("p1", "p2", "p3", "p4")
EDGES = (-1096, -1095, -1094, -366, -365, -364, -181, -180, -179, -91, -90, -89, -1, 0, 1, 5)


def record_id(source: str, row: dict[str, Any]) -> str:
    """The store's ``_record_id``: the id column, or natural-key values joined with ``|``."""
    src = SOURCES[source]
    return "|".join(
        row[k].isoformat() if isinstance(row[k], dt.date) else str(row[k]) for k in src.key
    )


def write_store(path: Path, world: dict[str, Any]) -> Path:
    """A real store (``benne.store.open_store``) holding ``world``: source tables,
    excluded_records and scores_history."""
    con = open_store(path)
    try:
        for name in SOURCES:
            rows = world["tables"].get(name, [])
            schema = arrow_schema(name)
            table = pa.table({f.name: [r.get(f.name) for r in rows] for f in schema},
                             schema=schema)
            con.register("incoming", table)
            cols = ", ".join(f'"{f.name}"' for f in schema)
            con.execute(f'INSERT INTO "{name}" ({cols}, _version, _loaded_at, _ingest_id) '
                        f"SELECT {cols}, 1, TIMESTAMP '2024-01-01', 0 FROM incoming")
            con.unregister("incoming")
        for source, rid in world.get("excluded", []):
            con.execute("INSERT INTO excluded_records VALUES (?, ?, 'dispute', ?)",
                        [source, rid, dt.datetime(2024, 1, 1)])
        for s in world.get("scores", []):
            con.execute("INSERT INTO scores_history (person_id, as_of, model_version, score) "
                        "VALUES (?, ?, ?, ?)",
                        [s["person_id"], s["as_of"], s["model_version"], s["score"]])
    finally:
        con.close()
    return path


def _day(offset: int) -> dt.date:
    return AS_OF + dt.timedelta(days=offset)


offsets = st.one_of(st.sampled_from(EDGES), st.integers(-1200, 20))
days = offsets.map(_day)
moments = st.tuples(offsets, st.sampled_from([0, 0, 1, 13, 23]), st.sampled_from([0, 59])).map(
    lambda t: dt.datetime.combine(_day(t[0]), dt.time(t[1], t[2]))
)
people = st.sampled_from(PEOPLE)
cents = st.integers(0, 500_000).map(lambda c: c / 100)


@st.composite
def _identity(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for p in PEOPLE:
        if p == "p4" and draw(st.booleans()):
            continue  # someone with no identity row at all
        out.append({
            "person_id": p, "registered_at": draw(moments),
            "real_name_verified": draw(st.booleans()), "birth_year": 1990, "gender": "female",
            "region": "north", "phone_number_since": draw(st.none() | days),
            "device_os": draw(st.sampled_from([None, "android", "ios", "other"])),
            "email_domain": "example.org",
        })
    return out


def _unique(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(tuple(r[k] for k in key), r)
    return list(seen.values())


@st.composite
def worlds(draw: st.DrawFn, max_events: int = 8) -> dict[str, Any]:
    """A random world of all nine sources, disputes and earlier scores for four people."""
    n = st.integers(0, max_events)
    orders = [{
        "order_id": f"o{i}", "person_id": draw(people), "merchant_id": None,
        "ordered_at": draw(moments), "amount": draw(cents),
        "category": draw(st.sampled_from(ORDER_CATEGORIES)),
        "status": draw(st.sampled_from(["delivered", "delivered", "returned", "cancelled"])),
        "hour": draw(st.integers(0, 23)),
    } for i in range(draw(n))]
    bills = []
    for i in range(draw(n)):
        due = draw(days)
        paid = draw(st.none() | st.integers(-5, 40).map(lambda k, d=due: d + dt.timedelta(k)))
        bills.append({
            "bill_id": f"b{i}", "person_id": draw(people),
            "biller_type": draw(st.sampled_from(["phone", "utility", "internet", "rent"])),
            "issued_at": due - dt.timedelta(days=20), "due_at": due, "amount": draw(cents),
            "paid_at": paid,
        })
    savings = _unique([{"person_id": draw(people), "at": draw(days), "balance": draw(cents)}
                       for _ in range(draw(n))], ("person_id", "at"))
    addresses = _unique([{"person_id": draw(people), "moved_in_at": draw(days),
                          "region": "north"} for _ in range(draw(n))],
                        ("person_id", "moved_in_at"))
    transfers = [{"transfer_id": f"t{i}", "from_person": draw(people),
                  "to_person": draw(people), "at": draw(moments),
                  "amount": draw(st.sampled_from([99.99, 100.0]) | cents)}  # "large" edge
                 for i in range(draw(n))]
    credit = _unique([{
        "account_id": f"a{draw(st.integers(0, 2))}-{p}", "person_id": p,
        "product": "credit_card", "statement_at": draw(days),
        "limit": draw(st.sampled_from([0.0, 1000.0, 2500.0])), "balance": draw(cents),
        "days_past_due": draw(st.sampled_from([0, 0, 15, 30, 60, 90, 120])),
        "status": draw(st.sampled_from(["open", "open", "closed", "charged_off"])),
    } for p in [draw(people) for _ in range(draw(n))]], ("account_id", "statement_at"))
    merchants = [{"merchant_id": f"m{i}", "owner_person_id": draw(people),
                  "opened_at": draw(days), "category": "food"}
                 for i in range(draw(st.integers(0, 2)))]
    sales = []
    if merchants:
        for _ in range(draw(n)):
            orders_n = draw(st.integers(0, 30))
            sales.append({
                "merchant_id": draw(st.sampled_from([m["merchant_id"] for m in merchants])),
                "day": draw(days), "gmv": draw(cents), "orders": orders_n,
                "refunds": draw(st.integers(0, orders_n)),
                "rating": draw(st.none() | st.sampled_from([1.0, 3.5, 4.25, 5.0])),
            })
        sales = _unique(sales, ("merchant_id", "day"))
    tables = {
        "identity": draw(_identity()), "addresses": addresses, "orders": orders,
        "bills": bills, "savings": savings, "transfers": transfers, "credit": credit,
        "merchants": merchants, "merchant_sales": sales,
    }
    all_ids = [(s, record_id(s, r)) for s, rows in tables.items() for r in rows]
    excluded = draw(st.lists(st.sampled_from(all_ids), max_size=3)) if all_ids else []
    scores = _unique([{
        "person_id": draw(people), "as_of": draw(days),
        "model_version": draw(st.sampled_from(["v1", "v2"])),
        "score": draw(st.integers(350, 950)),
    } for _ in range(draw(st.integers(0, 5)))], ("person_id", "as_of", "model_version"))
    return {"tables": tables, "excluded": excluded, "scores": scores}

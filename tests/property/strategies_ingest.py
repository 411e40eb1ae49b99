"""Rows and files for ingestion tests: valid records, ways to break them, and damaged CSV.

:func:`valid_row` builds a valid record of any source; :data:`BREAKERS` turn a valid order into
an invalid one with the field and reason the store must report; :func:`write_rows` writes rows
as CSV, Parquet or JSON Lines. The hypothesis strategies combine them into mixed loads
(:func:`order_loads`) and damaged CSV bytes (:func:`damaged_csv`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from benne.sources import SOURCES, arrow_schema

__all__ = [
    "BREAKERS",
    "DATE_LAYOUTS",
    "dated_texts",
    "NOW",
    "PEOPLE",
    "damaged_csv",
    "order_loads",
    "people_rows",
    "valid_row",
    "write_rows",
]

NOW = dt.datetime(2025, 1, 1)
PEOPLE = ("p1", "p2", "p3")
_T0 = dt.datetime(2024, 1, 1, 8, 30)


def people_rows(people: tuple[str, ...] = PEOPLE) -> list[dict[str, Any]]:
    return [valid_row("identity", i, person=p) for i, p in enumerate(people)]


def valid_row(source: str, i: int, person: str = "p1", **override: Any) -> dict[str, Any]:
    """A valid record of ``source`` whose id (or natural key) depends on ``i``."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=i)
    at = _T0 + dt.timedelta(hours=i)
    rows: dict[str, dict[str, Any]] = {
        "identity": {"person_id": person, "registered_at": at, "real_name_verified": True,
                     "birth_year": 1980 + i % 30, "gender": "female", "region": "north",
                     "phone_number_since": day, "device_os": "android",
                     "email_domain": "example.org"},
        "addresses": {"person_id": person, "moved_in_at": day, "region": "south"},
        "orders": {"order_id": f"o{i}", "person_id": person, "merchant_id": None,
                   "ordered_at": at, "amount": 10.5 + i, "category": "books",
                   "status": "delivered", "hour": i % 24},
        "bills": {"bill_id": f"b{i}", "person_id": person, "biller_type": "phone",
                  "issued_at": day, "due_at": day + dt.timedelta(days=14), "amount": 30.0,
                  "paid_at": day + dt.timedelta(days=3)},
        "savings": {"person_id": person, "at": day, "balance": 100.0 + i},
        "transfers": {"transfer_id": f"t{i}", "from_person": person, "to_person": person,
                      "at": at, "amount": 5.0},
        "credit": {"account_id": f"a{i}", "person_id": person, "product": "bnpl",
                   "statement_at": day, "limit": 500.0, "balance": 120.0,
                   "days_past_due": 0, "status": "open"},
        "merchants": {"merchant_id": f"m{i}", "owner_person_id": person, "opened_at": day,
                      "category": "food"},
        "merchant_sales": {"merchant_id": "m0", "day": day, "gmv": 99.0, "orders": 3,
                           "refunds": 0, "rating": 4.5},
    }
    row = rows[source]
    row.update(override)
    return row


# name -> (change to a valid order, field, reason)
BREAKERS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str, str]] = {
    "negative": (lambda r: {**r, "amount": -1.0}, "amount", "negative value"),
    "unknown_person": (lambda r: {**r, "person_id": "nobody"}, "person_id", "unknown person"),
    "enum": (lambda r: {**r, "status": "lost"}, "status",
             "not one of delivered|returned|cancelled"),
    "type": (lambda r: {**r, "amount": "12,5"}, "amount", "not a valid number"),
    "empty": (lambda r: {**r, "category": ""}, "category", "required field is empty"),
    "future": (lambda r: {**r, "ordered_at": dt.datetime(2031, 1, 1)}, "ordered_at",
               "after the moment of loading (2025-01-01 00:00)"),
    "day_first": (lambda r: {**r, "ordered_at": "30/6/19 22:57:49"}, "ordered_at",
                  "not a valid timestamp"),
    "before_1900": (lambda r: {**r, "ordered_at": dt.datetime(1899, 6, 1)}, "ordered_at",
                    "before 1900: check the date format"),
    "hour": (lambda r: {**r, "hour": 24}, "hour", "above the maximum 23"),
    "fraction": (lambda r: {**r, "hour": "3.5"}, "hour", "not a valid whole number"),
}


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return str(v)


def write_rows(path: Path, source: str, rows: list[dict[str, Any]], fmt: str | None = None,
               *, delimiter: str = ",", header: bool = True) -> Path:
    """Write ``rows`` of ``source`` as CSV, Parquet (the schema's types) or JSON Lines."""
    fmt = fmt or path.suffix.lstrip(".")
    names = SOURCES[source].field_names
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema(source)), path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({k: (_text(v) if isinstance(v, dt.date) else v)
                                            for k, v in r.items()}) + "\n" for r in rows),
                        encoding="utf-8")
    else:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        if header:
            w.writerow(names)
        for r in rows:
            w.writerow([_text(r.get(n)) for n in names])
        path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@st.composite
def order_loads(draw: st.DrawFn) -> dict[str, Any]:
    """A CSV load of orders mixing valid rows, broken rows and exact repeats.

    Returns ``{"rows": [...], "valid": {order_id: row}, "broken": [(row number, field,
    reason)], "repeats": n}``; order ids are unique except for the exact repeats.
    """
    n = draw(st.integers(0, 25))
    kinds = draw(st.lists(st.sampled_from(["valid", *BREAKERS]), min_size=n, max_size=n))
    entries: list[tuple[dict[str, Any], tuple[str, str] | None]] = []
    valid: dict[str, dict[str, Any]] = {}
    for i, kind in enumerate(kinds):
        row = valid_row("orders", i, person=draw(st.sampled_from(PEOPLE)))
        if kind == "valid":
            valid[row["order_id"]] = row
            entries.append((row, None))
        else:
            change, field, reason = BREAKERS[kind]
            entries.append((change(row), (field, reason)))
    repeats = draw(st.lists(st.sampled_from(sorted(valid)), max_size=4)) if valid else []
    for order_id in repeats:
        entries.insert(draw(st.integers(0, len(entries))), (dict(valid[order_id]), None))
    broken = [(number, *problem) for number, (_row, problem) in enumerate(entries, 1)
              if problem is not None]
    return {"rows": [r for r, _ in entries], "valid": valid, "broken": broken,
            "repeats": len(repeats)}


_GOOD_CSV = (
    b"order_id,person_id,merchant_id,ordered_at,amount,category,status,hour\n"
    b"o1,p1,,2024-01-01 10:00:00,12.5,books,delivered,10\n"
    b"o2,p2,m1,2024-01-02 11:00:00,3,games,returned,11\n"
)


@st.composite
def damaged_csv(draw: st.DrawFn) -> bytes:
    """Bytes that a user might pass as orders CSV: random, truncated, BOM, wrong delimiter."""
    kind = draw(st.sampled_from(["random", "truncated", "bom", "semicolon", "empty",
                                 "garbled_line", "header_only", "mixed"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "truncated":
        return _GOOD_CSV[: draw(st.integers(0, len(_GOOD_CSV)))]
    if kind == "bom":
        return b"\xef\xbb\xbf" + _GOOD_CSV
    if kind == "semicolon":
        return _GOOD_CSV.replace(b",", b";")
    if kind == "empty":
        return b""
    if kind == "header_only":
        return _GOOD_CSV.split(b"\n")[0] + b"\n"
    if kind == "garbled_line":
        junk = draw(st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b))
        return _GOOD_CSV + junk + b"\n"
    lines = _GOOD_CSV.split(b"\n")
    extra = draw(st.lists(st.text(max_size=30).map(lambda s: s.encode("utf-8", "replace")),
                          max_size=4))
    return b"\n".join(lines[:1] + extra + lines[1:])


# (strptime layout, day first?) of the ways people write dates in exports
DATE_LAYOUTS: tuple[tuple[str, bool], ...] = (
    ("%d/%m/%Y", True), ("%m/%d/%Y", False), ("%d/%m/%y %H:%M:%S", True),
    ("%m/%d/%y %H:%M", False), ("%d.%m.%Y", True), ("%m-%d-%Y %H:%M:%S", False),
)


@st.composite
def dated_texts(draw: st.DrawFn) -> tuple[list[dt.datetime], str, list[str]]:
    """Moments, the layout they are written in, and the texts (one layout per file)."""
    layout, _ = draw(st.sampled_from(DATE_LAYOUTS))
    n = draw(st.integers(1, 8))
    moments = draw(st.lists(st.datetimes(min_value=dt.datetime(1990, 1, 1),
                                         max_value=dt.datetime(2024, 12, 31)),
                            min_size=n, max_size=n))
    if "%H" not in layout:
        moments = [dt.datetime.combine(m.date(), dt.time()) for m in moments]
    else:
        moments = [m.replace(second=m.second if "%S" in layout else 0, microsecond=0)
                   for m in moments]
    return moments, layout, [m.strftime(layout) for m in moments]

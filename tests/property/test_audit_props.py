"""Properties of the audit log against a checkpoint: honest growth passes, any rewrite fails.

Each example writes a small log to a real SQLite file, takes the root at a checkpoint size,
lets the log grow, then applies one attack and recomputes every hash (the database is
self-consistent again: plain verification passes) before checking against the checkpoint.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from benne.service import audit
from benne.service.db import make_engine, make_sessionmaker, session_scope
from tests.unit.service.tamper import FIELDS, Row, rewrite

BASE = datetime(2024, 7, 1, 12)


def _log(url: str, n: int) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        for i in range(n):
            with session_scope(sessions) as session:
                audit.append(session, at=BASE + timedelta(minutes=i), actor=f"partner:{i % 3}",
                             action="score.read", person_id=f"P{i % 4}", detail={"n": i})
    finally:
        engine.dispose()


def _check(url: str, size: int, root: bytes) -> tuple[audit.AuditReport, audit.AuditReport]:
    engine = make_engine(url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return audit.verify_log(session), audit.verify_against(session, size, root, BASE)
    finally:
        engine.dispose()


def _root(url: str, size: int) -> bytes:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return audit.root_at(con, size)
    finally:
        engine.dispose()


def _changed(row: Row, field: str) -> Row:
    value = row[field]
    if field == "at":
        new = value + timedelta(microseconds=1)
    elif value is None:
        new = "P9"
    else:
        new = value[:-1] + ("x" if value[-1:] != "x" else "y")
    return {**row, field: new}


@st.composite
def attacks(draw: st.DrawFn, size: int, total: int) -> tuple[str, object]:
    """An attack on a log of ``total`` entries checkpointed at ``size`` (both >= 1)."""
    kind = draw(st.sampled_from(["mutate", "truncate", "reorder", "delete", "insert",
                                 "backdated-append", "shuffle"]))
    if kind == "mutate":
        return kind, (draw(st.integers(0, size - 1)), draw(st.sampled_from(FIELDS)))
    if kind == "truncate":
        return kind, draw(st.integers(0, size - 1))
    if kind == "reorder":
        i = draw(st.integers(0, size - 1))
        return kind, (i, draw(st.integers(0, total - 1).filter(lambda j: j != i)))
    if kind in ("delete", "insert"):
        return kind, draw(st.integers(0, size - 1))
    if kind == "backdated-append":
        return kind, draw(st.integers(1, 86_400))
    order = draw(st.permutations(range(size)).filter(lambda p: list(p) != list(range(size))))
    return kind, order


def _apply(kind: str, arg: object, size: int):  # type: ignore[no-untyped-def]
    def change(rows: list[Row]) -> list[Row]:
        if kind == "mutate":
            i, field = arg  # type: ignore[misc]
            rows[i] = _changed(rows[i], field)
        elif kind == "truncate":
            rows = rows[:arg]  # type: ignore[misc]
        elif kind == "reorder":
            i, j = arg  # type: ignore[misc]
            rows[i], rows[j] = rows[j], rows[i]
        elif kind == "delete":
            del rows[arg]  # type: ignore[arg-type]
        elif kind == "insert":
            rows.insert(arg, {**rows[arg], "actor": "partner:forged"})  # type: ignore[arg-type]
        elif kind == "backdated-append":
            last = rows[size - 1]["at"]
            rows.append({**rows[0], "actor": "partner:forged",
                         "at": last - audit.CLOCK_SLACK - timedelta(seconds=arg)})  # type: ignore[arg-type]
        else:
            rows = [rows[k] for k in arg] + rows[size:]  # type: ignore[union-attr]
        return rows

    return change


@settings(derandomize=True, max_examples=40)
@given(st.integers(1, 12), st.integers(0, 5), st.data())
def test_any_rewrite_before_the_checkpoint_is_found(size: int, more: int,
                                                    data: st.DataObject) -> None:
    total = size + more
    kind, arg = data.draw(attacks(size, total))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'log.sqlite'}"
        _log(url, size)
        root = _root(url, size)
        _log_more(url, size, more)
        rewrite(url, _apply(kind, arg, size))
        plain, against = _check(url, size, root)
    assert plain.ok  # the attacker made the database consistent again
    assert not against.ok, (kind, arg)
    assert against.reason


def _log_more(url: str, start: int, more: int) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        for i in range(start, start + more):
            with session_scope(sessions) as session:
                audit.append(session, at=BASE + timedelta(minutes=i), actor="batch",
                             action="consent.grant", person_id=f"P{i}", detail={"n": i})
    finally:
        engine.dispose()


@settings(derandomize=True, max_examples=20)
@given(st.integers(0, 12), st.integers(0, 12))
def test_honest_growth_extends_every_earlier_checkpoint(size: int, more: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'log.sqlite'}"
        _log(url, size)
        root = _root(url, size)
        _log_more(url, size, more)
        plain, against = _check(url, size, root)
    assert plain.ok and against.ok and against.count == size + more

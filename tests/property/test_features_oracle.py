"""Features equal a naive Python oracle of the same semantics, on generated event streams.

The oracle (:class:`Oracle`) loops over plain rows and shares no code with the engines: only
the documented rules (an event counts when strictly before the observation: a timestamp before
its moment, a date before its date; windows ``[as_of - start, as_of - end)`` likewise; missing
when never observed, the value of each aggregation on an empty window, disputed records left
out) and each feature's meaning. Observations are dates (midnight) or timestamps, several per
person and day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benne.features import FEATURES, compute_features
from benne.ingest.custom import declare_custom_sources
from benne.sources.custom import CustomSource
from benne.store import open_store
from tests.property.strategies_features import (
    AS_OF,
    PEOPLE,
    days,
    moments,
    record_id,
    worlds,
    write_store,
)

Row = dict[str, Any]


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _day(at: dt.date | dt.datetime) -> dt.date:
    """The date of an observation (a date is its own)."""
    return at.date() if isinstance(at, dt.datetime) else at


def _lt(t: dt.date | dt.datetime, at: dt.date | dt.datetime) -> bool:
    """Strictly before the observation ``at``: a timestamp against its moment, a date (known at
    the end of its day) against its date."""
    if isinstance(t, dt.datetime):
        return t < (at if isinstance(at, dt.datetime) else _ts(at))
    return t < _day(at)


def _in(t: dt.date | dt.datetime, at: dt.date | dt.datetime, start: int, end: int = 0) -> bool:
    if isinstance(t, dt.datetime):
        moment = at if isinstance(at, dt.datetime) else _ts(at)
        return moment - dt.timedelta(days=start) <= t < moment - dt.timedelta(days=end)
    day = _day(at)
    return day - dt.timedelta(days=start) <= t < day - dt.timedelta(days=end)


def _date(t: dt.date | dt.datetime) -> dt.date:
    return t.date() if isinstance(t, dt.datetime) else t


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def _share(rows: list[Row], hit: Callable[[Row], bool]) -> float | None:
    return _ratio(sum(1 for r in rows if hit(r)), len(rows)) if rows else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _max(values: Iterable[float]) -> float | None:
    vals = list(values)
    return max(vals) if vals else None


class Oracle:
    """Features of one world; ``row(person, as_of)`` gives one output row as a dict."""

    def __init__(self, world: dict[str, Any]) -> None:
        gone = {tuple(x) for x in world["excluded"]}
        self.t: dict[str, list[Row]] = {
            name: [r for r in rows if (name, record_id(name, r)) not in gone]
            for name, rows in world["tables"].items()
        }
        self.scores = world["scores"]

    def _mine(self, source: str, person: str, as_of: dt.date, field: str,
              owner: str = "person_id") -> list[Row]:
        return [r for r in self.t[source] if r[owner] == person and _lt(r[field], as_of)]

    def row(self, p: str, a: dt.date) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        out.update(self._credit(p, a))
        out.update(self._orders(p, a))
        out.update(self._bills(p, a))
        out.update(self._savings(p, a, out["orders__spend_365d"]))
        out.update(self._shops(p, a))
        out.update(self._identity(p, a))
        out.update(self._transfers(p, a))
        return out

    def _credit(self, p: str, a: dt.date) -> dict[str, float | None]:
        c = self._mine("credit", p, a, "statement_at")
        names = ["months_on_file", "accounts_365d", "worst_dpd_365d", "worst_dpd_90d",
                 "late_statements_365d", "utilisation_90d", "max_utilisation_365d",
                 "charged_off_ever", "days_since_delinquency", "balance_trend_90d"]
        if not c:
            return {f"credit__{n}": None for n in names}
        y = [r for r in c if _in(r["statement_at"], a, 365)]
        q = [r for r in c if _in(r["statement_at"], a, 90)]
        prior = [r for r in c if _in(r["statement_at"], a, 180, 90)]
        late = [r["statement_at"] for r in c if r["days_past_due"] >= 30]
        return {
            "credit__months_on_file": len({(r["statement_at"].year, r["statement_at"].month)
                                           for r in c}),
            "credit__accounts_365d": len({r["account_id"] for r in y}),
            "credit__worst_dpd_365d": _max(r["days_past_due"] for r in y),
            "credit__worst_dpd_90d": _max(r["days_past_due"] for r in q),
            "credit__late_statements_365d": sum(1 for r in y if r["days_past_due"] >= 30),
            "credit__utilisation_90d": _ratio(sum(r["balance"] for r in q),
                                              sum(r["limit"] for r in q)),
            "credit__max_utilisation_365d": _max(r["balance"] / r["limit"] for r in y
                                                 if r["limit"] != 0),
            "credit__charged_off_ever": float(any(r["status"] == "charged_off" for r in c)),
            "credit__days_since_delinquency": (_day(a) - max(late)).days if late else None,
            "credit__balance_trend_90d": _ratio(sum(r["balance"] for r in q),
                                                sum(r["balance"] for r in prior)),
        }

    def _orders(self, p: str, a: dt.date) -> dict[str, float | None]:
        o = self._mine("orders", p, a, "ordered_at")
        names = ["count_90d", "count_365d", "active_months_365d", "return_rate_365d",
                 "cancel_rate_365d", "night_share_365d", "categories_365d",
                 "luxury_lottery_share_365d", "mean_amount_365d", "days_since_last",
                 "spend_90d", "spend_365d", "spend_trend_90d"]
        if not o:
            return {f"orders__{n}": None for n in names}
        y = [r for r in o if _in(r["ordered_at"], a, 365)]
        q = [r for r in o if _in(r["ordered_at"], a, 90)]
        prior = [r for r in o if _in(r["ordered_at"], a, 180, 90)]

        def spend(rows: list[Row]) -> float:
            return sum(r["amount"] for r in rows if r["status"] != "cancelled")

        return {
            "orders__count_90d": len(q),
            "orders__count_365d": len(y),
            "orders__active_months_365d": len({(r["ordered_at"].year, r["ordered_at"].month)
                                               for r in y}),
            "orders__return_rate_365d": _share(y, lambda r: r["status"] == "returned"),
            "orders__cancel_rate_365d": _share(y, lambda r: r["status"] == "cancelled"),
            "orders__night_share_365d": _share(y, lambda r: r["hour"] < 5),
            "orders__categories_365d": len({r["category"] for r in y}),
            "orders__luxury_lottery_share_365d": _share(
                y, lambda r: r["category"] in ("luxury", "lottery")),
            "orders__mean_amount_365d": _mean([r["amount"] for r in y]),
            "orders__days_since_last": (_day(a) - max(_date(r["ordered_at"]) for r in o)).days,
            "orders__spend_90d": spend(q),
            "orders__spend_365d": spend(y),
            "orders__spend_trend_90d": _ratio(spend(q), spend(prior)),
        }

    def _bills(self, p: str, a: dt.date) -> dict[str, float | None]:
        b = self._mine("bills", p, a, "due_at")
        names = ["on_time_share_365d", "on_time_share_90d", "rent_on_time_share_365d",
                 "unpaid_365d", "mean_days_late_365d", "max_days_late_365d", "count_365d",
                 "amount_365d"]
        if not b:
            return {f"bills__{n}": None for n in names}

        def known(r: Row) -> bool:  # a payment on or after as_of is not known at as_of
            return r["paid_at"] is not None and r["paid_at"] < _day(a)

        def on_time(r: Row) -> bool:
            return known(r) and r["paid_at"] <= r["due_at"]

        y = [r for r in b if _in(r["due_at"], a, 365)]
        q = [r for r in b if _in(r["due_at"], a, 90)]
        late = [max((r["paid_at"] - r["due_at"]).days, 0) for r in y if known(r)]
        return {
            "bills__on_time_share_365d": _share(y, on_time),
            "bills__on_time_share_90d": _share(q, on_time),
            "bills__rent_on_time_share_365d": _share(
                [r for r in y if r["biller_type"] == "rent"], on_time),
            "bills__unpaid_365d": sum(1 for r in y if not known(r)),
            "bills__mean_days_late_365d": _mean(late),
            "bills__max_days_late_365d": _max(late),
            "bills__count_365d": len(y),
            "bills__amount_365d": sum(r["amount"] for r in y),
        }

    def _savings(self, p: str, a: dt.date, spend: float | None) -> dict[str, float | None]:
        s = self._mine("savings", p, a, "at")
        names = ["latest_balance_365d", "mean_balance_365d", "balance_trend_90d",
                 "snapshots_365d", "months_of_spend_365d"]
        if not s:
            return {f"savings__{n}": None for n in names}
        y = [r for r in s if _in(r["at"], a, 365)]
        q = [r["balance"] for r in s if _in(r["at"], a, 90)]
        prior = [r["balance"] for r in s if _in(r["at"], a, 180, 90)]
        latest = max(y, key=lambda r: r["at"])["balance"] if y else None
        return {
            "savings__latest_balance_365d": latest,
            "savings__mean_balance_365d": _mean([r["balance"] for r in y]),
            "savings__balance_trend_90d": _ratio(_mean(q), _mean(prior)),
            "savings__snapshots_365d": len(y),
            "savings__months_of_spend_365d": _ratio(latest, None if spend is None
                                                    else spend / 12.0),
        }

    def _shops(self, p: str, a: dt.date) -> dict[str, float | None]:
        shops = {m["merchant_id"]: m for m in self.t["merchants"] if m["owner_person_id"] == p}
        opened = [m["opened_at"] for m in shops.values() if _lt(m["opened_at"], a)]
        out: dict[str, float | None] = {
            "merchants__shop_age_days": (_day(a) - min(opened)).days if opened else None}
        sales = [s for s in self.t["merchant_sales"]
                 if s["merchant_id"] in shops and _lt(s["day"], a)]
        names = ["gmv_90d", "gmv_trend_90d", "refund_rate_365d", "mean_rating_365d"]
        if not sales:
            return out | {f"merchant_sales__{n}": None for n in names}
        y = [s for s in sales if _in(s["day"], a, 365)]
        q = [s["gmv"] for s in sales if _in(s["day"], a, 90)]
        prior = [s["gmv"] for s in sales if _in(s["day"], a, 180, 90)]
        return out | {
            "merchant_sales__gmv_90d": sum(q),
            "merchant_sales__gmv_trend_90d": _ratio(sum(q), sum(prior)),
            "merchant_sales__refund_rate_365d": _ratio(sum(s["refunds"] for s in y),
                                                       sum(s["orders"] for s in y)),
            "merchant_sales__mean_rating_365d": _mean([s["rating"] for s in y
                                                       if s["rating"] is not None]),
        }

    def _identity(self, p: str, a: dt.date) -> dict[str, float | None]:
        ids = self._mine("identity", p, a, "registered_at")
        out: dict[str, float | None] = {
            "identity__device_ios": None, "identity__real_name_verified": None,
            "identity__account_age_days": None, "identity__phone_tenure_days": None,
        }
        if ids:
            i = ids[0]
            since = i["phone_number_since"]
            out = {
                "identity__device_ios": None if i["device_os"] is None
                else float(i["device_os"] == "ios"),
                "identity__real_name_verified": float(i["real_name_verified"]),
                "identity__account_age_days": (_day(a) - i["registered_at"].date()).days,
                "identity__phone_tenure_days": (_day(a) - since).days
                if since is not None and since < _day(a) else None,
            }
        moves = [r["moved_in_at"] for r in self._mine("addresses", p, a, "moved_in_at")]
        out["addresses__moves_1095d"] = sum(1 for m in moves if _in(m, a, 1095)) if moves else None
        out["addresses__days_at_current"] = (_day(a) - max(moves)).days if moves else None
        out["addresses__moves_180d"] = sum(1 for m in moves if _in(m, a, 180)) if moves else None
        return out

    def _prior_score(self, person: str, a: dt.date) -> float | None:
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for s in self.scores:
            if s["person_id"] == person and s["as_of"] < _day(a):
                by_day[s["as_of"]].append(s["score"])
        if not by_day:
            return None
        return _mean(by_day[max(by_day)])  # type: ignore[arg-type]

    def _credit_record(self, person: str, a: dt.date) -> tuple[bool | None, float | None]:
        """(ever 30+ days past due, worst dpd of the year) from statements before ``a``;
        (None, None) without any."""
        c = self._mine("credit", person, a, "statement_at")
        if not c:
            return None, None
        return (any(r["days_past_due"] >= 30 for r in c),
                _max(r["days_past_due"] for r in c if _in(r["statement_at"], a, 365)))

    def _transfers(self, p: str, a: dt.date) -> dict[str, float | None]:
        edges = []  # (at, counterparty, amount, outgoing)
        for t in self.t["transfers"]:
            if t["from_person"] == t["to_person"] or not _lt(t["at"], a):
                continue
            if t["from_person"] == p:
                edges.append((t["at"], t["to_person"], t["amount"], True))
            if t["to_person"] == p:
                edges.append((t["at"], t["from_person"], t["amount"], False))
        names = ["counterparties_365d", "count_365d", "in_out_ratio_365d", "reciprocity_365d",
                 "in_count_90d", "in_months_365d", "in_amount_365d", "large_in_count_365d",
                 "large_in_share_365d", "counterparty_delinquent_share_365d",
                 "counterparty_worst_dpd_mean_365d",
                 "counterparty_prior_score_mean_365d", "counterparty_prior_score_min_365d"]
        if not edges:
            return {f"transfers__{n}": None for n in names}
        y = [e for e in edges if _in(e[0], a, 365)]
        received = [e for e in y if not e[3]]
        large = [e for e in received if e[2] >= 100]
        ways: dict[str, set[bool]] = defaultdict(set)
        for _, cp, _, outgoing in y:
            ways[cp].add(outgoing)
        priors = [s for s in (self._prior_score(cp, a) for cp in ways) if s is not None]
        records = [self._credit_record(cp, a) for cp in ways]
        delinquent = [d for d, _ in records if d is not None]
        return {
            "transfers__counterparties_365d": len(ways),
            "transfers__count_365d": len(y),
            "transfers__in_out_ratio_365d": _ratio(sum(e[2] for e in received),
                                                   sum(e[2] for e in y if e[3])),
            "transfers__reciprocity_365d": _ratio(sum(1 for w in ways.values() if len(w) == 2),
                                                  len(ways)),
            "transfers__in_count_90d": sum(1 for e in edges if not e[3] and _in(e[0], a, 90)),
            "transfers__in_months_365d": len({(e[0].year, e[0].month) for e in received}),
            "transfers__in_amount_365d": sum(e[2] for e in received),
            "transfers__large_in_count_365d": len(large),
            "transfers__large_in_share_365d": _ratio(len(large), len(received)),
            "transfers__counterparty_delinquent_share_365d": _ratio(sum(delinquent),
                                                                    len(delinquent)),
            "transfers__counterparty_worst_dpd_mean_365d": _mean(
                [w for _, w in records if w is not None]),
            "transfers__counterparty_prior_score_mean_365d": _mean(priors),
            "transfers__counterparty_prior_score_min_365d": min(priors) if priors else None,
        }


NAMES = [f.name for f in FEATURES]


def expected_rows(world: dict[str, Any], pairs: list[tuple[str, dt.date]]) -> list[dict[str, Any]]:
    """The oracle's features table for ``pairs``, sorted like the engines' output."""
    oracle = Oracle(world)
    return [{"person_id": p, "as_of": a, **oracle.row(p, a)} for p, a in sorted(pairs)]


def registered_before(world: dict[str, Any], as_of: dt.date) -> list[tuple[str, dt.date]]:
    return [(r["person_id"], as_of) for r in world["tables"]["identity"]
            if r["registered_at"] < dt.datetime.combine(as_of, dt.time())]


def assert_matches(table: pa.Table, expected: list[dict[str, Any]]) -> None:
    """Same rows, same keys, every feature equal (missing == missing) to 1e-9 relative."""
    assert table.column_names == ["person_id", "as_of", *NAMES]
    got = table.to_pylist()
    assert [(r["person_id"], r["as_of"]) for r in got] == [
        (r["person_id"], r["as_of"]) for r in expected]
    for g, e in zip(got, expected, strict=True):
        for name in NAMES:
            gv, ev = g[name], e[name]
            where = f"{g['person_id']} {g['as_of']} {name}: engine {gv!r}, oracle {ev!r}"
            if ev is None:
                assert gv is None, where
            else:
                assert gv is not None, where
                assert abs(gv - ev) <= 1e-9 * max(1.0, abs(ev)), where


@settings(max_examples=25)
@given(world=worlds())
def test_one_as_of_date_matches_oracle(tmp_path_factory: Any, world: dict[str, Any]) -> None:
    store = write_store(tmp_path_factory.mktemp("w") / "s.duckdb", world)
    table = compute_features(store, AS_OF)
    assert_matches(table, expected_rows(world, registered_before(world, AS_OF)))


@settings(max_examples=25)
@given(world=worlds(), pairs=st.lists(st.tuples(st.sampled_from(PEOPLE), days), min_size=1,
                                      max_size=6))
def test_per_person_dates_match_oracle(tmp_path_factory: Any, world: dict[str, Any],
                                       pairs: list[tuple[str, dt.date]]) -> None:
    store = write_store(tmp_path_factory.mktemp("w") / "s.duckdb", world)
    frame = pd.DataFrame(pairs, columns=["person_id", "as_of"])
    table = compute_features(store, frame)
    assert_matches(table, expected_rows(world, sorted(set(pairs))))


@settings(max_examples=5)
@given(world=worlds())
def test_people_narrow_the_spine(tmp_path_factory: Any, world: dict[str, Any]) -> None:
    store = write_store(tmp_path_factory.mktemp("w") / "s.duckdb", world)
    table = compute_features(store, AS_OF, people=["p2", "p1", "p2"])
    assert table.column("person_id").to_pylist() == ["p1", "p2"]
    assert_matches(table, expected_rows(world, [("p1", AS_OF), ("p2", AS_OF)]))


def expected_observations(world: dict[str, Any], observations: list[tuple[str, dt.datetime]]
                          ) -> list[dict[str, Any]]:
    """The oracle's row for each observation, in the given order."""
    oracle = Oracle(world)
    return [{"person_id": p, "observed_at": at, "as_of": at.date(), **oracle.row(p, at)}
            for p, at in observations]


def assert_observations_match(table: pa.Table, expected: list[dict[str, Any]],
                              decisions: list[str]) -> None:
    assert table.column_names == ["person_id", "observed_at", "decision_id", "as_of", *NAMES]
    got = table.to_pylist()
    assert [(r["person_id"], r["observed_at"], r["decision_id"], r["as_of"]) for r in got] == [
        (e["person_id"], e["observed_at"], d, e["as_of"])
        for e, d in zip(expected, decisions, strict=True)]
    for g, e in zip(got, expected, strict=True):
        for name in NAMES:
            gv, ev = g[name], e[name]
            where = f"{g['decision_id']} {g['observed_at']} {name}: engine {gv!r}, oracle {ev!r}"
            if ev is None:
                assert gv is None, where
            else:
                assert gv is not None, where
                assert abs(gv - ev) <= 1e-9 * max(1.0, abs(ev)), where


def observation_frame(observations: list[tuple[str, dt.datetime]]) -> pd.DataFrame:
    return pd.DataFrame({"person_id": [p for p, _ in observations],
                         "observed_at": [at for _, at in observations],
                         "decision_id": [f"d{i}" for i in range(len(observations))]})


@settings(max_examples=25)
@given(world=worlds(), observations=st.lists(st.tuples(st.sampled_from(PEOPLE), moments),
                                             min_size=1, max_size=6))
def test_observations_at_timestamps_match_oracle(tmp_path_factory: Any, world: dict[str, Any],
                                                 observations: list[tuple[str, dt.datetime]]
                                                 ) -> None:
    store = write_store(tmp_path_factory.mktemp("w") / "s.duckdb", world)
    frame = observation_frame(observations)
    table = compute_features(store, frame)
    assert_observations_match(table, expected_observations(world, observations),
                              list(frame["decision_id"]))


# ── a custom source: its standard family against the oracle ─────────────────────────────────


TOPUPS = CustomSource(name="topups", dimension="fulfilment", time="at", id="topup_id",
                      amount="amount", categories=("network",), category_floor=0.01)
_CUSTOM = ["topups__count_90d", "topups__count", "topups__days_since_last",
           "topups__amount_sum_365d", "topups__amount_latest", "topups__count_trend_90d",
           "topups__network_mtn_share_365d"]


@st.composite
def topups(draw: st.DrawFn) -> list[Row]:
    moments = days.map(lambda d: dt.datetime.combine(d, dt.time(draw(st.integers(0, 23)))))
    return [{"topup_id": f"u{i}", "person_id": draw(st.sampled_from(PEOPLE)),
             "at": draw(moments), "amount": float(draw(st.integers(1, 500))),
             "network": draw(st.sampled_from(["mtn", "glo", None]))}
            for i in range(draw(st.integers(0, 12)))] + [
        # long after every as-of date: counts for no one, but "mtn" is in the store
        {"topup_id": "later", "person_id": "p1", "at": dt.datetime(2030, 1, 1),
         "amount": 1.0, "network": "mtn"}]


def _custom_oracle(rows: list[Row], p: str, a: dt.date) -> dict[str, float | None]:
    mine = [r for r in rows if r["person_id"] == p and _lt(r["at"], a)]
    if not mine:
        return dict.fromkeys(_CUSTOM)
    w90 = [r for r in mine if _in(r["at"], a, 90)]
    prior = [r for r in mine if _in(r["at"], a, 180, 90)]
    year = [r for r in mine if _in(r["at"], a, 365)]
    latest = max(mine, key=lambda r: r["at"])
    return {
        "topups__count_90d": len(w90), "topups__count": len(mine),
        "topups__days_since_last": (a - _date(latest["at"])).days,
        "topups__amount_sum_365d": sum(r["amount"] for r in year),
        "topups__amount_latest": latest["amount"],
        "topups__count_trend_90d": _ratio(len(w90), len(prior)),
        "topups__network_mtn_share_365d": _share(year, lambda r: r["network"] == "mtn"),
    }


def _write_topups(store: Any, rows: list[Row]) -> None:
    con = open_store(store)
    try:
        declare_custom_sources(con, [TOPUPS])
        for r in rows:
            con.execute('INSERT INTO topups (person_id, topup_id, "at", amount, network, '
                        "_version, _loaded_at, _ingest_id) VALUES (?, ?, ?, ?, ?, 1, "
                        "TIMESTAMP '2024-01-01', 0)",
                        [r["person_id"], r["topup_id"], r["at"], r["amount"], r["network"]])
    finally:
        con.close()


@settings(max_examples=15)
@given(world=worlds(), rows=topups(),
       pairs=st.lists(st.tuples(st.sampled_from(PEOPLE), days), min_size=1, max_size=5))
def test_custom_source_family_matches_oracle(tmp_path_factory: Any, world: dict[str, Any],
                                             rows: list[Row],
                                             pairs: list[tuple[str, dt.date]]) -> None:
    store = write_store(tmp_path_factory.mktemp("w") / "s.duckdb", world)
    _write_topups(store, rows)
    for got_table, want in (
        (compute_features(store, AS_OF, features=_CUSTOM),
         registered_before(world, AS_OF)),
        (compute_features(store, pd.DataFrame(pairs, columns=["person_id", "as_of"]),
                          features=_CUSTOM), sorted(set(pairs))),
    ):
        got = got_table.to_pylist()
        assert [(r["person_id"], r["as_of"]) for r in got] == want
        for g in got:
            e = _custom_oracle(rows, g["person_id"], g["as_of"])
            for name in _CUSTOM:
                where = (f"{g['person_id']} {g['as_of']} {name}: engine {g[name]!r}, "
                         f"oracle {e[name]!r}")
                if e[name] is None:
                    assert g[name] is None, where
                else:
                    assert g[name] == pytest.approx(e[name], rel=1e-9), where

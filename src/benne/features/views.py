"""Views: each source seen as a per-person stream of events with one event time ``t``.

A view is the only place that knows how a source's columns map to "this person, at this moment":
bills are windowed on ``due_at``, orders on ``ordered_at``, a transfer is an event for both the
payer and the payee, a shop's trading day belongs to the shop's owner. Features then speak only
of views (``orders``, ``transfers``), so the as-of semantics are written once for all of them.

Views belong to an entity kind (:data:`benne.features.spine.ENTITY_KINDS`). A shop's views
(``shop``, ``shop_sales``, ``shop_owner_credit``, ``shop_owner_scores``) are streams of the shop,
not of a person: their key column is still called ``person_id`` (the as-of semantics are
written once, over one key column) but holds the ``merchant_id``; the owner's credit record and
earlier benne scores are events of each of the owner's shops. One feature computation reads
the views of one kind only.

``counterparties`` is the one view that depends on the as-of date itself (which counterparties
a person had in the year before as-of, their credit record before as-of and their latest
earlier score); it is built in :mod:`benne.features.asof`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from benne.sources.custom import CustomSource

__all__ = ["COUNTERPARTY_WINDOW_DAYS", "VIEWS", "View", "custom_view"]

# The counterparties view looks back one year; its features are named ``..._365d``.
COUNTERPARTY_WINDOW_DAYS = 365


@dataclass(frozen=True)
class View:
    """A per-person event stream: rows with ``person_id``, event time ``t`` and value columns."""

    name: str
    sources: tuple[str, ...]
    description: str
    build: Callable[[Mapping[str, ir.Table]], ir.Table] | None
    entity: str = "person"


def _identity(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["identity"]
    return t.select(
        person_id=t.person_id,
        t=t.registered_at,
        real_name_verified=t.real_name_verified,
        phone_number_since=t.phone_number_since,
        device_os=t.device_os,
    )


def _addresses(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["addresses"]
    return t.select(person_id=t.person_id, t=t.moved_in_at)


def _orders(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["orders"]
    return t.select(
        person_id=t.person_id, t=t.ordered_at, amount=t.amount, category=t.category,
        status=t.status, hour=t.hour,
    )


def _bills(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["bills"]
    return t.select(
        person_id=t.person_id, t=t.due_at, due_at=t.due_at, paid_at=t.paid_at, amount=t.amount,
        biller_type=t.biller_type,
    )


def _savings(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["savings"]
    return t.select(person_id=t.person_id, t=t.at, balance=t.balance)


def _credit(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["credit"]
    return t.select(
        person_id=t.person_id, t=t.statement_at, account_id=t.account_id, product=t.product,
        credit_limit=t["limit"], balance=t.balance, days_past_due=t.days_past_due, status=t.status,
    )


def _transfers(tb: Mapping[str, ir.Table]) -> ir.Table:
    """Each transfer twice: as sent by the payer and as received by the payee.

    Transfers to oneself say nothing about relationships and are left out.
    """
    t = tb["transfers"]
    t = t.filter(t.from_person != t.to_person)
    out = t.select(person_id=t.from_person, t=t.at, counterparty=t.to_person, amount=t.amount,
                   outgoing=ibis.literal(True))
    inc = t.select(person_id=t.to_person, t=t.at, counterparty=t.from_person, amount=t.amount,
                   outgoing=ibis.literal(False))
    return out.union(inc, distinct=False)


def _merchants(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["merchants"]
    return t.select(person_id=t.owner_person_id, t=t.opened_at, merchant_id=t.merchant_id)


def _merchant_sales(tb: Mapping[str, ir.Table]) -> ir.Table:
    """A shop's trading days, attributed to the shop's owner (missing for non-owners)."""
    m, s = tb["merchants"], tb["merchant_sales"]
    j = s.join(m, s.merchant_id == m.merchant_id)
    return j.select(
        person_id=m.owner_person_id, t=s.day, gmv=s.gmv, orders=s.orders, refunds=s.refunds,
        rating=s.rating,
    )


def _shop(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["merchants"]
    return t.select(person_id=t.merchant_id, t=t.opened_at, category=t.category)


def _shop_sales(tb: Mapping[str, ir.Table]) -> ir.Table:
    t = tb["merchant_sales"]
    return t.select(person_id=t.merchant_id, t=t.day, gmv=t.gmv, orders=t.orders,
                    refunds=t.refunds, rating=t.rating)


def _owners(tb: Mapping[str, ir.Table]) -> ir.Table:
    m = tb["merchants"]
    return m.select(_m=m.merchant_id, _owner=m.owner_person_id).distinct()


def _shop_owner_credit(tb: Mapping[str, ir.Table]) -> ir.Table:
    """The owner's credit statements (every product, merchant loans included), per shop."""
    c, m = tb["credit"], _owners(tb)
    j = c.join(m, c.person_id == m._owner)
    return j.select(person_id=j._m, t=j.statement_at, product=j.product,
                    days_past_due=j.days_past_due, status=j.status)


def _shop_owner_scores(tb: Mapping[str, ir.Table]) -> ir.Table:
    """The owner's benne scores of earlier runs, one per run date (the mean when several
    models scored that day), per shop; a run's date is its ``as_of``, so only runs dated
    before the observation count, never the current one."""
    from benne.features.asof import SCORES

    h, m = tb[SCORES], _owners(tb)
    daily = h.group_by([h.person_id.name("_p"), h.as_of.name("_run")]).aggregate(
        score=h.score.cast("float64").mean())
    j = daily.join(m, daily._p == m._owner)
    return j.select(person_id=j._m, t=j._run, score=j.score)


VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View("identity", ("identity",), "the person's registration record", _identity),
        View("addresses", ("addresses",), "residence periods, on moved_in_at", _addresses),
        View("orders", ("orders",), "e-commerce orders, on ordered_at", _orders),
        View("bills", ("bills",), "bills, on due_at", _bills),
        View("savings", ("savings",), "money-market balance snapshots, on at", _savings),
        View("credit", ("credit",), "credit statements, on statement_at", _credit),
        View("transfers", ("transfers",), "transfers sent and received, on at", _transfers),
        View("merchants", ("merchants",), "shops the person owns, on opened_at", _merchants),
        View("merchant_sales", ("merchants", "merchant_sales"),
             "trading days of the person's shops, on day", _merchant_sales),
        View("counterparties", ("transfers",),
             "people transacted with in the last 365 days, with their credit record and "
             "latest score before as_of",
             None),
        View("shop", ("merchants",), "the shop's record, on opened_at", _shop, "merchant"),
        View("shop_sales", ("merchant_sales",), "the shop's trading days, on day",
             _shop_sales, "merchant"),
        View("shop_owner_credit", ("merchants", "credit"),
             "the shop owner's credit statements, on statement_at", _shop_owner_credit,
             "merchant"),
        View("shop_owner_scores", ("merchants",),
             "the shop owner's benne scores of earlier runs, on the run's as_of",
             _shop_owner_scores, "merchant"),
    )
}


def custom_view(cs: CustomSource) -> View:
    """The view of a custom source: its person, its time as ``t``, amount, categories, numbers."""

    def build(tb: Mapping[str, ir.Table]) -> ir.Table:
        t = tb[cs.name]
        cols = {"person_id": t.person_id, "t": t[cs.time]}
        if cs.amount:
            cols["amount"] = t[cs.amount]
        cols.update({c: t[c] for c in (*cs.categories, *cs.numbers)})
        return t.select(**cols)

    return View(cs.name, (cs.name,), cs.description or f"custom source {cs.name}, on {cs.time}",
                build)

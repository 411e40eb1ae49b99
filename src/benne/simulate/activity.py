"""Everyday footprint: orders, bills, savings and transfers, each derived from the traits.

Counts are Poisson around person-level lognormal rates (heavy tails: a few people place most
orders); amounts are lognormal. Nothing here reads creditworthiness: the footprint carries
signal only through the traits creditworthiness leans on (conscientiousness, income,
stability), through shocks, and through the community (homophily).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benne.simulate.arrow import categories, dates, fixed_ids, table, timestamps
from benne.simulate.params import Calendar, Params
from benne.simulate.population import People, person_digits, person_ids, sigmoid
from benne.sources import BILLER_TYPES, ORDER_CATEGORIES

__all__ = ["bills_table", "orders_table", "savings_table", "transfers_table"]

# Base share (log) and median amount of each order category, in ORDER_CATEGORIES order.
_CAT_BASE = np.log([0.30, 0.10, 0.17, 0.12, 0.09, 0.06, 0.04, 0.06, 0.02, 0.04])
_CAT_AMOUNT = np.log([28.0, 180.0, 45.0, 60.0, 25.0, 15.0, 220.0, 20.0, 420.0, 10.0])
_CAT_RETURN = np.array([-1.5, 0.3, 0.9, 0.0, 0.0, -0.8, -0.5, -0.6, 0.5, -3.0])
# Hour of day weights: quiet nights, a lunch bump and an evening peak.
_HOURS = np.array([3, 2, 1.2, 0.8, 0.6, 0.8, 1.5, 3, 4, 5, 5.5, 6, 7, 6, 5.5, 5.5, 6, 6.5,
                   7.5, 8.5, 9.5, 10, 8, 5], dtype=float)
_BILL_AMOUNT = np.log([30.0, 65.0, 40.0, 650.0])


def _active_start(people: People, cal: Calendar) -> np.ndarray:
    return np.maximum(people.registered_day, cal.start_day)


def _counts(rate_per_day: np.ndarray, people: People, cal: Calendar,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Events per person over the days since they are active, and those days."""
    begin = _active_start(people, cal)
    span = cal.end_day - begin
    return rng.poisson(rate_per_day * span), span


def _within_person_seq(counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, … within each person's block of rows."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _hours(night_share: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    night = _HOURS[:6] / _HOURS[:6].sum()
    day = _HOURS[6:] / _HOURS[6:].sum()
    n = len(night_share)
    is_night = rng.random(n) < night_share
    h_night = np.searchsorted(np.cumsum(night), rng.random(n) * 0.999999)
    h_day = 6 + np.searchsorted(np.cumsum(day), rng.random(n) * 0.999999)
    return np.where(is_night, h_night, h_day)


def orders_table(people: People, cal: Calendar, width: int, merchants: np.ndarray,
                 p: Params, rng: np.random.Generator) -> pa.Table:
    """Orders; ``merchants`` holds the merchant numbers of the chunk's shops."""
    n = people.n
    c, d, inc, az = people.conscientiousness, people.digital, people.income, people.age_z
    covered = rng.random(n) < sigmoid(p.orders_coverage + 0.9 * d)
    rate = (p.orders_per_month / 30.4) * np.exp(0.6 * d + 0.25 * inc
                                               + rng.normal(-0.32, 0.8, n)) * covered
    counts, span = _counts(rate, people, cal, rng)
    # Category mix: careless spenders buy luxury on impulse; lottery tickets follow low
    # conscientiousness and low income; games follow the young and the online.
    logits = np.tile(_CAT_BASE, (n, 1))
    logits[:, 0] += 0.3 * az
    logits[:, 1] += 0.3 * d
    logits[:, 7] += 0.5 * d - 0.3 * az
    logits[:, 8] += 0.6 * inc - 0.7 * c
    logits[:, 9] += -0.9 * c - 0.4 * inc
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    by_cat = rng.multinomial(counts, prob)
    who = np.repeat(np.repeat(np.arange(n), len(ORDER_CATEGORIES)), by_cat.ravel())
    cat = np.repeat(np.tile(np.arange(len(ORDER_CATEGORIES)), n), by_cat.ravel())
    m = len(who)
    day = _active_start(people, cal)[who] + (rng.random(m) * span[who]).astype(np.int64)
    night_share = sigmoid(-2.4 - 0.7 * c + 0.35 * d - 0.2 * az + rng.normal(0, 0.5, n))
    hour = _hours(night_share[who], rng)
    amount = np.exp(_CAT_AMOUNT[cat] + 0.3 * inc[who] + rng.normal(0, p.order_amount_sigma, m))
    p_ret = sigmoid(-3.0 + _CAT_RETURN[cat] - 0.8 * c[who] + 0.2 * d[who])
    p_can = sigmoid(-3.4 - 0.8 * c[who] + 0.2 * d[who])
    u = rng.random(m)
    status = np.where(u < p_ret, 1, np.where(u < p_ret + p_can, 2, 0))
    if len(merchants):
        shop = merchants[rng.integers(0, len(merchants), m)]
        no_shop = rng.random(m) < 0.3
    else:
        shop, no_shop = np.full(m, people.number[0]), np.ones(m, dtype=bool)
    mid = fixed_ids("M", [person_digits(people, width)[shop - people.number[0]]])
    if no_shop.any():
        mid = pc.if_else(pa.array(no_shop), pa.nulls(m, pa.string()), mid)
    seq = _within_person_seq(counts)
    return table("orders", {
        "order_id": fixed_ids("O", [person_digits(people, width)[who], (seq, 6)]),
        "person_id": person_ids(people, who, width),
        "merchant_id": mid,
        "ordered_at": timestamps(day, hour * 3600 + rng.integers(0, 3600, m)),
        "amount": np.round(np.minimum(amount, 100_000.0), 2),
        "category": categories(cat, ORDER_CATEGORIES),
        "status": categories(status, ("delivered", "returned", "cancelled")),
        "hour": hour.astype(np.int64),
    })


def bills_table(people: People, cal: Calendar, width: int, p: Params,
                rng: np.random.Generator) -> pa.Table:
    """Monthly bills per (person, biller) from the month the person is active."""
    n, months = people.n, cal.months
    c, s, d, inc, az = (people.conscientiousness, people.stability, people.digital,
                        people.income, people.age_z)
    covered = rng.random(n) < sigmoid(p.bills_coverage + 0.4 * az + 0.3 * d)
    has = np.column_stack([
        rng.random(n) < 0.92,
        rng.random(n) < sigmoid(0.2 + 0.5 * az + 0.3 * s),
        rng.random(n) < sigmoid(0.4 * inc + 0.3 * d),
        rng.random(n) < sigmoid(-0.6 - 0.5 * az - 0.3 * s),
    ]) & covered[:, None]
    starts = cal.month_starts
    first_month = np.searchsorted(starts, people.registered_day, side="right") - 1
    first_month = np.clip(first_month, 0, months - 1)
    who, biller = np.nonzero(has)
    k = np.arange(months)
    grid = (k[None, :] >= first_month[who][:, None])  # (pairs, months) bill exists
    pair, month = np.nonzero(grid)
    who_r, biller_r = who[pair], biller[pair]
    r = len(pair)
    issue_offset = rng.integers(0, 26, len(who))[pair]
    issued = starts[month] + issue_offset
    due = issued + rng.choice([14, 21, 28], len(who))[pair]
    amount = np.exp(_BILL_AMOUNT[biller_r] + 0.2 * inc[who_r] + rng.normal(0, 0.25, len(who))[pair]
                    + rng.normal(0, 0.12, r))
    person_noise = rng.normal(0, 0.6, n)
    shock = people.shock[who_r, month]
    p_on_time = sigmoid(p.bill_on_time + p.bill_on_time_on_conscientiousness * c[who_r]
                        + 0.3 * inc[who_r] + person_noise[who_r] - p.bill_on_time_on_shock * shock)
    on_time = rng.random(r) < p_on_time
    late_days = 1 + rng.geometric(1.0 / (6.0 + 10.0 * shock), r)
    early_days = rng.integers(0, 12, r)
    paid = np.where(on_time, np.maximum(due - early_days, issued), due + late_days)
    unpaid = ~on_time & (rng.random(r) < sigmoid(-2.2 - 0.7 * c[who_r] + 1.2 * shock))
    unpaid |= paid >= cal.end_day  # not paid yet when the data was extracted
    return table("bills", {
        "bill_id": fixed_ids("B", [person_digits(people, width)[who_r], (biller_r, 1), (month, 3)]),
        "person_id": person_ids(people, who_r, width),
        "biller_type": categories(biller_r, BILLER_TYPES),
        "issued_at": dates(issued),
        "due_at": dates(due),
        "amount": np.round(amount, 2),
        "paid_at": dates(paid, unpaid),
    })


def savings_table(people: People, cal: Calendar, width: int,
                  rng: np.random.Generator) -> pa.Table:
    """Month-end balances of a money-market fund: a log random walk with a personal trend."""
    n, months = people.n, cal.months
    c, d, inc = people.conscientiousness, people.digital, people.income
    saver = rng.random(n) < sigmoid(-0.3 + 0.7 * c + 0.6 * inc + 0.3 * d)
    starts = cal.month_starts
    first = np.searchsorted(starts, people.registered_day, side="right") - 1
    opened = np.where(rng.random(n) < 0.55, 0, rng.integers(0, months, n))
    first = np.clip(np.maximum(first, opened), 0, months - 1)
    level = np.log(300.0) + 1.1 * inc + 0.5 * c + rng.normal(0, 1.0, n)
    drift = 0.01 + 0.03 * c + rng.normal(0, 0.02, n)
    steps = drift[:, None] + rng.normal(0, 0.12, (n, months)) - 0.35 * people.shock
    log_balance = level[:, None] + np.cumsum(steps, axis=1)
    emptied = people.shock & (rng.random((n, months)) < 0.15)
    balance = np.where(emptied, 0.0, np.exp(log_balance))
    exists = saver[:, None] & (np.arange(months)[None, :] >= first[:, None])
    who, month = np.nonzero(exists)
    return table("savings", {
        "person_id": person_ids(people, who, width),
        "at": dates(starts[month + 1] - 1),
        "balance": np.round(balance[who, month], 2),
    })


def _community_peer(community: np.ndarray, who: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """A random other member of each ``who``'s community (``-1`` for people alone in theirs)."""
    n = len(community)
    order = np.argsort(community, kind="stable")
    comm_sorted = community[order]
    first = np.searchsorted(comm_sorted, community, side="left")
    size = np.searchsorted(comm_sorted, community, side="right") - first
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n) - first[order]
    j = (rng.random(len(who)) * np.maximum(size[who] - 1, 1)).astype(np.int64)
    j += j >= position[who]  # skip over oneself
    peer = order[first[who] + np.minimum(j, size[who] - 1)]
    return np.where(size[who] > 1, peer, -1)


def transfers_table(people: People, cal: Calendar, width: int, p: Params,
                    rng: np.random.Generator) -> pa.Table:
    """Wallet payments: everyday ones, mostly inside the payer's community (homophily), and
    support payments friends send to the less creditworthy, more so during a shock. Only
    wallet users (``covered``) send or receive; the others count as alone in their community."""
    n = people.n
    d, inc, cw = people.digital, people.income, people.creditworthiness
    covered = rng.random(n) < sigmoid(p.transfers_coverage + 0.9 * d)
    community = np.where(covered, people.community, -1 - np.arange(n))
    users = np.flatnonzero(covered)
    rate = (p.transfers_per_month / 30.4) * np.exp(0.6 * d + 0.2 * inc
                                                  + rng.normal(-0.25, 0.7, n)) * covered
    counts, span = _counts(rate, people, cal, rng)
    payer = np.repeat(np.arange(n), counts)
    day = _active_start(people, cal)[payer] + (rng.random(len(payer)) * span[payer]).astype(
        np.int64)
    anyone = users[rng.integers(0, len(users), len(payer))] if len(users) else payer
    peer = _community_peer(community, payer, rng)
    inside = (rng.random(len(payer)) < p.transfers_in_community) & (peer >= 0)
    payee = np.where(inside, peer, anyone)
    amount = np.exp(np.log(30.0) + 0.3 * inc[payer] + rng.normal(0, 1.0, len(payer)))

    # Support: (person, month) counts; the payer is a friend from the same community.
    starts = cal.month_starts
    active = starts[None, :-1] >= (people.registered_day[:, None] - 31)
    support_rate = (p.support_per_month * np.exp(-p.support_on_cw * cw)[:, None]
                    + p.support_in_shock * people.shock) * active
    helped, month = np.nonzero(rng.poisson(support_rate) > 0)
    friend = _community_peer(community, helped, rng)
    ok = friend >= 0
    helped, month, friend = helped[ok], month[ok], friend[ok]
    s_day = starts[month] + (rng.random(len(month)) * np.diff(starts)[month]).astype(np.int64)
    s_day = np.maximum(s_day, people.registered_day[friend])
    s_amount = np.exp(np.log(120.0) + 0.3 * inc[friend] + rng.normal(0, 0.8, len(month)))

    payer = np.concatenate([payer, friend])
    payee = np.concatenate([payee, helped])
    day = np.concatenate([day, s_day])
    amount = np.concatenate([amount, s_amount])
    keep = (payer != payee) & (day < cal.end_day)
    order = np.argsort(payer[keep], kind="stable")
    payer, payee = payer[keep][order], payee[keep][order]
    day, amount = day[keep][order], amount[keep][order]
    m = len(payer)
    return table("transfers", {
        "transfer_id": fixed_ids("T", [person_digits(people, width)[payer],
                                       (_within_person_seq(np.bincount(payer, minlength=n)), 6)]),
        "from_person": person_ids(people, payer, width),
        "to_person": person_ids(people, payee, width),
        "at": timestamps(day, rng.integers(0, 86_400, m)),
        "amount": np.round(np.maximum(amount, 0.01), 2),
    })

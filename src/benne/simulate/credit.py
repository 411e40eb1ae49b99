"""Credit products, monthly statements and the outcome (days past due).

Each account follows a monthly Markov chain on the number of missed cycles ``k``:

- current (``k = 0``): a payment is missed with probability
  ``sigmoid(miss_intercept + shift - miss_on_cw * cw + miss_on_shock * shock)``;
- late (``k > 0``): it rolls on (``k + 1``) with probability
  ``sigmoid(roll_intercept - roll_on_cw * cw + roll_on_shock * shock)``, else cures;
- ``k = charge_off_cycles`` charges the account off (its last statement).

The chain's random numbers are drawn per person, not per account: a person in trouble misses
every payment due that month, so the number of accounts a person holds (which leans on income
and age) barely changes their chance to default. Days past due are ``30 k`` plus a few days.

People without credit at the start (the thin file) may obtain a **first small credit line**
over time, pay-later style (:func:`_first_lines`): each month a small BNPL line opens with
probability ``sigmoid(first_line_intercept + first_line_on_digital * digital)``, and from then on
it runs the same chain, so its outcome is driven by the same latent risk as everyone's.

Only creditworthiness and shocks enter the chain — never an observed footprint feature and never
a protected attribute — so the footprint predicts the outcome only as well as it reveals the
latent traits. ``shift`` is calibrated once per seed
on a calibration sample so the bad rate (90+ days past due within twelve months of the as-of
date, among people with a statement in that window) meets the target.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from benne.simulate.arrow import categories, dates, fixed_ids, table
from benne.simulate.params import Calendar, Params
from benne.simulate.population import People, make_people, person_digits, person_ids, sigmoid
from benne.sources import CREDIT_PRODUCTS, CREDIT_STATUSES

__all__ = ["Accounts", "Outcome", "calibrate_shift", "credit_table", "make_accounts", "run_chain"]

_CARD, _LOAN, _BNPL, _MERCHANT = range(4)


@dataclass
class Accounts:
    """Credit accounts of a chunk and the random numbers their chains consume."""

    owner: np.ndarray  # index of the person in the chunk
    seq: np.ndarray  # account number within the person
    product: np.ndarray
    opened: np.ndarray  # month index of the first statement
    term: np.ndarray  # months until a loan is repaid (cards: never)
    limit: np.ndarray
    statement_offset: np.ndarray  # day of month of the statement
    u_miss: np.ndarray  # (accounts, months) uniforms of the chain, shared by a person's accounts
    u_close: np.ndarray
    cw: np.ndarray  # owner's creditworthiness
    shock: np.ndarray  # (accounts, months) bool
    first_line: np.ndarray | None = None  # a thin-file person's first credit line

    @property
    def n(self) -> int:
        return len(self.owner)

    def first_line_day(self, n: int, cal: Calendar) -> np.ndarray:
        """Per person: the day of their first line's first statement, -1 when none."""
        out = np.full(n, -1, dtype=np.int64)
        if self.first_line is not None and self.first_line.any():
            at = np.flatnonzero(self.first_line)
            out[self.owner[at]] = cal.month_starts[self.opened[at]] + self.statement_offset[at]
        return out


@dataclass
class Outcome:
    """Result of the chain: missed cycles, whether a statement is issued, and its status."""

    k: np.ndarray  # (accounts, months) missed cycles at the statement
    issued: np.ndarray  # (accounts, months) bool
    status: np.ndarray  # (accounts, months) index into CREDIT_STATUSES


def make_accounts(people: People, cal: Calendar, p: Params, rng: np.random.Generator,
                  merchant_owner: np.ndarray | None = None,
                  merchant_shock: np.ndarray | None = None,
                  merchant_health: np.ndarray | None = None) -> Accounts:
    """Accounts of people with credit; shop owners may add a merchant loan.

    A merchant loan is the shop's debt: its chain runs on the shop's latent health
    (``merchant_health``, see :mod:`benne.simulate.merchants`) in place of the owner's
    creditworthiness, on the shop's bad spells and the owner's shocks, and on uniforms of its
    own (drawn after every other account's numbers, so the owner's other accounts do not
    change); the owner's own risk enters through the health.
    """
    n, months = people.n, cal.months
    inc, d, az = people.income, people.digital, people.age_z
    count = np.where(people.has_credit,
                     1 + np.minimum(rng.poisson(np.exp(-0.6 + 0.3 * inc)), 3), 0)
    owner = np.repeat(np.arange(n), count)
    a = len(owner)
    logits = np.column_stack([0.6 + 0.5 * inc[owner], 0.2 * az[owner],
                              0.1 + 0.6 * d[owner] - 0.4 * az[owner], np.full(a, -np.inf)])
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    product = (rng.random(a)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    product = np.minimum(product, _BNPL)
    shock = people.shock[owner]
    if merchant_owner is not None and len(merchant_owner):
        gets = people.has_credit[merchant_owner] & (rng.random(len(merchant_owner))
                                                    < p.merchant_loan_share)
        extra = merchant_owner[gets]
        owner = np.concatenate([owner, extra])
        product = np.concatenate([product, np.full(len(extra), _MERCHANT)])
        assert merchant_shock is not None
        shock = np.concatenate([shock, people.shock[extra] | merchant_shock[gets]])
        a = len(owner)
    cw_acc = people.creditworthiness[owner]
    if merchant_health is not None and merchant_owner is not None and len(merchant_owner):
        cw_acc[len(cw_acc) - int(gets.sum()):] = p.merchant_health_scale * merchant_health[gets]
    order = np.argsort(owner, kind="stable")
    owner, product, shock, cw_acc = owner[order], product[order], shock[order], cw_acc[order]
    counts = np.bincount(owner, minlength=n)
    seq = np.arange(a) - np.repeat(np.cumsum(counts) - counts, counts)
    # Most accounts are already open when the window starts; the rest open during it.
    opened = np.where(rng.random(a) < 0.6, 0, rng.integers(0, months, a))
    term = np.where((product == _LOAN) | (product == _MERCHANT),
                    rng.choice([12, 24, 36, 48], a), 10_000)
    term = np.where(product == _BNPL, 10_000, term)
    # A merchant loan is a revolving working-capital line (drawn and repaid with the shop's
    # sales), so it stays open until closed or charged off.
    term = np.where(product == _MERCHANT, 10_000, term)
    size = {_CARD: (2000.0, 0.8), _LOAN: (6000.0, 0.6), _BNPL: (300.0, 0.3),
            _MERCHANT: (8000.0, 0.5)}
    base = np.array([np.log(size[i][0]) for i in range(4)])[product]
    slope = np.array([size[i][1] for i in range(4)])[product]
    limit = np.round(np.exp(base + slope * inc[owner] + rng.normal(0, 0.5, a)), -1) + 100.0
    statement_offset = rng.integers(0, 28, a)
    u_person = rng.random((n, months), np.float32)
    acc = Accounts(
        owner=owner, seq=seq, product=product, opened=opened, term=term, limit=limit,
        statement_offset=statement_offset, u_miss=u_person[owner],
        u_close=rng.random((a, months), np.float32), cw=cw_acc,
        shock=shock, first_line=np.zeros(a, dtype=bool),
    )
    acc = _first_lines(acc, people, u_person, months, p, rng)
    if merchant_health is not None:
        shop = np.flatnonzero(acc.product == _MERCHANT)
        acc.u_miss[shop] = rng.random((len(shop), months), np.float32)
    return acc


def _first_lines(acc: Accounts, people: People, u_person: np.ndarray, months: int, p: Params,
                 rng: np.random.Generator) -> Accounts:
    """Add a first small pay-later line for thin-file people who obtain one in the window.

    Drawn after every other account's numbers, so the accounts of people with credit do not
    change; the line shares its owner's monthly chain numbers like any other account.
    """
    thin = np.flatnonzero(~people.has_credit)
    hazard = sigmoid(p.first_line_intercept + p.first_line_on_digital * people.digital[thin])
    u = rng.random((len(thin), months))
    opens = u < hazard[:, None]
    gets = opens.any(axis=1)
    owner = thin[gets]
    k = len(owner)
    opened = opens[gets].argmax(axis=1)
    limit = np.round(np.exp(np.log(p.first_line_limit) + 0.3 * people.income[owner]
                            + rng.normal(0, 0.3, k)), -1) + 50.0
    return Accounts(
        owner=np.concatenate([acc.owner, owner]),
        seq=np.concatenate([acc.seq, np.zeros(k, dtype=acc.seq.dtype)]),
        product=np.concatenate([acc.product, np.full(k, _BNPL)]),
        opened=np.concatenate([acc.opened, opened]),
        term=np.concatenate([acc.term, np.full(k, 10_000)]),
        limit=np.concatenate([acc.limit, limit]),
        statement_offset=np.concatenate([acc.statement_offset, rng.integers(0, 28, k)]),
        u_miss=np.concatenate([acc.u_miss, u_person[owner]]),
        u_close=np.concatenate([acc.u_close, rng.random((k, months), np.float32)]),
        cw=np.concatenate([acc.cw, people.creditworthiness[owner]]),
        shock=np.concatenate([acc.shock, people.shock[owner]]),
        first_line=np.concatenate([acc.first_line if acc.first_line is not None
                                   else np.zeros(acc.n, dtype=bool), np.ones(k, dtype=bool)]),
    )


def run_chain(acc: Accounts, months: int, p: Params, shift: float) -> Outcome:
    """Run every account's chain month by month (vectorised over accounts)."""
    a = acc.n
    k = np.zeros((a, months), dtype=np.int64)
    issued = np.zeros((a, months), dtype=bool)
    status = np.zeros((a, months), dtype=np.int64)
    alive = np.ones(a, dtype=bool)
    cur = np.zeros(a, dtype=np.int64)
    extra = np.where(acc.product == _MERCHANT, p.merchant_miss_shift, 0.0)
    # Accounts open before the window may start it already behind (the stationary chain).
    for t in range(months):
        s = acc.shock[:, t]
        p_miss = sigmoid(p.miss_intercept + shift + extra - p.miss_on_cw * acc.cw
                         + p.miss_on_shock * s)
        p_roll = sigmoid(p.roll_intercept - p.roll_on_cw * acc.cw + p.roll_on_shock * s)
        on = alive & (acc.opened <= t)
        u = acc.u_miss[:, t]
        cur = np.where(on, np.where(cur == 0, (u < p_miss).astype(np.int64),
                                    np.where(u < p_roll, cur + 1, 0)), cur)
        issued[:, t] = on
        k[:, t] = cur
        charged = on & (cur >= p.charge_off_cycles)
        repaid = on & (cur == 0) & (t - acc.opened + 1 >= acc.term)
        dropped = on & (cur == 0) & (acc.term >= 10_000) & (acc.u_close[:, t] < 0.008)
        status[:, t] = np.where(charged, 2, np.where(repaid | dropped, 1, 0))
        alive &= ~(charged | repaid | dropped)
    return Outcome(k=k, issued=issued, status=status)


def person_outcome(acc: Accounts, out: Outcome, n: int, cal: Calendar
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person: labelled (a statement in the outcome window), bad, and the day of the first
    90+ statement in the window (-1 when none)."""
    window = np.zeros(cal.months, dtype=bool)
    window[cal.as_of_month: cal.as_of_month + 12] = True
    in_window = out.issued & window[None, :]
    bad_cells = in_window & (out.k >= 3)
    labelled = np.bincount(acc.owner, weights=in_window.any(axis=1), minlength=n) > 0
    any_bad = bad_cells.any(axis=1)
    bad = np.bincount(acc.owner, weights=any_bad, minlength=n) > 0
    never = np.iinfo(np.int64).max
    day = np.where(any_bad, cal.month_starts[bad_cells.argmax(axis=1)] + acc.statement_offset,
                   never)
    first_day = np.full(n, never, dtype=np.int64)
    np.minimum.at(first_day, acc.owner, day)
    first_day[first_day == never] = -1
    return labelled, bad, first_day


@functools.lru_cache(maxsize=8)
def calibrate_shift(cal: Calendar, p: Params, seed: int) -> float:
    """The intercept shift that gives the target bad rate on a calibration sample.

    Common random numbers make the bad rate a (nearly) monotone function of the shift, so a
    bisection converges; the sample depends only on the seed and the parameters, not on the
    number of people simulated, so every population of a seed shares one calibration (cached
    per process).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA1B]))
    people = make_people(1, p.calibration_people, cal, p, rng)
    acc = make_accounts(people, cal, p, rng)
    lo, hi = -6.0, 6.0
    for _ in range(40):
        mid = (lo + hi) / 2
        labelled, bad, _ = person_outcome(acc, run_chain(acc, cal.months, p, mid), people.n, cal)
        rate = bad[labelled].mean() if labelled.any() else 0.0
        if abs(rate - p.target_bad_rate) < 5e-4:
            return mid
        lo, hi = (mid, hi) if rate < p.target_bad_rate else (lo, mid)
    return (lo + hi) / 2


def credit_table(people: People, acc: Accounts, out: Outcome, cal: Calendar, width: int,
                 p: Params, rng: np.random.Generator) -> pa.Table:
    """Statements: limits, balances (utilisation leans on -creditworthiness), days past due."""
    n = people.n
    util_base = (-0.6 - p.utilisation_on_cw * people.creditworthiness
                 + rng.normal(0, p.utilisation_noise, n))
    idx_a, t = np.nonzero(out.issued)
    owner = acc.owner[idx_a]
    prod = acc.product[idx_a]
    k = out.k[idx_a, t]
    r = len(idx_a)
    limit = acc.limit[idx_a]
    util = sigmoid(util_base[owner] + rng.normal(0, 0.35, r) + 1.2 * (k > 0)
                   + 0.5 * people.shock[owner, t])
    age = t - acc.opened[idx_a]
    left = np.clip(1.0 - age / np.minimum(acc.term[idx_a], 10_000), 0.0, 1.0)
    amortised = np.where(k > 0, np.maximum(left, 0.3), left)
    balance = np.where((prod == _LOAN) | (prod == _MERCHANT), limit * amortised,
                       limit * util * (1.0 + 0.05 * k))
    status = out.status[idx_a, t]
    balance = np.where(status == 1, 0.0, balance)
    dpd = np.where(k > 0, 30 * k + rng.integers(0, 10, r), 0)
    # Paying a few days late without missing a cycle: carelessness, not insolvency.
    grace = (k == 0) & (rng.random(r) < sigmoid(-3.4 - 0.6 * people.conscientiousness[owner]))
    dpd = np.where(grace, rng.integers(1, 25, r), dpd)
    day = cal.month_starts[t] + acc.statement_offset[idx_a]
    return table("credit", {
        "account_id": fixed_ids("A", [person_digits(people, width)[owner], (acc.seq[idx_a], 2)]),
        "person_id": person_ids(people, owner, width),
        "product": categories(prod, CREDIT_PRODUCTS),
        "statement_at": dates(day),
        "limit": limit,
        "balance": np.round(balance, 2),
        "days_past_due": np.minimum(dpd, 3650).astype(np.int64),
        "status": categories(status, CREDIT_STATUSES),
    })

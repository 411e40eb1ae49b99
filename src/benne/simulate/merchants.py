"""Shops and their trading days.

A share of people own a shop (more often in mid-career and with higher income). A shop's
quality leans on its owner's conscientiousness and creditworthiness; its daily orders follow a
sales level, a personal growth trend, weekly and yearly seasonality, lognormal day-to-day noise
whose spread is the shop's own volatility, and shocks (a bad spell cuts sales for weeks; the
owner's own job-loss or illness spells cut them too). Refunds and ratings follow quality.

A shop's latent **health** (:attr:`Shops.health`, standardised) is what its merchant loan's
chain runs on in place of a person's creditworthiness (see :mod:`benne.simulate.credit`):

``health = 0.50 quality + 0.30 level + 0.35 growth - 0.35 volatility + 0.35 owner's cw``

(each term standardised), and the months a shop spends in a bad spell are shocks of that
chain. Every term shows only noisily in the data (level and growth through Poisson orders and
seasonality, volatility through daily sales, quality through refunds and ratings, the owner
through their own credit record), and the shocks are unforeseeable, so merchant default is
learnable but not trivial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from benne.simulate.arrow import categories, dates, fixed_ids, table
from benne.simulate.params import Calendar, Params
from benne.simulate.population import People, person_digits, person_ids, sigmoid
from benne.sources import MERCHANT_CATEGORIES

__all__ = ["Shops", "make_shops", "merchant_sales_table", "merchants_table"]

_CATEGORY_P = np.array([0.30, 0.20, 0.10, 0.12, 0.10, 0.13, 0.05])
_WEEKEND = np.array([0.25, 0.30, 0.10, 0.20, 0.25, -0.10, 0.0])


@dataclass
class Shops:
    owner: np.ndarray  # index of the owner in the chunk
    category: np.ndarray
    opened_day: np.ndarray
    quality: np.ndarray
    shock_days: np.ndarray  # (shops, days) bool, days from the start of the window
    monthly_shock: np.ndarray  # (shops, months) bool: a bad spell covered half the month
    level: np.ndarray  # log of the mean daily orders before growth and seasonality
    growth: np.ndarray  # daily log growth of orders
    volatility: np.ndarray  # sigma of the lognormal day-to-day noise
    health: np.ndarray  # standardised latent health (the merchant loan's creditworthiness)

    @property
    def n(self) -> int:
        return len(self.owner)


def make_shops(people: People, cal: Calendar, p: Params, rng: np.random.Generator,
               health_rng: np.random.Generator | None = None) -> Shops:
    """The shops of a chunk; ``health_rng`` draws level, growth and volatility (a stream of
    its own, so the other draws do not move when the health model changes)."""
    n = people.n
    mid_career = np.exp(-(((people.age - 42.0) / 14.0) ** 2))
    rate = p.shop_owner_rate * np.exp(0.35 * people.income + 0.8 * mid_career - 0.5)
    owner = np.flatnonzero(rng.random(n) < rate)
    s = len(owner)
    category = rng.choice(len(MERCHANT_CATEGORIES), s, p=_CATEGORY_P)
    years = rng.exponential(3.0, s)
    opened = np.where(rng.random(s) < 0.7, (cal.start_day - years * 365.25).astype(np.int64),
                      rng.integers(cal.start_day, cal.end_day - 1, s))
    opened = np.maximum(opened, people.registered_day[owner])
    opened = np.minimum(opened, cal.end_day - 1)
    quality = (0.5 * people.conscientiousness[owner] + 0.3 * people.creditworthiness[owner]
               + rng.normal(0, 0.8, s))
    days = cal.end_day - cal.start_day
    shock_days = np.zeros((s, days), dtype=bool)
    left = np.zeros(s, dtype=np.int64)
    onset = rng.random((s, days)) < 0.0015 * np.exp(-0.4 * quality)[:, None]
    lengths = rng.geometric(1.0 / 30.0, (s, days))
    for t in range(days):
        start = (left == 0) & onset[:, t]
        left[start] = lengths[start, t]
        shock_days[:, t] = left > 0
        left = np.maximum(left - 1, 0)
    bounds = cal.month_starts - cal.start_day
    monthly = np.add.reduceat(shock_days, bounds[:-1], axis=1) if s else np.zeros(
        (0, cal.months), dtype=np.int64)
    monthly_shock = monthly * 2 >= np.diff(bounds)[None, :]
    h = health_rng if health_rng is not None else rng
    level = (np.log(20.0) + 0.5 * quality + 0.3 * people.income[owner]
             + h.normal(0, 0.7, s))
    growth = h.normal(0.0006 + 0.0003 * quality, 0.0008, s)
    volatility = h.lognormal(np.log(0.35), 0.4, s)
    cw = people.creditworthiness[owner]
    # Standardised with fixed nominal scales (not the chunk's own moments), so a shop's health
    # does not depend on which other shops share its chunk.
    health = (0.50 * quality / 0.9 + 0.30 * (level - np.log(20.0)) / 0.8
              + 0.35 * (growth - 0.0006) / 0.0008
              - 0.35 * (np.log(volatility) - np.log(0.35)) / 0.4 + 0.35 * cw)
    health = health / 0.95
    return Shops(owner=owner, category=category, opened_day=opened, quality=quality,
                 shock_days=shock_days, monthly_shock=monthly_shock, level=level,
                 growth=growth, volatility=volatility, health=health)


def merchants_table(people: People, shops: Shops, width: int) -> pa.Table:
    return table("merchants", {
        "merchant_id": fixed_ids("M", [person_digits(people, width)[shops.owner]]),
        "owner_person_id": person_ids(people, shops.owner, width),
        "opened_at": dates(shops.opened_day),
        "category": categories(shops.category, MERCHANT_CATEGORIES),
    })


def merchant_sales_table(people: People, shops: Shops, cal: Calendar, width: int,
                         rng: np.random.Generator) -> pa.Table:
    s, days = shops.n, cal.end_day - cal.start_day
    day = cal.start_day + np.arange(days)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 5 and 6 are the weekend
    base = np.exp(shops.level)
    growth = shops.growth
    since = np.maximum(day[None, :] - np.maximum(shops.opened_day, cal.start_day)[:, None], 0)
    season = 1.0 + 0.2 * np.sin(2 * np.pi * (day - 19_000 - 240) / 365.25)  # peak late autumn
    weekend = 1.0 + _WEEKEND[shops.category][:, None] * (weekday[None, :] >= 5)
    owner_shock = np.repeat(people.shock[shops.owner], np.diff(cal.month_starts), axis=1)
    level = (base[:, None] * np.exp(growth[:, None] * since) * season[None, :] * weekend
             * np.where(shops.shock_days, 0.35, 1.0) * np.where(owner_shock, 0.7, 1.0)
             * np.exp(shops.volatility[:, None] * rng.standard_normal((s, days))))
    open_ = day[None, :] >= shops.opened_day[:, None]
    shop_idx, t = np.nonzero(open_)
    orders = rng.poisson(level[shop_idx, t])
    ticket = np.exp(np.log(25.0) + 0.3 * people.income[shops.owner] + rng.normal(0, 0.3, s))
    gmv = orders * ticket[shop_idx] * rng.lognormal(0, 0.2, len(t))
    refund_rate = sigmoid(-3.3 - 0.6 * shops.quality)
    refunds = rng.binomial(orders, refund_rate[shop_idx])
    spread = 0.6 / np.sqrt(np.maximum(orders, 1))
    rating = np.clip(np.round(rng.normal(4.1 + 0.35 * shops.quality[shop_idx], spread), 1),
                     1.0, 5.0)
    return table("merchant_sales", {
        "merchant_id": fixed_ids("M", [person_digits(people, width)[shops.owner][shop_idx]]),
        "day": dates(day[t]),
        "gmv": np.round(gmv, 2),
        "orders": orders.astype(np.int64),
        "refunds": refunds.astype(np.int64),
        "rating": pa.array(rating, type=pa.float64(), mask=orders == 0),
    })

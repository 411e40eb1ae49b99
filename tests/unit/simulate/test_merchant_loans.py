"""Merchant loans run on the shop's latent health: healthier shops default less, the owner's
other accounts do not move when the health model does, and the draws are seeded."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from benne.simulate import credit, merchants, population
from benne.simulate.params import Calendar, Params

_MERCHANT = 3  # index of merchant_loan in CREDIT_PRODUCTS


def _chunk(p: Params, seed: int = 11) -> tuple[merchants.Shops, credit.Accounts,
                                               credit.Outcome]:
    cal = Calendar(dt.date(2024, 1, 1), 24)
    streams = np.random.SeedSequence(seed).spawn(4)
    rng = [np.random.default_rng(s) for s in streams]
    people = population.make_people(1, 20_000, cal, p, rng[0])
    shops = merchants.make_shops(people, cal, p, rng[1], rng[2])
    acc = credit.make_accounts(people, cal, p, rng[3], shops.owner, shops.monthly_shock,
                               shops.health)
    return shops, acc, credit.run_chain(acc, cal.months, p, 0.0)


def test_healthier_shops_default_less_but_not_never() -> None:
    p = Params(shop_owner_rate=0.3)
    shops, acc, out = _chunk(p)
    loan = np.flatnonzero(acc.product == _MERCHANT)
    assert len(loan) > 1_000
    owner_to_shop = {o: i for i, o in enumerate(shops.owner)}
    health = shops.health[[owner_to_shop[o] for o in acc.owner[loan]]]
    bad = (out.k[loan] >= 3).any(axis=1)
    low, high = health < np.median(health), health >= np.median(health)
    assert bad[low].mean() > 2 * bad[high].mean()
    assert bad[high].mean() > 0.005  # shocks still hit healthy shops
    # the loan's chain reads the scaled health, not the owner's creditworthiness
    assert np.allclose(acc.cw[loan], p.merchant_health_scale * health)


def test_health_leans_on_level_growth_volatility_and_quality() -> None:
    shops, _, _ = _chunk(Params(shop_owner_rate=0.3))
    h = shops.health
    for trait, sign in ((shops.quality, 1), (shops.level, 1), (shops.growth, 1),
                        (np.log(shops.volatility), -1)):
        assert sign * np.corrcoef(h, trait)[0, 1] > 0.2


def test_owners_other_accounts_do_not_depend_on_the_health_model() -> None:
    base = Params(shop_owner_rate=0.3)
    _, a1, _ = _chunk(base)
    _, a2, _ = _chunk(dataclasses.replace(base, merchant_health_scale=2.0))
    other = a1.product != _MERCHANT
    assert np.array_equal(a1.u_miss[other], a2.u_miss[other])
    assert np.array_equal(a1.cw[other], a2.cw[other])
    assert not np.array_equal(a1.cw[~other], a2.cw[~other])


def test_merchant_loans_are_seeded() -> None:
    _, a1, o1 = _chunk(Params(shop_owner_rate=0.3), seed=5)
    _, a2, o2 = _chunk(Params(shop_owner_rate=0.3), seed=5)
    assert np.array_equal(a1.u_miss, a2.u_miss) and np.array_equal(o1.k, o2.k)

"""People: latent traits, communities, shocks, and the identity and addresses sources.

A person's traits are drawn once and every source reads them:

- protected attributes (age, gender, region) shape income, as in real data;
- income, conscientiousness, life stability and digital engagement are correlated normals;
- creditworthiness mixes a community effect (homophily: friends resemble each other) with an
  individual part leaning on income, conscientiousness and stability. It never reads a
  protected attribute directly;
- shocks (job loss, illness) are spells drawn independently of every trait.

Communities never cross a chunk, so each chunk of people is generated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from benne.simulate.arrow import categories, dates, digits, fixed_ids, table, timestamps
from benne.simulate.params import Calendar, Params
from benne.sources import DEVICE_OS, GENDERS

__all__ = ["REGIONS", "People", "addresses_table", "identity_table", "make_people", "sigmoid"]

REGIONS = ("capital", "north", "south", "east", "west", "central", "coast", "highlands")
_REGION_P = np.array([0.22, 0.14, 0.14, 0.12, 0.12, 0.10, 0.09, 0.07])
_REGION_INCOME = np.array([0.35, 0.0, -0.15, 0.05, -0.05, 0.0, 0.10, -0.35])
_GENDER_P = np.array([0.49, 0.49, 0.02])
_GENDER_INCOME = np.array([-0.12, 0.12, 0.0])
EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "qq.com", "163.com",
                 "proton.me", "mailinator.com")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _std(x: np.ndarray) -> np.ndarray:
    """Standardise with the chunk's own moments: population moments would need a second pass
    over every chunk, and at thousands of people a chunk's moments are as good."""
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


@dataclass
class People:
    """One chunk of people with their latent traits (arrays of equal length)."""

    number: np.ndarray  # global person number, 1-based; person_id is "P" + zero-padded number
    age: np.ndarray
    gender: np.ndarray
    region: np.ndarray
    income: np.ndarray
    conscientiousness: np.ndarray
    stability: np.ndarray
    digital: np.ndarray
    creditworthiness: np.ndarray
    community: np.ndarray  # global community number
    registered_day: np.ndarray
    has_credit: np.ndarray
    shock: np.ndarray  # (people, months) bool: a job loss or illness spell is running
    id_digits: np.ndarray | None = None  # formatted person numbers, see person_digits

    @property
    def n(self) -> int:
        return len(self.number)

    @property
    def age_z(self) -> np.ndarray:
        return (self.age - 40.0) / 13.0


def _communities(n: int, mean_size: float, rng: np.random.Generator) -> np.ndarray:
    """Local community index of each person: heavy-tailed sizes, members scattered."""
    sizes = np.maximum(1, rng.lognormal(np.log(mean_size) - 0.32, 0.8, size=n // 2 + 2))
    sizes = np.minimum(sizes.astype(np.int64), 80)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n)) + 1
    labels = np.repeat(np.arange(k), sizes[:k])[:n]
    return labels[rng.permutation(n)]


def _spells(n: int, months: int, rate: float, mean_len: float,
            rng: np.random.Generator) -> np.ndarray:
    """(n, months) bool: spells with monthly onset ``rate`` and geometric length."""
    out = np.zeros((n, months), dtype=bool)
    remaining = np.zeros(n, dtype=np.int64)
    # Spells running at the start began before the window: draw them at the stationary share.
    running = rng.random(n) < rate * mean_len
    remaining[running] = rng.geometric(1.0 / mean_len, size=int(running.sum()))
    onset_u = rng.random((n, months))
    lengths = rng.geometric(1.0 / mean_len, size=(n, months))
    for t in range(months):
        start = (remaining == 0) & (onset_u[:, t] < rate)
        remaining[start] = lengths[start, t]
        out[:, t] = remaining > 0
        remaining = np.maximum(remaining - 1, 0)
    return out


def make_people(first: int, n: int, cal: Calendar, p: Params,
                rng: np.random.Generator) -> People:
    """Draw ``n`` people numbered from ``first``."""
    age = np.clip(18 + rng.gamma(2.2, 9.5, size=n), 18, 85).astype(np.int64)
    gender = rng.choice(len(GENDERS), size=n, p=_GENDER_P)
    region = rng.choice(len(REGIONS), size=n, p=_REGION_P)
    age_z = (age - 40.0) / 13.0
    local = _communities(n, p.community_mean_size, rng)
    k = int(local.max()) + 1
    comm_cw, comm_inc = rng.standard_normal(k), rng.standard_normal(k)

    # Income peaks in mid-career and differs by region and gender, as in real data.
    career = 1.0 - ((age - 47.0) / 20.0) ** 2
    income = _std(0.45 * career + _GENDER_INCOME[gender] + _REGION_INCOME[region]
                  + np.sqrt(p.income_homophily) * comm_inc[local]
                  + 0.8 * rng.standard_normal(n))
    conscientiousness = _std(0.15 * age_z + rng.standard_normal(n))
    stability = _std(0.40 * age_z + 0.20 * income + 0.15 * conscientiousness
                     + rng.standard_normal(n))
    digital = _std(-0.45 * age_z + 0.20 * income + rng.standard_normal(n))
    individual = _std(p.cw_on_income * income + p.cw_on_conscientiousness * conscientiousness
                      + p.cw_on_stability * stability + 0.62 * rng.standard_normal(n))
    cw = (np.sqrt(p.cw_homophily) * comm_cw[local]
          + np.sqrt(1.0 - p.cw_homophily) * individual)

    # Registration: most people joined years before the window, some during the footprint.
    years_before = rng.exponential(2.0 + 1.2 * sigmoid(digital) + 1.0 * sigmoid(stability), n)
    years_before = np.minimum(years_before, np.maximum(age - 16, 0.5), out=years_before)
    reg_day = (cal.start_day - years_before * 365.25).astype(np.int64)
    joins_now = rng.random(n) < 0.10
    reg_day[joins_now] = cal.start_day + rng.integers(
        0, cal.as_of_day - cal.start_day, size=int(joins_now.sum()))

    # The thin file: the lowest-scoring share on a mostly age/income index has no credit at all.
    index = 0.6 * age_z + 0.5 * income + 0.3 * digital + rng.standard_normal(n)
    has_credit = np.ones(n, dtype=bool)
    has_credit[np.argsort(index, kind="stable")[: int(round(p.no_credit_share * n))]] = False

    shock = (_spells(n, cal.months, p.job_loss_rate, p.job_loss_months, rng)
             | _spells(n, cal.months, p.illness_rate, p.illness_months, rng))
    return People(
        number=np.arange(first, first + n, dtype=np.int64), age=age, gender=gender,
        region=region, income=income, conscientiousness=conscientiousness, stability=stability,
        digital=digital, creditworthiness=cw, community=first + local, registered_day=reg_day,
        has_credit=has_credit, shock=shock,
    )


def person_digits(people: People, width: int) -> np.ndarray:
    """The chunk's person numbers formatted once (rows are reused by every source)."""
    if people.id_digits is None or people.id_digits.shape[1] != width:
        people.id_digits = digits(people.number, width)
    return people.id_digits


def person_ids(people: People, index: np.ndarray, width: int) -> pa.StringArray:
    """``person_id`` of the people at ``index`` (positions in the chunk)."""
    return fixed_ids("P", [person_digits(people, width)[index]])


def identity_table(people: People, cal: Calendar, width: int,
                   rng: np.random.Generator) -> pa.Table:
    n = people.n
    c, s, d, inc = (people.conscientiousness, people.stability, people.digital, people.income)
    verified = rng.random(n) < sigmoid(1.5 + 0.8 * s + 0.5 * c)
    # Phone tenure: stable people keep their number for years.
    tenure = rng.lognormal(np.log(2.5) + 0.55 * s + 0.2 * people.age_z, 0.8)
    tenure = np.minimum(tenure * 365.25, (people.age - 14) * 365.25)
    phone_day = (cal.as_of_day - 1 - tenure).astype(np.int64)
    phone_null = rng.random(n) < 0.03
    u = rng.random(n)
    p_ios = sigmoid(-0.6 + 0.9 * inc + 0.3 * d)
    os_idx = np.where(u < 0.03, 2, np.where(u < 0.03 + 0.97 * p_ios, 1, 0))
    os_null = rng.random(n) < 0.02
    # E-mail: a disposable domain marks carelessness; icloud follows iOS; regional mail is older.
    logits = np.column_stack([
        np.full(n, 1.5), 0.2 * people.age_z, 0.3 + 0.4 * people.age_z, 1.5 * (os_idx == 1) - 0.5,
        np.full(n, -0.6), -0.6 + 0.3 * people.age_z, -1.8 + 0.5 * d, -1.8 - 0.9 * c,
    ])
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    mail = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    mail_null = rng.random(n) < 0.04
    birth_year = cal.start.year - people.age
    return table("identity", {
        "person_id": person_ids(people, np.arange(n), width),
        "registered_at": timestamps(people.registered_day, rng.integers(0, 86_400, n)),
        "real_name_verified": pa.array(verified),
        "birth_year": birth_year.astype(np.int64),
        "gender": categories(people.gender, GENDERS),
        "region": categories(people.region, REGIONS),
        "phone_number_since": dates(phone_day, phone_null),
        "device_os": categories(os_idx, DEVICE_OS, os_null),
        "email_domain": categories(np.minimum(mail, len(EMAIL_DOMAINS) - 1), EMAIL_DOMAINS,
                                   mail_null),
    })


def addresses_table(people: People, cal: Calendar, width: int, p: Params,
                    rng: np.random.Generator) -> pa.Table:
    """The residence before the window, then moves (unstable and young people move more)."""
    n = people.n
    covered = rng.random(n) < p.address_coverage
    tenure = rng.lognormal(np.log(3.0) + 0.5 * people.stability + 0.3 * people.age_z, 0.8)
    tenure = np.minimum(tenure, people.age - 17.5)
    first_day = (cal.start_day - tenure * 365.25).astype(np.int64)
    years = cal.months / 12.0
    rate = np.exp(np.log(0.2) - 0.6 * people.stability - 0.3 * people.age_z) * years
    moves = rng.poisson(rate) * covered
    who = np.concatenate([np.flatnonzero(covered), np.repeat(np.arange(n), moves)])
    day = np.concatenate([first_day[covered], rng.integers(cal.start_day, cal.end_day,
                                                           int(moves.sum()))])
    stay = rng.random(len(who)) < 0.75
    region = np.where(stay, people.region[who], rng.choice(len(REGIONS), len(who), p=_REGION_P))
    region[: int(covered.sum())] = people.region[covered]
    order = np.lexsort((day, who))
    who, day, region = who[order], day[order], region[order]
    keep = np.ones(len(who), dtype=bool)
    keep[1:] = (who[1:] != who[:-1]) | (day[1:] != day[:-1])  # one row per person and day
    who, day, region = who[keep], day[keep], region[keep]
    return table("addresses", {
        "person_id": person_ids(people, who, width),
        "moved_in_at": dates(day),
        "region": categories(region, REGIONS),
    })

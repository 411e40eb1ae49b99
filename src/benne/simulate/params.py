"""Parameters of the generative model and the simulation calendar.

Every coefficient of the model lives in :class:`Params`, so docs/simulation.md can list them and
a caller can change one without touching the generators. Coefficients act on standardised latent
traits (mean 0, standard deviation about 1) on the logit or log scale, as noted per field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from benne.dates import add_months
from benne.exceptions import InputError

__all__ = ["Calendar", "Params", "add_months", "default_as_of"]

_EPOCH = dt.date(1970, 1, 1)


def default_as_of(start: dt.date, months: int) -> dt.date:
    """The as-of date the simulation is built around: ``start`` plus half of ``months``.

    Before it lies the footprint the features see; after it, the outcomes labels are read from.
    """
    return add_months(start, months // 2)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01, the unit of Arrow's date32."""
    return (day - _EPOCH).days


@dataclass(frozen=True)
class Calendar:
    """Month boundaries of the simulated window as day numbers (days since 1970-01-01)."""

    start: dt.date
    months: int

    def __post_init__(self) -> None:
        if self.months < 2:
            raise InputError(f"months must be >= 2; got {self.months}.",
                             fix="simulate at least two months (one before the as-of date, "
                                 "one after)")
        if not dt.date(1990, 1, 1) <= self.start <= dt.date(2100, 1, 1):
            raise InputError(f"start must lie between 1990-01-01 and 2100-01-01; got "
                             f"{self.start}.", fix="pass --start as YYYY-MM-DD")

    @property
    def as_of(self) -> dt.date:
        return default_as_of(self.start, self.months)

    @property
    def as_of_month(self) -> int:
        """Index of the first month after the as-of date."""
        return self.months // 2

    @property
    def end(self) -> dt.date:
        """First day after the simulated window."""
        return add_months(self.start, self.months)

    @property
    def perf_end(self) -> dt.date:
        """End of the outcome window: twelve months after as-of, or the end of the data."""
        return min(add_months(self.as_of, 12), self.end)

    @property
    def month_starts(self) -> np.ndarray:
        """``months + 1`` day numbers: the first day of each month and the end."""
        return np.array([day_number(add_months(self.start, k)) for k in range(self.months + 1)],
                        dtype=np.int64)

    @property
    def start_day(self) -> int:
        return day_number(self.start)

    @property
    def end_day(self) -> int:
        return day_number(self.end)

    @property
    def as_of_day(self) -> int:
        return day_number(self.as_of)

    @property
    def perf_end_day(self) -> int:
        return day_number(self.perf_end)


@dataclass(frozen=True)
class Params:
    """Coefficients of the generative model (see docs/simulation.md for the story)."""

    # Coverage and outcomes (the two switches of the command line).
    no_credit_share: float = 0.4
    target_bad_rate: float = 0.06

    # Latent traits. Creditworthiness is a mix of a community effect (homophily) and an
    # individual part that leans on income, conscientiousness and stability.
    community_mean_size: float = 8.0
    cw_homophily: float = 0.45  # share of creditworthiness variance shared in a community
    income_homophily: float = 0.20
    cw_on_income: float = 0.30
    cw_on_conscientiousness: float = 0.45
    cw_on_stability: float = 0.40

    # Shocks (latent, independent of every trait): monthly onset probabilities, mean durations.
    job_loss_rate: float = 0.008
    job_loss_months: float = 6.0
    illness_rate: float = 0.003
    illness_months: float = 3.0

    # Credit: monthly chance to miss a payment while current (logit) and to roll on while late.
    miss_intercept: float = -4.4
    miss_on_cw: float = 1.6
    miss_on_shock: float = 2.5
    roll_intercept: float = -1.0
    roll_on_cw: float = 0.8
    roll_on_shock: float = 2.5
    utilisation_on_cw: float = 0.2  # logit of card utilisation per unit of -creditworthiness
    utilisation_noise: float = 1.0  # person-level noise on that logit
    charge_off_cycles: int = 4  # missed cycles (120 days) before an account is charged off
    # The thin file's first credit line (pay-later): monthly chance to obtain one (logit;
    # about 2.5% a month for an average person, more for the digitally engaged) and its limit.
    first_line_intercept: float = -3.65
    first_line_on_digital: float = 0.5
    first_line_limit: float = 250.0

    # Coverage of sources (logit intercepts; digital engagement raises them).
    orders_coverage: float = 1.6
    bills_coverage: float = 1.2
    transfers_coverage: float = 1.2
    address_coverage: float = 0.92

    # Orders: mean orders a month for an average person, amount lognormal sigma.
    orders_per_month: float = 1.6
    order_amount_sigma: float = 0.85

    # Bills: on-time payment logit.
    bill_on_time: float = 2.0
    bill_on_time_on_conscientiousness: float = 0.8
    bill_on_time_on_shock: float = 1.8

    # Transfers: mean payments a month, share sent inside the own community.
    transfers_per_month: float = 1.3
    transfers_in_community: float = 0.85
    # Support from friends: monthly transfers received, more for the less creditworthy and
    # much more during a shock (informal lending).
    support_per_month: float = 0.4
    support_on_cw: float = 1.0
    support_in_shock: float = 0.9

    # Merchants.
    shop_owner_rate: float = 0.03
    merchant_loan_share: float = 0.8  # of shop owners who have credit
    # The merchant loan's chain reads the shop's standardised health times this scale where
    # a person's reads creditworthiness (see benne.simulate.merchants).
    merchant_health_scale: float = 0.55
    # Logit added to a merchant loan's monthly chance to miss: small shops default more often
    # than people (the shift calibrated for people is not re-calibrated for shops).
    merchant_miss_shift: float = 0.8

    calibration_people: int = 20_000  # size of the sample the bad rate is calibrated on

    def __post_init__(self) -> None:
        if not 0.0 <= self.no_credit_share < 1.0:
            raise InputError(f"no_credit_share must be in [0, 1); got {self.no_credit_share}.",
                             fix="pass a share such as 0.4")
        if not 0.005 <= self.target_bad_rate <= 0.5:
            raise InputError(f"target_bad_rate must be in [0.005, 0.5]; got "
                             f"{self.target_bad_rate}.", fix="pass a rate such as 0.06")

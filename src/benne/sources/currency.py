"""The store's currency: what its amounts are in, and what one US dollar is worth in it.

Every amount in a store is in one currency, the *store currency*. A store loaded from a mapping
records it (the mapping's reporting ``currency``, or the one currency of its files) in the
``store_currency`` table, with the value of one US dollar in that currency when the mapping
gives it (``[currencies] USD = ...``, or 1 for a store in US dollars). A store without that
table (the simulator's, one loaded with plain ``benne ingest`` or with a mapping that names no
currency) is in US dollars.

Feature thresholds that are fixed amounts are written in US dollars (the *reference currency*)
and converted into the store currency with that rate; when the rate is unknown they cannot be
converted and the features that use them are left empty, with a notice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from benne.exceptions import ConfigError

__all__ = ["CURRENCY_TABLE", "REFERENCE_CURRENCY", "USD", "Currency", "read_currency",
           "record_currency"]

CURRENCY_TABLE = "store_currency"
REFERENCE_CURRENCY = "USD"


@dataclass(frozen=True)
class Currency:
    """A store currency ``code`` and the value of one US dollar in it (None: not known)."""

    code: str = REFERENCE_CURRENCY
    usd_rate: float | None = 1.0

    def __post_init__(self) -> None:
        if self.code == REFERENCE_CURRENCY and self.usd_rate != 1.0:
            object.__setattr__(self, "usd_rate", 1.0)
        rate = self.usd_rate
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ConfigError(f"the value of one US dollar must be a positive number; got "
                              f"{rate!r}", fix=f"give USD = <value of one US dollar in "
                                               f"{self.code}> under [currencies]")

    def from_usd(self, amount: float) -> float | None:
        """``amount`` US dollars in this currency, or None when the rate is not known."""
        return None if self.usd_rate is None else amount * self.usd_rate


USD = Currency()


def read_currency(con: Any) -> Currency:
    """The currency a DuckDB store records (US dollars when it records none)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                         "AND table_schema = 'main'", [CURRENCY_TABLE]).fetchall()[0][0]
    if not exists:
        return USD
    rows = con.execute(f"SELECT currency, usd_rate FROM {CURRENCY_TABLE}").fetchall()
    return Currency(rows[0][0], rows[0][1]) if rows else USD


def record_currency(con: Any, currency: Currency) -> Currency:
    """Record the store currency (inside the load's transaction) and return what is recorded.

    A store keeps one currency: a different one is refused, and so is a first currency other
    than US dollars for a store that already holds data (taken as US dollars). A rate to the
    US dollar given again replaces the recorded one; a load that gives none keeps it.
    """
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                         "AND table_schema = 'main'", [CURRENCY_TABLE]).fetchall()[0][0]
    old = read_currency(con) if exists else None
    if old is None and currency.code != REFERENCE_CURRENCY:
        loads = con.execute("SELECT count(*) FROM ingest_log").fetchall()[0][0]
        if loads:
            old = USD
    if old is not None and old.code != currency.code:
        raise ConfigError(
            f"the store holds amounts in {old.code}; this mapping's amounts are in "
            f"{currency.code}",
            fix=f"load into a new store, or convert to {old.code}: currency = "
                f"\"{old.code}\" and {currency.code} = <value of one {currency.code} in "
                f"{old.code}> under [currencies]")
    rate = currency.usd_rate if currency.usd_rate is not None else (old.usd_rate if old else None)
    con.execute(f"CREATE TABLE IF NOT EXISTS {CURRENCY_TABLE} "
                "(currency VARCHAR NOT NULL, usd_rate DOUBLE)")
    con.execute(f"DELETE FROM {CURRENCY_TABLE}")
    con.execute(f"INSERT INTO {CURRENCY_TABLE} VALUES (?, ?)", [currency.code, rate])
    return Currency(currency.code, rate)

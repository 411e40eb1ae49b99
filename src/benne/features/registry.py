"""The feature registry: every feature benne computes, declared once.

Each feature names its view (source), window(s), aggregation, the dimension it belongs to, the
expected direction of risk (``increasing``: a higher value is riskier; binning uses it as the
monotone constraint), a plain description (used in reason codes) and a concrete tip for the
person. Protected attributes (gender, birth year, region) are never features: no definition
below reads them.

Names follow ``<source>__<what>_<window>``.

Interpersonal relationships read the transfer graph for two things a bureau can see in it.
*Support*: money received from friends, more often, in larger sums and month after month when
someone is short of money (informal lending); so receiving more is riskier, and so is money
going both ways with the same people (borrowing and paying back). *Homophily*: people send
money mostly within their own circle, whose members share much of their financial health; so
the counterparties' own credit records, as the bureau knew them strictly before as-of, say
something about the person; those features read data the counterparties never agreed to share,
so a model uses them only when asked (``TrainSettings.others_data``). Directions were checked
on the simulated population (each feature's information value with its direction against the
opposite one); no relationships feature reads the person's own credit record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ibis
from ibis import _

from benne.dimensions import FeatureMeta
from benne.features.definitions import Agg, Derived, Feature, Ratio, Window, money
from benne.sources.currency import USD, Currency
from benne.sources.custom import CustomSource

__all__ = ["CATEGORY_VALUES_MAX", "FEATURES", "LARGE_TRANSFER", "Catalog", "builtin_features",
           "custom_family", "feature_meta", "get_features", "load_definitions"]

W90, W180, W365, W1095 = Window(90), Window(180), Window(365), Window(1095)
PRIOR_90 = Window(180, 90)  # the 90 days before the last 90
NIGHT_HOURS = (0, 1, 2, 3, 4)

# A bill is paid on time when paid by its due date; a payment made on or after as_of is not
# known at as_of, so such a bill counts as unpaid (no leakage through paid_at).
_paid_known = _.paid_at.notnull() & (_.paid_at < _.as_of)
_on_time = _paid_known & (_.paid_at <= _.due_at)
_days_late = (_.paid_at.delta(_.due_at, unit="day")).clip(lower=0)
_utilisation = _.balance / _.credit_limit.nullif(0.0)
# A transfer "large" enough to be support rather than an everyday payment. A fixed amount keeps
# the feature one plain sentence and the same for everyone; it sits near the 80th percentile of
# all transfer amounts. On the demo population (20,000 people, as of 2024-10-01) the share of
# received transfers at or above it had IV 0.17, against 0.07-0.08 for thresholds relative to
# the person's own typical transfer (twice their median sent or received) and 0.12-0.22 for
# fixed amounts of 50-200. Relative thresholds blur support with the everyday payments of the
# well-off; a round amount is preferred to the best one so as not to fit one sample.
# The amount is in US dollars (the simulator's unit): a store in another currency converts it
# with the value of one US dollar it records (:mod:`benne.sources.currency`), and without that
# value the two features are left empty rather than compared with 100 of another currency.
LARGE_TRANSFER = 100.0  # US dollars
_incoming = ~_.outgoing



def _large_transfer_features(currency: Currency) -> tuple[Feature, Feature]:
    """The two features of transfers of ``LARGE_TRANSFER`` US dollars or more, in ``currency``.

    Without the value of one US dollar in ``currency`` the threshold cannot be converted: the
    features are then constant nulls (see :meth:`Catalog.notices`).
    """
    threshold = currency.from_usd(LARGE_TRANSFER)
    if currency.code == USD.code:
        shown = f"{LARGE_TRANSFER:.0f}"
    elif threshold is not None:
        shown = f"{threshold:,.0f} {currency.code}"
    else:
        shown = f"{LARGE_TRANSFER:.0f} US dollars"
    tip = ("Large transfers from friends look like informal loans: "
           "keep savings for bigger expenses instead of borrowing from people you know.")
    count_desc = f"Number of transfers of {shown} or more you received in the last 12 months."
    share_desc = (f"Share of the transfers you received in the last 12 months that were "
                  f"{shown} or more.")
    if threshold is None:
        empty = Derived((), lambda: ibis.null("float64"))
        return (Feature("transfers__large_in_count_365d", "relationships", "transfers", empty,
                        "increasing", count_desc, tip, windows=(W365,)),
                Feature("transfers__large_in_share_365d", "relationships", "transfers", empty,
                        "increasing", share_desc, tip, windows=(W365,)))
    large = _.amount >= threshold
    return (Feature("transfers__large_in_count_365d", "relationships", "transfers",
                    Agg("count", where=_incoming & large, window=W365), "increasing",
                    count_desc, tip),
            Feature("transfers__large_in_share_365d", "relationships", "transfers",
                    Agg("share", predicate=large, where=_incoming, window=W365),
                    "increasing", share_desc, tip))


MONEY_THRESHOLD_FEATURES = ("transfers__large_in_count_365d", "transfers__large_in_share_365d")

_FEATURES: tuple[Feature, ...] = (
    # ── credit history ──────────────────────────────────────────────────────────────────────
    Feature("credit__months_on_file", "credit_history", "credit",
            Agg("nunique", _.t.truncate("M")), "decreasing",
            "Number of months with a credit product on file.",
            "Keep one small credit product open and in good standing."),
    Feature("credit__accounts_365d", "credit_history", "credit",
            Agg("nunique", _.account_id, window=W365), "increasing",
            "Number of credit accounts with a statement in the last 12 months.",
            "Avoid opening several credit products at once."),
    Feature("credit__worst_dpd_365d", "credit_history", "credit",
            Agg("max", _.days_past_due, window=W365), "increasing",
            "Worst days past due on any credit statement in the last 12 months.",
            "Pay every credit instalment by its due date."),
    Feature("credit__worst_dpd_90d", "credit_history", "credit",
            Agg("max", _.days_past_due, window=W90), "increasing",
            "Worst days past due on any credit statement in the last 3 months.",
            "Bring any overdue credit payment up to date now."),
    Feature("credit__late_statements_365d", "credit_history", "credit",
            Agg("count", where=_.days_past_due >= 30, window=W365), "increasing",
            "Number of credit statements 30 or more days past due in the last 12 months.",
            "Set up automatic payments so no instalment runs 30 days late."),
    Feature("credit__utilisation_90d", "credit_history", "credit",
            Ratio(Agg("sum", money(_.balance), window=W90),
                  Agg("sum", money(_.credit_limit), window=W90)), "increasing",
            "Share of credit limits in use over the last 3 months.",
            "Keep balances below a third of your credit limits."),
    Feature("credit__max_utilisation_365d", "credit_history", "credit",
            Agg("max", _utilisation, window=W365), "increasing",
            "Highest share of a credit limit in use on any statement in the last 12 months.",
            "Avoid maxing out any credit product."),
    Feature("credit__charged_off_ever", "credit_history", "credit",
            Agg("max", (_.status == "charged_off").cast("int8")), "increasing",
            "Whether any credit account was ever charged off (1) or not (0).",
            "Settle any charged-off debt with the lender."),
    Feature("credit__days_since_delinquency", "credit_history", "credit",
            Agg("days_since_last", where=_.days_past_due >= 30), "decreasing",
            "Days since the last credit statement 30 or more days past due.",
            "Keep every credit payment current; old late payments weigh less with time."),
    Feature("credit__balance_trend_90d", "credit_history", "credit",
            Ratio(Agg("sum", money(_.balance), window=W90),
                  Agg("sum", money(_.balance), window=PRIOR_90)), "increasing",
            "Credit balances in the last 3 months against the 3 months before.",
            "Pay balances down rather than letting them grow."),
    # ── behaviour and preferences ───────────────────────────────────────────────────────────
    Feature("orders__count_90d", "behaviour", "orders",
            Agg("count", window=W90), "decreasing",
            "Number of orders in the last 3 months.",
            "Keep using the platform for everyday purchases."),
    Feature("orders__count_365d", "behaviour", "orders",
            Agg("count", window=W365), "decreasing",
            "Number of orders in the last 12 months.",
            "Regular, steady use of the platform builds your record."),
    Feature("orders__active_months_365d", "behaviour", "orders",
            Agg("nunique", _.t.truncate("M"), window=W365), "decreasing",
            "Number of months with at least one order in the last 12 months.",
            "Shop a little every month rather than in rare bursts."),
    Feature("orders__return_rate_365d", "behaviour", "orders",
            Agg("share", predicate=_.status == "returned", window=W365), "increasing",
            "Share of orders returned in the last 12 months.",
            "Buy what you mean to keep; frequent returns count against you."),
    Feature("orders__cancel_rate_365d", "behaviour", "orders",
            Agg("share", predicate=_.status == "cancelled", window=W365), "increasing",
            "Share of orders cancelled in the last 12 months.",
            "Place orders you intend to complete."),
    Feature("orders__night_share_365d", "behaviour", "orders",
            Agg("share", predicate=_.hour.isin(NIGHT_HOURS), window=W365), "increasing",
            "Share of orders placed between midnight and 5 a.m. in the last 12 months.",
            "Plan purchases during the day instead of late at night."),
    Feature("orders__categories_365d", "behaviour", "orders",
            Agg("nunique", _.category, window=W365), "decreasing",
            "Number of different product categories bought in the last 12 months.",
            "Use the platform for a range of everyday needs."),
    Feature("orders__luxury_lottery_share_365d", "behaviour", "orders",
            Agg("share", predicate=_.category.isin(("luxury", "lottery")), window=W365),
            "increasing",
            "Share of orders for luxury goods or lottery in the last 12 months.",
            "Keep luxury and lottery spending a small part of your purchases."),
    Feature("orders__mean_amount_365d", "behaviour", "orders",
            Agg("mean", money(_.amount), window=W365), "decreasing",
            "Average order value in the last 12 months.",
            "Steady everyday purchases show a stable budget."),
    Feature("orders__days_since_last", "behaviour", "orders",
            Agg("days_since_last"), "increasing",
            "Days since the last order.",
            "Stay active on the platform."),
    Feature("identity__device_ios", "behaviour", "identity",
            Agg("max", (_.device_os == "ios").cast("int8")), "decreasing",
            "Whether the main device runs iOS (1) or not (0).",
            "Keep your main device registered and up to date."),
    # ── fulfilment capacity ─────────────────────────────────────────────────────────────────
    Feature("bills__on_time_share_365d", "fulfilment", "bills",
            Agg("share", predicate=_on_time, window=W365), "decreasing",
            "Share of bills due in the last 12 months paid by their due date.",
            "Pay bills before the due date."),
    Feature("bills__on_time_share_90d", "fulfilment", "bills",
            Agg("share", predicate=_on_time, window=W90), "decreasing",
            "Share of bills due in the last 3 months paid by their due date.",
            "Pay this quarter's bills before the due date; recent months count most."),
    Feature("bills__rent_on_time_share_365d", "fulfilment", "bills",
            Agg("share", predicate=_on_time, where=_.biller_type == "rent", window=W365),
            "decreasing",
            "Share of rent bills due in the last 12 months paid by their due date.",
            "Pay rent on or before the day it is due."),
    Feature("bills__unpaid_365d", "fulfilment", "bills",
            Agg("count", where=~_paid_known, window=W365), "increasing",
            "Number of bills due in the last 12 months still unpaid.",
            "Settle unpaid bills; each open bill counts against you."),
    Feature("bills__mean_days_late_365d", "fulfilment", "bills",
            Agg("mean", _days_late, where=_paid_known, window=W365), "increasing",
            "Average days late of bills paid in the last 12 months.",
            "Pay bills a few days early to absorb surprises."),
    Feature("bills__max_days_late_365d", "fulfilment", "bills",
            Agg("max", _days_late, where=_paid_known, window=W365), "increasing",
            "Most days late of any bill paid in the last 12 months.",
            "Set reminders so no bill is paid weeks late."),
    Feature("bills__count_365d", "fulfilment", "bills",
            Agg("count", window=W365), "decreasing",
            "Number of bills in your name due in the last 12 months.",
            "Put regular bills (phone, utilities, rent) in your own name."),
    Feature("bills__amount_365d", "fulfilment", "bills",
            Agg("sum", money(_.amount), window=W365), "decreasing",
            "Total amount billed in the last 12 months.",
            "Keep regular bills in your name and pay them reliably."),
    Feature("savings__latest_balance_365d", "fulfilment", "savings",
            Agg("latest", _.balance, window=W365), "decreasing",
            "Latest savings balance in the last 12 months.",
            "Put a little aside in savings every month."),
    Feature("savings__mean_balance_365d", "fulfilment", "savings",
            Agg("mean", money(_.balance), window=W365), "decreasing",
            "Average savings balance over the last 12 months.",
            "Keep a steady savings buffer rather than emptying it."),
    Feature("savings__balance_trend_90d", "fulfilment", "savings",
            Ratio(Agg("mean", money(_.balance), window=W90),
                  Agg("mean", money(_.balance), window=PRIOR_90)), "decreasing",
            "Average savings balance in the last 3 months against the 3 months before.",
            "Grow your savings a little each month."),
    Feature("savings__snapshots_365d", "fulfilment", "savings",
            Agg("count", window=W365), "decreasing",
            "Number of savings balance records in the last 12 months.",
            "Keep a savings account active."),
    Feature("orders__spend_90d", "fulfilment", "orders",
            Agg("sum", money(_.amount), where=_.status != "cancelled", window=W90),
            "decreasing",
            "Amount spent on completed orders in the last 3 months.",
            "Keep spending steady and within your means."),
    Feature("orders__spend_365d", "fulfilment", "orders",
            Agg("sum", money(_.amount), where=_.status != "cancelled", window=W365),
            "decreasing",
            "Amount spent on completed orders in the last 12 months.",
            "Keep spending steady and within your means."),
    Feature("orders__spend_trend_90d", "fulfilment", "orders",
            Ratio(Agg("sum", money(_.amount), where=_.status != "cancelled", window=W90),
                  Agg("sum", money(_.amount), where=_.status != "cancelled",
                      window=PRIOR_90)), "decreasing",
            "Spending in the last 3 months against the 3 months before.",
            "Avoid sharp drops or spikes in spending."),
    Feature("savings__months_of_spend_365d", "fulfilment", "savings",
            Derived(("savings__latest_balance_365d", "orders__spend_365d"),
                    lambda balance, spend: balance / (spend / 12.0).nullif(0.0)),
            "decreasing",
            "Months of your average spending that your latest savings would cover.",
            "Build savings worth at least three months of spending."),
    Feature("merchant_sales__gmv_90d", "fulfilment", "merchant_sales",
            Agg("sum", money(_.gmv), window=W90), "decreasing",
            "Sales of your shops in the last 3 months.",
            "Keep your shop trading regularly."),
    Feature("merchant_sales__gmv_trend_90d", "fulfilment", "merchant_sales",
            Ratio(Agg("sum", money(_.gmv), window=W90),
                  Agg("sum", money(_.gmv), window=PRIOR_90)), "decreasing",
            "Shop sales in the last 3 months against the 3 months before.",
            "Grow your shop's sales steadily."),
    Feature("merchant_sales__refund_rate_365d", "fulfilment", "merchant_sales",
            Ratio(Agg("sum", _.refunds, window=W365), Agg("sum", _.orders, window=W365)),
            "increasing",
            "Share of your shops' orders refunded in the last 12 months.",
            "Describe products accurately to keep refunds low."),
    Feature("merchant_sales__mean_rating_365d", "fulfilment", "merchant_sales",
            Agg("mean", _.rating.cast("decimal(18, 6)"), window=W365), "decreasing",
            "Average customer rating of your shops in the last 12 months.",
            "Serve customers well to keep ratings high."),
    Feature("merchants__shop_age_days", "fulfilment", "merchants",
            Agg("days_since_first"), "decreasing",
            "Days since your first shop opened.",
            "Keep your shop open and trading."),
    # ── identity characteristics ────────────────────────────────────────────────────────────
    Feature("identity__real_name_verified", "identity", "identity",
            Agg("max", _.real_name_verified.cast("int8")), "decreasing",
            "Whether your real name is verified against an ID (1) or not (0).",
            "Verify your real name with an ID document."),
    Feature("identity__account_age_days", "identity", "identity",
            Agg("days_since_first"), "decreasing",
            "Days since you opened your platform account.",
            "Keep using the same account rather than opening new ones."),
    Feature("identity__phone_tenure_days", "identity", "identity",
            Agg("max", _.as_of.delta(_.phone_number_since, unit="day"),
                where=_.phone_number_since < _.as_of), "decreasing",
            "Days you have held your current phone number.",
            "Keep the same phone number."),
    Feature("addresses__moves_1095d", "identity", "addresses",
            Agg("count", window=W1095), "increasing",
            "Number of moves of residence in the last 3 years.",
            "A stable address helps; register each move promptly."),
    Feature("addresses__days_at_current", "identity", "addresses",
            Agg("days_since_last"), "decreasing",
            "Days since you moved into your current address.",
            "Stay at your current address: the longer you live there, the more this counts."),
    Feature("addresses__moves_180d", "identity", "addresses",
            Agg("count", window=W180), "increasing",
            "Number of moves of residence in the last 6 months.",
            "Register your address as soon as you move."),
    # ── interpersonal relationships ─────────────────────────────────────────────────────────
    Feature("transfers__counterparties_365d", "relationships", "transfers",
            Agg("nunique", _.counterparty, window=W365), "decreasing",
            "Number of people you sent money to or received money from in the last 12 months.",
            "Use your wallet with the people you deal with regularly."),
    Feature("transfers__count_365d", "relationships", "transfers",
            Agg("count", window=W365), "increasing",
            "Number of transfers you sent or received in the last 12 months.",
            "Many transfers with friends, most of them coming in, lower your score: "
            "cover everyday costs from your own income where you can."),
    Feature("transfers__in_out_ratio_365d", "relationships", "transfers",
            Ratio(Agg("sum", money(_.amount), where=_incoming, window=W365),
                  Agg("sum", money(_.amount), where=~_incoming, window=W365)), "increasing",
            "Money received against money sent by transfer in the last 12 months.",
            "Relying on transfers from others to cover your spending lowers your score: "
            "a small monthly buffer lets you pay your own way."),
    Feature("transfers__reciprocity_365d", "relationships", "counterparties",
            Agg("share", predicate=_.reciprocal), "increasing",
            "Share of the people you transacted with in the last 12 months with money going "
            "both ways, as when borrowing and paying back.",
            "Borrowing from friends and paying them back lowers your score a little: "
            "keep a buffer so everyday costs do not need a loan."),
    # Support from friends (informal lending): who receives it, how often, how much.
    Feature("transfers__in_count_90d", "relationships", "transfers",
            Agg("count", where=_incoming, window=W90), "increasing",
            "Number of transfers you received in the last 3 months.",
            "Relying on frequent transfers from friends to cover spending lowers your score: "
            "build a small buffer so you need them less often."),
    Feature("transfers__in_months_365d", "relationships", "transfers",
            Agg("nunique", _.t.truncate("M"), where=_incoming, window=W365), "increasing",
            "Number of months in the last 12 in which you received money by transfer.",
            "Needing money from others month after month lowers your score: "
            "plan a monthly budget that covers your own costs."),
    Feature("transfers__in_amount_365d", "relationships", "transfers",
            Agg("sum", money(_.amount), where=_incoming, window=W365), "increasing",
            "Total money you received by transfer in the last 12 months.",
            "Large sums received from friends suggest borrowing: "
            "rely on your own savings for bigger costs where you can."),
    # Counterparties' own credit records, as the bureau knew them before as_of (homophily).
    Feature("transfers__counterparty_delinquent_share_365d", "relationships", "counterparties",
            Agg("share", predicate=_.delinquent, where=_.delinquent.notnull()), "increasing",
            "Share of the people you transacted with in the last 12 months (those with a "
            "credit record) who have ever been 30 or more days late on a credit payment.",
            "Money shared with people behind on their own credit tends to go with strain: "
            "avoid lending to or borrowing from people who are behind on their debts."),
    Feature("transfers__counterparty_worst_dpd_mean_365d", "relationships", "counterparties",
            Agg("mean", _.worst_dpd_365d), "increasing",
            "Average, over the people you transacted with in the last 12 months who have "
            "credit, of their worst days past due in those 12 months.",
            "Money shared with people behind on their own credit tends to go with strain: "
            "avoid lending to or borrowing from people who are behind on their debts."),
    Feature("transfers__counterparty_prior_score_mean_365d", "relationships", "counterparties",
            Agg("mean", _.prior_score.cast("decimal(18, 2)")), "decreasing",
            "Average earlier benne score of the people you transacted with in the last year.",
            "Transact with people you know and trust."),
    Feature("transfers__counterparty_prior_score_min_365d", "relationships", "counterparties",
            Agg("min", _.prior_score), "decreasing",
            "Lowest earlier benne score among the people you transacted with in the last year.",
            "Be careful with whom you share money."),
)


@lru_cache(maxsize=16)
def builtin_features(currency: Currency = USD) -> tuple[Feature, ...]:
    """The built-in features of a store whose amounts are in ``currency`` (thresholds that
    are fixed amounts converted from US dollars), in registry order."""
    large = dict(zip(MONEY_THRESHOLD_FEATURES, _large_transfer_features(currency), strict=True))
    at = next(i for i, f in enumerate(_FEATURES)
              if f.name == "transfers__in_amount_365d") + 1
    return (*_FEATURES[:at], *large.values(), *_FEATURES[at:])


FEATURES: tuple[Feature, ...] = builtin_features(USD)


CATEGORY_VALUES_MAX = 12  # per category column, the most frequent values above the floor


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")[:30] or "blank"


def custom_family(cs: CustomSource, values: Mapping[str, Sequence[str]] | None = None
                  ) -> list[Feature]:
    """The standard features of a custom source, in its dimension.

    Counts over 90 and 365 days and all history, months active in the year (regularity),
    recency and tenure, the 90-day trend against the 90 days before; for an amount its sums,
    mean, maximum, latest value and trend; for each number its mean and latest value; for each
    category value in ``values`` (those above the source's frequency floor) its share of the
    events, over all history and over the year. Directions are ``auto``: binning finds them.
    """
    s, d, what = cs.name, cs.dimension, cs.description or f"{cs.name} events"
    tip = f"Your {cs.name} record counts in this dimension; keep it steady and regular."

    def f(name: str, agg: Agg | Ratio, desc: str) -> Feature:
        return Feature(f"{s}__{name}", d, s, agg, "auto", f"{desc} ({what}).", tip)

    out = [
        f("count_90d", Agg("count", window=W90), "Number of events in the last 3 months"),
        f("count_365d", Agg("count", window=W365), "Number of events in the last 12 months"),
        f("count", Agg("count"), "Number of events ever"),
        f("active_months_365d", Agg("nunique", _.t.truncate("M"), window=W365),
          "Months with at least one event in the last 12 months"),
        f("days_since_last", Agg("days_since_last"), "Days since the last event"),
        f("days_since_first", Agg("days_since_first"), "Days since the first event"),
        f("count_trend_90d", Ratio(Agg("count", window=W90), Agg("count", window=PRIOR_90)),
          "Events in the last 3 months against the 3 months before"),
    ]
    if cs.amount:
        out += [
            f("amount_sum_90d", Agg("sum", money(_.amount), window=W90),
              "Total amount in the last 3 months"),
            f("amount_sum_365d", Agg("sum", money(_.amount), window=W365),
              "Total amount in the last 12 months"),
            f("amount_mean_365d", Agg("mean", money(_.amount), window=W365),
              "Average amount in the last 12 months"),
            f("amount_max_365d", Agg("max", _.amount, window=W365),
              "Largest amount in the last 12 months"),
            f("amount_latest", Agg("latest", _.amount), "Latest amount"),
            f("amount_trend_90d", Ratio(Agg("sum", money(_.amount), window=W90),
                                        Agg("sum", money(_.amount), window=PRIOR_90)),
              "Amount in the last 3 months against the 3 months before"),
        ]
    for n in cs.numbers:
        out += [
            f(f"{n}_mean_365d", Agg("mean", _[n].cast("decimal(18, 6)"), window=W365),
              f"Average {n} in the last 12 months"),
            f(f"{n}_latest", Agg("latest", _[n]), f"Latest {n}"),
        ]
    for c, vals in (values or {}).items():
        seen: set[str] = set()
        for v in vals:
            slug = _slug(v)
            if slug in seen:
                continue
            seen.add(slug)
            hit = _[c] == v
            out += [
                f(f"{c}_{slug}_share", Agg("share", predicate=hit),
                  f"Share of events with {c} {v!r}"),
                f(f"{c}_{slug}_share_365d", Agg("share", predicate=hit, window=W365),
                  f"Share of events in the last 12 months with {c} {v!r}"),
            ]
    return out


@dataclass(frozen=True)
class Catalog:
    """Every feature a run can compute: built-in, custom-source families and user definitions.

    ``features`` are the defaults (computed when no names are asked for); ``extra`` are
    definitions that resolve by name but are not computed by default (category values under
    the frequency floor, kept so a model that uses one can still be scored).
    """

    features: tuple[Feature, ...]
    custom: tuple[CustomSource, ...] = ()
    extra: tuple[Feature, ...] = ()
    currency: Currency = USD

    @classmethod
    def build(cls, custom: Sequence[CustomSource] = (),
              frequencies: Mapping[str, Mapping[str, Sequence[tuple[str, int]]]] | None = None,
              definitions: Sequence[Feature] = (), currency: Currency = USD) -> Catalog:
        """Built-in features (in the store ``currency``), the family of each custom source,
        then ``definitions``.

        ``frequencies[source][category]`` lists ``(value, rows)`` most frequent first.
        """
        freq = frequencies or {}
        feats, extra = list(builtin_features(currency)), []
        for cs in custom:
            chosen, rest = {}, {}
            for c in cs.categories:
                pairs = list(freq.get(cs.name, {}).get(c, ()))
                total = sum(n for _v, n in pairs) or 1
                above = [v for v, n in pairs if n / total >= cs.category_floor]
                chosen[c] = above[:CATEGORY_VALUES_MAX]
                rest[c] = [v for v, _n in pairs if v not in chosen[c]][:200]
            feats += custom_family(cs, chosen)
            base = {f.name for f in custom_family(cs)}
            extra += [f for f in custom_family(cs, rest) if f.name not in base]
        names = {f.name for f in feats}
        for f in definitions:
            if f.name in names:
                from benne.exceptions import ConfigError

                raise ConfigError(f"feature {f.name!r} is defined twice",
                                  fix="give your feature another name")
            names.add(f.name)
            feats.append(f)
        extra = [f for f in extra if f.name not in names]
        return cls(tuple(feats), tuple(custom), tuple(extra), currency)

    def notices(self, chosen: Sequence[Feature]) -> list[str]:
        """One line per reason some of ``chosen`` are left empty by the store's money."""
        if self.currency.usd_rate is not None:
            return []
        builtin = {f.name: f for f in builtin_features(self.currency)}
        empty = [f.name for f in chosen if builtin.get(f.name) is f
                 and f.name in MONEY_THRESHOLD_FEATURES]
        if not empty:
            return []
        code = self.currency.code
        return [f"{', '.join(empty)} left empty: their threshold is {LARGE_TRANSFER:.0f} US "
                f"dollars and the store's amounts are in {code}, with no value of the US dollar "
                f"in {code}; add USD = <value of one US dollar in {code}> under [currencies] in "
                f"the mapping and load it again"]

    def resolve(self, wanted: Sequence[str | Feature] | None = None, *,
                entity: str = "person") -> list[Feature]:
        """The definitions asked for (names or definitions, in that order), or the defaults
        of the ``entity`` kind (people's: :attr:`features`; shops':
        :data:`benne.features.merchants.MERCHANT_FEATURES`)."""
        from benne.exceptions import NotFoundError
        from benne.features.merchants import MERCHANT_EXTRA, MERCHANT_FEATURES

        if wanted is None:
            return list(self.features) if entity == "person" else list(MERCHANT_FEATURES)
        by_name = {f.name: f for f in (*self.features, *self.extra, *MERCHANT_FEATURES,
                                       *MERCHANT_EXTRA)}
        out = []
        for w in wanted:
            if isinstance(w, Feature):
                out.append(w)
            elif w in by_name:
                out.append(by_name[w])
            else:
                raise NotFoundError(f"unknown feature {w!r}",
                                    fix="run 'benne features list' to see the feature names")
        return out

    def registry(self, chosen: Sequence[Feature] = ()) -> dict[str, Feature]:
        """Name -> definition, for resolving the inputs of derived features."""
        from benne.features.merchants import MERCHANT_EXTRA, MERCHANT_FEATURES

        out = {f.name: f for f in (*self.features, *self.extra, *MERCHANT_FEATURES,
                                   *MERCHANT_EXTRA)}
        out.update({f.name: f for f in chosen})
        return out

    def meta(self) -> dict[str, FeatureMeta]:
        """Metadata of every feature by name, the shops' included."""
        from benne.features.merchants import MERCHANT_FEATURES

        return {f.name: f.meta() for f in (*self.features, *self.extra, *MERCHANT_FEATURES)}


def load_definitions(path: Path | str) -> list[Feature]:
    """User-defined features from a Python file: its ``FEATURES`` list of :class:`Feature`.

    Nothing is registered globally: pass the result to ``compute_features(definitions=...)``.
    """
    import importlib.util

    from benne.exceptions import ConfigError

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no definitions file {path}", where=str(path), fix="check the path")
    spec = importlib.util.spec_from_file_location(f"benne_user_features_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {path} as Python", where=str(path),
                          fix="give a .py file defining FEATURES")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module: report its own error in one line
        raise ConfigError(f"loading {path.name} failed: {type(exc).__name__}: {exc}",
                          where=str(path), fix="fix the definitions file") from exc
    feats = getattr(module, "FEATURES", None)
    if not isinstance(feats, list | tuple) or not all(isinstance(f, Feature) for f in feats):
        raise ConfigError(f"{path.name} must define FEATURES, a list of benne Feature",
                          where=str(path),
                          fix="from benne.features.definitions import Feature, Agg, Window")
    return list(feats)


def get_features(names: list[str] | tuple[str, ...] | None = None) -> list[Feature]:
    """The built-in definitions named (in the order given), or all of them in registry order
    (for a store in US dollars)."""
    return Catalog(FEATURES).resolve(names)


def feature_meta(store: Path | str | None = None) -> dict[str, FeatureMeta]:
    """Metadata of every feature, by name: built-in ones, and the custom sources' families of
    ``store`` when given."""
    if store is None:
        return Catalog(FEATURES).meta()
    from benne.features.engines import DuckDBEngine

    with DuckDBEngine(store) as eng:
        return eng.catalog().meta()

"""The shops' features: declared with the people's vocabulary, over the shops' views.

A shop (entity kind ``merchant``) is featured, labelled and scored like a person, through the
same definitions (:class:`~benne.features.definitions.Feature`), the same as-of semantics and
the same engines; only its views (:mod:`benne.features.views`: ``shop``, ``shop_sales``,
``shop_owner_credit``, ``shop_owner_scores``) and its four dimensions
(:data:`benne.dimensions.MERCHANT_DIMENSIONS`) are its own. Tips speak to the shop owner.

Decisions:

- *Seasonality-adjusted growth* is year on year: sales in the last 90 days against the same
  90 days a year earlier (``Window(455, 365)``), so the season cancels out. It is missing
  (a missing bin of its own) unless at least 60 days of that year-ago window are on record: a
  window the data covers only partly (a young shop, a store whose history starts inside it)
  would give a ratio of 90 days against a few, a level rather than a growth.
- *Volatility* is the coefficient of variation of daily sales over 90 trading days, from the
  exact (decimal) mean of sales and of squared sales, so both engines agree to the bit.
- *Category* is one 0/1 feature per category (``auto`` direction: binning finds which are
  riskier); the categories are the source's closed list.
- The owner's own record (``owner`` dimension) reads the owner's credit statements, merchant
  loan included, and the owner's benne score of the latest earlier run. A model leaves the
  dimension out with ``--without-dimension owner``, as a person's model leaves out
  relationships.
- Refunds and ratings are compared with the shop's category in the reason texts (the scored
  population's median per category, :mod:`benne.scoring.merchants`), not inside a feature:
  a feature reads one shop's events only.
"""

from __future__ import annotations

from ibis import _

from benne.features.definitions import Agg, Derived, Feature, Ratio, Window, money
from benne.sources import MERCHANT_CATEGORIES

__all__ = ["MERCHANT_EXTRA", "MERCHANT_FEATURES", "category_feature"]

W90, W365 = Window(90), Window(365)
PRIOR_90 = Window(180, 90)
YEAR_AGO_90 = Window(455, 365)  # the same 90 days a year earlier
YEAR_AGO_MIN_DAYS = 60  # days on record in it for a year-on-year growth


def category_feature(category: str) -> str:
    """The name of the 0/1 feature of a shop category."""
    return f"shop__category_{category}"


def _category(category: str) -> Feature:
    return Feature(category_feature(category), "stability", "shop",
                   Agg("max", (_.category == category).cast("int8")), "auto",
                   f"Whether the shop sells in the {category.replace('_', ' ')} category (1) "
                   "or not (0).",
                   "Shops in some categories see steadier demand; widen your range into "
                   "steadier lines where it fits your trade.")


_SQ_MEAN = Feature("shop_sales__gmv_sq_mean_90d", "stability", "shop_sales",
                   Agg("mean", (_.gmv * _.gmv).cast("decimal(18, 2)"), window=W90),
                   "increasing", "Mean of squared daily sales in the last 3 months.",
                   "Keep daily sales steady.")

_YEAR_AGO = Feature("shop_sales__gmv_year_ago_90d", "trading", "shop_sales",
                    Agg("sum", money(_.gmv), window=YEAR_AGO_90), "decreasing",
                    "Your shop's sales in the same 3 months a year earlier.",
                    "Grow on last year's same season.")
_YEAR_AGO_DAYS = Feature("shop_sales__days_year_ago_90d", "trading", "shop_sales",
                         Agg("count", window=YEAR_AGO_90), "decreasing",
                         "Days of sales on record in the same 3 months a year earlier.",
                         "Keep trading through the year.")

# inputs of derived features, resolvable by name but not computed by default
MERCHANT_EXTRA: tuple[Feature, ...] = (_SQ_MEAN, _YEAR_AGO, _YEAR_AGO_DAYS)

MERCHANT_FEATURES: tuple[Feature, ...] = (
    # ── trading ─────────────────────────────────────────────────────────────────────────────
    Feature("shop_sales__gmv_90d", "trading", "shop_sales",
            Agg("sum", money(_.gmv), window=W90), "decreasing",
            "Your shop's sales in the last 3 months.",
            "Keep your shop trading every week: steady sales are the core of a shop's score."),
    Feature("shop_sales__gmv_mean_90d", "trading", "shop_sales",
            Agg("mean", money(_.gmv), window=W90), "decreasing",
            "Your shop's average daily sales in the last 3 months.",
            "Grow your daily sales with repeat customers and a full product range."),
    Feature("shop_sales__orders_90d", "trading", "shop_sales",
            Agg("sum", _.orders, window=W90), "decreasing",
            "Number of orders your shop received in the last 3 months.",
            "More orders, even small ones, show steady demand."),
    Feature("shop_sales__gmv_trend_90d", "trading", "shop_sales",
            Ratio(Agg("sum", money(_.gmv), window=W90),
                  Agg("sum", money(_.gmv), window=PRIOR_90)), "decreasing",
            "Your shop's sales in the last 3 months against the 3 months before.",
            "Sales falling quarter on quarter cost points: act early on a slowdown."),
    Feature("shop_sales__gmv_yoy_90d", "trading", "shop_sales",
            Derived(("shop_sales__gmv_90d", "shop_sales__gmv_year_ago_90d",
                     "shop_sales__days_year_ago_90d"),
                    lambda now, then, days: (now / then.nullif(0.0))
                    * (days >= YEAR_AGO_MIN_DAYS).cast("float64").nullif(0.0)),
            "decreasing",
            "Your shop's sales in the last 3 months against the same months a year earlier "
            "(growth with the season taken out).",
            "Grow on last year's same season: compare each quarter with a year before."),
    # ── stability ───────────────────────────────────────────────────────────────────────────
    Feature("shop_sales__gmv_volatility_90d", "stability", "shop_sales",
            Derived(("shop_sales__gmv_mean_90d", "shop_sales__gmv_sq_mean_90d"),
                    lambda m, m2: ((m2 - m * m).clip(lower=0.0)).sqrt() / m.nullif(0.0)),
            "increasing",
            "How much your shop's daily sales swing around their average in the last 3 months "
            "(standard deviation over mean).",
            "Smooth out sales swings: keep stock available and spread promotions over time."),
    Feature("shop_sales__trading_days_90d", "stability", "shop_sales",
            Agg("count", where=_.orders > 0, window=W90), "decreasing",
            "Number of days with at least one order in the last 3 months.",
            "Keep your shop open and stocked every day."),
    Feature("shop__age_days", "stability", "shop",
            Agg("days_since_first"), "decreasing",
            "Days since your shop opened.",
            "Keep your shop open: the longer it trades, the more this counts."),
    *(_category(c) for c in MERCHANT_CATEGORIES),
    # ── reputation ──────────────────────────────────────────────────────────────────────────
    Feature("shop_sales__refund_rate_365d", "reputation", "shop_sales",
            Ratio(Agg("sum", _.refunds, window=W365), Agg("sum", _.orders, window=W365)),
            "increasing",
            "Share of your shop's orders refunded in the last 12 months.",
            "Describe and photograph products accurately and pack them well to bring refunds "
            "down."),
    Feature("shop_sales__refund_rate_90d", "reputation", "shop_sales",
            Ratio(Agg("sum", _.refunds, window=W90), Agg("sum", _.orders, window=W90)),
            "increasing",
            "Share of your shop's orders refunded in the last 3 months.",
            "Check what this quarter's refunds were for and fix the most common cause."),
    Feature("shop_sales__rating_365d", "reputation", "shop_sales",
            Agg("mean", _.rating.cast("decimal(18, 6)"), window=W365), "decreasing",
            "Your shop's average customer rating in the last 12 months.",
            "Answer customers quickly and ship on time to raise your rating."),
    Feature("shop_sales__rating_trend_90d", "reputation", "shop_sales",
            Ratio(Agg("mean", _.rating.cast("decimal(18, 6)"), window=W90),
                  Agg("mean", _.rating.cast("decimal(18, 6)"), window=PRIOR_90)),
            "decreasing",
            "Your shop's average rating in the last 3 months against the 3 months before.",
            "A falling rating costs points: read recent reviews and fix what they name."),
    # ── owner ───────────────────────────────────────────────────────────────────────────────
    Feature("shop_owner_credit__worst_dpd_365d", "owner", "shop_owner_credit",
            Agg("max", _.days_past_due, window=W365), "increasing",
            "Worst days past due on any of your credit statements (your merchant loan "
            "included) in the last 12 months.",
            "Pay every instalment, your merchant loan's first, by its due date."),
    Feature("shop_owner_credit__late_statements_365d", "owner", "shop_owner_credit",
            Agg("count", where=_.days_past_due >= 30, window=W365), "increasing",
            "Number of your credit statements 30 or more days past due in the last 12 months.",
            "Set up automatic repayments so no instalment runs 30 days late."),
    Feature("shop_owner_scores__prior_score", "owner", "shop_owner_scores",
            Agg("latest", _.score), "decreasing",
            "Your own benne score from the latest earlier scoring run.",
            "Your personal score counts for your shop: see your own page for how to raise it."),
)

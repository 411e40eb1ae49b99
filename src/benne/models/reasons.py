"""Reason codes: a fixed catalogue, a plain statement and a tip a person can act on.

The catalogue is fixed, so a code means the same thing across retrainings and models, and a
person's history and the notices sent about them stay comparable:

- every feature of the registry has its code in :data:`FEATURE_CODES` (a two-letter dimension
  prefix and a number: ``CH03`` is "worst days past due in the last 12 months"). A code is never
  reused; a new feature gets the next free number of its dimension;
- a column without a fixed code (a flat table, a custom source) gets ``<prefix>-<6 hex>``, the
  first six hex digits of the SHA-256 of its name: the same name, the same code, always;
- missing data has its own reasons (:data:`MISSING`), one per source (``MD01`` "no credit
  record yet"): a person whose credit features are all missing is told exactly that and what
  would give them data, never that they paid late. A column without a source of its own gets
  ``MD-<6 hex>`` of its name.

A value reason's text names the person's bin and the best attainable bin, so the tip points from
one to the other: "Share of bills … paid by their due date: yours is over 0.5 up to 0.8, the
best is over 0.95. Pay bills before the due date — about +12 points." A column dictionary
(:func:`read_column_dictionary`, CSV or TOML: column, description, tip, dimension) gives the
columns of a flat table real statements and tips; without one the text is generic but still
names both bins ("Your value of credit_amount is over 5,000 up to 8,000; the best range is up
to 2,000: bring it towards that range").
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benne.dimensions import DIMENSIONS, FeatureMeta

__all__ = [
    "FEATURE_CODES",
    "MISSING",
    "PREFIXES",
    "Reason",
    "build_catalog",
    "code_for",
    "missing_code",
    "missing_text",
    "range_text",
    "read_column_dictionary",
    "reason_text",
    "source_of",
    "value_text",
]

PREFIXES: dict[str, str] = {
    "credit_history": "CH",
    "behaviour": "BH",
    "fulfilment": "FC",
    "identity": "ID",
    "relationships": "RL",
    "trading": "MT",
    "stability": "MS",
    "reputation": "MR",
    "owner": "MO",
    "other": "OT",
}

FEATURE_CODES: dict[str, str] = {
    "credit__months_on_file": "CH01",
    "credit__accounts_365d": "CH02",
    "credit__worst_dpd_365d": "CH03",
    "credit__worst_dpd_90d": "CH04",
    "credit__late_statements_365d": "CH05",
    "credit__utilisation_90d": "CH06",
    "credit__max_utilisation_365d": "CH07",
    "credit__charged_off_ever": "CH08",
    "credit__days_since_delinquency": "CH09",
    "credit__balance_trend_90d": "CH10",
    "orders__count_90d": "BH01",
    "orders__count_365d": "BH02",
    "orders__active_months_365d": "BH03",
    "orders__return_rate_365d": "BH04",
    "orders__cancel_rate_365d": "BH05",
    "orders__night_share_365d": "BH06",
    "orders__categories_365d": "BH07",
    "orders__luxury_lottery_share_365d": "BH08",
    "orders__mean_amount_365d": "BH09",
    "orders__days_since_last": "BH10",
    "identity__device_ios": "BH11",
    "bills__on_time_share_365d": "FC01",
    "bills__on_time_share_90d": "FC02",
    "bills__rent_on_time_share_365d": "FC03",
    "bills__unpaid_365d": "FC04",
    "bills__mean_days_late_365d": "FC05",
    "bills__max_days_late_365d": "FC06",
    "bills__count_365d": "FC07",
    "bills__amount_365d": "FC08",
    "savings__latest_balance_365d": "FC09",
    "savings__mean_balance_365d": "FC10",
    "savings__balance_trend_90d": "FC11",
    "savings__snapshots_365d": "FC12",
    "orders__spend_90d": "FC13",
    "orders__spend_365d": "FC14",
    "orders__spend_trend_90d": "FC15",
    "savings__months_of_spend_365d": "FC16",
    "merchant_sales__gmv_90d": "FC17",
    "merchant_sales__gmv_trend_90d": "FC18",
    "merchant_sales__refund_rate_365d": "FC19",
    "merchant_sales__mean_rating_365d": "FC20",
    "merchants__shop_age_days": "FC21",
    "identity__real_name_verified": "ID01",
    "identity__account_age_days": "ID02",
    "identity__phone_tenure_days": "ID03",
    "addresses__moves_1095d": "ID04",
    "addresses__days_at_current": "ID05",
    "addresses__moves_180d": "ID06",
    "transfers__counterparties_365d": "RL01",
    "transfers__count_365d": "RL02",
    "transfers__in_out_ratio_365d": "RL03",
    "transfers__reciprocity_365d": "RL04",
    "transfers__in_count_90d": "RL05",
    "transfers__in_months_365d": "RL06",
    "transfers__in_amount_365d": "RL07",
    "transfers__large_in_count_365d": "RL08",
    "transfers__large_in_share_365d": "RL09",
    "transfers__counterparty_delinquent_share_365d": "RL10",
    "transfers__counterparty_worst_dpd_mean_365d": "RL11",
    "transfers__counterparty_prior_score_mean_365d": "RL12",
    "transfers__counterparty_prior_score_min_365d": "RL13",
    # shops (entity kind merchant)
    "shop_sales__gmv_90d": "MT01",
    "shop_sales__gmv_mean_90d": "MT02",
    "shop_sales__orders_90d": "MT03",
    "shop_sales__gmv_trend_90d": "MT04",
    "shop_sales__gmv_yoy_90d": "MT05",
    "shop_sales__gmv_volatility_90d": "MS01",
    "shop_sales__trading_days_90d": "MS02",
    "shop__age_days": "MS03",
    "shop__category_food": "MS04",
    "shop__category_fashion": "MS05",
    "shop__category_electronics": "MS06",
    "shop__category_home": "MS07",
    "shop__category_beauty": "MS08",
    "shop__category_services": "MS09",
    "shop__category_agriculture": "MS10",
    "shop_sales__refund_rate_365d": "MR01",
    "shop_sales__refund_rate_90d": "MR02",
    "shop_sales__rating_365d": "MR03",
    "shop_sales__rating_trend_90d": "MR04",
    "shop_owner_credit__worst_dpd_365d": "MO01",
    "shop_owner_credit__late_statements_365d": "MO02",
    "shop_owner_scores__prior_score": "MO03",
}

# source (the part of a feature name before ``__``) -> (code, statement, tip)
MISSING: dict[str, tuple[str, str, str]] = {
    "credit": ("MD01", "No credit record yet",
               "A small credit product (a phone contract or a store card) paid on time for a few "
               "months gives your credit history data"),
    "orders": ("MD02", "No orders on the platform yet",
               "Everyday purchases on the platform give your behaviour data"),
    "bills": ("MD03", "No bills in your name yet",
              "Put a regular bill (phone, utilities, rent) in your own name and pay it by its "
              "due date"),
    "savings": ("MD04", "No savings account on record",
                "Open a savings account and put a little aside every month"),
    "merchant_sales": ("MD05", "No shop sales on record",
                       "If you run a shop, register it on the platform and trade through it"),
    "merchants": ("MD05", "No shop sales on record",
                  "If you run a shop, register it on the platform and trade through it"),
    "identity": ("MD06", "Your identity details are incomplete",
                 "Complete your profile: verify your name and register your phone number"),
    "addresses": ("MD07", "No address on record",
                  "Register your home address"),
    "transfers": ("MD08", "No transfers with other people yet",
                  "Use your wallet for the payments you make to people you deal with"),
    "counterparties": ("MD08", "No transfers with other people yet",
                       "Use your wallet for the payments you make to people you deal with"),
    # shops
    "shop": ("MD09", "No shop record yet",
             "Register your shop on the platform with its category and opening date"),
    "shop_sales": ("MD10", "No sales of your shop on record yet",
                   "Trade through the platform: each trading day gives your shop's score data"),
    "shop_owner_credit": ("MD11", "No credit record of the shop's owner yet",
                          "A small credit product in your name, or your merchant loan, repaid "
                          "on time gives the owner dimension data"),
    "shop_owner_scores": ("MD12", "No earlier personal score of the shop's owner yet",
                          "Your own benne score counts once it has been computed in a "
                          "scoring run"),
}


@dataclass(frozen=True)
class Reason:
    """One entry of the catalogue. ``source`` is set for a missing-data reason (``feature``
    is then empty: the reason stands for every feature of that source)."""

    code: str
    feature: str
    dimension: str
    statement: str
    tip: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"feature": self.feature, "dimension": self.dimension,
               "statement": self.statement, "tip": self.tip}
        if self.source:
            out["source"] = self.source
        return out


def _hex(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:6].upper()


def code_for(meta: FeatureMeta) -> str:
    """The fixed code of a feature: the catalogue's, else ``<prefix>-<6 hex>`` of its name."""
    return FEATURE_CODES.get(meta.name) or f"{PREFIXES[meta.dimension]}-{_hex(meta.name)}"


def source_of(feature: str) -> str:
    """The source a feature reads: its name before ``__`` (a flat column is its own)."""
    return feature.split("__", 1)[0] if "__" in feature else feature


def missing_code(feature: str) -> str:
    src = source_of(feature)
    return MISSING[src][0] if src in MISSING else f"MD-{_hex(src)}"


def _missing_reason(meta: FeatureMeta) -> Reason:
    src = source_of(meta.name)
    if src in MISSING:
        code, statement, tip = MISSING[src]
        return Reason(code, "", meta.dimension, statement, tip, source=src)
    what = meta.description.rstrip(".") if meta.description else meta.name
    return Reason(missing_code(meta.name), "", meta.dimension, f"No data on record: {what}",
                  f"Provide {meta.name} so this part of your score can use it", source=src)


def build_catalog(metas: Sequence[FeatureMeta]) -> dict[str, Reason]:
    """Code -> reason for every feature and the missing-data reason of each source."""
    catalog: dict[str, Reason] = {}
    for m in metas:
        code = code_for(m)
        catalog[code] = Reason(code, m.name, m.dimension, m.description.rstrip("."), m.tip)
    for m in metas:
        r = _missing_reason(m)
        catalog.setdefault(r.code, r)
    return catalog


def gain_text(points: int) -> str:
    """``about +N points`` (``about +1 point``)."""
    n = int(points)
    return f"about +{n} point" + ("" if n == 1 else "s")


def _tip(tip: str) -> str:
    tip = tip.strip().rstrip(".")
    return tip[:1].upper() + tip[1:]


def reason_text(reason: Reason, points: int) -> str:
    """``<statement>. <Tip> — about +N points.``: one sentence per part, the tip capitalised
    and without its own final period, so the points read as its consequence."""
    return f"{reason.statement}. {_tip(reason.tip)} — {gain_text(points)}."


def missing_text(reason: Reason, points: int) -> str:
    """``<statement>: <tip> — about +N points.`` for a missing-data reason."""
    tip = _tip(reason.tip)
    return f"{reason.statement}: {tip[:1].lower() + tip[1:]} — {gain_text(points)}."


def _num(v: float) -> str:
    if abs(v) >= 100 or float(v).is_integer():
        return f"{round(v):,}"
    return f"{v:.3g}"


def range_text(lower: float | None, upper: float | None, label: str) -> str:
    """A bin in words: "up to 5", "over 5 up to 11", "over 11"; a group by its label; the
    missing bin is "none on record"."""
    if label == "missing":
        return "none on record"
    if label == "unseen":
        return "a value the model has not seen"
    if lower is None or upper is None or (isinstance(lower, float) and math.isnan(lower)):
        return label
    lo, hi = float(lower), float(upper)
    if lo == hi:
        return _num(lo)
    if math.isinf(lo) and math.isinf(hi):
        return "any value"
    if math.isinf(lo):
        return f"up to {_num(hi)}"
    if math.isinf(hi):
        return f"over {_num(lo)}"
    return f"over {_num(lo)} up to {_num(hi)}"


def value_text(reason: Reason, yours: str, best: str, toward: str, points: int,
               generic: bool) -> str:
    """The text of a value reason: the statement, the person's bin, the best bin, the tip.

    ``toward`` is ``"higher"``, ``"lower"`` or ``"other"`` (groups, codes): the way the value
    has to move from ``yours`` to ``best``. ``generic`` (no description or tip of the column's
    own) writes the tip from the bins alone.
    """
    if generic:
        move = {"higher": "raise it towards", "lower": "bring it down towards",
                "other": "move it towards"}[toward]
        return (f"Your value of {reason.feature} is {yours}; the best range is {best}: "
                f"{move} that range — {gain_text(points)}.")
    return (f"{reason.statement}: yours is {yours}, the best is {best}. {_tip(reason.tip)}"
            f" — {gain_text(points)}.")


def _flag(value: object, where: str) -> bool:
    """A yes/no field of the column dictionary: a TOML boolean, or true/false, yes/no, 1/0 or
    empty (no) in a CSV."""
    from benne.exceptions import SourceFileError

    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "false", "no", "0"):
        return False
    if text in ("true", "yes", "1"):
        return True
    raise SourceFileError(f"protected must be true or false; got {value!r}", where=where,
                          fix="write true, false or leave it empty")


def read_column_dictionary(path: Path) -> dict[str, FeatureMeta]:
    """A column dictionary (CSV or TOML) as feature metadata, by column.

    CSV: a header ``column,description,tip,dimension`` (``direction`` and ``protected``
    optional). TOML: one table per column, ``[credit_amount]`` with ``description``, ``tip``,
    ``dimension`` (and optional ``direction``, ``protected``). ``dimension`` is one of the five
    or ``other``; ``direction`` defaults to ``auto`` (binning finds it). ``protected`` (true or
    false, default false) marks a protected attribute whose name does not say so (``X2`` for
    gender, say): it is left out of training like ``age`` or ``gender`` unless protected
    attributes are allowed.
    """
    from benne.exceptions import SourceFileError

    path = Path(path)
    if not path.is_file():
        raise SourceFileError("the column dictionary does not exist", where=str(path),
                              fix="give a CSV or TOML file with column, description, tip, "
                                  "dimension")
    rows: list[Mapping[str, Any]]
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(path.read_text(encoding="utf-8"))
            rows = [{"column": k, **v} for k, v in data.items() if isinstance(v, dict)]
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SourceFileError(f"cannot read the column dictionary: {exc}", where=str(path),
                              fix="give a valid CSV or TOML file") from exc
    out: dict[str, FeatureMeta] = {}
    for n, row in enumerate(rows, start=2):
        where = f"{path.name}, entry {n - 1}"
        missing = [k for k in ("column", "description", "tip", "dimension")
                   if not str(row.get(k) or "").strip()]
        if missing:
            raise SourceFileError(f"the column dictionary lacks {', '.join(missing)}",
                                  where=where, fix="give column, description, tip and dimension "
                                                   "for every column")
        dim = str(row["dimension"]).strip()
        if dim not in DIMENSIONS and dim != "other":
            raise SourceFileError(f"dimension must be one of {', '.join(DIMENSIONS)} or "
                                  f"'other'; got {dim!r}", where=f"{where}, field dimension",
                                  fix="use one of the five dimensions or 'other'")
        direction = str(row.get("direction") or "auto").strip()
        if direction not in ("increasing", "decreasing", "auto"):
            raise SourceFileError(f"direction must be increasing, decreasing or auto; got "
                                  f"{direction!r}", where=f"{where}, field direction",
                                  fix="leave it empty to let binning find it")
        col = str(row["column"]).strip()
        out[col] = FeatureMeta(col, dim, direction,  # type: ignore[arg-type]
                               str(row["description"]).strip(), str(row["tip"]).strip(),
                               protected=_flag(row.get("protected"), f"{where}, field protected"))
    return out

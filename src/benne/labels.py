"""Labels as documented rules: who went bad in the months after each observation.

A rule (:class:`LabelRule`) says which obligations it reads, over which performance window and
at which threshold; :func:`label_table` applies it to an observation spine (one as-of date for
everyone, or a table of person_id and observed_at) and gives every row a status:

- ``excluded``: already in default at the observation (see each rule): the outcome is known,
  so the row is neither trained nor validated on;
- ``no outcome``: nothing the rule reads happened in the window (no label; scored, not trained
  on);
- ``good`` / ``bad``.

The window is ``[as_of, add_months(as_of, horizon_months))`` where ``as_of`` is the date of the
observation. Features see only what happened strictly before the observation and statements
and bills are dated, so a statement of the observation's own day belongs to the window, never
to the features: the two never overlap. Disputed records (``excluded_records``) are left out,
as in the features.

The rules (``benne labels rules`` prints them; :data:`RULES`):

``credit`` (the default)
    Labelled: a credit statement (card, loan, pay-later line, merchant loan) dated in the
    window. Bad: any such statement ``dpd_threshold``+ days past due or charged off. Excluded:
    on some account the latest statement before the observation is already
    ``dpd_threshold``+ days past due or charged off. Someone with no credit record at the
    observation who opens a first credit line in the window (a pay-later line, say) is
    labelled: that is how thin-file people get outcomes.
``obligations``
    The credit rule plus the bills the person must pay (phone, utility, internet, rent), so it
    also reaches people without any credit product. Labelled: a credit statement in the window
    or a bill due early enough in the window for ``dpd_threshold`` days to pass inside it.
    Bad: a credit default as above, or such a bill left unpaid ``dpd_threshold`` days after
    its due date. Excluded: a credit default as above, or a bill of the year before the
    observation already ``dpd_threshold`` days overdue and unpaid at the observation.

``merchant``
    For shops (entity kind ``merchant``): the credit rule read on merchant loans only.
    Labelled: a merchant-loan statement of the shop's owner dated in the window. Bad: such a
    statement ``dpd_threshold``+ days past due or charged off. Excluded: a merchant loan
    already in default at the observation. The credit source records a merchant loan under
    its owner (``person_id``), not under a shop, so a shop's outcome is its owner's merchant
    loans; an owner of several shops gives each of them the same outcome (the simulator gives
    an owner one shop). The owner's other debts do not count: a shop is judged on the debt
    it trades on, the owner's own record enters only as features of the ``owner`` dimension.

The performance window is justified by :func:`maturity_table`: the cumulative bad rate of
newly opened accounts by months on book, and the monthly rate of new bads. No account can be
90 days late before its third month; the monthly rate is high while accounts season and then
settles (:func:`seasoning_months`). A window must reach well past the seasoning; beyond it a
longer window sees more bads but needs older training data. ``benne labels maturity`` prints
the table, the month the rate settles and the share of the longer-run bad rate a 12-month window
sees. On the demo's population the rate settles from month 7 and a 12-month window sees 58% of
the bad rate at 24 months (the simulated chain keeps a steady monthly risk, with no plateau).
The window is configurable (``horizon_months``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from benne.dates import add_months
from benne.exceptions import NotFoundError, StoreError, ValidationError

__all__ = [
    "RULES",
    "STATUSES",
    "LabelRule",
    "add_months",
    "get_rule",
    "label_table",
    "make_labels",
    "maturity_months",
    "maturity_table",
    "seasoning_months",
]

STATUSES = ("good", "bad", "no outcome", "excluded")


@dataclass(frozen=True)
class LabelRule:
    """A performance definition: what counts as bad, over how long, and for whom."""

    name: str
    outcome: str  # one line, named by every model card trained on this rule
    reaches: str
    horizon_months: int = 12
    dpd_threshold: int = 90
    bills: bool = False
    entity: str = "person"  # the entity kind the rule labels (benne.features.spine)
    products: tuple[str, ...] = ()  # credit products read; () reads every product

    def __post_init__(self) -> None:
        if self.horizon_months < 1:
            raise ValidationError(f"horizon_months must be >= 1; got {self.horizon_months}",
                                  where="horizon_months", fix="use a positive number of months")
        if self.dpd_threshold < 1:
            raise ValidationError(f"dpd_threshold must be >= 1; got {self.dpd_threshold}",
                                  where="dpd_threshold", fix="use e.g. 90")

    def describe(self) -> str:
        """The outcome in words, with this rule's window and threshold."""
        return (f"{self.outcome} within {self.horizon_months} months of the observation "
                f"(rule '{self.name}', {self.dpd_threshold}+ days past due)")

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.name, "outcome": self.describe(),
                "horizon_months": self.horizon_months, "dpd_threshold": self.dpd_threshold,
                "reaches": self.reaches}


RULES: dict[str, LabelRule] = {
    "credit": LabelRule(
        "credit",
        outcome="a credit obligation (card, loan or pay-later line) 90+ days past due or "
                "charged off",
        reaches="people with a credit statement in the window, including first credit lines "
                "opened in it; people already in default at the observation are excluded"),
    "obligations": LabelRule(
        "obligations",
        outcome="a credit obligation 90+ days past due or charged off, or a bill left unpaid "
                "90 days after its due date",
        reaches="people with a credit statement or a bill in the window, with or without a "
                "credit product; people already in default at the observation are excluded",
        bills=True),
    "merchant": LabelRule(
        "merchant",
        outcome="a merchant loan 90+ days past due or charged off",
        reaches="shops whose owner has a merchant-loan statement in the window; shops whose "
                "merchant loan is already in default at the observation are excluded",
        entity="merchant", products=("merchant_loan",)),
}


def get_rule(name: str = "credit", *, horizon_months: int | None = None,
             dpd_threshold: int | None = None) -> LabelRule:
    """The rule called ``name`` with its window and threshold overridden when given."""
    if name not in RULES:
        raise ValidationError(f"unknown label rule {name!r}", where="rule",
                              fix=f"use one of {', '.join(RULES)} (benne labels rules)")
    rule = RULES[name]
    changes: dict[str, Any] = {}
    if horizon_months is not None:
        changes["horizon_months"] = horizon_months
    if dpd_threshold is not None:
        changes["dpd_threshold"] = dpd_threshold
    if changes:
        rule = replace(rule, **changes)
        if rule.dpd_threshold != 90:
            rule = replace(rule, outcome=rule.outcome.replace("90", str(rule.dpd_threshold)))
    return rule


def _check_store(path: Path) -> None:
    if not path.is_file():
        raise NotFoundError(f"store {path} does not exist", where=str(path),
                            fix="load data first with 'benne ingest' or pass --db")


def _tables(con: Any) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _kept(source: str, tables: set[str]) -> str:
    return (f"_record_id NOT IN (SELECT record_id FROM excluded_records "
            f"WHERE source = '{source}')" if "excluded_records" in tables else "TRUE")


def _spine_frame(as_of: dt.date | pd.DataFrame, entity: str = "person"
                 ) -> tuple[pd.DataFrame | None, dt.date | None]:
    """``(spine with _obs, person_id, as_of)`` for a table, or ``(None, date)``."""
    if isinstance(as_of, pd.DataFrame):
        from benne.features.spine import read_observations

        frame = as_of
        if "observed_at" not in frame.columns and "as_of" in frame.columns:
            frame = frame.rename(columns={"as_of": "observed_at"})
        spine = read_observations(frame, entity=entity)
        return pd.DataFrame({
            "_obs": range(len(spine)), "person_id": spine["entity_id"].to_numpy(),
            "as_of": spine["observed_at"].dt.floor("D").dt.date.to_numpy(),
        }), None
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise ValidationError(f"as_of must be a date; got {as_of!r}", where="as_of",
                              fix="pass a datetime.date or a table of person_id, observed_at")
    return None, as_of


def label_table(store: Path | str, as_of: dt.date | pd.DataFrame,
                rule: LabelRule | str = "credit") -> pd.DataFrame:
    """Every observation with its ``status`` (good, bad, no outcome, excluded) and ``bad``
    (1, 0, or missing).

    ``as_of`` is one date (everyone in the store's identity, credit or bills tables; columns
    ``person_id, as_of, status, bad``, sorted by person) or an observation table (person_id and
    observed_at or as_of; the table's order, columns ``person_id, as_of, status, bad``).
    A rule of shops (``merchant``) labels every shop opened before the date, or the
    observations' ``merchant_id``; its first column is ``merchant_id``.
    """
    import duckdb

    r = get_rule(rule) if isinstance(rule, str) else rule
    spine, day = _spine_frame(as_of, r.entity)
    key = "merchant_id" if r.entity == "merchant" else "person_id"
    path = Path(store)
    _check_store(path)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = _tables(con)
        if "credit" not in tables:
            raise StoreError(f"store {path} has no credit table", where=str(path),
                             fix="load credit statements with 'benne ingest'")
        if r.bills and "bills" not in tables:
            raise StoreError(f"store {path} has no bills table, which rule '{r.name}' reads",
                             where=str(path), fix="load bills with 'benne ingest' or use the "
                                                  "credit rule")
        if r.entity == "merchant" and "merchants" not in tables:
            raise StoreError(f"store {path} has no merchants table, which rule '{r.name}' "
                             "reads", where=str(path), fix="load merchants with 'benne ingest'")
        if spine is None and r.entity == "merchant":
            shops = con.execute("SELECT merchant_id FROM merchants WHERE opened_at < ? "
                                "ORDER BY 1", [day]).df()
            spine = pd.DataFrame({"_obs": range(len(shops)),
                                  "person_id": shops["merchant_id"].astype(str),
                                  "as_of": [day] * len(shops)})
        elif spine is None:
            who = ["SELECT person_id FROM credit"]
            if "identity" in tables:
                who.append("SELECT person_id FROM identity WHERE registered_at < ?::TIMESTAMP")
            if "bills" in tables:
                who.append("SELECT person_id FROM bills")
            params: list[Any] = [day] if "identity" in tables else []
            people = con.execute(" UNION ".join(who) + " ORDER BY 1", params).df()
            spine = pd.DataFrame({"_obs": range(len(people)),
                                  "person_id": people["person_id"].astype(str),
                                  "as_of": [day] * len(people)})
        con.register("_spine_in", spine)
        ends = f"(as_of::DATE + INTERVAL {int(r.horizon_months)} MONTH)::DATE AS ends"
        if r.entity == "merchant":
            # The spine's ids are shops; the credit rows are their owners'.
            con.execute("CREATE TEMP TABLE _spine AS SELECT s._obs, s.person_id AS entity_id, "
                        f"m.owner_person_id AS person_id, s.as_of::DATE AS as_of, {ends} "
                        "FROM _spine_in s LEFT JOIN (SELECT merchant_id, any_value("
                        "owner_person_id) AS owner_person_id FROM merchants "
                        f"WHERE {_kept('merchants', tables)} GROUP BY 1) m "
                        "ON m.merchant_id = s.person_id")
        else:
            con.execute("CREATE TEMP TABLE _spine AS SELECT _obs, person_id AS entity_id, "
                        f"person_id, as_of::DATE AS as_of, {ends} FROM _spine_in")
        thr = int(r.dpd_threshold)
        credit_bad = f"(c.days_past_due >= {thr} OR c.status = 'charged_off')"
        if r.products:
            listed = ", ".join("'" + p.replace("'", "''") + "'" for p in r.products)
            product = f"c.product IN ({listed})"
        else:
            product = "TRUE"
        parts = [f"""
            in_window AS (
                SELECT s._obs, max(CASE WHEN {credit_bad} THEN 1 ELSE 0 END) AS bad
                FROM _spine s JOIN credit c ON c.person_id = s.person_id
                 AND c.statement_at >= s.as_of AND c.statement_at < s.ends
                WHERE {_kept('credit', tables)} AND {product} GROUP BY s._obs),
            latest AS (
                SELECT s._obs, {credit_bad} AS in_default
                FROM _spine s JOIN credit c ON c.person_id = s.person_id
                 AND c.statement_at < s.as_of
                WHERE {_kept('credit', tables)} AND {product}
                QUALIFY row_number() OVER (PARTITION BY s._obs, c.account_id
                                           ORDER BY c.statement_at DESC) = 1),
            already AS (SELECT _obs, bool_or(in_default) AS in_default FROM latest
                        GROUP BY _obs)"""]
        bill_cols = "NULL::INTEGER AS bill_bad, FALSE AS bill_default"
        bill_join = ""
        if r.bills:
            unpaid = f"(b.paid_at IS NULL OR b.paid_at >= b.due_at + INTERVAL {thr} DAY)"
            parts.append(f"""
            bills_window AS (
                SELECT s._obs, max(CASE WHEN {unpaid} THEN 1 ELSE 0 END) AS bad
                FROM _spine s JOIN bills b ON b.person_id = s.person_id
                 AND b.due_at >= s.as_of AND b.due_at + INTERVAL {thr} DAY < s.ends
                WHERE {_kept('bills', tables)} GROUP BY s._obs),
            bills_before AS (
                SELECT s._obs, TRUE AS in_default
                FROM _spine s JOIN bills b ON b.person_id = s.person_id
                 AND b.due_at >= s.as_of - INTERVAL 365 DAY
                 AND b.due_at + INTERVAL {thr} DAY <= s.as_of
                 AND (b.paid_at IS NULL OR b.paid_at >= s.as_of)
                WHERE {_kept('bills', tables)} GROUP BY s._obs)""")
            bill_cols = "bw.bad AS bill_bad, coalesce(bb.in_default, FALSE) AS bill_default"
            bill_join = ("LEFT JOIN bills_window bw ON bw._obs = s._obs "
                         "LEFT JOIN bills_before bb ON bb._obs = s._obs")
        frame = con.execute(f"""
            WITH {','.join(parts)}
            SELECT s._obs, s.entity_id, s.as_of, w.bad AS credit_bad,
                   coalesce(a.in_default, FALSE) AS credit_default, {bill_cols}
            FROM _spine s LEFT JOIN in_window w ON w._obs = s._obs
            LEFT JOIN already a ON a._obs = s._obs {bill_join}
            ORDER BY s._obs""").df()
    credit_bad = frame["credit_bad"]
    bill_bad = frame["bill_bad"]
    labelled = credit_bad.notna() | bill_bad.notna()
    bad = (credit_bad.fillna(0) + bill_bad.fillna(0)).clip(upper=1)
    excluded = frame["credit_default"].astype(bool) | frame["bill_default"].astype(bool)
    status = pd.Series("no outcome", index=frame.index, dtype=object)
    status[labelled] = bad[labelled].map({0.0: "good", 1.0: "bad"})
    status[excluded] = "excluded"
    out = pd.DataFrame({
        key: frame["entity_id"].astype(str),
        "as_of": pd.to_datetime(frame["as_of"]).dt.date,
        "status": status.astype(str),
        "bad": bad.where(labelled & ~excluded).astype("Int64"),
    })
    return out.reset_index(drop=True)


def make_labels(
    store: Path | str,
    as_of: dt.date | pd.DataFrame,
    *,
    horizon_months: int = 12,
    dpd_threshold: int = 90,
    rule: str = "credit",
) -> pd.DataFrame:
    """Labels ``person_id, as_of, bad`` (0/1) of the labelled rows only (good or bad).

    With one date rows are sorted by person_id; with an observation table they keep its
    order (and hold a label only for the labelled observations).
    """
    chosen = get_rule(rule, horizon_months=horizon_months, dpd_threshold=dpd_threshold)
    table = label_table(store, as_of, chosen)
    kept = table[table["status"].isin(("good", "bad"))]
    out = kept[["person_id", "as_of"]].copy()
    out["bad"] = kept["bad"].astype("int64")
    return out.reset_index(drop=True)


def maturity_table(store: Path | str, *, dpd_threshold: int = 90,
                   max_months: int = 24) -> pd.DataFrame:
    """Cumulative bad rate of newly opened accounts by months on book.

    An account's first month on book is the month of its first statement; accounts whose first
    statement falls in the store's first month of statements are left out (they may have been
    open long before). ``accounts`` counts the accounts observed for at least that many months
    (the last month of data bounds it), ``bad`` those of them that were ``dpd_threshold``+ days
    past due or charged off by then, ``bad_rate`` their ratio, ``share_of_final`` that rate
    against the rate at the longest horizon measured; ``new_bad`` the accounts that first went
    bad in that month, ``at_risk`` those observed then and not bad before, ``monthly_rate``
    their ratio (the monthly hazard of going bad).

    Read it for two things: the months before the first bad can show and the monthly rate
    settles (an account must season before its outcome means much: the window must reach well
    past them), and how much of the longer-run bad rate a window of a given length sees. A
    longer window sees more bads but needs older training data; the default 12 months covers
    the seasoning with room to spare while keeping the data recent.
    """
    import duckdb

    path = Path(store)
    _check_store(path)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = _tables(con)
        if "credit" not in tables:
            raise StoreError(f"store {path} has no credit table", where=str(path),
                             fix="load credit statements with 'benne ingest'")
        frame = con.execute(f"""
            WITH c AS (SELECT account_id, date_trunc('month', statement_at) AS m,
                              days_past_due >= ? OR status = 'charged_off' AS bad
                       FROM credit WHERE {_kept('credit', tables)}),
            bounds AS (SELECT min(m) AS first_m, max(m) AS last_m FROM c),
            acc AS (SELECT account_id, min(m) AS opened,
                           min(CASE WHEN bad THEN m END) AS bad_m FROM c GROUP BY account_id),
            fresh AS (SELECT a.*, datediff('month', a.opened, b.last_m) + 1 AS seen,
                             datediff('month', a.opened, a.bad_m) + 1 AS bad_mob
                      FROM acc a, bounds b WHERE a.opened > b.first_m),
            mob AS (SELECT range AS mob FROM range(1, ? + 1))
            SELECT mob.mob AS months_on_book,
                   count(*) FILTER (WHERE f.seen >= mob.mob) AS accounts,
                   count(*) FILTER (WHERE f.seen >= mob.mob AND f.bad_mob <= mob.mob) AS bad,
                   count(*) FILTER (WHERE f.seen >= mob.mob AND f.bad_mob = mob.mob) AS new_bad,
                   count(*) FILTER (WHERE f.seen >= mob.mob
                                    AND coalesce(f.bad_mob, mob.mob) >= mob.mob) AS at_risk
            FROM mob CROSS JOIN fresh f GROUP BY mob.mob ORDER BY mob.mob""",
            [dpd_threshold, max_months]).df()
    frame = frame[frame["accounts"] > 0].reset_index(drop=True)
    for col in ("months_on_book", "accounts", "bad", "new_bad", "at_risk"):
        frame[col] = frame[col].astype("int64")
    frame["bad_rate"] = frame["bad"] / frame["accounts"]
    frame["monthly_rate"] = frame["new_bad"] / frame["at_risk"].where(frame["at_risk"] > 0)
    final = float(frame["bad_rate"].iloc[-1]) if len(frame) else float("nan")
    frame["share_of_final"] = frame["bad_rate"] / final if final > 0 else float("nan")
    return frame


def maturity_months(table: pd.DataFrame, share: float = 0.9) -> int | None:
    """The first months on book by which the bad rate reaches ``share`` of its final value."""
    hit = table[table["share_of_final"] >= share]
    return int(hit["months_on_book"].iloc[0]) if len(hit) else None


def seasoning_months(table: pd.DataFrame, tolerance: float = 0.25, span: int = 3
                     ) -> int | None:
    """The first months on book from which the monthly rate of new bads has settled: from the
    first month with a new bad on, pooled over ``span`` months it is within ``tolerance``
    (relative) of its pooled rate over every later month. ``None`` when no account went bad."""
    rows = table[table["at_risk"] > 0].reset_index(drop=True)
    if rows.empty or rows["new_bad"].sum() == 0:
        return None
    first = int((rows["new_bad"] > 0).to_numpy().argmax())
    for i in range(first, len(rows)):
        block, later = rows.iloc[i:i + span], rows.iloc[i:]
        rate = block["new_bad"].sum() / block["at_risk"].sum()
        overall = later["new_bad"].sum() / later["at_risk"].sum()
        if overall > 0 and abs(rate - overall) <= tolerance * overall:
            return int(rows["months_on_book"].iloc[i])
    return int(rows["months_on_book"].iloc[-1])

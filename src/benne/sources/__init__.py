"""Schemas of the nine alternative-data sources: the one source of truth.

The simulator writes files in these schemas, ingestion validates against them, the feature
engines read the store tables they describe, and ``benne sources`` documents them.

Each :class:`Source` names its fields, the field(s) that identify a record (``key``), the moment
features window on (``event_time``), its references to other sources, and cross-field rules.
Types are logical: ``string``, ``int``, ``float``, ``bool``, ``date`` and ``timestamp``; each maps
to one Arrow type (:func:`arrow_schema`) and one DuckDB type (:func:`duckdb_type`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from benne.exceptions import NotFoundError

__all__ = [
    "SOURCES",
    "Field",
    "Rule",
    "Source",
    "arrow_schema",
    "duckdb_type",
    "get_source",
    "json_schema",
    "load_order",
]

LogicalType = Literal["string", "int", "float", "bool", "date", "timestamp"]

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}

_DUCKDB: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Field:
    """One column of a source."""

    name: str
    type: LogicalType
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    references: str | None = None  # "source.field" that must exist
    protected: bool = False  # kept for fairness reports, never a model input by default
    personal: bool = False  # may be pseudonymised at load (BENNE_PSEUDONYMIZE_KEY)
    money: bool = False  # an amount of money: a mapping converts it to the reporting currency
    may_be_ahead: bool = False  # may lie after the moment of loading (a due date)


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: ``left op right`` must hold when both are present."""

    left: str
    op: Literal[">=", ">", "<=", "<"]
    right: str
    reason: str


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    event_time: str | None
    rules: tuple[Rule, ...] = ()
    person_field: str | None = "person_id"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise NotFoundError(
            f"source {self.name!r} has no field {name!r}",
            fix=f"use one of {', '.join(self.field_names)}",
        )

    @property
    def has_record_id(self) -> bool:
        """True when one id column identifies a record; False for natural-key snapshots."""
        return len(self.key) == 1 and self.key[0].endswith("_id") and self.key[0] != "person_id"


def _f(name: str, type_: LogicalType, description: str, **kw: Any) -> Field:
    return Field(name=name, type=type_, description=description, **kw)


OTHER = "other"  # where a mapping sends values its value map does not name
ORDER_CATEGORIES = (
    "groceries",
    "electronics",
    "fashion",
    "home",
    "beauty",
    "books",
    "travel",
    "games",
    "luxury",
    "lottery",
)
BILLER_TYPES = ("phone", "utility", "internet", "rent")
DEVICE_OS = ("android", "ios", "other")
GENDERS = ("female", "male", "other")
CREDIT_PRODUCTS = ("credit_card", "consumer_loan", "bnpl", "merchant_loan")
CREDIT_STATUSES = ("open", "closed", "charged_off")
MERCHANT_CATEGORIES = (
    "food",
    "fashion",
    "electronics",
    "home",
    "beauty",
    "services",
    "agriculture",
)

SOURCES: dict[str, Source] = {}


def _add(source: Source) -> None:
    SOURCES[source.name] = source


_add(
    Source(
        name="identity",
        description="A person on the platform: one row per person.",
        key=("person_id",),
        event_time="registered_at",
        fields=(
            _f("person_id", "string", "Stable person identifier (pseudonymous).", personal=True),
            _f("registered_at", "timestamp", "When the person opened their platform account."),
            _f("real_name_verified", "bool", "Whether the real name was verified against an ID."),
            _f("birth_year", "int", "Year of birth; may be absent.", minimum=1900,
               maximum=2020, protected=True, required=False),
            _f("gender", "string", "Self-declared gender; may be absent.", enum=GENDERS,
               protected=True, required=False),
            _f("region", "string", "Region of residence at registration; may be absent.",
               protected=True, required=False),
            _f("phone_number_since", "date", "Since when the person holds their phone number.",
               required=False),
            _f("device_os", "string", "Operating system of the main device.",
               enum=DEVICE_OS,
               required=False),
            _f("email_domain", "string", "Domain of the registered e-mail address.",
               required=False),
        ),
        person_field="person_id",
    )
)

_add(
    Source(
        name="addresses",
        description="A residence period: the person moved into a region at a date.",
        key=("person_id", "moved_in_at"),
        event_time="moved_in_at",
        fields=(
            _f("person_id", "string", "The person.", references="identity.person_id",
               personal=True),
            _f("moved_in_at", "date", "Date the person moved in."),
            _f("region", "string", "Region of the residence.", protected=True),
        ),
    )
)

_add(
    Source(
        name="orders",
        description="An e-commerce order.",
        key=("order_id",),
        event_time="ordered_at",
        fields=(
            _f("order_id", "string", "Order identifier."),
            _f("person_id", "string", "The buyer.", references="identity.person_id",
               personal=True),
            _f("merchant_id", "string", "The shop sold from, when known.", required=False),
            _f("ordered_at", "timestamp", "When the order was placed."),
            _f("amount", "float", "Order value in the platform currency.", minimum=0,
               money=True),
            _f("category", "string", "Product category.", enum=(*ORDER_CATEGORIES, OTHER)),
            _f("status", "string", "Outcome of the order.",
               enum=("delivered", "returned", "cancelled")),
            _f("hour", "int", "Local hour of day the order was placed.", minimum=0, maximum=23),
        ),
    )
)

_add(
    Source(
        name="bills",
        description="A utility, phone, internet or rent bill.",
        key=("bill_id",),
        event_time="due_at",
        fields=(
            _f("bill_id", "string", "Bill identifier."),
            _f("person_id", "string", "Who owes the bill.", references="identity.person_id",
               personal=True),
            _f("biller_type", "string", "Kind of bill.", enum=(*BILLER_TYPES, OTHER)),
            _f("issued_at", "date", "Date the bill was issued, when known.", required=False),
            _f("due_at", "date", "Date payment is due.", may_be_ahead=True),
            _f("amount", "float", "Amount billed.", minimum=0, money=True),
            _f("paid_at", "date", "Date paid; empty while unpaid.", required=False),
        ),
        rules=(
            Rule("due_at", ">=", "issued_at", "due before issued"),
            Rule("paid_at", ">=", "issued_at", "paid before issued"),
        ),
    )
)

_add(
    Source(
        name="savings",
        description="A money-market-fund balance snapshot.",
        key=("person_id", "at"),
        event_time="at",
        fields=(
            _f("person_id", "string", "The saver.", references="identity.person_id",
               personal=True),
            _f("at", "date", "Date of the snapshot."),
            _f("balance", "float", "Balance held.", minimum=0, money=True),
        ),
    )
)

_add(
    Source(
        name="transfers",
        description="A wallet payment from one person to another.",
        key=("transfer_id",),
        event_time="at",
        fields=(
            _f("transfer_id", "string", "Transfer identifier."),
            _f("from_person", "string", "Payer.", references="identity.person_id",
               personal=True),
            _f("to_person", "string", "Payee.", references="identity.person_id", personal=True),
            _f("at", "timestamp", "When the payment was made."),
            _f("amount", "float", "Amount paid.", minimum=0, money=True),
        ),
        person_field="from_person",
    )
)

_add(
    Source(
        name="credit",
        description="A monthly statement of a credit product.",
        key=("account_id", "statement_at"),
        event_time="statement_at",
        fields=(
            _f("account_id", "string", "Credit account identifier."),
            _f("person_id", "string", "The borrower.", references="identity.person_id",
               personal=True),
            _f("product", "string", "Kind of credit product.",
               enum=(*CREDIT_PRODUCTS, OTHER)),
            _f("statement_at", "date", "Statement date."),
            _f("limit", "float", "Credit limit or loan principal.", minimum=0,
               money=True),
            _f("balance", "float", "Balance owed at the statement.", minimum=0,
               money=True),
            _f("days_past_due", "int", "Days the oldest unpaid amount is overdue.", minimum=0,
               maximum=3650),
            _f("status", "string", "Account status at the statement.", enum=CREDIT_STATUSES),
        ),
    )
)

_add(
    Source(
        name="merchants",
        description="A shop on the platform and its owner.",
        key=("merchant_id",),
        event_time="opened_at",
        fields=(
            _f("merchant_id", "string", "Shop identifier."),
            _f("owner_person_id", "string", "The person who owns the shop.",
               references="identity.person_id", personal=True),
            _f("opened_at", "date", "Date the shop opened."),
            _f("category", "string", "What the shop sells.",
               enum=(*MERCHANT_CATEGORIES, OTHER)),
        ),
        person_field="owner_person_id",
    )
)

_add(
    Source(
        name="merchant_sales",
        description="A shop's trading day.",
        key=("merchant_id", "day"),
        event_time="day",
        fields=(
            _f("merchant_id", "string", "The shop.", references="merchants.merchant_id"),
            _f("day", "date", "The trading day."),
            _f("gmv", "float", "Gross merchandise value sold.", minimum=0, money=True),
            _f("orders", "int", "Orders received.", minimum=0),
            _f("refunds", "int", "Orders refunded.", minimum=0),
            _f("rating", "float", "Average customer rating that day.", minimum=1, maximum=5,
               required=False),
        ),
        person_field=None,
    )
)


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise NotFoundError(
            f"unknown source {name!r}", fix=f"use one of {', '.join(SOURCES)}"
        ) from None


def load_order() -> list[str]:
    """Sources in an order where every referenced source loads first."""
    return ["identity", "merchants", "addresses", "orders", "bills", "savings", "transfers",
            "credit", "merchant_sales"]


def arrow_schema(source: Source | str) -> pa.Schema:
    src = get_source(source) if isinstance(source, str) else source
    return pa.schema(
        [pa.field(f.name, _ARROW[f.type], nullable=not f.required) for f in src.fields]
    )


def duckdb_type(field_: Field) -> str:
    return _DUCKDB[field_.type]


def json_schema(source: Source | str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of one record of the source."""
    src = get_source(source) if isinstance(source, str) else source
    props: dict[str, Any] = {}
    for f in src.fields:
        t: dict[str, Any]
        if f.type == "string":
            t = {"type": "string"}
        elif f.type == "int":
            t = {"type": "integer"}
        elif f.type == "float":
            t = {"type": "number"}
        elif f.type == "bool":
            t = {"type": "boolean"}
        elif f.type == "date":
            t = {"type": "string", "format": "date"}
        else:
            t = {"type": "string", "format": "date-time"}
        if f.enum:
            t["enum"] = list(f.enum)
        if f.minimum is not None:
            t["minimum"] = f.minimum
        if f.maximum is not None:
            t["maximum"] = f.maximum
        if not f.required:
            t = {"anyOf": [t, {"type": "null"}]}
        t["description"] = f.description
        props[f.name] = t
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"benne:source:{src.name}",
        "title": src.name,
        "description": src.description,
        "type": "object",
        "properties": props,
        "required": src.required_fields,
        "additionalProperties": True,
    }

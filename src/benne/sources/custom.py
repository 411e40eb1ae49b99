"""Custom sources: event tables a user declares, stored and featured like the built-in ones.

A custom source is declared in a mapping file (see docs/mapping.md)::

    [sources.topups]
    description = "Airtime and data top-ups"
    dimension = "fulfilment"          # where its features count in the score
    id = "topup_id"                   # optional: one column naming a record
    time = "topped_up_at"             # the moment features window on
    time_type = "timestamp"           # or "date"
    amount = "amount"                 # optional money column
    categories = ["network", "kind"]  # optional text columns
    numbers = ["bundle_mb"]           # optional numeric columns
    category_floor = 0.01             # a category value needs this share of rows

It becomes a :class:`~benne.sources.Source` with ``person_id`` (referencing ``identity``), the
id, the time, the amount, the categories and the numbers as fields. Its declaration is kept in
the store's ``custom_sources`` table, so every later step (features, training, scoring) knows
it without the mapping file. The standard feature family of a custom source lives in
:mod:`benne.features.registry`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from benne.dimensions import DIMENSIONS
from benne.exceptions import ConfigError
from benne.sources import SOURCES, Field, Source

__all__ = ["CUSTOM_SOURCES_TABLE", "CustomSource", "parse_custom_source"]

CUSTOM_SOURCES_TABLE = "custom_sources"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_RESERVED = {"person_id", "as_of", "t", "_record_id", "_version", "_loaded_at", "_ingest_id"}


@dataclass(frozen=True)
class CustomSource:
    """A user-declared event source (one row is one event of one person)."""

    name: str
    dimension: str
    time: str
    description: str = ""
    id: str | None = None
    time_type: Literal["timestamp", "date"] = "timestamp"
    amount: str | None = None
    categories: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    category_floor: float = 0.01
    currency: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def source(self) -> Source:
        """The :class:`Source` ingestion validates against and the store table follows."""
        fields = [Field("person_id", "string", "The person.", references="identity.person_id",
                        personal=True)]
        if self.id:
            fields.append(Field(self.id, "string", "Record identifier."))
        fields.append(Field(self.time, self.time_type, "When the event happened."))
        if self.amount:
            fields.append(Field(self.amount, "float", "Amount"
                                + (f" in {self.currency}" if self.currency else "") + ".",
                                money=True))
        fields += [Field(c, "string", f"Category: {c}.", required=False)
                   for c in self.categories]
        fields += [Field(n, "float", f"Number: {n}.", required=False) for n in self.numbers]
        key = (self.id,) if self.id else ("person_id", self.time)
        return Source(name=self.name, description=self.description or f"Custom source {self.name}.",
                      fields=tuple(fields), key=key, event_time=self.time)

    def to_json(self) -> str:
        d = asdict(self)
        d.pop("extra")
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CustomSource:
        d = json.loads(text)
        d["categories"] = tuple(d.get("categories", ()))
        d["numbers"] = tuple(d.get("numbers", ()))
        return cls(**d)


def _name(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ConfigError(f"{what} must be a lower-case name (letters, digits, _); got {value!r}",
                          where=where, fix="e.g. topups, network, topped_up_at")
    if value in _RESERVED:
        raise ConfigError(f"{what} {value!r} is a reserved column name", where=where,
                          fix="choose another name")
    return value


def parse_custom_source(name: str, table: dict[str, Any], where: str) -> CustomSource:
    """A :class:`CustomSource` from its ``[sources.<name>]`` table of a mapping file."""
    where = f"{where}, [sources.{name}]"
    _name(name, "a custom source name", where)
    if "__" in name:
        raise ConfigError(f"a source name cannot contain '__'; got {name!r}", where=where,
                          fix="use single underscores")
    if name in SOURCES:
        raise ConfigError(f"{name!r} is a built-in source", where=where,
                          fix="map files to it with source = ... or pick another name")
    known = {"description", "dimension", "id", "time", "time_type", "amount", "categories",
             "numbers", "category_floor", "currency"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}", where=where,
                          fix=f"use {', '.join(sorted(known))}")
    dimension = table.get("dimension")
    if dimension not in DIMENSIONS:
        raise ConfigError(f"dimension must be one of {', '.join(DIMENSIONS)}; got {dimension!r}",
                          where=where, fix="name the dimension its features count in")
    if "time" not in table:
        raise ConfigError("a custom source needs time = <column name>", where=where,
                          fix='e.g. time = "paid_at"')
    time_type = table.get("time_type", "timestamp")
    if time_type not in ("timestamp", "date"):
        raise ConfigError(f"time_type must be 'timestamp' or 'date'; got {time_type!r}",
                          where=where, fix='use time_type = "date" for days without a time')
    cats, nums = table.get("categories", []), table.get("numbers", [])
    for key, value in (("categories", cats), ("numbers", nums)):
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list of column names; got {value!r}",
                              where=where, fix=f'e.g. {key} = ["a", "b"]')
    floor = table.get("category_floor", 0.01)
    if not isinstance(floor, int | float) or not 0 < floor < 1:
        raise ConfigError(f"category_floor must be a share between 0 and 1; got {floor!r}",
                          where=where, fix="e.g. category_floor = 0.01 (1% of the rows)")
    cs = CustomSource(
        name=name, dimension=dimension, description=str(table.get("description", "")),
        id=_name(table["id"], "id", where) if "id" in table else None,
        time=_name(table["time"], "time", where), time_type=time_type,
        amount=_name(table["amount"], "amount", where) if "amount" in table else None,
        categories=tuple(_name(c, "a category", where) for c in cats),
        numbers=tuple(_name(n, "a number", where) for n in nums),
        category_floor=float(floor),
        currency=str(table["currency"]) if "currency" in table else None,
    )
    names = [f.name for f in cs.source().fields]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"column {dup[0]!r} is declared twice", where=where,
                          fix="give id, time, amount, categories and numbers distinct names")
    return cs

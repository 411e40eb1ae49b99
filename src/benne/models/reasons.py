"""Reason codes: one stable code per feature, with a plain statement and a tip.

A code is a two-letter dimension prefix and a number in feature order within the dimension
(``CH01`` is the first credit-history feature). Both models of one training share the catalog,
so a code means the same thing whichever model gave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benne.dimensions import FeatureMeta

__all__ = ["PREFIXES", "Reason", "build_catalog", "reason_text"]

PREFIXES: dict[str, str] = {
    "credit_history": "CH",
    "behaviour": "BH",
    "fulfilment": "FC",
    "identity": "ID",
    "relationships": "RL",
    "other": "OT",
}


@dataclass(frozen=True)
class Reason:
    code: str
    feature: str
    dimension: str
    statement: str
    tip: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "dimension": self.dimension,
                "statement": self.statement, "tip": self.tip}


def build_catalog(metas: Sequence[FeatureMeta]) -> dict[str, Reason]:
    """Code → reason for every feature, numbered per dimension in the given order."""
    counters: dict[str, int] = {}
    catalog: dict[str, Reason] = {}
    for m in metas:
        counters[m.dimension] = counters.get(m.dimension, 0) + 1
        code = f"{PREFIXES[m.dimension]}{counters[m.dimension]:02d}"
        catalog[code] = Reason(code, m.name, m.dimension, m.description.rstrip("."), m.tip)
    return catalog


def reason_text(reason: Reason, points: int) -> str:
    """``<statement>. <Tip> — about +N points.``: one sentence per part, the tip capitalised
    and without its own final period, so the points read as its consequence."""
    tip = reason.tip.strip().rstrip(".")
    tip = tip[:1].upper() + tip[1:]
    return f"{reason.statement}. {tip} — about +{int(points)} points."

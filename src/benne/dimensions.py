"""The five dimensions of a benne score and the metadata every model feature carries.

Shops (entity kind ``merchant``) are scored over four dimensions of their own
(:data:`MERCHANT_DIMENSIONS`): trading (sales level and growth), stability (volatility, age,
category), reputation (refunds, ratings) and owner (the owner's own credit record and earlier
score; it can be left out of a model like the people's relationships dimension).
:data:`ENTITY_DIMENSIONS` maps each kind to its dimensions, in the order scores show them.

A feature belongs to exactly one dimension. ``direction`` says how risk moves with the value:
``"increasing"`` means a higher value is riskier (e.g. worst days past due), ``"decreasing"``
means a higher value is safer (e.g. on-time bill share), ``"auto"`` lets binning find it (flat
tables without definitions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from benne.exceptions import ConfigError

__all__ = [
    "DIMENSIONS",
    "DIMENSION_DATA_HINTS",
    "DIMENSION_LABELS",
    "ENTITY_DIMENSIONS",
    "MERCHANT_DIMENSIONS",
    "MERCHANT_DIMENSION_DATA_HINTS",
    "MERCHANT_DIMENSION_LABELS",
    "Direction",
    "FeatureMeta",
    "dimension_column",
    "dimensions_of",
]

DIMENSIONS: tuple[str, ...] = (
    "credit_history",
    "behaviour",
    "fulfilment",
    "identity",
    "relationships",
)

DIMENSION_LABELS: dict[str, str] = {
    "credit_history": "Credit history",
    "behaviour": "Behaviour and preferences",
    "fulfilment": "Fulfilment capacity",
    "identity": "Identity characteristics",
    "relationships": "Interpersonal relationships",
}

# What would give a dimension data, for a person who has none in it.
DIMENSION_DATA_HINTS: dict[str, str] = {
    "credit_history": "No credit record yet: a small credit product in your name (a phone "
                      "contract, a store card) paid on time gives this dimension data.",
    "behaviour": "No purchases on record yet: everyday purchases on the platform give this "
                 "dimension data.",
    "fulfilment": "No bills, savings or shop on record yet: a bill in your own name paid on "
                  "time, or a savings account, gives this dimension data.",
    "identity": "No identity details on record yet: verifying your name and registering your "
                "phone number and address give this dimension data.",
    "relationships": "No transfers on record yet: paying and being paid by the people you deal "
                     "with through your wallet gives this dimension data.",
}

MERCHANT_DIMENSIONS: tuple[str, ...] = ("trading", "stability", "reputation", "owner")

# The shops' labels and hints are kept apart: the person's page lists DIMENSION_LABELS.
MERCHANT_DIMENSION_LABELS: dict[str, str] = {
    "trading": "Trading",
    "stability": "Stability",
    "reputation": "Reputation",
    "owner": "Owner",
}

MERCHANT_DIMENSION_DATA_HINTS: dict[str, str] = {
    "trading": "No sales on record yet: trading days on the platform give this dimension data.",
    "stability": "No shop record yet: a registered shop trading steadily gives this dimension "
                 "data.",
    "reputation": "No orders or ratings yet: completed orders and customer ratings give this "
                  "dimension data.",
    "owner": "No credit record or earlier score of the owner yet: the owner's own credit paid "
             "on time gives this dimension data.",
}

ENTITY_DIMENSIONS: dict[str, tuple[str, ...]] = {"person": DIMENSIONS,
                                                 "merchant": MERCHANT_DIMENSIONS}

Direction = Literal["increasing", "decreasing", "auto"]


def dimensions_of(dimensions: Iterable[str]) -> tuple[str, ...]:
    """The dimensions of the entity kind whose dimensions ``dimensions`` are (a model's
    features'): the shops' when any is a shop's, else the people's five."""
    return MERCHANT_DIMENSIONS if set(dimensions) & set(MERCHANT_DIMENSIONS) else DIMENSIONS


def dimension_column(dimension: str) -> str:
    """Column name of a dimension sub-score in scored output: ``dim_<dimension>``."""
    return f"dim_{dimension}"


@dataclass(frozen=True)
class FeatureMeta:
    """What a model needs to know about a feature, whatever computed it."""

    name: str
    dimension: str
    direction: Direction
    description: str
    tip: str
    # a protected attribute whatever its name (a column dictionary says so): left out of
    # training unless protected attributes are allowed, as the names in PROTECTED_NAMES are
    protected: bool = False

    def __post_init__(self) -> None:
        if (self.dimension not in DIMENSIONS and self.dimension not in MERCHANT_DIMENSIONS
                and self.dimension != "other"):
            raise ConfigError(
                f"dimension must be one of {', '.join(DIMENSIONS + MERCHANT_DIMENSIONS)} or "
                f"'other'; "
                f"got {self.dimension!r}.", fix="assign the feature to one of the dimensions"
            )
        if self.direction not in ("increasing", "decreasing", "auto"):
            raise ConfigError(
                f"direction must be 'increasing', 'decreasing' or 'auto'; got {self.direction!r}.",
                fix="say which way risk moves as the feature grows"
            )

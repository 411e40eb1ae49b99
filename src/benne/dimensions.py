"""The five dimensions of a benne score and the metadata every model feature carries.

A feature belongs to exactly one dimension. ``direction`` says how risk moves with the value:
``"increasing"`` means a higher value is riskier (e.g. worst days past due), ``"decreasing"``
means a higher value is safer (e.g. on-time bill share), ``"auto"`` lets binning find it (flat
tables without definitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benne.exceptions import ConfigError

__all__ = [
    "DIMENSIONS",
    "DIMENSION_DATA_HINTS",
    "DIMENSION_LABELS",
    "Direction",
    "FeatureMeta",
    "dimension_column",
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

Direction = Literal["increasing", "decreasing", "auto"]


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

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS and self.dimension != "other":
            raise ConfigError(
                f"dimension must be one of {', '.join(DIMENSIONS)} or 'other'; "
                f"got {self.dimension!r}.", fix="assign the feature to one of the dimensions"
            )
        if self.direction not in ("increasing", "decreasing", "auto"):
            raise ConfigError(
                f"direction must be 'increasing', 'decreasing' or 'auto'; got {self.direction!r}.",
                fix="say which way risk moves as the feature grows"
            )

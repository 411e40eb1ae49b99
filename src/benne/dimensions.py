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

__all__ = ["DIMENSIONS", "DIMENSION_LABELS", "Direction", "FeatureMeta", "dimension_column"]

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

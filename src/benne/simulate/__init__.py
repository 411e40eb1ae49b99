"""The synthetic population: people with latent traits and the nine sources they leave.

``simulate(people, out)`` writes one Parquet file per source in exactly the schema ingestion
validates against (:func:`benne.sources.arrow_schema`), plus ``truth.parquet`` with the latent
traits and simulated outcomes. The model is described in docs/simulation.md.
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

if TYPE_CHECKING:
    from benne.simulate.core import SOURCE_NAMES, TRUTH_SCHEMA, SimulationSummary, simulate
    from benne.simulate.params import Params, add_months, default_as_of

__all__ = [
    "SOURCE_NAMES",
    "TRUTH_SCHEMA",
    "Params",
    "SimulationSummary",
    "add_months",
    "default_as_of",
    "simulate",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "SOURCE_NAMES": "core", "TRUTH_SCHEMA": "core", "SimulationSummary": "core",
    "simulate": "core", "Params": "params", "add_months": "params", "default_as_of": "params",
})

"""The synthetic population: people with latent traits and the nine sources they leave.

``simulate(people, out)`` writes one Parquet file per source in exactly the schema ingestion
validates against (:func:`benne.sources.arrow_schema`), plus ``truth.parquet`` with the latent
traits and simulated outcomes. The model is described in docs/simulation.md.
"""

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

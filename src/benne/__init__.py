"""benne: an open alternative-data credit bureau.

The estimators are importable from the top level (imported on first use)::

    from benne import BinningProcess, Scorecard, Challenger
"""

from typing import TYPE_CHECKING

from benne._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from benne.binning.process import BinningProcess
    from benne.models.estimators import Challenger, Scorecard
    from benne.models.settings import Scale

__all__ = ["BinningProcess", "Challenger", "Scale", "Scorecard", "__version__"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "BinningProcess": "binning.process",
    "Challenger": "models.estimators",
    "Scorecard": "models.estimators",
    "Scale": "models.settings",
})

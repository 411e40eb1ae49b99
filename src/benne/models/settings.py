"""The score scale, the bands and the training settings.

The scale is the usual points-to-double-the-odds one: ``score = offset + factor · ln(odds)``
with ``odds`` the good:bad odds, ``factor = pdo / ln 2`` and ``offset`` chosen so that
``base_odds`` gives ``base_points``; the result is clipped to ``[min, max]``. It is one fixed,
monotone map of the probability of default: the same score means the same risk whatever the
model, run or population (never a rank within a population).

The default, 600 points at 10:1 and 20 points to double the odds, follows the bands of Sesame
Credit (350–549 poor, 550–599 fair, 600–649 good, 650–699 very good, 700–950 excellent, its
users said to sit mostly between 600 and 700): on a platform population with a bad rate near
5 % the median person is "good", about a third "very good" and the lowest-risk ones
"excellent", and the floor of 350 is a probability of default of 99.8 %, so even a population
with a 55 % bad rate keeps its ranking (no score clipped on the simulated population and the
public credit data sets). The points-to-double was chosen across those populations: more
(28 was tried) pushed a well-calibrated model's riskiest 9 % of the credit-approval set onto
the floor and the demo's median into "very good"; a band then spans 2.5 doublings of the
odds, which keeps the median's band stable between retrainings. :func:`band_pd_ranges` gives
the probability-of-default range of every band; the README and the report print it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from benne.exceptions import ConfigError

__all__ = [
    "BANDS",
    "PROTECTED_NAMES",
    "Scale",
    "TrainSettings",
    "band_of",
    "band_pd_ranges",
    "is_others_data",
    "is_protected",
]

# (lowest score of the band, name), ascending.
BANDS: tuple[tuple[int, str], ...] = (
    (350, "poor"), (550, "fair"), (600, "good"), (650, "very good"), (700, "excellent"),
)

# Column names (or their last ``__`` part) that are protected attributes: kept for fairness
# reports, never a model input unless asked with ``allow_protected``. The first three are the
# protected fields of the source schemas.
PROTECTED_NAMES = frozenset({
    "birth_year", "gender", "region", "sex", "age", "age_band", "race", "ethnicity",
    "religion", "nationality", "marital_status",
})


# Features built from *other* people's credit records or scores (the counterparties' delinquency,
# their earlier scores) carry the prefix below: data those people never agreed to share. They
# enter a model only when asked (``others_data``).
OTHERS_DATA_MARK = "__counterparty_"


def is_others_data(column: str) -> bool:
    """Whether a column is built from other people's credit records or scores."""
    return OTHERS_DATA_MARK in column.lower()


# Words that name a protected attribute wherever they stand in a column name (``CODE_GENDER``,
# ``applicant_sex``, ``MaritalStatus``, ``DAYS_BIRTH``, ``date_of_birth``).
PROTECTED_WORDS = frozenset({
    "gender", "sex", "race", "racial", "ethnicity", "ethnic", "religion", "religious",
    "nationality", "citizenship", "marital", "birth", "birthday", "dob", "birthdate",
})
# Two-word names of one (``NAME_FAMILY_STATUS``; German credit's "personal status and sex").
PROTECTED_PAIRS = frozenset({("family", "status"), ("personal", "status")})
# ``age`` is the person's age only beside words that say whose or in what unit (``person_age``,
# ``age_in_years``, ``applicant_age_band``); ``account_age`` or ``credit_age_months`` are the
# age of something else and stay features.
AGE_COMPANIONS = frozenset({
    "person", "applicant", "client", "customer", "cust", "borrower", "user", "member", "main",
    "primary", "co", "owner", "holder", "in", "at", "of", "the", "on", "years", "year", "yrs",
    "yr", "y", "band", "group", "bucket", "range", "bin", "cat", "application", "app",
})


def _name_words(column: str) -> list[str]:
    """A column name's words, lower case: split at anything not a letter or digit and at
    camel-case humps (``MaritalStatus`` -> marital, status; ``DAYS_BIRTH`` -> days, birth)."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", column)]


def is_protected(column: str) -> bool:
    """Whether a column name denotes a protected attribute: one of :data:`PROTECTED_NAMES`
    (whole, or its last ``__`` part), a word of :data:`PROTECTED_WORDS` or a pair of
    :data:`PROTECTED_PAIRS` anywhere in it, or ``age`` with only :data:`AGE_COMPANIONS` beside
    it. A column whose name hides it (``X2``) is declared in the column dictionary instead."""
    name = column.lower()
    if name in PROTECTED_NAMES or name.split("__")[-1] in PROTECTED_NAMES:
        return True
    words = _name_words(column.split("__")[-1])
    if PROTECTED_WORDS.intersection(words):
        return True
    if any(pair in PROTECTED_PAIRS for pair in zip(words, words[1:], strict=False)):
        return True
    return "age" in words and all(w == "age" or w in AGE_COMPANIONS for w in words)


def band_of(scores: np.ndarray) -> np.ndarray:
    """Band index (into :data:`BANDS`) of each score."""
    s = np.asarray(scores)
    out = np.zeros(s.shape, dtype=np.int8)
    for low, _ in BANDS[1:]:  # a few comparisons beat a binary search per score
        np.add(out, s >= low, out=out, casting="unsafe")
    return out


@dataclass(frozen=True)
class Scale:
    """Points scale: ``base_points`` at good:bad odds ``base_odds``; ``pdo`` doubles them."""

    base_points: float = 600.0
    base_odds: float = 10.0
    pdo: float = 20.0  # see the module docstring for why
    min: int = 350
    max: int = 950

    def __post_init__(self) -> None:
        if not self.pdo > 0:
            raise ConfigError(f"pdo must be > 0; got {self.pdo}.")
        if not self.base_odds > 0:
            raise ConfigError(f"base_odds must be > 0; got {self.base_odds}.")
        if not self.min < self.max:
            raise ConfigError(f"min must be below max; got {self.min} and {self.max}.")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)

    def from_pd(self, pd_bad: np.ndarray) -> np.ndarray:
        """Integer score of each probability of bad, clipped to the range."""
        p = np.clip(np.asarray(pd_bad, dtype=np.float64), 1e-12, 1 - 1e-12)
        raw = self.offset + self.factor * np.log((1 - p) / p)
        return np.clip(np.rint(raw), self.min, self.max).astype(np.int32)

    def pd_at(self, score: float) -> float:
        """Probability of default the (unclipped) map gives ``score``."""
        return 1.0 / (1.0 + math.exp((score - self.offset) / self.factor))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def band_pd_ranges(scale: Scale | None = None) -> list[dict[str, Any]]:
    """Each band's score range and the probability-of-default range it stands for.

    ``pd_low`` is the probability at the band's top score (+1: the next band's edge), ``pd_high``
    at its lowest; the lowest band reaches up to 1 because scores below the floor are clipped to
    it, the highest down to 0 likewise.
    """
    s = scale or Scale()
    out = []
    for i, (low, name) in enumerate(BANDS):
        lo = max(low, s.min)
        top = BANDS[i + 1][0] - 1 if i + 1 < len(BANDS) else s.max
        top = min(top, s.max)
        out.append({
            "band": name, "low": lo, "high": top,
            "pd_low": 0.0 if i + 1 == len(BANDS) else s.pd_at(top + 1),
            "pd_high": 1.0 if i == 0 else s.pd_at(lo),
        })
    return out


@dataclass(frozen=True)
class TrainSettings:
    """Everything that steers training; the defaults are the documented ones.

    ``l2`` is the scorecard's ridge penalty in observations; ``None`` (the default) scales it
    with the data: 0.3% of the smaller class's rows (:data:`~benne.models.estimators.L2_SHARE`),
    chosen by rank on four public credit sets of 690 to 32,581 rows (a fixed 30, chosen on
    Taiwan alone, left the probabilities of the small sets two to three times too timid).
    ``min_iv`` is the information value a column needs to enter it; 5-fold cross-validation on
    the Taiwan training rows chose ``min_iv`` among 0, 0.005, 0.02 (the joint bin fit shrinks
    weak columns itself, so only near-noise is screened out) and ``max_prebins`` 100 of 50–100.
    ``min_bin_share`` stays at the documented 5%: cross-validation preferred 2% by a hair
    (Taiwan holdout 0.7660 against 0.7658), not enough to give a risk team bins that thin by
    default; pass 0.02 to get them. ``max_p`` is the G-test
    level a column's binning must reach (see :mod:`benne.models.scorecard`). A numeric
    column with direction ``"auto"`` and at most ``max_codes`` distinct integer values is
    binned as codes (grouped by bad rate), 0 turns that off. ``turns`` lets such a column take
    a peak or valley shape where the data demand it (a significance test, see
    :class:`~benne.binning.MonotoneBinner`).
    ``exclude`` names columns that are never features (ids); ``allow_protected`` lets protected
    attributes in (off by default); ``others_data`` lets in the features built from other
    people's credit records or scores (off by default: see :func:`is_others_data`).
    ``holdout_share`` is what :func:`train_models` keeps aside
    for validation metrics; ``calibration_share`` is the part of the challenger's training rows
    used for early stopping and Platt calibration. ``threads`` is the challenger's LightGBM
    threads; ``None`` (the default) uses ``OMP_NUM_THREADS`` when set, else every CPU this
    process may run on (:func:`~benne.models.challenger.available_cores`). The model does not
    depend on it: with LightGBM's deterministic, row-wise histograms the booster is the same
    bit for bit on 1 or many threads, and the thread count is kept out of the saved model
    text and the manifest (:meth:`to_dict` leaves it out), so the artifact's checksum is the
    same on every machine. LightGBM's OpenMP threads wait passively by default (see
    :func:`~benne.models.challenger.import_lightgbm`), so cores shared with other busy
    processes slow training down instead of stalling it.
    """

    scale: Scale = field(default_factory=Scale)
    max_bins: int = 10
    min_bin_share: float = 0.05
    max_prebins: int = 100
    special_values: tuple[float, ...] = ()
    min_iv: float = 0.005
    max_p: float = 0.01
    max_corr: float = 0.8
    l2: float | None = None
    max_codes: int = 12
    turns: bool = True
    exclude: tuple[str, ...] = ()
    allow_protected: bool = False
    others_data: bool = False
    seed: int = 0
    holdout_share: float = 0.25
    calibration_share: float = 0.2
    cv_folds: int = 3
    threads: int | None = None
    challenger_rounds: int = 2000
    challenger_learning_rate: float = 0.05
    challenger_leaves: int = 31

    def __post_init__(self) -> None:
        for name in ("holdout_share", "calibration_share"):
            v = getattr(self, name)
            if not 0.0 < v < 1.0:
                raise ConfigError(f"{name} must be between 0 and 1; got {v}.")
        if not 0.0 < self.max_corr <= 1.0:
            raise ConfigError(f"max_corr must be in (0, 1]; got {self.max_corr}.")
        if self.min_iv < 0:
            raise ConfigError(f"min_iv must be >= 0; got {self.min_iv}.")
        if not 0.0 < self.max_p <= 1.0:
            raise ConfigError(f"max_p must be in (0, 1]; got {self.max_p}.")
        if self.l2 is not None and self.l2 < 0:
            raise ConfigError(f"l2 must be >= 0; got {self.l2}.")
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2; got {self.cv_folds}.")
        if self.max_codes < 0:
            raise ConfigError(f"max_codes must be >= 0; got {self.max_codes}.")
        if self.threads is not None and not (isinstance(self.threads, int) and self.threads >= 1):
            raise ConfigError(f"threads must be an integer >= 1 or None; got {self.threads!r}.")

    def to_dict(self) -> dict[str, Any]:
        """Every setting that shapes the model; ``threads`` does not, so it is left out."""
        d = asdict(self)
        del d["threads"]
        d["special_values"] = list(self.special_values)
        d["exclude"] = list(self.exclude)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainSettings:
        d = dict(d)
        d.pop("threads", None)  # a machine's choice, not the model's (manifests before 0.x)
        d["scale"] = Scale(**d["scale"])
        d["special_values"] = tuple(d.get("special_values", ()))
        d["exclude"] = tuple(d.get("exclude", ()))
        return cls(**d)

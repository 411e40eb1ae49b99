"""From a modelling frame to what the models need: the target, the feature columns, their metadata.

One place decides which columns may be features, for the scorecard and the challenger alike:
not the target, not the columns the user excluded (ids), not protected attributes unless
``allow_protected``, not features built from other people's credit records or scores unless
``others_data``, not columns with no values or of a type that is neither numeric nor text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from benne.dimensions import FeatureMeta
from benne.exceptions import InputError
from benne.models.settings import TrainSettings, is_others_data, is_protected

__all__ = ["auto_meta", "numeric_column", "select_columns", "target_vector"]


def auto_meta(name: str) -> FeatureMeta:
    """Metadata for a column with no definition (a flat table): direction found by binning."""
    return FeatureMeta(name=name, dimension="other", direction="auto",
                       description=f"Your value of {name}",
                       tip=f"bring {name} into its best range")


def target_vector(frame: pd.DataFrame, target: str, source: str = "the training data"
                  ) -> np.ndarray:
    """The 0/1 target as int8; the first bad row is named in the error."""
    if target not in frame.columns:
        raise InputError(f"no target column {target!r} in {source}",
                         where=f"{source}, columns {', '.join(map(str, frame.columns[:12]))}",
                         fix="name the 0/1 target column with --target")
    col = frame[target]
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna().to_numpy() | ~values.isin([0, 1]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"the target must be 0 (good) or 1 (bad); got {str(col.iloc[row])!r}",
                         where=f"{source}, row {row + 1}, field {target}",
                         fix="recode the target to 0/1 and leave out unlabelled rows")
    y = values.to_numpy().astype(np.int8)
    if len(y) == 0:
        raise InputError(f"{source} has no rows", where=source,
                         fix="give a table with labelled rows under its header")
    if y.min() == y.max():
        raise InputError(f"the target {target!r} has one class only",
                         where=source, fix="training needs both good (0) and bad (1) rows")
    return y


def numeric_column(frame: pd.DataFrame, column: str, source: str = "the input") -> np.ndarray:
    """A column as float64 with NaN for missing; text that is not a number is an error."""
    col = frame[column]
    if is_bool_dtype(col) or is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    values = pd.to_numeric(col, errors="coerce")
    wrong = values.isna().to_numpy() & col.notna().to_numpy()
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise InputError(f"expected a number; got {str(col.iloc[row])!r}",
                         where=f"{source}, row {row + 1}, field {column}",
                         fix="fix the value or leave it empty for missing")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _few_codes(series: pd.Series, max_codes: int) -> bool:
    """At most ``max_codes`` distinct values, all integers (a status or a small count).

    The first rows decide most columns cheaply: more distinct values there means more overall.
    """
    head = pd.unique(series.iloc[:10_000].dropna().to_numpy(dtype=np.float64))
    if head.size > max_codes:
        return False
    distinct = pd.unique(series.dropna().to_numpy(dtype=np.float64))
    return 0 < distinct.size <= max_codes and bool(np.all(distinct == np.rint(distinct)))


def select_columns(
    frame: pd.DataFrame,
    target: str,
    meta: Mapping[str, FeatureMeta] | None,
    settings: TrainSettings,
) -> tuple[list[str], dict[str, FeatureMeta], dict[str, str], dict[str, str]]:
    """Feature columns in frame order, their metadata, their kind and the skipped columns.

    Returns ``(features, metas, kinds, skipped)`` where ``kinds`` maps a feature to
    ``"numeric"``, ``"codes"`` (few integer values, direction ``"auto"``) or ``"categorical"``
    and ``skipped`` maps a column to why it is not used.
    """
    unknown = [c for c in settings.exclude if c not in frame.columns]
    if unknown:
        raise InputError(f"--exclude names columns that are not in the data: {unknown}",
                         fix="check the spelling of the excluded columns")
    features: list[str] = []
    metas: dict[str, FeatureMeta] = {}
    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for col in frame.columns:
        name = str(col)
        if name == target or name in settings.exclude:
            continue
        if is_protected(name) and not settings.allow_protected:
            skipped[name] = "protected attribute (use allow_protected to include it)"
            continue
        if is_others_data(name) and not settings.others_data:
            skipped[name] = ("built from other people's credit records or scores "
                             "(use others_data to include it)")
            continue
        series = frame[col]
        if is_datetime64_any_dtype(series):
            skipped[name] = "a date, not a feature"
            continue
        if series.notna().sum() == 0:
            skipped[name] = "no values"
            continue
        features.append(name)
        metas[name] = meta[name] if meta is not None and name in meta else auto_meta(name)
        numeric = is_numeric_dtype(series) or is_bool_dtype(series)
        kinds[name] = "numeric" if numeric else "categorical"
        if numeric and metas[name].direction == "auto" and _few_codes(series, settings.max_codes):
            kinds[name] = "codes"
    if not features:
        raise InputError("no usable feature columns in the training data",
                         fix="the data needs at least one numeric or text column beside the "
                             "target and the excluded ones")
    return features, metas, kinds, skipped

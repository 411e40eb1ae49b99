"""From a modelling frame to what the models need: the target, the feature columns, their metadata.

One place decides which columns may be features, for the scorecard and the challenger alike:
not the target, not the columns the user excluded, not protected attributes unless
``allow_protected``, not features built from other people's credit records or scores unless
``others_data``, not columns with no values, one value in every row, or of a type that is
neither numeric nor text, and — for columns with no feature definition (a flat table) — not
identifiers: a name such as ``id``, ``*_id`` or ``as_of``, text or integers unique per row, or
unique per person when the table has a person column; nor dates written as text (``Dec-2011``,
``03/04/2021``), which binned as categories would be screened out without a word. Every column
left out is reported with why, so nothing disappears silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from benne.binning.kinds import column_kind, numbers
from benne.dimensions import FeatureMeta
from benne.exceptions import InputError
from benne.models.settings import TrainSettings, is_others_data, is_protected

__all__ = ["auto_meta", "id_like", "numeric_column", "policy_skip", "select_columns",
           "target_vector", "text_column"]

_ID_NAMES = frozenset({"id", "uuid", "guid", "key", "row", "rownum", "row_number", "index"})
_ID_SUFFIXES = ("_id", "_uuid", "_key")
_TIME_NAMES = frozenset({"as_of", "asof", "timestamp", "snapshot_date"})
_TIME_SUFFIXES = ("_as_of", "_at", "_timestamp")


def _person_name(name: str) -> bool:
    low = name.lower()
    return (low in _ID_NAMES or low.endswith(_ID_SUFFIXES)
            or (len(name) > 2 and name.endswith(("Id", "ID")) and not name.isupper()))


def _id_name(name: str) -> bool:
    low = name.lower()
    return _person_name(name) or low in _TIME_NAMES or low.endswith(_TIME_SUFFIXES)


def _identifier_values(series: pd.Series) -> bool:
    """Text or whole numbers (an identifier is never a measured amount)."""
    if is_bool_dtype(series):
        return False
    if is_numeric_dtype(series):
        v = series.dropna().to_numpy(dtype=np.float64)
        return bool(np.all(v == np.rint(v)))
    return True


def id_like(frame: pd.DataFrame, column: str, person: str | None = None) -> str:
    """Why ``column`` looks like an identifier or a timestamp rather than a feature ('' if not)."""
    if _id_name(column):
        return "named like an identifier or a timestamp"
    series = frame[column]
    n = len(series)
    if n < 20 or not _identifier_values(series) or series.isna().any():
        return ""
    distinct = series.nunique()
    if distinct == n:
        return "unique in every row, an identifier"
    if person is not None and person != column and distinct > 1 \
            and distinct == frame[person].nunique() \
            and int(frame.groupby(person, sort=False)[column].nunique().max()) == 1:
        return f"one value per {person}, an identifier"
    return ""


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_TEXT = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|{_MONTH}[-/ ](?:\d{{4}}|\d{{2}})|{_MONTH} \d{{1,2}},? \d{{4}}"
    rf"|\d{{1,2}}[- ]{_MONTH}[- ]\d{{2,4}}"
    r"|\d{4}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?)?(?:z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE)
_DATE_SAMPLE = 500


def _dates_as_text(series: pd.Series) -> bool:
    """Text whose values are all dates (``2021-04-03``, ``03/04/2021``, ``Dec-2011``,
    ``Jan 5, 2020``), judged on up to :data:`_DATE_SAMPLE` distinct values."""
    if is_numeric_dtype(series) or is_bool_dtype(series):
        return False
    head = series.iloc[:_DATE_SAMPLE].dropna().astype(str).str.strip()
    if not all(_DATE_TEXT.fullmatch(v) for v in head):  # most text columns end here, cheaply
        return False
    values = pd.unique(series.dropna().astype(str).str.strip())[:_DATE_SAMPLE]
    return len(values) > 0 and all(_DATE_TEXT.fullmatch(v) for v in values)


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


def _require(frame: pd.DataFrame, column: str, source: str) -> None:
    if column not in frame.columns:
        raise InputError(f"the model's feature column {column!r} is not in {source}",
                         where=f"{source}, columns", fix="score a table with the columns the "
                                                         "model was trained on")


def text_column(frame: pd.DataFrame, column: str, source: str = "the input") -> pd.Series:
    """A categorical column as it is; a missing column is an error that names it."""
    _require(frame, column, source)
    return frame[column]


def numeric_column(frame: pd.DataFrame, column: str, source: str = "the input") -> np.ndarray:
    """A column as float64 with NaN for missing; text that is not a number is an error, and so
    is a missing column."""
    _require(frame, column, source)
    return numbers(frame[column], column, source)


def _constant(series: pd.Series) -> bool:
    """Every row holds the first row's value (no missing values: the caller checked).

    One comparison rather than ``nunique() == 1``, which hashes every value: on a million
    float rows that is 0.09 s a column, and the columns are selected once per fit."""
    return bool((series == series.iloc[0]).all())


def policy_skip(name: str, settings: TrainSettings,
                meta: Mapping[str, FeatureMeta] | None = None) -> str | None:
    """Why the settings leave column ``name`` out on policy (protected attributes, by name or
    declared so in ``meta``; others' data), or None; the one wording for the row and the
    counted paths."""
    declared = meta is not None and name in meta and meta[name].protected
    if (declared or is_protected(name)) and not settings.allow_protected:
        how = " (declared in the column dictionary)" if declared else ""
        return (f"protected attribute{how}, left out for fair lending "
                "(pass --allow-protected, or allow_protected=True, to include it)")
    if is_others_data(name) and not settings.others_data:
        return "built from other people's credit records or scores (use others_data to include it)"
    return None


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
    undefined = [str(c) for c in frame.columns if str(c) != target
                 and str(c) not in settings.exclude and (meta is None or str(c) not in meta)]
    person = next((c for c in undefined if _person_name(c) and frame[c].notna().all()
                   and frame[c].nunique() < len(frame)), None)
    for col in frame.columns:
        name = str(col)
        if name == target or name in settings.exclude:
            continue
        why = policy_skip(name, settings, meta)
        if why:
            skipped[name] = why
            continue
        series = frame[col]
        if is_datetime64_any_dtype(series):
            skipped[name] = "a date, not a feature"
            continue
        if series.notna().sum() == 0:
            skipped[name] = "empty: no values"
            continue
        if name in undefined:
            why = id_like(frame, name, person)
            dated = _dates_as_text(series)
            # a name like ``as_of`` says more than the values; dates (unique ones too) say more
            # than their uniqueness
            if why and (_id_name(name) or not dated):
                skipped[name] = (f"{why}, not a feature (rename the column if it is a real "
                                 "feature, or --exclude it to silence this)")
                continue
            if dated:
                skipped[name] = ("a date written as text, not a feature (derive a duration "
                                 "from it, such as the days from it to the decision, to use it)")
                continue
        if series.notna().all() and _constant(series):
            skipped[name] = "constant: one value in every row"
            continue
        features.append(name)
        metas[name] = meta[name] if meta is not None and name in meta else auto_meta(name)
        kinds[name] = column_kind(series, metas[name].direction, settings.max_codes, False)
    if not features:
        raise InputError("no usable feature columns in the training data",
                         fix="the data needs at least one numeric or text column beside the "
                             "target and the excluded ones")
    return features, metas, kinds, skipped

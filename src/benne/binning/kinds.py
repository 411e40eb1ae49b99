"""What a column is and what the target is: shared by the binning and the models.

Light on imports (NumPy and pandas only; scikit-learn is imported where it is used), so the
scoring path can use these without loading the estimators.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from benne.exceptions import InvalidValueError

__all__ = ["as_frame", "binary_target", "column_kind", "few_codes", "numbers"]


def few_codes(series: pd.Series, max_codes: int) -> bool:
    """At most ``max_codes`` distinct values, all integers (a status or a small count).

    The first rows decide most columns cheaply: more distinct values there means more overall.
    """
    if max_codes <= 0:
        return False
    head = pd.unique(series.iloc[:10_000].dropna().to_numpy(dtype=np.float64))
    if head.size > max_codes:
        return False
    distinct = pd.unique(series.dropna().to_numpy(dtype=np.float64))
    return 0 < distinct.size <= max_codes and bool(np.all(distinct == np.rint(distinct)))


def column_kind(series: pd.Series, direction: str, max_codes: int, categorical: bool) -> str:
    """``"categorical"``, ``"codes"`` or ``"numeric"`` (see the module docstring)."""
    numeric = is_numeric_dtype(series) or is_bool_dtype(series)
    if categorical or not numeric:
        return "categorical"
    if direction == "auto" and few_codes(series, max_codes):
        return "codes"
    return "numeric"


def binary_target(est: Any, y: object, n: int, *, reset: bool = True) -> np.ndarray:
    """The bad flag of each row; sets ``est.classes_`` (the second class is bad)."""
    from sklearn.utils.multiclass import type_of_target

    if y is None:
        raise InvalidValueError(f"{type(est).__name__} requires y to be passed, but the target "
                                "y is None", fix="pass the 0/1 target (1 = bad) to fit")
    t = np.asarray(y)
    if t.ndim == 2 and t.shape[1] == 1:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected; it is "
                      "read as one label per row", DataConversionWarning, stacklevel=3)
        t = t.ravel()
    if t.shape != (n,):
        raise InvalidValueError(f"y must have one label per row ({n}); got shape {t.shape}",
                                fix="pass a 1-d target with one 0/1 label per row")
    kind = type_of_target(t)
    if kind == "unknown":
        raise InvalidValueError(f"Unknown label type: the target must hold two classes (good "
                                f"and bad); got values of type {t.dtype}",
                                fix="pass a 0/1 target (1 = bad)")
    if kind not in ("binary", "multiclass") or (t.dtype.kind == "f" and np.isnan(t).any()):
        raise InvalidValueError(f"the target must hold two classes (good and bad); got {kind}",
                                fix="pass a 0/1 target (1 = bad) without missing values")
    classes = np.unique(t)
    if classes.size != 2:
        raise InvalidValueError(
            f"Only binary classification is supported: the target must hold exactly two "
            f"classes (good and bad); got {classes.size} class"
            + ("" if classes.size == 1 else "es"),
            fix="training needs both good (0) and bad (1) rows, and nothing else")
    if reset:
        est.classes_ = classes
    return t == classes[1]


def as_frame(est: Any, X: object, *, reset: bool) -> pd.DataFrame:
    """``X`` as a frame with the estimator's column names; checks names and width against fit.

    A DataFrame keeps its columns (and their types); an array is checked by scikit-learn and
    its columns are named ``x0, x1, ...``. Missing values are allowed. scikit-learn's own
    complaints (wrong width, other column names, an empty array) become
    :class:`~benne.exceptions.InvalidValueError` with its message.
    """
    try:
        return _as_frame(est, X, reset=reset)
    except InvalidValueError:
        raise
    except ValueError as exc:
        raise InvalidValueError(str(exc).strip().replace("\n", " "),
                                where=f"the input of {type(est).__name__}",
                                fix="pass the columns the estimator was fitted on") from exc


def _as_frame(est: Any, X: object, *, reset: bool) -> pd.DataFrame:
    """``X`` as a frame with the estimator's column names; checks names and width against fit.

    A DataFrame keeps its columns (and their types); an array is checked by scikit-learn and
    its columns are named ``x0, x1, ...``. Missing values are allowed.
    """
    from sklearn.utils.validation import check_array, validate_data

    if isinstance(X, pd.DataFrame):
        validate_data(est, X, reset=reset, skip_check_array=True)
        if X.shape[0] == 0:
            raise InvalidValueError("X has 0 rows; at least one is needed",
                                    fix="pass a table with rows")
        if not all(isinstance(c, str) for c in X.columns):
            frame = X.copy(deep=False)
            frame.columns = [f"x{j}" for j in range(X.shape[1])]
            return frame
        return X
    arr = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True)
    validate_data(est, arr, reset=reset, skip_check_array=True)
    if arr.dtype.kind == "O":
        cols = {}
        for j in range(arr.shape[1]):
            col = pd.Series(arr[:, j])
            num = pd.to_numeric(col, errors="coerce")
            cols[f"x{j}"] = num if num.isna().sum() == col.isna().sum() else col
        return pd.DataFrame(cols)
    if arr.dtype.kind not in "biuf":
        return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])], dtype=object)
    return pd.DataFrame(arr.astype(np.float64, copy=False),
                        columns=[f"x{j}" for j in range(arr.shape[1])])


def numbers(col: pd.Series, name: str, source: str | None = None) -> np.ndarray:
    """A column as float64 with NaN for missing; text that is not a number is an error naming
    the row and field (and ``source``, the file or frame, when given)."""
    if is_bool_dtype(col) or is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    values = pd.to_numeric(col, errors="coerce")
    wrong = values.isna().to_numpy() & col.notna().to_numpy()
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise InvalidValueError(f"expected a number; got {str(col.iloc[row])!r}",
                                where=(f"{source}, " if source else "")
                                + f"row {row + 1}, field {name}",
                                fix="fix the value or leave it empty for missing")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)

"""Numbers written as text in a flat table: ``13.50%``, ``$1,200``, ``36 months``, ``1,234``.

A real table often writes amounts and rates with their unit, so the reader sees text; left as
text, such a column becomes thousands of categories that are pooled as rare and screened out,
and an informative column is lost without a word. ``benne train --table`` therefore reads a
text column as numbers when **every** value is one number with the **same** unit — a currency
sign before or after it, a ``%`` after it, or one unit word of two letters or more after it
(``months``; ``2A`` stays a code) — or with thousands separators (``1,234``). The decision is
reported in the output and written into the manifest (``read_as_numbers``: column → unit), and
``benne score`` reads exactly those columns the same way, so a value that does not fit
(``n/a%``) is an error naming the file, row and field rather than a silent missing value.

Left as text, on purpose: a column with two units (``3 months`` and ``2 years``), a range or a
bound (``10+ years``, ``< 1 year``), and bare digits stored as text without any unit or
separator (``02139``: a postcode, whose author chose text). A percentage keeps its scale
(``13.5%`` is 13.5), so the reason texts read as the table does.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from benne.exceptions import InputError

__all__ = ["NUMBER_WITH_UNIT", "apply_numbers_from_text", "numbers_from_text"]

_CURRENCY = "$€£¥₹"
NUMBER_WITH_UNIT = re.compile(
    rf"^(?P<pre>[{_CURRENCY}])?\s*(?P<num>[-+]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)"
    rf"\s*(?P<post>%|[{_CURRENCY}]|[A-Za-z]{{2,}})?$")


def _parse(text: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """``(matched, number, unit)`` of each stripped value (unit lower case, '' for none)."""
    parts = text.str.strip().str.extract(NUMBER_WITH_UNIT)
    matched = parts["num"].notna().to_numpy()
    number = pd.to_numeric(parts["num"].str.replace(",", "", regex=False), errors="coerce")
    unit = (parts["pre"].fillna("") + parts["post"].fillna("")).str.lower()
    return matched, number, unit


_HEAD = 500


def _candidate(series: pd.Series) -> bool:
    return not (is_numeric_dtype(series) or is_bool_dtype(series)
                or isinstance(series.dtype, pd.CategoricalDtype)) and series.notna().any()


def _floats(series: pd.Series, present: pd.Series, number: pd.Series) -> pd.Series:
    """``series`` as float64: the parsed ``number`` of each ``present`` value, NaN elsewhere."""
    values = pd.Series(np.nan, index=series.index, dtype=np.float64)
    values[present.index] = number.to_numpy(dtype=np.float64)
    return values


def numbers_from_text(frame: pd.DataFrame, skip: set[str] | frozenset[str] = frozenset()
                      ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame with its numbers-as-text columns read as numbers, and the decisions taken:
    column → unit (``%``, ``$``, ``months``, or ``,`` for thousands separators alone).
    Columns in ``skip`` (the target, excluded ones) are left as they are."""
    read: dict[str, str] = {}
    out = frame
    for col in frame.columns:
        name = str(col)
        series = frame[col]
        if name in skip or not _candidate(series):
            continue
        head = series.iloc[:_HEAD].dropna().astype(str)
        if not _parse(head)[0].all():  # most text columns end here, before a full parse
            continue
        present = series.dropna().astype(str)
        matched, number, unit = _parse(present)
        if not matched.all() or unit.nunique() != 1:
            continue
        mark = str(unit.iloc[0])
        if mark == "":
            if not present.str.contains(",", regex=False).any():
                continue  # bare digits stored as text: the author chose text
            mark = ","
        if out is frame:
            out = frame.copy()
        out[col] = _floats(series, present, number)
        read[name] = mark
    return out, read


def apply_numbers_from_text(frame: pd.DataFrame, read: dict[str, str], source: str
                            ) -> pd.DataFrame:
    """Read the columns a model's manifest says were numbers as text (``read``) the same way;
    a value with another unit, or not a number, is an error naming the row and field."""
    out = frame
    for name, mark in read.items():
        if name not in frame.columns or not _candidate(frame[name]):
            continue  # absent (the scorer says so) or already numeric
        series = frame[name]
        present = series.dropna().astype(str)
        matched, number, unit = _parse(present)
        want = "" if mark == "," else mark
        wrong = ~matched | (unit.to_numpy() != want)
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            row = int(frame.index.get_loc(present.index[i]))
            raise InputError(f"expected a number with the unit {mark!r} as in training; got "
                             f"{present.iloc[i]!r}", where=f"{source}, row {row + 1}, field {name}",
                             fix=f"write the value as the training table did (e.g. 12{want}), "
                                 "or leave it empty for missing")
        if out is frame:
            out = frame.copy()
        out[name] = _floats(series, present, number)
    return out

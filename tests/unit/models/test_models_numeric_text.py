"""Which text columns of a flat table are numbers with a unit, and which stay text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benne.exceptions import InputError
from benne.models.numeric_text import apply_numbers_from_text, numbers_from_text


@pytest.mark.parametrize(("values", "unit", "numbers"), [
    (["13.50%", " 7%", None, "-2.5%"], "%", [13.5, 7.0, np.nan, -2.5]),
    (["$1,200", "$35", "$1,000,000", np.nan], "$", [1200.0, 35.0, 1e6, np.nan]),
    (["12 €", "3,400€"], "€", [12.0, 3400.0]),
    ([" 36 months", "60 Months"], "months", [36.0, 60.0]),
    (["1,234", "12", "7,000"], ",", [1234.0, 12.0, 7000.0]),
])
def test_numbers_with_one_unit_are_read_as_numbers(values: list[object], unit: str,
                                                   numbers: list[float]) -> None:
    frame, read = numbers_from_text(pd.DataFrame({"c": values}))
    assert read == {"c": unit}
    np.testing.assert_array_equal(frame["c"].to_numpy(), np.array(numbers))


@pytest.mark.parametrize("values", [
    ["02139", "10001"],                    # bare digits as text: a postcode
    ["3 months", "2 years"],               # two units
    ["10+ years", "1 year"],               # a bound
    ["< 1 year", "2 years"],
    ["2A", "3B"],                          # codes
    ["A11", "A12"],
    ["12%", "unknown"],                    # not every value a number
    ["12%", ""],
])
def test_other_text_stays_text(values: list[str]) -> None:
    frame = pd.DataFrame({"c": values})
    out, read = numbers_from_text(frame)
    assert read == {} and out is frame


def test_the_target_and_excluded_columns_are_left_alone() -> None:
    frame = pd.DataFrame({"target": ["1%", "0%"], "x": ["1%", "2%"]})
    out, read = numbers_from_text(frame, {"target"})
    assert read == {"x": "%"} and out["target"].tolist() == ["1%", "0%"]


def test_scoring_reads_a_column_only_with_its_training_unit() -> None:
    read = {"rate": "%", "n": ","}
    out = apply_numbers_from_text(pd.DataFrame({"rate": ["5%", None], "n": ["1,000", "7"]}),
                                  read, "s.csv")
    assert out["rate"].tolist()[0] == 5.0 and np.isnan(out["rate"].tolist()[1])
    assert out["n"].tolist() == [1000.0, 7.0]
    numeric = pd.DataFrame({"rate": [5.0, 6.0]})
    assert apply_numbers_from_text(numeric, read, "s.csv") is numeric
    with pytest.raises(InputError, match="'\\$5'") as caught:
        apply_numbers_from_text(pd.DataFrame({"rate": ["5%", "$5"]}), read, "s.csv")
    assert caught.value.where == "s.csv, row 2, field rate"

"""Protected attributes the data lacks are reported as unavailable, never as placeholders."""

from __future__ import annotations

import pandas as pd
import pytest

from benne.exceptions import InputError
from benne.report.fairness import UNAVAILABLE, protected_groups


def test_missing_or_empty_protected_fields_are_named_unavailable() -> None:
    frame = pd.DataFrame({"region": ["north", "south", "north"],
                          "gender": [None, None, None]})
    groups = protected_groups(frame, ["gender", "birth_year", "region"])
    assert list(groups) == ["gender (unavailable)", "birth_year (unavailable)", "region"]
    assert set(groups["gender (unavailable)"]) == {UNAVAILABLE}
    assert list(groups["region"]) == ["north", "south", "north"]


def test_a_misspelled_column_is_still_an_error() -> None:
    with pytest.raises(InputError, match="'gendr' is not in the data"):
        protected_groups(pd.DataFrame({"gender": ["f"]}), ["gendr"])

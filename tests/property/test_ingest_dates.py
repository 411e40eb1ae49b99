"""Dates written day-first or month-first: read right, or refused with a request for a format.

Never a silent misread: whatever layout a column uses, detection either finds the layout that
gives back the written moments, or raises asking for a format (when every part is 12 or less).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given

from benne.exceptions import ConfigError
from benne.ingest.dates import detect_format
from tests.property.strategies_ingest import dated_texts


@given(case=dated_texts())
def test_detection_reads_right_or_asks_for_a_format(
        case: tuple[list[dt.datetime], str, list[str]]) -> None:
    moments, _layout, texts = case
    try:
        fmt = detect_format(texts, "ordered_at", "file x.csv")
    except ConfigError as exc:
        assert "formats.ordered_at" in (exc.fix or "")
        # it only refuses what could be read both ways
        assert all(m.day <= 12 for m in moments)
        return
    assert fmt is not None
    assert [dt.datetime.strptime(t, fmt) for t in texts] == moments


def test_iso_needs_no_format_and_mixed_layouts_are_refused() -> None:
    assert detect_format(["2024-06-30", "2024-06-30 10:00:00"], "at", "f") is None
    with pytest.raises(ConfigError, match="neither all day-first nor all month-first"):
        detect_format(["30/06/2024", "06/30/2024"], "at", "f")
    with pytest.raises(ConfigError, match="several date shapes"):
        detect_format(["30/06/2024", "30-06-2024 10:00"], "at", "f")

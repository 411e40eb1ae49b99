"""Calendar arithmetic shared by the simulator, the labels and the demo."""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["add_months"]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, the day of month clipped to the target month's last day.

    2024-01-31 plus one month is 2024-02-29, plus two is 2024-03-31; ``add_months(day, 0)`` is
    ``day`` itself, so month boundaries counted from a start date always begin at that date and
    every month between them is 28 to 31 days long.
    """
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

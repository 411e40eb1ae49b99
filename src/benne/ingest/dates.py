"""Date and time formats of raw files: given explicitly, or detected only when unambiguous.

A day-first file (``30/6/19 22:57:49``) must never load as the year 30, and ``03/04/2021`` must
never be guessed. :func:`detect_format` looks at every distinct value of a column's first chunk:

- ISO values (``2021-04-03``, ``2021-04-03 10:00:00``, ``2021-04-03T10:00``) need no format;
- ``a/b/yyyy`` values (``/``, ``-`` or ``.`` between the parts, optional time) are day-first when
  some ``b`` exceeds 12 and no ``a`` does, month-first the other way round; when every part is
  12 or less the column is ambiguous and :class:`~benne.exceptions.ConfigError` asks for a
  format; when some values are day-first and others month-first, likewise;
- anything else is left to the validator, which quarantines rows that are not ISO.

Formats are ``strptime`` codes (``%d/%m/%y %H:%M:%S``), applied by DuckDB's ``strptime``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from benne.exceptions import ConfigError

__all__ = ["ISO", "detect_format"]

ISO = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?")
_PARTS = re.compile(
    r"(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
    r"(?:(?P<sep>[ T])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<sec>\d{2})(?P<frac>\.\d{1,6})?)?"
    r"(?:\s*(?P<ampm>[AaPp][Mm]))?)?"
)
_YEAR_FIRST = re.compile(
    r"(?P<y>\d{4})(?P<s>[/.])(?P<a>\d{1,2})(?P=s)(?P<b>\d{1,2})"
    r"(?:(?P<sep>[ T])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<sec>\d{2})(?P<frac>\.\d{1,6})?)?)?"
)


def _time_part(m: re.Match[str]) -> str:
    if m.group("h") is None:
        return ""
    hour = "%I" if m.groupdict().get("ampm") else "%H"
    out = m.group("sep") + hour + ":%M"
    if m.group("sec") is not None:
        out += ":%S"
        if m.group("frac"):
            out += ".%f"
    if m.groupdict().get("ampm"):
        out += " %p"
    return out


def detect_format(values: Iterable[str], field: str, where: str) -> str | None:
    """The ``strptime`` format of ``values``, or None when they are ISO (or not dates at all).

    Raises :class:`ConfigError` when day-first and month-first both fit, or when values
    disagree, naming the field and an example value.
    """
    shapes: set[str] = set()
    day_first_ok = month_first_ok = True
    example = None
    seen = 0
    for raw in values:
        v = raw.strip()
        if not v or ISO.fullmatch(v):
            continue
        m = _YEAR_FIRST.fullmatch(v)
        if m:
            shapes.add(f"%Y{m.group('s')}%m{m.group('s')}%d" + _time_part(m))
            continue
        m = _PARTS.fullmatch(v)
        if not m:
            continue
        seen += 1
        example = example or v
        a, b = int(m.group("a")), int(m.group("b"))
        day_first_ok &= b <= 12 and a <= 31
        month_first_ok &= a <= 12 and b <= 31
        y = "%Y" if len(m.group("y")) == 4 else "%y"
        shapes.add(f"{{}}{m.group('s')}{{}}{m.group('s')}{y}" + _time_part(m))
    if not shapes:
        return None
    fix = (f'give its format in the mapping, e.g. formats.{field} = "%d/%m/%Y %H:%M:%S" '
           f'(day first) or "%m/%d/%Y %H:%M:%S" (month first)')
    if len(shapes) > 1:
        raise ConfigError(f"the values of {field} come in several date shapes "
                          f"({', '.join(sorted(s.format('a', 'b') for s in shapes))})",
                          where=f"{where}, field {field}", fix=fix)
    shape = shapes.pop()
    if not seen:  # year first: 2021/04/03
        return shape
    if day_first_ok and month_first_ok:
        raise ConfigError(f"cannot tell whether {example!r} is day-first or month-first: "
                          f"no value of {field} has a part above 12",
                          where=f"{where}, field {field}", fix=fix)
    if not (day_first_ok or month_first_ok):
        raise ConfigError(f"the values of {field} are neither all day-first nor all "
                          f"month-first (e.g. {example!r})",
                          where=f"{where}, field {field}", fix=fix)
    return shape.format("%d", "%m") if day_first_ok else shape.format("%m", "%d")

"""Row validation as SQL: one typed, checked view over a chunk, derived from the schema.

Every check is a vectorised DuckDB expression, so a chunk of a million rows is validated in one
scan rather than a million Python calls. For each field, in schema order, the first failing
check names the row's problem:

1. type: a value is present but does not cast (``TRY_CAST`` gives NULL; integers must be
   whole numbers, floats finite);
2. required: the value is empty;
3. enumeration, minimum and maximum from the schema;
4. dates and timestamps: text must be ISO (``2024-06-30``, ``2024-06-30 22:57:49``; other
   layouts go through a mapping's formats), nothing before 1900, and nothing after the moment
   of loading (``now``) except fields that may lie ahead (a bill's due date), which may be up
   to 366 days after it;

then the source's cross-field rules (``paid before issued``), then references to other sources
(``unknown person``, ``unknown merchant``), checked against the store's current tables inside the
load's transaction, so rows loaded earlier in the same command count.

Pseudonymisation: with a key, every ``personal`` field is replaced, before any check or write,
by ``"ph_"`` + the first 32 hex digits (128 bits) of HMAC-SHA256(key, raw value), computed in
SQL from DuckDB's ``sha256``. The raw value therefore never reaches a table, and the raw record
kept in quarantine holds the pseudonym too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from benne.ingest.readers import InputFile
from benne.sources import Field, Source, duckdb_type
from benne.store.migrations import quote, record_id_sql

__all__ = ["EARLIEST", "FUTURE_DAYS", "ISO_TEXT", "PROBLEM_SEP", "hmac_sql", "pseudonym",
           "raw_json_sql", "view_sql"]

FUTURE_DAYS = 366
EARLIEST = datetime(1900, 1, 1)  # an event before this is a misread date, not history
OFFSET_TEXT = r":\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)$"
ISO_TEXT = (r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
            r"(Z|[+-]\d{2}(:?\d{2})?)?)?")
PROBLEM_SEP = "\x1f"  # joins field and reason in one CASE result; never in a reason text
_TYPE_WORD = {"int": "whole number", "float": "number", "bool": "true/false", "date": "date",
              "timestamp": "timestamp", "string": "text"}
_REFERENCE_WORD = {"identity": "person", "merchants": "merchant"}


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def hmac_sql(expr: str, key: str) -> str:
    """SQL for ``"ph_" + hex(HMAC-SHA256(key, expr))[:32]`` (RFC 2104 written out).

    DuckDB has ``sha256`` but no HMAC; spelling HMAC out keeps the hashing vectorised in the
    engine instead of a Python call per value.
    """
    k = key.encode("utf-8")
    if len(k) > 64:
        k = hashlib.sha256(k).digest()
    k = k.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in k).hex()
    opad = bytes(b ^ 0x5C for b in k).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode(CAST({expr} AS VARCHAR))))"
    return f"('ph_' || sha256(unhex('{opad}') || {inner})[1:32])"


def pseudonym(value: str, key: str) -> str:
    """The Python twin of :func:`hmac_sql` (for callers that look a person up)."""
    import hmac

    return "ph_" + hmac.new(key.encode("utf-8"), value.encode("utf-8"),
                            hashlib.sha256).hexdigest()[:32]


def _clean(f: InputFile, fld: Field) -> str:
    """The raw value with empty strings as NULL (text formats are also trimmed)."""
    if fld.name not in f.columns:
        return "NULL"
    col = quote("_raw_" + fld.name)
    if fld.name not in f.text_columns:
        return col
    return f"NULLIF({col}, '')" if f.format == "parquet" else f"NULLIF(trim({col}), '')"


def _typed(f: InputFile, fld: Field, key: str | None) -> str:
    c = _clean(f, fld)
    if c == "NULL":
        return f"CAST(NULL AS {duckdb_type(fld)})"
    if fld.type == "string":
        out = f"CAST({c} AS VARCHAR)"
        return hmac_sql(out, key) if (fld.personal and key) else out
    if fld.type == "int" and fld.name in f.text_columns:
        return f"CASE WHEN regexp_full_match({c}, '[+-]?[0-9]+') THEN TRY_CAST({c} AS BIGINT) END"
    if fld.type == "int" and fld.name in f.float_columns:
        return f"CASE WHEN {c} = trunc({c}) THEN TRY_CAST({c} AS BIGINT) END"
    if fld.type in ("date", "timestamp") and fld.name in f.text_columns:
        # only ISO text is a date: DuckDB would read 30/6/19 as the year 30; a UTC offset
        # is applied (a plain cast would drop it), and the moment stored in UTC
        offset = (f"WHEN regexp_matches({c}, {lit(OFFSET_TEXT)}) THEN "
                  f"timezone('UTC', TRY_CAST({c} AS TIMESTAMPTZ))")
        if fld.type == "date":
            offset += "::DATE"
        return (f"CASE WHEN NOT regexp_full_match({c}, {lit(ISO_TEXT)}) THEN NULL {offset} "
                f"ELSE TRY_CAST({c} AS {duckdb_type(fld)}) END")
    return f"TRY_CAST({c} AS {duckdb_type(fld)})"


def _checks(source: Source, f: InputFile, now: datetime) -> list[tuple[str, str, str]]:
    """``(condition, field, reason)`` in the order they are tried."""
    horizon = now + timedelta(days=FUTURE_DAYS)
    out: list[tuple[str, str, str]] = []
    for fld in source.fields:
        v = quote(fld.name)
        clean = _clean(f, fld)
        if clean != "NULL" and fld.type != "string":
            out.append((f"{clean} IS NOT NULL AND {v} IS NULL", fld.name,
                        f"not a valid {_TYPE_WORD[fld.type]}"))
        if fld.required:
            out.append((f"{v} IS NULL", fld.name, "required field is empty"))
        if fld.type == "float":
            out.append((f"NOT isfinite({v})", fld.name, "not a finite number"))
        if fld.enum:
            values = ", ".join(lit(e) for e in fld.enum)
            out.append((f"{v} NOT IN ({values})", fld.name, "not one of " + "|".join(fld.enum)))
        if fld.minimum is not None:
            reason = "negative value" if fld.minimum == 0 else f"below the minimum {fld.minimum:g}"
            out.append((f"{v} < {fld.minimum!r}", fld.name, reason))
        if fld.maximum is not None:
            out.append((f"{v} > {fld.maximum!r}", fld.name, f"above the maximum {fld.maximum:g}"))
        if fld.type in ("date", "timestamp"):
            out.append((f"{v} < DATE '{EARLIEST:%Y-%m-%d}'", fld.name,
                        f"before {EARLIEST.year}: check the date format"))
            if fld.may_be_ahead:
                bound = (f"DATE '{horizon:%Y-%m-%d}'" if fld.type == "date"
                         else f"TIMESTAMP '{horizon:%Y-%m-%d %H:%M:%S.%f}'")
                out.append((f"{v} > {bound}", fld.name,
                            f"absurdly in the future (after {horizon:%Y-%m-%d})"))
            else:
                bound = (f"DATE '{now:%Y-%m-%d}'" if fld.type == "date"
                         else f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S.%f}'")
                out.append((f"{v} > {bound}", fld.name,
                            f"after the moment of loading ({now:%Y-%m-%d %H:%M})"))
    for rule in source.rules:
        # a violated rule is NULL-safe: it fires only when both sides are present
        out.append((f"NOT ({quote(rule.left)} {rule.op} {quote(rule.right)})", rule.left,
                    rule.reason))
    for fld in source.fields:
        if fld.references:
            ref_source, ref_field = fld.references.split(".")
            word = _REFERENCE_WORD.get(ref_source, ref_source)
            out.append((f"{quote(fld.name)} NOT IN "
                        f"(SELECT {quote(ref_field)} FROM {quote(ref_source)})",
                        fld.name, f"unknown {word}"))
    return out


def view_sql(f: InputFile, from_sql: str, now: datetime, key: str | None) -> str:
    """A SELECT over ``from_sql`` giving ``_row``, the raw columns (``_raw_<field>``), the typed
    schema columns, ``_problem`` (``field<SEP>reason`` or NULL) and ``_rid``."""
    source = f.source
    # Parquet is scanned as written; text chunks already carry the schema's names
    raw = [f"{quote(col if f.format == 'parquet' else name)} AS {quote('_raw_' + name)}"
           for name, col in f.columns.items()]
    inner = ", ".join(["_row", *raw])
    typed = ", ".join(f"{_typed(f, fld, key)} AS {quote(fld.name)}" for fld in source.fields)
    whens = " ".join(
        f"WHEN {cond} THEN {lit(name + PROBLEM_SEP + reason)}"
        for cond, name, reason in _checks(source, f, now)
    )
    return (
        f"SELECT *, CASE {whens} END AS _problem, {record_id_sql(source)} AS _rid FROM ("
        f"SELECT *, {typed} FROM (SELECT {inner} FROM {from_sql}) _raw) _typed"
    )


def raw_json_sql(f: InputFile, key: str | None) -> str:
    """JSON of the row's original values (personal fields pseudonymised when there is a key)."""
    parts = []
    for fld in f.source.fields:
        if fld.name not in f.columns:
            continue
        col = quote("_raw_" + fld.name)
        if fld.personal and key:
            value = quote(fld.name)
        elif fld.name in f.float_columns:
            # NaN and infinity are not JSON numbers: keep them as text
            value = (f"CASE WHEN isfinite({col}) THEN to_json({col}) "
                     f"ELSE to_json({col}::VARCHAR) END")
        else:
            value = col
        parts.append(f"{lit(fld.name)}, {value}")
    return f"json_object({', '.join(parts)})" if parts else "json_object()"

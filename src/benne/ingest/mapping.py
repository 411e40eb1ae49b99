"""Mapping files: how a platform's own raw files become benne sources (see docs/mapping.md).

A mapping is a TOML file. For each raw file it names the source the file feeds (a built-in
one or a custom source declared in the same file) and how each field of that source is
obtained: a column of the file, a DuckDB SQL expression over the file's columns, or a constant;
value maps for enumerations (values the map does not name go to ``other`` when the field allows
it, and are counted and reported); date and time formats (explicit, or detected only when
unambiguous: :mod:`benne.ingest.dates`); the time zone of its timestamps; the currency of its
amounts. :func:`load_mapping` checks the whole file before anything is read;
:func:`stage_file` turns one raw file into a Parquet file of the source's fields as text, which
the ordinary validated load then takes (every row is still checked and refused rows are still
quarantined with the reason).
"""

from __future__ import annotations

import glob
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from benne.exceptions import ConfigError, SourceFileError
from benne.ingest.dates import detect_format
from benne.ingest.validate import ISO_TEXT, OFFSET_TEXT
from benne.sources import OTHER, SOURCES, Source
from benne.sources.currency import REFERENCE_CURRENCY, Currency
from benne.sources.custom import CustomSource, parse_custom_source

__all__ = ["FileMapping", "Mapping", "StagedFile", "load_mapping", "stage_file"]

ANY = "*"  # in a value map: every value not named
_FILE_KEYS = {"path", "source", "format", "delimiter", "encoding", "header", "timezone",
              "currency", "columns", "expressions", "constants", "formats", "values", "name"}
_TOP_KEYS = {"version", "timezone", "currency", "currencies", "sources", "files"}
_SAMPLE_ROWS = 200_000


@dataclass(frozen=True)
class FileMapping:
    """How one raw file (or every file a glob matches) feeds one source."""

    path: Path
    source: Source
    format: str
    label: str
    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    timezone: str | None = None
    rate: float | None = None  # multiplies money fields (currency -> reporting currency)
    currency: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file: custom sources first, then the files in load order."""

    path: Path
    custom: tuple[CustomSource, ...]
    files: tuple[FileMapping, ...]
    currency: str | None = None
    store_currency: Currency | None = None  # what the store's amounts are in (None: unsaid)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = d.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table", where=where,
                          fix=f"write [files.{key}] with one field = value per line")
    return value


def _format_of(path: Path, forced: str | None, where: str) -> str:
    if forced:
        if forced not in ("csv", "parquet", "jsonl"):
            raise ConfigError(f"format must be csv, parquet or jsonl; got {forced!r}",
                              where=where, fix='e.g. format = "csv"')
        return forced
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".zip")]
    ext = suffixes[-1] if suffixes else ""
    fmt = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(ext)
    if fmt is None:
        raise ConfigError(f"cannot tell the format of {path.name}", where=where,
                          fix='add format = "csv", "parquet" or "jsonl"')
    return fmt


def _check_timezone(tz: str, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {tz!r}", where=where,
                          fix='use an IANA name such as "Africa/Lagos" or "UTC"') from None
    return tz


def _rate(currency: str | None, reporting: str | None, rates: dict[str, Any],
          where: str) -> float | None:
    if currency is None or reporting is None or currency == reporting:
        return None
    rate = rates.get(currency)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not rate > 0:
        raise ConfigError(f"no conversion rate from {currency} to {reporting}", where=where,
                          fix=f"add [currencies] {currency} = <value of one {currency} in "
                              f"{reporting}>")
    return float(rate)


def _file_mapping(i: int, d: dict[str, Any], base: Path, top: dict[str, Any],
                  sources: dict[str, Source], where_file: str) -> list[FileMapping]:
    where = f"{where_file}, [[files]] #{i}"
    unknown = sorted(set(d) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}", where=where,
                          fix=f"use {', '.join(sorted(_FILE_KEYS))}")
    if "path" not in d or "source" not in d:
        raise ConfigError("each [[files]] needs path and source", where=where,
                          fix='e.g. path = "raw/orders.csv" and source = "orders"')
    src = sources.get(d["source"])
    if src is None:
        raise ConfigError(f"unknown source {d['source']!r}", where=where,
                          fix=f"use a built-in source ({', '.join(SOURCES)}) or declare "
                              f"[sources.{d['source']}]")
    where = f"{where} ({d['path']} -> {src.name})"
    pattern = str(base / d["path"])
    paths = sorted(Path(p) for p in glob.glob(pattern)) if any(c in pattern for c in "*?[") \
        else [Path(pattern)]
    if not paths or not all(p.is_file() for p in paths):
        missing = next((p for p in paths if not p.is_file()), Path(pattern))
        raise SourceFileError(f"no file {missing}", where=where,
                              fix="paths are relative to the mapping file; check the path")
    columns = {k: _text(v) for k, v in _table(d, "columns", where).items()}
    expressions = {k: _text(v) for k, v in _table(d, "expressions", where).items()}
    constants = {k: _text(v) for k, v in _table(d, "constants", where).items()}
    formats = {k: _text(v) for k, v in _table(d, "formats", where).items()}
    values_raw = _table(d, "values", where)
    values: dict[str, dict[str, str]] = {}
    for name, vm in values_raw.items():
        if not isinstance(vm, dict):
            raise ConfigError(f"values.{name} must be a table of raw value = stored value",
                              where=where, fix=f'e.g. [files.values.{name}] "F" = "female"')
        values[name] = {_text(k): _text(v) for k, v in vm.items()}
    names = set(src.field_names)
    for what, part in (("columns", columns), ("expressions", expressions),
                       ("constants", constants), ("formats", formats), ("values", values)):
        for k in part:
            if k not in names:
                raise ConfigError(f"{what}.{k}: the {src.name} source has no field {k!r}",
                                  where=where, fix=f"use one of {', '.join(src.field_names)}")
    for k in formats:
        if src.field(k).type not in ("date", "timestamp"):
            raise ConfigError(f"formats.{k}: {k} is not a date or timestamp", where=where,
                              fix="give formats only for date and timestamp fields")
    for k in names:
        given = [w for w, part in (("columns", columns), ("expressions", expressions),
                                   ("constants", constants)) if k in part]
        if len(given) > 1:
            raise ConfigError(f"field {k} is given in both {given[0]} and {given[1]}",
                              where=where, fix="give each field one way")
    tz = d.get("timezone", top.get("timezone"))
    currency = d.get("currency", top.get("currency"))
    rate = _rate(currency, top.get("currency"), top.get("currencies", {}), where)
    fmt = _format_of(paths[0], d.get("format"), where)
    out = []
    for p in paths:
        out.append(FileMapping(
            path=p, source=src, format=fmt, label=p.as_posix(),
            delimiter=_text(d.get("delimiter", ",")), encoding=_text(d.get("encoding", "utf-8")),
            header=bool(d.get("header", True)),
            timezone=_check_timezone(tz, where) if tz else None, rate=rate, currency=currency,
            columns=columns, expressions=expressions, constants=constants, formats=formats,
            values=values,
        ))
    return out


def load_mapping(path: Path | str) -> Mapping:
    """Parse and check a mapping file; raises :class:`ConfigError` naming the entry at fault."""
    path = Path(path)
    where = f"mapping {path}"
    try:
        top = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no mapping file {path}", where=where, fix="check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the mapping is not valid TOML: {exc}", where=where,
                          fix="check the line the message names") from None
    unknown = sorted(set(top) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}", where=where,
                          fix=f"use {', '.join(sorted(_TOP_KEYS))}")
    custom = tuple(parse_custom_source(n, t, where)
                   for n, t in _table(top, "sources", where).items())
    sources: dict[str, Source] = dict(SOURCES)
    for cs in custom:
        sources[cs.name] = cs.source()
    files_raw = top.get("files", [])
    if not isinstance(files_raw, list) or not files_raw:
        raise ConfigError("the mapping names no files", where=where,
                          fix='add [[files]] entries with path = ... and source = ...')
    files: list[FileMapping] = []
    for i, d in enumerate(files_raw, 1):
        files += _file_mapping(i, d, path.parent, top, sources, where)
    currencies = sorted({f.currency for f in files if f.currency})
    if len(currencies) > 1 and not top.get("currency"):
        raise ConfigError(f"the files are in several currencies ({', '.join(currencies)})",
                          where=where, fix="set currency = ... (the reporting currency) and "
                                           "a rate per currency under [currencies]")
    from benne.sources import load_order

    order = {n: k for k, n in enumerate(load_order())}
    files.sort(key=lambda f: order.get(f.source.name, len(order)))
    return Mapping(path=path, custom=custom, files=tuple(files), currency=top.get("currency"),
                   store_currency=_store_currency(top, currencies, where))


def _store_currency(top: dict[str, Any], currencies: list[str], where: str) -> Currency | None:
    """The currency the loaded amounts are in, with the value of one US dollar in it when the
    mapping gives it (``[currencies] USD``); None when the mapping names no currency."""
    code = top.get("currency") or (currencies[0] if currencies else None)
    if code is None:
        return None
    code = _text(code)
    if code == REFERENCE_CURRENCY:
        return Currency(code, 1.0)
    rate = top.get("currencies", {}).get(REFERENCE_CURRENCY)
    if rate is None:
        return Currency(code, None)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not rate > 0:
        raise ConfigError(f"[currencies] {REFERENCE_CURRENCY} must be a positive number; "
                          f"got {rate!r}", where=where,
                          fix=f"give {REFERENCE_CURRENCY} = <value of one US dollar in {code}>")
    return Currency(code, float(rate))


# ── staging: raw file -> the source's fields as text ─────────────────────────────────────────


def _open_text(fm: FileMapping) -> Any:
    """A binary stream of the file's text (zip archives of one file are opened in place)."""
    if fm.path.suffix.lower() == ".zip":
        z = zipfile.ZipFile(fm.path)
        members = [n for n in z.namelist() if not n.endswith("/")]
        if len(members) != 1:
            raise SourceFileError(f"{fm.path.name} holds {len(members)} files, expected one",
                                  where=f"file {fm.path}", fix="zip one file per archive")
        return z.open(members[0])
    return pa.input_stream(str(fm.path), compression="detect")


def _batches(fm: FileMapping) -> Iterator[pa.RecordBatch]:
    """The raw file as batches of text columns."""
    try:
        if fm.format == "parquet":
            import pyarrow.parquet as pq

            for b in pq.ParquetFile(fm.path).iter_batches(batch_size=_SAMPLE_ROWS):
                yield pa.RecordBatch.from_arrays(
                    [c.cast(pa.string()) for c in b.columns], names=b.schema.names)
        elif fm.format == "jsonl":
            import pyarrow.json as pj

            t = pj.read_json(_open_text(fm))
            t = pa.table({n: t[n].cast(pa.string()) for n in t.column_names})
            yield from t.to_batches(max_chunksize=_SAMPLE_ROWS)
        else:
            import pyarrow.csv as pacsv

            read = pacsv.ReadOptions(encoding=fm.encoding, block_size=1 << 22,
                                     autogenerate_column_names=not fm.header)
            parse = pacsv.ParseOptions(delimiter=fm.delimiter, newlines_in_values=True)
            head = pacsv.open_csv(_open_text(fm), read_options=read, parse_options=parse)
            names = head.schema.names
            head.close()
            convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                           strings_can_be_null=True, null_values=[""])
            reader = pacsv.open_csv(_open_text(fm), read_options=read, parse_options=parse,
                                    convert_options=convert)
            yield from reader
    except (pa.ArrowException, OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceFileError(f"cannot read {fm.path.name} as {fm.format}: {msg}",
                              where=f"file {fm.path}",
                              fix="check format, delimiter and encoding in the mapping") from None


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class StagedFile:
    """A raw file turned into ``path`` (Parquet, one text column per source field)."""

    mapping: FileMapping
    path: Path
    rows: int
    formats: dict[str, str | None]
    other: dict[str, Counter[str]]  # field -> raw values sent to "other", with counts


def _field_sql(fm: FileMapping, name: str, formats: dict[str, str | None],
               columns: set[str]) -> tuple[str, str | None]:
    """SQL of one field as text, and SQL of the raw value when it went to ``other``."""
    fld = fm.source.field(name)
    if name in fm.columns:
        col = fm.columns[name]
        if col not in columns:
            raise SourceFileError(f"column {col!r} (for field {name}) is not in the file",
                                  where=f"file {fm.path}",
                                  fix=f"the file has columns {', '.join(sorted(columns)[:20])}")
        raw = f"NULLIF(trim({_q(col)}), '')"
    elif name in fm.expressions:
        raw = f"NULLIF(trim(CAST(({fm.expressions[name]}) AS VARCHAR)), '')"
    elif name in fm.constants:
        raw = _lit(fm.constants[name])
    elif name in columns:  # a column named like the field maps itself
        raw = f"NULLIF(trim({_q(name)}), '')"
    else:
        return "CAST(NULL AS VARCHAR)", None
    other = None
    vm = fm.values.get(name)
    open_enum = fld.type == "string" and (not fld.enum or OTHER in fld.enum)
    if vm is not None or (fld.enum and OTHER in fld.enum):
        vm = vm or {}
        whens = " ".join(f"WHEN {raw} = {_lit(k)} THEN {_lit(v)}" for k, v in vm.items()
                         if k != ANY)
        allowed = " OR ".join(f"{raw} = {_lit(e)}" for e in (*(fld.enum or ()), *vm.values()))
        if ANY in vm:
            fallback = _lit(vm[ANY])
        elif open_enum:
            # a text field: what the map does not name (and is not already a stored value)
            # goes to "other", counted so the user sees what was lumped together
            fallback = f"CASE WHEN {allowed or 'false'} THEN {raw} ELSE {_lit(OTHER)} END"
            named = " OR ".join(f"{raw} = {_lit(k)}" for k in vm) or "false"
            other = f"CASE WHEN NOT ({named}) AND NOT ({allowed or 'false'}) THEN {raw} END"
        else:
            fallback = raw  # a closed enumeration or a number: the load refuses what is wrong
        raw = f"CASE WHEN {raw} IS NULL THEN NULL {whens} ELSE {fallback} END"
    if fld.type in ("date", "timestamp"):
        fmt = formats.get(name)
        if fmt:
            parsed = f"try_strptime({raw}, {_lit(fmt)})"
        else:
            parsed = (f"CASE WHEN NOT regexp_full_match({raw}, {_lit(ISO_TEXT)}) THEN NULL "
                      f"WHEN regexp_matches({raw}, {_lit(OFFSET_TEXT)}) THEN "
                      f"timezone('UTC', TRY_CAST({raw} AS TIMESTAMPTZ)) "
                      f"ELSE TRY_CAST({raw} AS TIMESTAMP) END")
        if fld.type == "timestamp" and fm.timezone:
            parsed = f"timezone('UTC', timezone({_lit(fm.timezone)}, {parsed}))"
        out_fmt = "%Y-%m-%d" if fld.type == "date" else "%Y-%m-%d %H:%M:%S.%f"
        # a value that does not parse is kept as written, so the load refuses it by name
        raw = f"coalesce(strftime({parsed}, {_lit(out_fmt)}), {raw})"
    elif fld.money and fm.rate is not None:
        raw = (f"coalesce(CAST(round(TRY_CAST({raw} AS DOUBLE) * {fm.rate!r}, 6) AS VARCHAR), "
               f"{raw})")
    return raw, other


def stage_file(fm: FileMapping, out: Path) -> StagedFile:
    """Read ``fm.path``, apply the mapping, write the source's fields as text to ``out``."""
    import duckdb
    import pyarrow.parquet as pq

    con = duckdb.connect()
    writer = None
    formats: dict[str, str | None] = {}
    other: dict[str, Counter[str]] = {}
    rows = 0
    try:
        con.execute("SET TimeZone = 'UTC'")
        select = None
        for batch in _batches(fm):
            table = pa.Table.from_batches([batch])
            if select is None:
                columns = set(table.column_names)
                for name in fm.source.field_names:
                    fld = fm.source.field(name)
                    if fld.type not in ("date", "timestamp"):
                        continue
                    if name in fm.formats:
                        formats[name] = fm.formats[name]
                        continue
                    col = fm.columns.get(name, name if name in columns else None)
                    if col is None or col not in columns or name in fm.expressions:
                        continue
                    values = table[col].drop_null().unique().to_pylist()
                    formats[name] = detect_format(values, name, f"file {fm.path}")
                parts, others = [], []
                for name in fm.source.field_names:
                    sql, o = _field_sql(fm, name, formats, columns)
                    if sql.startswith("CAST(NULL") and fm.source.field(name).required:
                        raise ConfigError(
                            f"the {fm.source.name} source needs {name}, which the mapping "
                            f"does not give and the file has no column of that name",
                            where=f"file {fm.path}",
                            fix=f"add {name} under [files.columns], [files.expressions] or "
                                f"[files.constants]")
                    parts.append(f"{sql} AS {_q(name)}")
                    if o is not None:
                        others.append(f"{o} AS {_q('_other_' + name)}")
                select = ", ".join(parts + others)
            con.register("_raw", table)
            try:
                result = con.sql(f"SELECT {select} FROM _raw").to_arrow_table()
            except duckdb.Error as exc:
                raise ConfigError(f"the mapping of {fm.path.name} does not run: "
                                  f"{str(exc).splitlines()[0]}", where=f"file {fm.path}",
                                  fix="check the expressions and column names") from None
            con.unregister("_raw")
            for c in result.column_names:
                if c.startswith("_other_"):
                    counts = other.setdefault(c.removeprefix("_other_"), Counter())
                    for v in result[c].drop_null().to_pylist():
                        counts[v] += 1
            result = result.select(fm.source.field_names)
            if writer is None:
                writer = pq.ParquetWriter(out, result.schema)
            writer.write_table(result)
            rows += result.num_rows
        if writer is None:  # an empty file: an empty staged file of the right columns
            empty = pa.table({n: pa.array([], pa.string()) for n in fm.source.field_names})
            pq.write_table(empty, out)
    finally:
        if writer is not None:
            writer.close()
        con.close()
    return StagedFile(mapping=fm, path=out, rows=rows, formats=formats,
                      other={k: v for k, v in other.items() if v})

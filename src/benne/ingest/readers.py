"""Finding input files and reading them in bounded chunks.

Three formats come in: CSV, Parquet and JSON Lines. Parquet is read by DuckDB itself (typed,
columnar, streamed row group by row group under the store's memory limit), so only its schema is
inspected here. CSV and JSON Lines are text: they are read as strings, ``chunk_rows`` rows at a
time, into Arrow tables that DuckDB scans without copying; the types are checked later by
``TRY_CAST`` in SQL so that a bad value refuses one row, not the file.

Row numbers are 1-based data rows of the file: for CSV the header line is not counted (and a
quoted value spanning lines is one row); for JSON Lines they are line numbers.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from benne.exceptions import NotFoundError, SourceFileError
from benne.sources import SOURCES, Source, get_source, load_order

__all__ = [
    "FORMATS",
    "Chunk",
    "CsvOptions",
    "InputFile",
    "Malformed",
    "discover",
    "inspect",
    "read_chunks",
    "sha256_file",
]

Format = Literal["csv", "parquet", "jsonl"]
FORMATS: dict[str, Format] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV (and the text encoding of JSON Lines)."""

    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True


@dataclass(frozen=True)
class Malformed:
    """A row that could not be split into fields at all (kept whole in quarantine)."""

    row: int
    text: str
    reason: str


@dataclass
class Chunk:
    """Up to ``chunk_rows`` rows as strings (one column per schema field found) plus ``_row``."""

    table: pa.Table
    malformed: list[Malformed] = field(default_factory=list)


@dataclass
class InputFile:
    """One file to load, with what :func:`inspect` learned about its columns."""

    path: Path
    source: Source
    format: Format
    columns: dict[str, str] = field(default_factory=dict)  # schema field -> column in the file
    text_columns: set[str] = field(default_factory=set)  # fields whose file type is a string
    float_columns: set[str] = field(default_factory=set)  # fields stored as floating point
    name: str | None = None  # what logs and quarantine call the file (default: its path)
    original: Path | None = None  # the raw file a mapping staged into ``path``

    @property
    def label(self) -> str:
        return self.name or self.path.as_posix()


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def _format_of(path: Path, forced: str | None) -> Format:
    if forced:
        if forced not in ("csv", "parquet", "jsonl"):
            raise SourceFileError(f"unknown format {forced!r}", fix="use csv, parquet or jsonl")
        return forced  # type: ignore[return-value]
    suffixes = [s for s in path.suffixes if s != ".gz"]
    fmt = FORMATS.get(suffixes[-1].lower()) if suffixes else None
    if fmt is None:
        raise SourceFileError(
            f"cannot tell the format of {path.name}", where=f"file {path}",
            fix="name it .csv, .parquet or .jsonl, or pass --format",
        )
    return fmt


def discover(paths: Sequence[str | Path], source: str | None,
             forced_format: str | None = None) -> list[InputFile]:
    """Expand files, folders and globs into the files to load, in load order.

    Without ``source`` each file's source is its name up to the first dot (``orders.parquet``,
    ``bills.2024.csv``); in a folder, files whose name is not a source (``truth.parquet``) are
    skipped. Files are then ordered by :func:`benne.sources.load_order`, so people load before
    their orders whatever order the paths came in.
    """
    chosen = get_source(source) if source else None
    found: list[tuple[Path, bool]] = []  # (path, came from a folder)
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += [(c, True) for c in sorted(p.iterdir())
                      if c.is_file() and not c.name.startswith(".")]
        elif p.is_file():
            found.append((p, False))
        else:
            matches = sorted(glob.glob(str(raw)))
            if not matches:
                raise NotFoundError(f"no file or folder {raw}", where=f"file {raw}",
                                    fix="check the path")
            found += [(Path(m), False) for m in matches if Path(m).is_file()]
    files: list[InputFile] = []
    for p, in_folder in found:
        if chosen is None:
            if _stem(p) not in SOURCES:
                if in_folder:
                    continue
                raise SourceFileError(
                    f"cannot tell which source {p.name} holds", where=f"file {p}",
                    fix=f"pass --source or name the file after a source ({', '.join(SOURCES)})",
                )
            src = SOURCES[_stem(p)]
        else:
            src = chosen
        if in_folder and forced_format is None and not any(
            s.lower() in FORMATS for s in p.suffixes
        ):
            continue
        files.append(InputFile(path=p, source=src, format=_format_of(p, forced_format)))
    if not files:
        raise NotFoundError("no files to load", where=", ".join(map(str, paths)),
                            fix="name files after their source, e.g. orders.parquet")
    order = {name: i for i, name in enumerate(load_order())}
    files.sort(key=lambda f: order[f.source.name])  # stable: keeps the given order per source
    return files


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _map_columns(f: InputFile, names: list[str], *, hint: str = "") -> None:
    """Match the file's column names to the schema (case and surrounding blanks ignored)."""
    by_lower: dict[str, str] = {}
    for n in names:
        by_lower.setdefault(n.strip().lower(), n)
    f.columns = {fld.name: by_lower[fld.name.lower()] for fld in f.source.fields
                 if fld.name.lower() in by_lower}
    missing = [n for n in f.source.required_fields if n not in f.columns]
    if missing:
        raise SourceFileError(
            f"required column {missing[0]} is missing"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            where=f"file {f.path}",
            fix=hint or f"the {f.source.name} source needs columns "
                        f"{', '.join(f.source.required_fields)}",
        )


def _csv_modules():  # pyarrow.csv is imported lazily: benne --help stays fast
    import pyarrow.csv as pacsv

    return pacsv


class _StrictUtf8:
    """A byte stream that fails on the first invalid UTF-8 sequence.

    Arrow reads UTF-8 CSV without checking it, and hands undecodable malformed lines to the
    row handler in a way that prints a traceback; checking the bytes as they stream (a C
    decoder, no copy kept) turns that into one clear "cannot decode" error instead.
    """

    def __init__(self, raw: pa.NativeFile) -> None:
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n) if n is not None and n >= 0 else self.raw.read()
        self.decoder.decode(data, final=not data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True
        self.raw.close()


def _open_csv(f: InputFile, opts: CsvOptions, block_size: int, handler=None, columns=None):
    pacsv = _csv_modules()
    stream = pa.input_stream(str(f.path), compression="detect")
    encoding = opts.encoding
    if codecs.lookup(encoding).name == "utf-8":
        stream, encoding = pa.PythonFile(_StrictUtf8(stream), mode="r"), "utf8"
    read = pacsv.ReadOptions(encoding=encoding, use_threads=False, block_size=block_size,
                             autogenerate_column_names=not opts.header)
    parse = pacsv.ParseOptions(delimiter=opts.delimiter, newlines_in_values=True,
                               invalid_row_handler=handler)
    if columns is None:
        convert = pacsv.ConvertOptions()
    else:
        convert = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, include_columns=list(columns),
            strings_can_be_null=True, null_values=[""],
        )
    return pacsv.open_csv(stream, read_options=read, parse_options=parse,
                          convert_options=convert)


def _file_error(f: InputFile, what: str, exc: BaseException, fix: str) -> SourceFileError:
    if isinstance(exc, UnicodeDecodeError):
        bad = exc.object[exc.start:exc.start + 1].hex()
        return SourceFileError(f"cannot decode {f.path.name} as {exc.encoding} (byte 0x{bad})",
                               where=f"file {f.path}",
                               fix="pass the file's --encoding, e.g. --encoding latin-1")
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SourceFileError(f"cannot read {f.path.name} as {what}: {msg}", where=f"file {f.path}",
                           fix=fix)


def inspect(f: InputFile, opts: CsvOptions) -> None:
    """Check a file's format and columns before anything is loaded; fills ``f.columns``.

    Raises :class:`SourceFileError` for an unreadable file, the wrong format or a missing
    required column. JSON Lines has no header: its columns are checked while it is read.
    """
    if not f.path.is_file():
        raise SourceFileError(f"cannot read {f.path}", where=f"file {f.path}",
                              fix="check that the file exists and is readable")
    if f.format == "parquet":
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(f.path)
        except (pa.ArrowException, OSError) as exc:
            raise _file_error(f, "Parquet", exc,
                              "check the file is Parquet or pass --format") from None
        _map_columns(f, schema.names)
        for name, col in f.columns.items():
            t = schema.field(col).type
            if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_dictionary(t):
                raise SourceFileError(
                    f"column {col} has type {t}, expected {f.source.field(name).type}",
                    where=f"file {f.path}, field {name}", fix="write the column as a scalar")
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                f.text_columns.add(name)
            if pa.types.is_floating(t):
                f.float_columns.add(name)
    elif f.format == "csv":
        try:
            reader = _open_csv(f, opts, 1 << 16, handler=lambda _row: "skip")
            names = list(reader.schema.names)
            reader.close()
        except (pa.ArrowException, OSError, UnicodeDecodeError, LookupError) as exc:
            raise _file_error(f, "CSV", exc,
                              "check the file, --encoding and --delimiter") from None
        if not opts.header:
            names = [fld.name for fld in f.source.fields][: len(names)]
        hint = ""
        if len(names) == 1:
            for d in (";", "\t", "|", ","):
                if d != opts.delimiter and d in names[0]:
                    hint = f"the header looks delimited by {d!r}: pass --delimiter {d!r}"
        _map_columns(f, names, hint=hint)
        if not opts.header:
            f.columns = {n: f"f{i}" for i, n in enumerate(f.columns)}
        f.text_columns = set(f.columns)
    else:  # JSON Lines: every field is read as text, a missing key as null
        f.columns = {fld.name: fld.name for fld in f.source.fields}
        f.text_columns = set(f.columns)


def _row_numbers(start: int, n: int, skipped: list[int]) -> np.ndarray:
    """The next ``n`` row numbers from ``start`` that are not malformed rows."""
    later = [s for s in skipped if s >= start]
    cand = np.arange(start, start + n + len(later), dtype=np.int64)
    if later:
        cand = cand[~np.isin(cand, np.asarray(later, dtype=np.int64))]
    return cand[:n]


def _csv_chunks(f: InputFile, opts: CsvOptions, chunk_rows: int) -> Iterator[Chunk]:
    bad: list[Malformed] = []
    offset = 1 if opts.header else 0

    def handler(row) -> str:  # pyarrow numbers records from 1, header included
        number = (row.number or 0) - offset
        bad.append(Malformed(number, row.text,
                             f"expected {row.expected_columns} fields, got {row.actual_columns}"))
        return "skip"

    reader = _open_csv(f, opts, 1 << 22, handler, columns=list(f.columns.values()))
    rename = {v: k for k, v in f.columns.items()}
    next_row, seen_bad = 1, 0
    pending: list[int] = []
    batches: list[pa.RecordBatch] = []
    size = 0

    def flush() -> Chunk:
        nonlocal next_row, pending, seen_bad, batches, size
        table = pa.Table.from_batches(batches, schema=reader.schema) if batches else None
        new_bad = bad[seen_bad:]
        seen_bad = len(bad)
        pending = sorted([*pending, *(m.row for m in new_bad)])
        n = table.num_rows if table is not None else 0
        rows = _row_numbers(next_row, n, pending)
        if n:
            next_row = int(rows[-1]) + 1
        pending = [p for p in pending if p >= next_row]
        if table is None:
            table = pa.table({c: pa.array([], pa.string()) for c in f.columns.values()})
        table = table.rename_columns([rename[c] for c in table.column_names])
        table = table.append_column("_row", pa.array(rows, pa.int64()))
        batches, size = [], 0
        return Chunk(table, new_bad)

    for batch in reader:
        batches.append(batch)
        size += batch.num_rows
        if size >= chunk_rows:
            yield flush()
    yield flush()


def _json_value(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def _jsonl_chunks(f: InputFile, opts: CsvOptions, chunk_rows: int) -> Iterator[Chunk]:
    names = [fld.name for fld in f.source.fields]
    seen: set[str] = set()
    cols: dict[str, list[str | None]] = {n: [] for n in names}
    rows: list[int] = []
    bad: list[Malformed] = []
    any_row = False

    def flush() -> Chunk:
        nonlocal cols, rows, bad
        data = {n: pa.array(cols[n], pa.string()) for n in names}
        data["_row"] = pa.array(rows, pa.int64())
        chunk = Chunk(pa.table(data), bad)
        cols, rows, bad = {n: [] for n in names}, [], []
        return chunk

    with f.path.open("rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                text = raw.decode(opts.encoding)
            except (UnicodeDecodeError, LookupError) as exc:
                raise SourceFileError(
                    f"cannot decode {f.path.name} as {opts.encoding}: {exc.reason}"
                    if isinstance(exc, UnicodeDecodeError) else str(exc),
                    where=f"file {f.path}, row {line_no}", fix="pass the right --encoding",
                ) from None
            text = text.lstrip("\ufeff") if line_no == 1 else text
            if not text.strip():
                continue
            any_row = True
            try:
                obj = json.loads(text)
            except ValueError:
                bad.append(Malformed(line_no, text.rstrip("\r\n"), "invalid JSON"))
                obj = None
            else:
                if not isinstance(obj, dict):
                    bad.append(Malformed(line_no, text.rstrip("\r\n"), "not a JSON object"))
                    obj = None
            if obj is not None:
                seen.update(obj)
                for n in names:
                    cols[n].append(_json_value(obj.get(n)))
                rows.append(line_no)
            if len(rows) + len(bad) >= chunk_rows:
                yield flush()
    if any_row and len(seen) > 0:
        missing = [n for n in f.source.required_fields if n not in seen]
        if missing:
            raise SourceFileError(f"required column {missing[0]} is missing",
                                  where=f"file {f.path}",
                                  fix=f"the {f.source.name} source needs "
                                      f"{', '.join(f.source.required_fields)}")
    yield flush()


def read_chunks(f: InputFile, opts: CsvOptions, chunk_rows: int) -> Iterator[Chunk]:
    """Chunks of a CSV or JSON Lines file (Parquet is scanned by DuckDB directly)."""
    if f.format == "csv":
        try:
            yield from _csv_chunks(f, opts, chunk_rows)
        except (pa.ArrowException, UnicodeDecodeError, OSError, LookupError) as exc:
            raise _file_error(f, "CSV", exc,
                              "check the file, --encoding and --delimiter") from None
    elif f.format == "jsonl":
        yield from _jsonl_chunks(f, opts, chunk_rows)
    else:  # pragma: no cover - guarded by the caller
        raise ValueError(f.format)

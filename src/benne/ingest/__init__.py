"""Validated, idempotent, transactional loading of source files into the DuckDB store.

``ingest(paths, source, store)`` reads CSV, Parquet or JSON Lines files (files, folders,
globs), validates every row in SQL (:mod:`benne.ingest.validate`), puts refused rows in
``quarantine`` with the reason, and merges the valid ones by record id
(:mod:`benne.ingest.load`): new records are inserted, repeated ones are counted as duplicates,
changed ones are corrections whose earlier versions go to ``<source>__history``.

Atomicity: one call is one DuckDB transaction over all its files. A file-level problem (a
missing required column, an unreadable file, the wrong format) raises
:class:`~benne.exceptions.SourceFileError` and nothing of the call is kept; so does a process
killed mid-load, because DuckDB only makes a transaction visible once its commit is durable.
Every file is inspected before the transaction starts, so the common file problems fail before
any work is done.

Memory: CSV and JSON Lines are read ``chunk_rows`` rows at a time; Parquet is scanned by DuckDB
row group by row group; the connection runs under ``MEMORY_LIMIT`` and spills beyond it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benne import console
from benne.exceptions import BenneError, InputError, StoreError
from benne.ingest.custom import declare_custom_sources
from benne.ingest.load import ChunkLoader, Counts, scalar
from benne.ingest.readers import CsvOptions, InputFile, discover, inspect, read_chunks, sha256_file
from benne.ingest.validate import FUTURE_DAYS, pseudonym
from benne.sources.currency import Currency, record_currency
from benne.sources.custom import CustomSource
from benne.store import open_store

__all__ = ["FUTURE_DAYS", "MEMORY_LIMIT", "CsvOptions", "FileResult", "IngestResult", "ingest",
           "ingest_mapping", "pseudonym"]

MEMORY_LIMIT = "1GB"


@dataclass
class FileResult:
    """The accounting of one file (one ``ingest_log`` row)."""

    file: str
    source: str
    sha256: str
    ingest_id: int
    rows_read: int
    loaded: int
    new: int
    corrected: int
    quarantined: int
    duplicates: int
    other: dict[str, dict[str, int]] = field(default_factory=dict)
    formats: dict[str, str | None] = field(default_factory=dict)


@dataclass
class IngestResult:
    """The accounting of one call: ``rows_read == loaded + quarantined + duplicates``."""

    rows_read: int = 0
    loaded: int = 0
    new: int = 0
    corrected: int = 0
    quarantined: int = 0
    duplicates: int = 0
    files: list[FileResult] = field(default_factory=list)
    ingest_ids: list[int] = field(default_factory=list)
    currency: str | None = None  # the store currency a mapping recorded
    usd_rate: float | None = None  # the value of one US dollar in it, when known

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _load_file(con: Any, f: InputFile, opts: CsvOptions, now: datetime, key: str | None,
               chunk_rows: int, advance: Any) -> FileResult:
    started = datetime.now(UTC).replace(tzinfo=None)  # wall clock: the log says when it ran
    digest = sha256_file(f.original or f.path)
    ingest_id = scalar(con, "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log")
    loader = ChunkLoader(con, f, ingest_id, now, key)
    counts = Counts()
    if f.format == "parquet":
        import pyarrow.parquet as pq

        n = pq.ParquetFile(f.path).metadata.num_rows
        path = str(f.path).replace("'", "''")
        source_sql = (f"(SELECT *, file_row_number + 1 AS _row FROM "
                      f"read_parquet('{path}', file_row_number = true)) _src")
        counts.add(loader.load(source_sql, n, []))
        advance(n)
    else:
        for chunk in read_chunks(f, opts, chunk_rows):
            con.register("_chunk", chunk.table)
            counts.add(loader.load("_chunk", chunk.table.num_rows, chunk.malformed))
            con.unregister("_chunk")
            advance(chunk.table.num_rows + len(chunk.malformed))
    if counts.rows_read != counts.loaded + counts.quarantined + counts.duplicates:
        raise StoreError(f"accounting does not balance for {f.path}: {counts}")
    finished = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO ingest_log (ingest_id, source, file, sha256, rows_read, loaded, "
        "quarantined, duplicates, started_at, finished_at, new, corrected) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ingest_id, f.source.name, f.label, digest, counts.rows_read, counts.loaded,
         counts.quarantined, counts.duplicates, started, finished, counts.new,
         counts.corrected],
    )
    return FileResult(file=f.label, source=f.source.name, sha256=digest, ingest_id=ingest_id,
                      rows_read=counts.rows_read, loaded=counts.loaded, new=counts.new,
                      corrected=counts.corrected, quarantined=counts.quarantined,
                      duplicates=counts.duplicates)


def ingest(
    paths: Sequence[str | Path],
    source: str | None,
    store: Path | str,
    *,
    now: datetime | None = None,
    csv: CsvOptions | None = None,
    pseudonymize_key: str | None = None,
    chunk_rows: int = 1_000_000,
    format: str | None = None,
) -> IngestResult:
    """Load ``paths`` into the store at ``store`` in one transaction.

    ``source`` names the source of every file; ``None`` takes it from each file's name
    (``orders.parquet``) and skips files in folders that are not named after a source.
    ``now`` is the load time: it stamps ``_loaded_at`` and bounds "absurdly in the future"
    (after ``now`` + 366 days); pass it for reproducible loads (``None`` = the current time).
    ``format`` forces csv, parquet or jsonl instead of going by the file extension.
    ``chunk_rows`` bounds how many CSV or JSON Lines rows are held at once (Parquet is streamed
    by DuckDB itself). ``pseudonymize_key`` turns every personal field into a keyed hash
    (:func:`pseudonym`) before anything is stored.

    Raises :class:`~benne.exceptions.SourceFileError` (nothing loaded) for a file-level
    problem; refused rows never raise, they are counted in ``quarantined``.
    """
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be >= 1; got {chunk_rows}.",
                         fix="pass a positive chunk size")
    opts = csv or CsvOptions()
    files = discover(paths, source, format)
    for f in files:
        inspect(f, opts)
    return _load_all(files, opts, store, _naive_utc(now), pseudonymize_key or None, chunk_rows)


def _load_all(files: Sequence[InputFile], opts: CsvOptions, store: Path | str, stamp: datetime,
              key: str | None, chunk_rows: int, custom: Sequence[CustomSource] = (),
              currency: Currency | None = None) -> IngestResult:
    """Load inspected files in one transaction (declaring ``custom`` sources and recording
    the store ``currency`` first)."""
    result = IngestResult()
    con = open_store(store)
    try:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("BEGIN TRANSACTION")
        try:
            declare_custom_sources(con, custom)
            if currency is not None:
                recorded = record_currency(con, currency)
                result.currency, result.usd_rate = recorded.code, recorded.usd_rate
            with console.task(f"ingesting {len(files)} file(s)") as advance:
                for f in files:
                    fr = _load_file(con, f, opts, stamp, key, chunk_rows, advance)
                    result.files.append(fr)
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, BenneError):
                raise
            import duckdb

            if isinstance(exc, duckdb.Error):
                raise StoreError(f"the load failed and was rolled back: "
                                 f"{str(exc).splitlines()[0]}",
                                 fix="nothing was loaded; run again with --debug for details"
                                 ) from exc
            raise
    finally:
        con.close()
    for fr in result.files:
        result.rows_read += fr.rows_read
        result.loaded += fr.loaded
        result.new += fr.new
        result.corrected += fr.corrected
        result.quarantined += fr.quarantined
        result.duplicates += fr.duplicates
        result.ingest_ids.append(fr.ingest_id)
    return result


def ingest_mapping(
    mapping: Path | str,
    store: Path | str,
    *,
    now: datetime | None = None,
    pseudonymize_key: str | None = None,
    chunk_rows: int = 1_000_000,
) -> IngestResult:
    """Load every file a mapping file names (docs/mapping.md), in one transaction.

    Each raw file is first staged (columns renamed, values mapped, dates parsed with their
    format, time zones and currencies converted, constants filled in), then loaded and
    validated like any other file: refused rows are quarantined with the reason. The custom
    sources the mapping declares are created in the store and recorded in ``custom_sources``;
    the currency of the amounts, and the value of one US dollar in it when the mapping gives
    it, in ``store_currency`` (:mod:`benne.sources.currency`).
    ``FileResult.other`` counts, per field, the raw values a value map sent to ``other``;
    ``FileResult.formats`` gives the date format used per field (None = ISO).
    """
    import tempfile

    from benne.ingest.mapping import load_mapping, stage_file

    m = load_mapping(mapping)
    staged = []
    with tempfile.TemporaryDirectory(prefix="benne-map-") as tmp:
        with console.stage(f"mapping {len(m.files)} file(s)"):
            for i, fm in enumerate(m.files):
                staged.append(stage_file(fm, Path(tmp) / f"{i}.parquet"))
        files = []
        for st in staged:
            f = InputFile(path=st.path, source=st.mapping.source, format="parquet",
                          name=st.mapping.label, original=st.mapping.path)
            inspect(f, CsvOptions())
            files.append(f)
        result = _load_all(files, CsvOptions(), store, _naive_utc(now), pseudonymize_key or None,
                           chunk_rows, m.custom, m.store_currency)
    for fr, st in zip(result.files, staged, strict=True):
        fr.other = {k: dict(v.most_common()) for k, v in st.other.items()}
        fr.formats = st.formats
    return result

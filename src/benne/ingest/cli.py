"""``benne ingest`` (load files into the store) and ``benne quarantine`` (show refused rows)."""

from __future__ import annotations

from pathlib import Path

import click

from benne import console

__all__ = ["register"]

_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _delimiter(value: str) -> str:
    from benne.exceptions import InputError

    value = _DELIMITER_NAMES.get(value.lower(), value)
    if len(value) != 1:
        raise InputError(f"--delimiter must be one character; got {value!r}",
                         fix="e.g. --delimiter ';' or --delimiter tab")
    return value


@click.command("ingest")
@click.argument("paths", nargs=-1)
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="A mapping file (TOML): load every raw file it names, mapped "
                                 "to sources (see docs/mapping.md).")
@click.option("--source", "source", default=None,
              help="Source of every file (default: each file's name, e.g. orders.csv).")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: the store setting, ./benne.duckdb).")
@click.option("--delimiter", default=",", show_default=True, help="CSV field delimiter.")
@click.option("--encoding", default="utf-8", show_default=True,
              help="Text encoding of CSV and JSON Lines files.")
@click.option("--no-header", is_flag=True,
              help="CSV files have no header line; columns are in schema order.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]), default=None,
              help="Read every file as this format (default: by extension).")
def ingest_cmd(paths: tuple[str, ...], mapping: Path | None, source: str | None,
               db: Path | None, delimiter: str, encoding: str, no_header: bool,
               fmt: str | None) -> None:
    """Validate files and load them into the store, quarantining refused rows.

    PATH is a file, a folder (every file named after a source, in load order) or a glob.
    The whole command is one transaction: a file-level problem loads nothing. Loading the
    same rows again adds nothing; a record whose values changed is a correction (the latest
    wins, earlier versions are kept). Set BENNE_PSEUDONYMIZE_KEY to replace raw person
    identifiers by keyed hashes at load.

    With --mapping, the raw files the mapping names are mapped (columns, value maps, date
    formats, time zone, currency, constants, custom sources) and loaded in one transaction.
    The command exits 2 when a file had no row loaded (every row refused).

    \b
    Example:
      benne ingest simulated/
      benne ingest --mapping my_platform.toml --db bureau.duckdb
      benne ingest bills.csv --source bills --delimiter ';' --encoding latin-1
      benne --json ingest 'exports/orders-*.parquet' --db bureau.duckdb
    """
    from datetime import UTC, datetime

    from benne.config import load_settings
    from benne.exceptions import InputError
    from benne.ingest import CsvOptions, ingest

    settings = load_settings()
    store = db or settings.store
    now = datetime.now(UTC).replace(tzinfo=None)
    if mapping is not None:
        if paths or source or fmt:
            raise InputError("--mapping names the files and their sources itself",
                             fix="drop the PATHS, --source and --format, or drop --mapping")
        from benne.ingest import ingest_mapping

        result = ingest_mapping(mapping, store, now=now,
                                pseudonymize_key=settings.pseudonymize_key)
    else:
        if not paths:
            raise InputError("nothing to load", fix="give file(s), a folder or --mapping FILE")
        result = ingest(
            list(paths), source, store,
            now=now,
            csv=CsvOptions(delimiter=_delimiter(delimiter), encoding=encoding,
                           header=not no_header),
            pseudonymize_key=settings.pseudonymize_key,
            format=fmt,
        )
    from benne.store import publish_people

    snapshot = publish_people(store)  # what the service shows each person, read without locks
    lines = []
    for fr in result.files:
        lines.append(f"{fr.file} ({fr.source}): read {fr.rows_read}, loaded {fr.loaded} "
                     f"({fr.new} new, {fr.corrected} corrected), quarantined {fr.quarantined}, "
                     f"duplicates {fr.duplicates}")
        for name, fmt_used in fr.formats.items():
            if fmt_used:
                lines.append(f"  {name}: dates read as {fmt_used}")
        for name, counts in fr.other.items():
            shown = ", ".join(f"{v!r} x{n}" for v, n in list(counts.items())[:5])
            more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
            lines.append(f"  {name}: {sum(counts.values())} value(s) not in the value map "
                         f"stored as 'other': {shown}{more}")
    lines.append(f"total: read {result.rows_read} = loaded {result.loaded} + quarantined "
                 f"{result.quarantined} + duplicates {result.duplicates}, into {store}")
    if result.quarantined:
        lines.append("see the refused rows with `benne quarantine`")
    if result.currency is not None:
        lines.append(f"amounts in {result.currency}" + (
            f"; one US dollar = {result.usd_rate:,.6g} {result.currency}"
            if result.usd_rate is not None and result.currency != "USD" else
            "" if result.usd_rate is not None else
            f"; no value of the US dollar in {result.currency}, so features with thresholds "
            f"in US dollars will be empty (add USD = ... under [currencies])"))
    summary = result.to_dict()
    summary["store"] = str(store)
    summary["people_snapshot"] = str(snapshot)
    console.emit(summary, "\n".join(lines))
    empty = [fr for fr in result.files if fr.loaded + fr.duplicates == 0]
    if empty:
        fr = empty[0]
        raise InputError(
            f"nothing was loaded from {fr.file}: "
            + (f"all {fr.rows_read} row(s) were refused" if fr.rows_read else "it has no rows"),
            where=f"file {fr.file}" + (f" and {len(empty) - 1} more file(s)"
                                       if len(empty) > 1 else ""),
            fix="see why with `benne quarantine --source " + fr.source + "`, fix the file or "
                "its mapping, and load it again")


@click.command("quarantine")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: the store setting).")
@click.option("--source", default=None, help="Only this source's rows.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many rows (latest loads first).")
def quarantine_cmd(db: Path | None, source: str | None, limit: int) -> None:
    """Show rows refused at load, with file, row, field, reason and the raw record.

    \b
    Example:
      benne quarantine --source orders --limit 5
    """
    from benne.config import load_settings
    from benne.sources import get_source
    from benne.store import open_store

    store = db or load_settings().store
    con = open_store(store, read_only=True)
    try:
        where, params = "", []
        if source:
            where, params = "WHERE source = ?", [get_source(source).name]
        total = con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchall()[0][0]
        rows = con.execute(
            f"SELECT ingest_id, source, file, row_number, field, reason, "
            f"CAST(raw_record AS VARCHAR) FROM quarantine {where} "
            f"ORDER BY ingest_id DESC, file, row_number LIMIT {limit}", params,
        ).fetchall()
    finally:
        con.close()
    keys = ["ingest_id", "source", "file", "row_number", "field", "reason", "raw_record"]
    records = [dict(zip(keys, r, strict=True)) for r in rows]
    lines = [f"{r['file']}, row {r['row_number']}, field {r['field']}: {r['reason']}  "
             f"{r['raw_record']}" for r in records]
    lines.append(f"{len(records)} of {total} quarantined row(s)")
    console.emit({"total": total, "rows": records}, "\n".join(lines))


def register(app: click.Group) -> None:
    app.add_command(ingest_cmd)
    app.add_command(quarantine_cmd)

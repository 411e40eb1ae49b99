"""Loading one validated chunk into the store: quarantine, dedupe, corrections, inserts.

All of it is SQL over the view built by :mod:`benne.ingest.validate`, run inside the caller's
transaction. For the valid rows of a chunk, by ``_record_id`` against the current table:

- no current row: **new**, inserted with ``_version`` 1;
- a current row with the same values: **duplicate**, nothing written;
- a current row with other values: **correction**, the current row moves to
  ``<source>__history`` and the new values replace it with ``_version`` + 1.

A record id that occurs several times in one chunk is applied occurrence by occurrence in file
order (so the last one wins and the earlier ones are kept in history); those rows are found with
one hash aggregate and are rare, so the common path stays a single insert. Rows are inserted in
the order DuckDB scans them, not sorted: readers order by ``_record_id`` when they need an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from benne.ingest.readers import InputFile, Malformed
from benne.ingest.validate import PROBLEM_SEP, lit, raw_json_sql, view_sql
from benne.store.migrations import data_columns, history_table, quote

__all__ = ["ChunkLoader", "Counts", "scalar"]

_WITHHELD = '{"_line": "(withheld: may hold personal data)"}'


@dataclass
class Counts:
    """What happened to the rows of a load; ``rows_read = loaded + quarantined + duplicates``."""

    rows_read: int = 0
    new: int = 0
    corrected: int = 0
    quarantined: int = 0
    duplicates: int = 0

    @property
    def loaded(self) -> int:
        return self.new + self.corrected

    def add(self, other: Counts) -> None:
        self.rows_read += other.rows_read
        self.new += other.new
        self.corrected += other.corrected
        self.quarantined += other.quarantined
        self.duplicates += other.duplicates


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    """The first value of a query as an int (0 for no row or NULL).

    ``fetchall`` rather than ``fetchone``: DuckDB refuses further work on a connection whose
    last result was not read to the end.
    """
    rows = con.execute(sql, params or []).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


class ChunkLoader:
    """Loads the chunks of one file under one ``ingest_id``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, f: InputFile, ingest_id: int,
                 now: datetime, key: str | None) -> None:
        self.con = con
        self.f = f
        self.ingest_id = ingest_id
        self.now = now
        self.key = key
        self.table = quote(f.source.name)
        self.fields = [quote(n) for n in f.source.field_names]

    def load(self, from_sql: str, rows_read: int, malformed: list[Malformed]) -> Counts:
        """Load the rows of ``from_sql`` (a relation with ``_row`` and the file's columns)."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP VIEW _v AS "
                    + view_sql(self.f, from_sql, self.now, self.key))
        counts = Counts(rows_read=rows_read + len(malformed))
        counts.quarantined = self._quarantine(malformed)
        valid = counts.rows_read - counts.quarantined
        if self._is_empty():
            self._first_load(counts)
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _repeated AS SELECT hash(_rid) AS h FROM _v "
                "WHERE _problem IS NULL GROUP BY h HAVING count(*) > 1"
            )
            repeated = "hash(_rid) IN (SELECT h FROM _repeated)"
            if scalar(con, "SELECT count(*) FROM _repeated") == 0:
                self._apply("SELECT * FROM _v WHERE _problem IS NULL", counts, valid)
            else:
                multi = self._generations(repeated)
                self._apply(f"SELECT * FROM _v WHERE _problem IS NULL AND NOT {repeated}",
                            counts, valid - multi)
                self._apply_generations(counts)
            con.execute("DROP TABLE _repeated")
        con.execute("DROP VIEW _v")
        return counts

    def _is_empty(self) -> bool:
        return scalar(self.con, f"SELECT count(*) FROM (SELECT 1 FROM {self.table} LIMIT 1)") == 0

    def _first_load(self, counts: Counts) -> None:
        """Into an empty table every valid row is new, except ids repeated within the chunk.

        Insert first, then look for repeated ids in the table (one key column of DuckDB's own
        storage is much cheaper to group than the validated file), and replay only those ids
        occurrence by occurrence. Loading a large file into an empty table is the case that
        must be fast; repeats are rare.
        """
        con, t = self.con, self.table
        counts.new += scalar(con, f"INSERT INTO {t} ({self._cols()}) SELECT "
                                  f"{', '.join(self.fields)}, 1, {self._stamp()} "
                                  f"FROM _v WHERE _problem IS NULL")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _repeated AS SELECT _record_id AS rid "
                    f"FROM {t} GROUP BY 1 HAVING count(*) > 1")
        if scalar(con, "SELECT count(*) FROM _repeated"):
            counts.new -= scalar(con, f"DELETE FROM {t} WHERE _record_id IN "
                                      f"(SELECT rid FROM _repeated)")
            self._generations("_rid IN (SELECT rid FROM _repeated)")
            self._apply_generations(counts)
        con.execute("DROP TABLE _repeated")

    def _generations(self, where: str) -> int:
        """Number the valid rows matching ``where`` by occurrence of their id (in file order)."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _multi AS SELECT *, row_number() OVER "
            f"(PARTITION BY _rid ORDER BY _row) AS _gen FROM _v WHERE _problem IS NULL "
            f"AND {where}"
        )
        return scalar(self.con, "SELECT count(*) FROM _multi")

    def _apply_generations(self, counts: Counts) -> None:
        sizes = self.con.execute("SELECT _gen, count(*) FROM _multi GROUP BY 1 ORDER BY 1"
                                 ).fetchall()
        for gen, size in sizes:
            self._apply(f"SELECT * FROM _multi WHERE _gen = {gen}", counts, size)
        self.con.execute("DROP TABLE _multi")

    def _cols(self) -> str:
        return ", ".join(quote(c) for c in data_columns(self.f.source))

    def _stamp(self) -> str:
        return f"TIMESTAMP '{self.now:%Y-%m-%d %H:%M:%S.%f}', {self.ingest_id}"

    def _quarantine(self, malformed: list[Malformed]) -> int:
        """Keep every refused row of the chunk; return how many there were."""
        con, f = self.con, self.f
        sep = f"chr({ord(PROBLEM_SEP)})"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _q AS SELECT _row, "
            f"split_part(_problem, {sep}, 1) AS field, split_part(_problem, {sep}, 2) AS reason, "
            f"CAST({raw_json_sql(f, self.key)} AS VARCHAR) AS raw "
            f"FROM _v WHERE _problem IS NOT NULL"
        )
        if malformed:
            # a line that cannot be split may hold anything: with a pseudonymisation key it is
            # not kept, since its personal fields cannot be told apart from the rest
            bad = pa.table({
                "_row": pa.array([m.row for m in malformed], pa.int64()),
                "reason": pa.array([m.reason for m in malformed], pa.string()),
                "text": pa.array([None if self.key else m.text for m in malformed],
                                 pa.string()),
            })
            con.register("_bad", bad)
            con.execute(
                f"INSERT INTO _q SELECT _row, '_row', reason, CASE WHEN text IS NULL "
                f"THEN {lit(_WITHHELD)} ELSE CAST(json_object('_line', text) AS VARCHAR) END "
                f"FROM _bad"
            )
            con.unregister("_bad")
        n = scalar(con, "SELECT count(*) FROM _q")
        if n:
            # re-loading a file must not list its refused rows twice
            src, label = lit(f.source.name), lit(f.label)
            con.execute(
                f"INSERT INTO quarantine SELECT {self.ingest_id}, {src}, {label}, q._row, "
                f"q.field, q.reason, q.raw FROM _q q WHERE NOT EXISTS (SELECT 1 FROM quarantine x "
                f"WHERE x.source = {src} AND x.file = {label} AND x.row_number = q._row "
                f"AND x.field IS NOT DISTINCT FROM q.field AND x.reason = q.reason "
                f"AND CAST(x.raw_record AS VARCHAR) IS NOT DISTINCT FROM q.raw) ORDER BY q._row"
            )
        con.execute("DROP TABLE _q")
        return n

    def _apply(self, rows_sql: str, counts: Counts, size: int) -> None:
        """Merge ``size`` valid rows whose record ids are distinct into the current table."""
        if size == 0:
            return
        con, t = self.con, self.table
        fields = ", ".join(self.fields)
        cols, stamp = self._cols(), self._stamp()
        if self._is_empty():
            counts.new += scalar(con, f"INSERT INTO {t} ({cols}) SELECT {fields}, 1, {stamp} "
                                      f"FROM ({rows_sql}) s")
            return
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM c.{c}" for c in self.fields)
        join = f"FROM ({rows_sql}) s JOIN {t} c ON c._record_id = s._rid"
        duplicates = scalar(con, f"SELECT count(*) {join} WHERE {same}")
        counts.duplicates += duplicates
        con.execute(f"CREATE OR REPLACE TEMP TABLE _corr AS SELECT s.*, "
                    f"c._version + 1 AS _next_version {join} WHERE NOT ({same})")
        corrected = scalar(con, "SELECT count(*) FROM _corr")
        if corrected:
            hist = quote(history_table(self.f.source.name))
            con.execute(f"INSERT INTO {hist} ({cols}) SELECT {cols} FROM {t} "
                        f"WHERE _record_id IN (SELECT _rid FROM _corr)")
            con.execute(f"DELETE FROM {t} WHERE _record_id IN (SELECT _rid FROM _corr)")
            con.execute(f"INSERT INTO {t} ({cols}) SELECT {fields}, _next_version, {stamp} "
                        f"FROM _corr ORDER BY _row")
            counts.corrected += corrected
        con.execute("DROP TABLE _corr")
        if duplicates + corrected == size:  # all matched (a reload): no insert pass needed
            return
        counts.new += scalar(
            con, f"INSERT INTO {t} ({cols}) SELECT {fields}, 1, {stamp} FROM ({rows_sql}) s "
                 f"WHERE NOT EXISTS (SELECT 1 FROM {t} c WHERE c._record_id = s._rid)")

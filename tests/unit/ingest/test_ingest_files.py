"""Formats, CSV options, folders and globs, and the file-level errors that load nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benne.cli import main
from benne.exceptions import NotFoundError, SourceFileError
from benne.ingest import CsvOptions, ingest
from benne.store import open_store, table_counts
from tests.property.strategies_ingest import NOW, people_rows, valid_row, write_rows

HEADER = "order_id,person_id,merchant_id,ordered_at,amount,category,status,hour"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "s.duckdb"
    ingest([write_rows(tmp_path / "identity.parquet", "identity", people_rows())], None, s,
           now=NOW)
    return s


def _counts(store: Path) -> dict[str, int]:
    con = open_store(store)
    try:
        return table_counts(con)
    finally:
        con.close()


def _orders(store: Path) -> list[tuple[str, float]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT order_id, amount FROM orders ORDER BY 1").fetchall()
    finally:
        con.close()


def test_csv_delimiter_encoding_bom_and_no_header(store: Path, tmp_path: Path) -> None:
    semi = tmp_path / "semi.csv"
    semi.write_bytes(("\ufeff" + HEADER.replace(",", ";") + "\n"
                      "o1;p1;;2024-01-01 10:00:00;1,5;books;delivered;10\n").encode("latin-1",
                                                                                   "replace")
                     .replace(b"?", b"\xef\xbb\xbf", 1))
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\no2,p1,Caf\xe9,2024-01-01 10:00:00,2,books,delivered,10\n")
                      .encode("latin-1"))
    bare = tmp_path / "bare.csv"
    bare.write_text("o3,p2,,2024-01-01 10:00:00,3,books,delivered,10\n")
    r1 = ingest([semi], "orders", store, now=NOW, csv=CsvOptions(delimiter=";"))
    r2 = ingest([latin], "orders", store, now=NOW, csv=CsvOptions(encoding="latin-1"))
    r3 = ingest([bare], "orders", store, now=NOW, csv=CsvOptions(header=False))
    assert [r.loaded for r in (r1, r2, r3)] == [0, 1, 1]
    assert r1.quarantined == 1  # "1,5" is not a number with a "." decimal point
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT merchant_id FROM orders WHERE order_id = 'o2'").fetchall() == [
        ("Café",)]
    con.close()


def test_csv_row_numbers_skip_the_header_and_count_multiline_values(store: Path,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n"
                    'o1,p1,"shop\nwith newline",2024-01-01 10:00:00,1,books,delivered,1\n'
                    "o2,p1\n"
                    "o3,p1,,2024-01-01 10:00:00,-1,books,delivered,1\n")
    r = ingest([path], None, store, now=NOW, chunk_rows=1)
    assert (r.rows_read, r.loaded, r.quarantined) == (3, 1, 2)
    con = duckdb.connect(str(store), read_only=True)
    got = con.execute("SELECT row_number, field, reason, raw_record FROM quarantine "
                      "ORDER BY row_number").fetchall()
    con.close()
    assert [g[:3] for g in got] == [(2, "_row", "expected 8 fields, got 2"),
                                    (3, "amount", "negative value")]
    assert json.loads(got[0][3]) == {"_line": "o2,p1"}


def test_parquet_and_jsonl_load_the_same_records(store: Path, tmp_path: Path) -> None:
    rows = [valid_row("orders", i) for i in range(4)]
    pq_path = write_rows(tmp_path / "x.parquet", "orders", rows)
    js_path = write_rows(tmp_path / "y.jsonl", "orders", rows)
    with js_path.open("a") as fh:
        fh.write("\n{not json\n[1, 2]\n")
    r1 = ingest([pq_path], "orders", store, now=NOW)
    r2 = ingest([js_path], "orders", store, now=NOW)
    assert (r1.new, r2.new, r2.duplicates, r2.quarantined) == (4, 0, 4, 2)
    con = duckdb.connect(str(store), read_only=True)
    bad = con.execute("SELECT row_number, reason FROM quarantine ORDER BY 1").fetchall()
    con.close()
    assert bad == [(6, "invalid JSON"), (7, "not a JSON object")]  # JSON Lines: line numbers


def test_parquet_with_loose_types_is_checked_per_row(store: Path, tmp_path: Path) -> None:
    table = pa.table({
        "order_id": ["o1", "o2"], "person_id": ["p1", "p1"], "ordered_at": ["2024-01-01", "x"],
        "amount": ["1.5", "2"], "category": ["books"] * 2, "status": ["delivered"] * 2,
        "hour": [1.0, 2.5], "extra": [1, 2],
    })
    pq.write_table(table, tmp_path / "orders.parquet")
    r = ingest([tmp_path / "orders.parquet"], None, store, now=NOW)
    assert (r.loaded, r.quarantined) == (1, 1)
    assert _orders(store) == [("o1", 1.5)]


def test_folder_loads_sources_in_order_and_skips_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "sim"
    folder.mkdir()
    write_rows(folder / "orders.parquet", "orders", [valid_row("orders", 0)])
    write_rows(folder / "identity.parquet", "identity", people_rows())
    pq.write_table(pa.table({"person_id": ["p1"], "bad": [1]}), folder / "truth.parquet")
    (folder / "README.txt").write_text("not a source")
    r = ingest([folder], None, tmp_path / "s.duckdb", now=NOW)
    assert [f.source for f in r.files] == ["identity", "orders"]
    assert (r.loaded, r.quarantined) == (4, 0)


def test_globs_expand(store: Path, tmp_path: Path) -> None:
    for i in range(3):
        write_rows(tmp_path / f"orders-{i}.csv", "orders", [valid_row("orders", i)])
    r = ingest([str(tmp_path / "orders-*.csv")], "orders", store, now=NOW)
    assert (len(r.files), r.new) == (3, 3)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("orders.csv", "order_id,person_id\no1,p1\n",
     "required column ordered_at is missing (and 4 more)"),
    ("orders.csv", "", "cannot read orders.csv as CSV"),
    ("orders.parquet", "order_id,person_id\n", "cannot read orders.parquet as Parquet"),
    ("orders.xlsx", "x", "cannot tell the format"),
    ("orders.csv", HEADER.replace(",", ";") + "\n", "pass --delimiter ';'"),
    ("orders.csv", (HEADER + "\no1,p1,Caf\xe9,2024-01-01,1,books,delivered,1\n"),
     "cannot decode"),
])
def test_file_level_problems_load_nothing(store: Path, tmp_path: Path, name: str,
                                          content: str, message: str) -> None:
    good = write_rows(tmp_path / "good.csv", "orders", [valid_row("orders", 0)])
    bad = tmp_path / name
    bad.write_bytes(content.encode("latin-1"))
    before = _counts(store)
    with pytest.raises(SourceFileError) as info:
        ingest([good, bad], "orders", store, now=NOW)
    assert message in info.value.one_line()
    assert str(bad) in info.value.one_line()
    assert _counts(store) == before  # the good file of the same command was not kept


def test_a_file_not_named_after_a_source_needs_source(store: Path, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "export.csv", "orders", [valid_row("orders", 0)])
    with pytest.raises(SourceFileError, match="cannot tell which source"):
        ingest([path], None, store, now=NOW)
    with pytest.raises(NotFoundError):
        ingest([tmp_path / "missing.csv"], "orders", store, now=NOW)


def test_cli_prints_json_accounting_and_one_line_errors(store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    rows = [valid_row("orders", 0), valid_row("orders", 1, amount=-5)]
    path = write_rows(tmp_path / "orders.csv", "orders", rows)
    capsys.readouterr()
    assert main(["--json", "ingest", str(path), "--db", str(store)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("rows_read", "loaded", "quarantined", "duplicates")} == {
        "rows_read": 2, "loaded": 1, "quarantined": 1, "duplicates": 0}
    assert main(["ingest", str(path), "--db", str(store)]) == 0
    assert "read 2 = loaded 0 + quarantined 1 + duplicates 1" in capsys.readouterr().out
    assert main(["--json", "quarantine", "--db", str(store), "--source", "orders"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["total"] == 1 and shown["rows"][0]["reason"] == "negative value"
    (tmp_path / "bills.csv").write_text("bill_id\nb1\n")
    assert main(["ingest", str(tmp_path / "bills.csv"), "--db", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: required column person_id is missing")
    assert main(["ingest", str(path), "--db", str(store), "--delimiter", "ab"]) == 2

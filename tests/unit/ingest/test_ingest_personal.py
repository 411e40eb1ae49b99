"""With BENNE_PSEUDONYMIZE_KEY, raw person identifiers never reach the store."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb

from benne.cli import main
from benne.ingest import ingest, pseudonym
from tests.property.strategies_ingest import NOW, people_rows, valid_row, write_rows

RAW = ("+41791234567", "756.1234.5678.97")
KEY = "k" * 80  # longer than a SHA-256 block: exercises the key-hashing branch of HMAC


def _all_text(store: Path) -> str:
    """Every value of every table, as one string."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


def test_pseudonym_is_hmac_sha256() -> None:
    expected = hmac.new(b"key", b"+41791234567", hashlib.sha256).hexdigest()[:32]
    assert pseudonym("+41791234567", "key") == "ph_" + expected


def test_raw_ids_are_replaced_everywhere_quarantine_included(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    people = write_rows(tmp_path / "identity.csv", "identity", people_rows(RAW))
    orders = [valid_row("orders", 0, person=RAW[0]),
              valid_row("orders", 1, person=RAW[1], amount=-1),  # quarantined
              valid_row("orders", 2, person="+1 unknown")]  # unknown person, quarantined
    transfers = [valid_row("transfers", 0, person=RAW[0], to_person=RAW[1])]
    savings = [valid_row("savings", 0, person=RAW[1])]
    files = [people, write_rows(tmp_path / "orders.csv", "orders", orders),
             write_rows(tmp_path / "transfers.parquet", "transfers", transfers),
             write_rows(tmp_path / "savings.jsonl", "savings", savings)]
    r = ingest(files, None, store, now=NOW, pseudonymize_key=KEY)
    assert (r.loaded, r.quarantined) == (5, 2)
    text = _all_text(store)
    for raw in (*RAW, "+1 unknown"):
        assert raw not in text
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT person_id FROM orders").fetchall() == [(pseudonym(RAW[0], KEY),)]
    assert con.execute("SELECT from_person, to_person FROM transfers").fetchall() == [
        (pseudonym(RAW[0], KEY), pseudonym(RAW[1], KEY))]
    assert con.execute("SELECT _record_id FROM savings").fetchall() == [
        (pseudonym(RAW[1], KEY) + "|2024-01-01",)]
    reasons = con.execute("SELECT reason FROM quarantine ORDER BY row_number").fetchall()
    con.close()
    assert reasons == [("negative value",), ("unknown person",)]
    again = ingest(files, None, store, now=NOW, pseudonymize_key=KEY)
    assert again.loaded == 0  # the same key gives the same ids: reloading is idempotent


def test_cli_reads_the_key_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    store = tmp_path / "s.duckdb"
    (tmp_path / "identity.csv").write_text(
        "person_id,registered_at,real_name_verified,birth_year,gender,region\n"
        f"{RAW[0]},2020-01-01,true,1980,male,north\n"
        f"{RAW[0]}\n")  # malformed: its text is withheld, not kept
    monkeypatch.setenv("BENNE_PSEUDONYMIZE_KEY", "secret")
    assert main(["--quiet", "ingest", str(tmp_path / "identity.csv"), "--db", str(store)]) == 0
    text = _all_text(store)
    assert RAW[0] not in text and pseudonym(RAW[0], "secret") in text
    assert "withheld" in text

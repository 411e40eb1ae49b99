"""Every simulated file obeys its source schema: the rules ingestion enforces, checked in DuckDB."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benne.simulate import SOURCE_NAMES, SimulationSummary
from benne.sources import SOURCES, arrow_schema, get_source

_OPS = {">=": "<", ">": "<=", "<=": ">", "<": ">="}  # the negation of each rule's operator


def _q(name: str) -> str:
    return f'"{name}"'


def violations(directory: Path) -> dict[str, int]:
    """Rows breaking each rule of each source's schema, by ``source.check``; 0 is clean."""
    found: dict[str, int] = {}
    con = duckdb.connect()
    for name in SOURCE_NAMES:
        src = get_source(name)
        path = directory / f"{name}.parquet"
        if not pq.read_schema(path).equals(arrow_schema(name), check_metadata=False):
            found[f"{name}.schema"] = 1
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    for name in SOURCE_NAMES:
        src = get_source(name)
        checks: dict[str, str] = {}
        for f in src.fields:
            col = _q(f.name)
            if f.required:
                checks[f"{f.name}.required"] = f"{col} IS NULL"
            if f.enum:
                allowed = ", ".join(f"'{v}'" for v in f.enum)
                checks[f"{f.name}.enum"] = f"{col} NOT IN ({allowed})"
            if f.minimum is not None:
                checks[f"{f.name}.minimum"] = f"{col} < {f.minimum}"
            if f.maximum is not None:
                checks[f"{f.name}.maximum"] = f"{col} > {f.maximum}"
            if f.references:
                ref_source, ref_field = f.references.split(".")
                checks[f"{f.name}.references"] = (
                    f"{col} IS NOT NULL AND {col} NOT IN (SELECT {_q(ref_field)} "
                    f"FROM {ref_source})")
        for rule in src.rules:
            checks[f"{rule.left}{rule.op}{rule.right}"] = (
                f"{_q(rule.left)} {_OPS[rule.op]} {_q(rule.right)}")
        for check, condition in checks.items():
            n = con.execute(f"SELECT count(*) FROM {name} WHERE {condition}").fetchone()[0]
            if n:
                found[f"{name}.{check}"] = n
        key = ", ".join(_q(k) for k in src.key)
        dupes = con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if dupes:
            found[f"{name}.key"] = dupes
    return found


def test_every_file_has_exactly_its_source_schema(population: SimulationSummary) -> None:
    assert set(population.paths) == set(SOURCES)
    for name, path in population.paths.items():
        assert path == population.out / f"{name}.parquet"
        assert pq.read_schema(path).names == arrow_schema(name).names
        assert pq.read_schema(path).equals(arrow_schema(name), check_metadata=False)
        assert pq.read_metadata(path).num_rows == population.rows[name] > 0


@pytest.mark.parametrize("which", ["population", "small"])
def test_every_row_obeys_the_schema_rules(which: str, request: pytest.FixtureRequest) -> None:
    summary: SimulationSummary = request.getfixturevalue(which)
    assert violations(summary.out) == {}


def test_the_validator_catches_broken_rows(small: SimulationSummary, tmp_path: Path) -> None:
    """The checks above can fail: break one rule in each of a few files and see it reported."""
    for name in SOURCE_NAMES:
        shutil.copy(small.paths[name], tmp_path / f"{name}.parquet")
    bills = pq.read_table(tmp_path / "bills.parquet")
    paid = bills.column("paid_at").to_pylist()
    paid[0] = bills.column("issued_at")[0].as_py() - dt.timedelta(days=1)
    bills = bills.set_column(6, "paid_at", pa.array(paid, pa.date32()))
    pq.write_table(bills, tmp_path / "bills.parquet")
    orders = pq.read_table(tmp_path / "orders.parquet")
    status = orders.column("status").to_pylist()
    status[3] = "lost"
    orders = orders.set_column(6, "status", pa.array(status))
    pq.write_table(orders.cast(arrow_schema("orders")), tmp_path / "orders.parquet")
    sales = pq.read_table(tmp_path / "merchant_sales.parquet")
    ids = sales.column("merchant_id").to_pylist()
    ids[0] = "M9999999"
    sales = sales.set_column(0, "merchant_id", pa.array(ids))
    pq.write_table(sales.cast(arrow_schema("merchant_sales")),
                   tmp_path / "merchant_sales.parquet")
    assert violations(tmp_path) == {
        "bills.paid_at>=issued_at": 1,
        "orders.status.enum": 1,
        "merchant_sales.merchant_id.references": 1,
    }


def test_ids_are_zero_padded_sortable_and_unique(population: SimulationSummary) -> None:
    con = duckdb.connect()
    d = population.out
    ids = con.execute(f"SELECT person_id FROM '{d}/identity.parquet' ORDER BY person_id").fetchall()
    assert [i[0] for i in ids] == [f"P{n:07d}" for n in range(1, population.people + 1)]
    for source, column, prefix in [("orders", "order_id", "O"), ("bills", "bill_id", "B"),
                                   ("transfers", "transfer_id", "T"),
                                   ("merchants", "merchant_id", "M")]:
        n, distinct, bad = con.execute(
            f"SELECT count(*), count(DISTINCT {column}), "
            f"count(*) FILTER (WHERE NOT starts_with({column}, '{prefix}')) "
            f"FROM '{d}/{source}.parquet'").fetchone()
        assert n == distinct and bad == 0, source


def test_dates_stay_within_what_ingestion_accepts(population: SimulationSummary) -> None:
    """With the defaults nothing lies on or after 2026-06-01 (ingestion refuses far futures);
    registration and phone-number dates may lie years before the window."""
    con = duckdb.connect()
    d = population.out
    latest = []
    for name in SOURCE_NAMES:
        for f in get_source(name).fields:
            if f.type in ("date", "timestamp"):
                latest.append(con.execute(
                    f"SELECT max({_q(f.name)})::DATE FROM '{d}/{name}.parquet'").fetchone()[0])
    assert max(latest) < dt.date(2026, 6, 1)
    first_reg = con.execute(
        f"SELECT min(registered_at)::DATE FROM '{d}/identity.parquet'").fetchone()
    assert first_reg[0] < dt.date(2022, 1, 1)
    # Footprint events start with the window.
    assert con.execute(f"SELECT min(ordered_at)::DATE FROM '{d}/orders.parquet'").fetchone()[0] >= \
        population.start

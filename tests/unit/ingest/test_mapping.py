"""Mapping files: columns, value maps, date formats, time zones, currencies, constants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from benne.cli import main
from benne.exceptions import ConfigError
from benne.ingest import ingest_mapping
from tests.property.strategies_ingest import NOW

PEOPLE = "person_id,registered_at,real_name_verified\np1,2023-01-01 00:00:00,true\n" \
         "p2,2023-01-01 00:00:00,false\n"


def _write(tmp: Path, orders: str, body: str, head: str = "", top: str = "") -> Path:
    (tmp / "people.csv").write_text(PEOPLE)
    (tmp / "raw.csv").write_text(orders)
    mapping = tmp / "mapping.toml"
    mapping.write_text(top + '[[files]]\npath = "people.csv"\nsource = "identity"\n\n'
                       '[[files]]\npath = "raw.csv"\nsource = "orders"\n' + head + body)
    return mapping


_COLUMNS = """
[files.columns]
order_id = "Ref"
person_id = "Customer"
ordered_at = "When"
amount = "Total"
category = "Kind"
[files.constants]
status = "delivered"
[files.expressions]
hour = "0"
"""


def _orders(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT order_id, ordered_at, amount, category FROM orders "
                           "ORDER BY order_id").fetchall()


def _raw(dates: list[str]) -> str:
    lines = ["Ref,Customer,When,Total,Kind"]
    lines += [f"o{i},p1,{d},10,books" for i, d in enumerate(dates)]
    return "\n".join(lines) + "\n"


def test_day_first_detected_when_a_day_is_above_12(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["30/6/19 22:57:49", "01/07/19 08:00:00"]), _COLUMNS)
    result = ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert result.files[1].formats == {"ordered_at": "%d/%m/%y %H:%M:%S"}
    got = [r[1] for r in _orders(tmp_path / "s.duckdb")]
    assert got == [dt.datetime(2019, 6, 30, 22, 57, 49), dt.datetime(2019, 7, 1, 8, 0)]


def test_month_first_detected_when_a_second_part_is_above_12(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["6/30/2019", "07/01/2019"]), _COLUMNS)
    ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    got = [r[1] for r in _orders(tmp_path / "s.duckdb")]
    assert got == [dt.datetime(2019, 6, 30), dt.datetime(2019, 7, 1)]


@pytest.mark.parametrize("fmt,expected", [
    ("%d/%m/%Y", [dt.datetime(2019, 4, 3), dt.datetime(2019, 5, 1)]),
    ("%m/%d/%Y", [dt.datetime(2019, 3, 4), dt.datetime(2019, 1, 5)]),
])
def test_ambiguous_dates_load_right_with_a_format(tmp_path: Path, fmt: str,
                                                  expected: list[dt.datetime]) -> None:
    m = _write(tmp_path, _raw(["03/04/2019", "01/05/2019"]),
               _COLUMNS + f'[files.formats]\nordered_at = "{fmt}"\n')
    ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert [r[1] for r in _orders(tmp_path / "s.duckdb")] == expected


def test_ambiguous_dates_without_a_format_fail_and_load_nothing(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["03/04/2019", "01/05/2019"]), _COLUMNS)
    with pytest.raises(ConfigError, match="day-first or month-first") as err:
        ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert "formats.ordered_at" in (err.value.fix or "")
    assert not (tmp_path / "s.duckdb").exists() or not _orders(tmp_path / "s.duckdb")


def test_a_value_that_does_not_fit_the_format_is_quarantined(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["30/6/19", "6/30/19"]),
               _COLUMNS + '[files.formats]\nordered_at = "%d/%m/%y"\n')
    result = ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert (result.files[1].loaded, result.files[1].quarantined) == (1, 1)
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        [(field, reason)] = con.execute("SELECT field, reason FROM quarantine").fetchall()
    assert (field, reason) == ("ordered_at", "not a valid timestamp")


def test_unmapped_values_go_to_other_and_are_counted(tmp_path: Path) -> None:
    raw = ("Ref,Customer,When,Total,Kind\no1,p1,2024-01-01,10,Airtime\n"
           "o2,p1,2024-01-02,10,Airtime\no3,p1,2024-01-03,10,Tv\no4,p2,2024-01-03,10,Book\n"
           "o5,p2,2024-01-04,10,books\n")
    m = _write(tmp_path, raw, _COLUMNS + '[files.values.category]\n"Book" = "books"\n')
    result = ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert result.files[1].other == {"category": {"Airtime": 2, "Tv": 1}}
    assert [r[3] for r in _orders(tmp_path / "s.duckdb")] == [
        "other", "other", "other", "books", "books"]


def test_time_zone_and_currency_are_converted(tmp_path: Path) -> None:
    raw = "Ref,Customer,When,Total,Kind\no1,p1,2024-01-01 10:00:00,2000,books\n"
    m = _write(tmp_path, raw, _COLUMNS, head='timezone = "Africa/Lagos"\ncurrency = "NGN"\n',
               top='currency = "USD"\n[currencies]\nNGN = 0.0005\n\n')
    ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    [(_, at, amount, _)] = _orders(tmp_path / "s.duckdb")
    assert at == dt.datetime(2024, 1, 1, 9, 0)  # Lagos is UTC+1
    assert amount == pytest.approx(1.0)


def test_a_currency_without_a_rate_is_refused(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["2024-01-01"]), _COLUMNS, head='currency = "NGN"\n',
               top='currency = "USD"\n')
    with pytest.raises(ConfigError, match="no conversion rate from NGN to USD"):
        ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)


def test_unknown_field_in_the_mapping_is_named(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["2024-01-01"]), _COLUMNS.replace('status = "delivered"',
                                                                'state = "x"'))
    with pytest.raises(ConfigError, match="the orders source has no field 'state'"):
        ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_exits_2_when_every_row_of_a_file_is_refused(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    raw = "Ref,Customer,When,Total,Kind\no1,nobody,2024-01-01,10,books\n" \
          "o2,p1,2024-01-01,-5,books\n"
    m = _write(tmp_path, raw, _COLUMNS)
    code, out = _run(capsys, "ingest", "--mapping", str(m), "--db", str(tmp_path / "s.duckdb"))
    assert code == 2, out
    assert "nothing was loaded from" in out and "all 2 row(s) were refused" in out
    # the refused rows are kept to be looked at
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 2


def test_cli_plain_ingest_exits_2_when_every_row_is_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    (tmp_path / "identity.csv").write_text(PEOPLE)
    (tmp_path / "orders.csv").write_text(
        "order_id,person_id,ordered_at,amount,category,status,hour\n"
        "o1,p1,30/6/19 22:57:49,10,books,delivered,1\n")
    db = str(tmp_path / "s.duckdb")
    assert _run(capsys, "ingest", str(tmp_path / "identity.csv"), "--db", db)[0] == 0
    code, out = _run(capsys, "ingest", str(tmp_path / "orders.csv"), "--db", db)
    assert code == 2 and "all 1 row(s) were refused" in out


def test_a_utc_offset_is_applied_not_dropped(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["2024-01-01T10:00:00+02:00", "2024-01-02 10:00:00Z",
                               "2024-01-03 10:00:00"]), _COLUMNS)
    ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)
    assert [r[1] for r in _orders(tmp_path / "s.duckdb")] == [
        dt.datetime(2024, 1, 1, 8), dt.datetime(2024, 1, 2, 10), dt.datetime(2024, 1, 3, 10)]


def test_plain_ingest_applies_a_utc_offset(tmp_path: Path) -> None:
    from benne.ingest import ingest

    (tmp_path / "identity.csv").write_text(PEOPLE)
    (tmp_path / "orders.csv").write_text(
        "order_id,person_id,ordered_at,amount,category,status,hour\n"
        "o1,p1,2024-06-30T22:57:49-03:00,10,books,delivered,1\n")
    db = tmp_path / "s.duckdb"
    ingest([tmp_path / "identity.csv", tmp_path / "orders.csv"], None, db, now=NOW)
    assert _orders(db)[0][1] == dt.datetime(2024, 7, 1, 1, 57, 49)


def test_a_required_field_the_mapping_does_not_give_is_named(tmp_path: Path) -> None:
    m = _write(tmp_path, _raw(["2024-01-01"]), _COLUMNS.replace('status = "delivered"', ""))
    with pytest.raises(ConfigError, match="the orders source needs status"):
        ingest_mapping(m, tmp_path / "s.duckdb", now=NOW)

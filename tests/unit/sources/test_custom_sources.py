"""Custom sources: declared in a mapping, checked, stored with their declaration."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benne.exceptions import ConfigError
from benne.features.registry import custom_family
from benne.ingest import ingest_mapping
from benne.sources.custom import CustomSource, parse_custom_source
from tests.property.strategies_ingest import NOW

GOOD = {"dimension": "fulfilment", "id": "ref", "time": "at", "amount": "amount",
        "categories": ["network"], "numbers": ["mb"]}


def test_declaration_becomes_a_source_and_round_trips() -> None:
    cs = parse_custom_source("topups", GOOD, "m.toml")
    src = cs.source()
    assert src.field_names == ["person_id", "ref", "at", "amount", "network", "mb"]
    assert src.key == ("ref",) and src.event_time == "at"
    assert src.field("person_id").references == "identity.person_id"
    assert src.field("amount").money and not src.field("network").required
    assert CustomSource.from_json(cs.to_json()) == cs
    no_id = parse_custom_source("topups", {k: v for k, v in GOOD.items() if k != "id"},
                                "m.toml")
    assert no_id.source().key == ("person_id", "at")


@pytest.mark.parametrize("name,change,message", [
    ("orders", {}, "is a built-in source"),
    ("top__ups", {}, "cannot contain '__'"),
    ("Topups", {}, "lower-case name"),
    ("topups", {"dimension": "wealth"}, "dimension must be one of"),
    ("topups", {"time": "as_of"}, "reserved column name"),
    ("topups", {"categories": ["amount"]}, "declared twice"),
    ("topups", {"colour": "red"}, "unknown key 'colour'"),
    ("topups", {"category_floor": 2}, "category_floor must be a share"),
])
def test_bad_declarations_are_refused_by_name(name: str, change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_custom_source(name, {**GOOD, **change}, "m.toml")


def test_family_covers_counts_sums_recency_regularity_trend_and_categories() -> None:
    cs = parse_custom_source("topups", GOOD, "m.toml")
    names = [f.name for f in custom_family(cs, {"network": ["MTN Nigeria", "glo"]})]
    for want in ("topups__count_90d", "topups__count_365d", "topups__amount_sum_365d",
                 "topups__amount_mean_365d", "topups__days_since_last",
                 "topups__active_months_365d", "topups__count_trend_90d",
                 "topups__amount_trend_90d", "topups__mb_latest",
                 "topups__network_mtn_nigeria_share", "topups__network_glo_share_365d"):
        assert want in names
    assert all(f.dimension == "fulfilment" and f.direction == "auto"
               for f in custom_family(cs))


def _mapping(tmp: Path, numbers: str) -> Path:
    (tmp / "people.csv").write_text("person_id,registered_at,real_name_verified\n"
                                    "p1,2023-01-01,true\n")
    (tmp / "t.csv").write_text("ref,person_id,at,amount,network,mb\n"
                               "t1,p1,2024-01-01 10:00,5,mtn,100\n")
    m = tmp / "m.toml"
    m.write_text(f'[sources.topups]\ndimension = "fulfilment"\nid = "ref"\ntime = "at"\n'
                 f'amount = "amount"\ncategories = ["network"]\nnumbers = {numbers}\n\n'
                 '[[files]]\npath = "people.csv"\nsource = "identity"\n\n'
                 '[[files]]\npath = "t.csv"\nsource = "topups"\n')
    return m


def test_custom_source_is_stored_with_its_declaration(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_mapping(_mapping(tmp_path, '["mb"]'), db, now=NOW)
    assert [(f.source, f.loaded) for f in result.files] == [("identity", 1), ("topups", 1)]
    again = ingest_mapping(_mapping(tmp_path, '["mb"]'), db, now=NOW)
    assert again.files[1].duplicates == 1  # idempotent on the id
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT ref, amount, network, mb FROM topups").fetchall() == [
            ("t1", 5.0, "mtn", 100.0)]
        [(name,)] = con.execute("SELECT name FROM custom_sources").fetchall()
    assert name == "topups"
    with pytest.raises(ConfigError, match="already holds 1 rows with other columns"):
        ingest_mapping(_mapping(tmp_path, "[]"), db, now=NOW)

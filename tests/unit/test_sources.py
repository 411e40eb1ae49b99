from __future__ import annotations

import pyarrow as pa
import pytest

from benne.exceptions import NotFoundError
from benne.sources import SOURCES, arrow_schema, get_source, json_schema, load_order

DESIGN_FIELDS = {
    "identity": {"person_id", "registered_at", "real_name_verified", "birth_year", "gender",
                 "region", "phone_number_since", "device_os", "email_domain"},
    "addresses": {"person_id", "moved_in_at", "region"},
    "orders": {"order_id", "person_id", "merchant_id", "ordered_at", "amount", "category",
               "status", "hour"},
    "bills": {"bill_id", "person_id", "biller_type", "due_at", "amount", "paid_at"},
    "savings": {"person_id", "at", "balance"},
    "transfers": {"transfer_id", "from_person", "to_person", "at", "amount"},
    "credit": {"account_id", "person_id", "statement_at", "limit", "balance", "days_past_due"},
    "merchants": {"merchant_id", "owner_person_id", "opened_at", "category"},
    "merchant_sales": {"merchant_id", "day", "gmv", "orders", "refunds", "rating"},
}


def test_nine_sources_with_the_design_fields() -> None:
    assert set(SOURCES) == set(DESIGN_FIELDS)
    for name, fields in DESIGN_FIELDS.items():
        assert fields <= set(SOURCES[name].field_names), name


@pytest.mark.parametrize("name", sorted(DESIGN_FIELDS))
def test_schemas_agree(name: str) -> None:
    src = get_source(name)
    schema = arrow_schema(src)
    js = json_schema(src)
    assert schema.names == src.field_names == list(js["properties"])
    assert set(js["required"]) == {f.name for f in src.fields if f.required}
    for f in src.fields:
        assert schema.field(f.name).nullable == (not f.required)
    assert set(src.key) <= set(src.field_names)
    assert src.event_time in src.field_names


def test_references_point_at_sources_that_load_first() -> None:
    order = load_order()
    assert sorted(order) == sorted(SOURCES)
    for name, src in SOURCES.items():
        for f in src.fields:
            if f.references:
                target, column = f.references.split(".")
                assert column in SOURCES[target].field_names
                assert order.index(target) < order.index(name)


def test_protected_attributes_are_marked() -> None:
    identity = get_source("identity")
    assert {f.name for f in identity.fields if f.protected} == {"gender", "birth_year", "region"}
    assert arrow_schema("orders").field("amount").type == pa.float64()


def test_unknown_source_names_the_choices() -> None:
    with pytest.raises(NotFoundError) as exc:
        get_source("payments")
    assert "identity" in exc.value.one_line()

"""The reason catalogue is fixed: a code means the same thing in every model and retraining."""

from __future__ import annotations

import pytest

from benne.dimensions import FeatureMeta
from benne.exceptions import SourceFileError
from benne.features.registry import FEATURES
from benne.models.reasons import (
    FEATURE_CODES,
    MISSING,
    PREFIXES,
    build_catalog,
    code_for,
    read_column_dictionary,
)


def test_every_registry_feature_has_a_fixed_unique_code() -> None:
    names = [f.name for f in FEATURES]
    assert set(names) <= set(FEATURE_CODES)
    assert len(set(FEATURE_CODES.values())) == len(FEATURE_CODES)
    for f in FEATURES:
        assert FEATURE_CODES[f.name].startswith(PREFIXES[f.meta().dimension])
    missing = {code for code, _, _ in MISSING.values()}
    assert not missing & set(FEATURE_CODES.values())


def test_codes_do_not_depend_on_which_features_a_model_has() -> None:
    metas = [f.meta() for f in FEATURES]
    full = build_catalog(metas)
    some = build_catalog(metas[5::3])
    for code, reason in some.items():
        assert full[code] == reason
    flat = FeatureMeta("credit_amount", "other", "auto", "Your value of credit_amount", "")
    assert code_for(flat) == code_for(flat) and code_for(flat).startswith("OT-")
    assert build_catalog([flat, metas[0]])[code_for(flat)].feature == "credit_amount"


def test_missing_data_reasons_come_with_the_catalogue() -> None:
    cat = build_catalog([f.meta() for f in FEATURES if f.name.startswith("credit__")])
    assert cat["MD01"].statement == "No credit record yet" and cat["MD01"].source == "credit"
    assert cat["MD01"].feature == ""


def test_column_dictionary_csv_and_toml(tmp_path) -> None:
    csv = tmp_path / "columns.csv"
    csv.write_text("column,description,tip,dimension\n"
                   "credit_amount,Amount of the credit asked for,Ask for a smaller amount,other\n",
                   encoding="utf-8")
    toml = tmp_path / "columns.toml"
    toml.write_text('[age]\ndescription = "Your age"\ntip = "Nothing to do"\n'
                    'dimension = "identity"\ndirection = "decreasing"\n', encoding="utf-8")
    m = read_column_dictionary(csv)["credit_amount"]
    assert (m.description, m.tip, m.dimension, m.direction) == (
        "Amount of the credit asked for", "Ask for a smaller amount", "other", "auto")
    assert read_column_dictionary(toml)["age"].direction == "decreasing"
    bad = tmp_path / "bad.csv"
    bad.write_text("column,description,tip,dimension\nx,d,t,nowhere\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="dimension must be one of"):
        read_column_dictionary(bad)
    with pytest.raises(SourceFileError, match="lacks tip"):
        (tmp_path / "short.csv").write_text("column,description,tip,dimension\nx,d,,other\n",
                                            encoding="utf-8")
        read_column_dictionary(tmp_path / "short.csv")

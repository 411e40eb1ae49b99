"""The registry: enough features, spread over the dimensions, well named and documented."""

from __future__ import annotations

import re
from collections import Counter

from benne.dimensions import DIMENSIONS, FeatureMeta
from benne.features.engines import compiled_sql
from benne.features.registry import FEATURES, feature_meta
from benne.features.views import VIEWS
from benne.sources import SOURCES

NAME = re.compile(r"^[a-z_]+__[a-z0-9_]+$")


def test_at_least_forty_features_spread_over_the_five_dimensions() -> None:
    assert len(FEATURES) >= 40
    counts = Counter(f.dimension for f in FEATURES)
    assert set(counts) == set(DIMENSIONS)
    assert min(counts.values()) >= 5


def test_names_are_unique_and_say_their_source() -> None:
    names = [f.name for f in FEATURES]
    assert len(set(names)) == len(names)
    for f in FEATURES:
        assert NAME.match(f.name), f.name
        assert f.name.split("__")[0] in SOURCES, f.name
        assert f.view in VIEWS


def test_every_feature_has_a_description_a_tip_and_a_direction() -> None:
    from benne.features.merchants import MERCHANT_FEATURES, category_feature
    from benne.sources import MERCHANT_CATEGORIES

    meta = feature_meta()
    assert list(meta) == [f.name for f in (*FEATURES, *MERCHANT_FEATURES)]
    categories = {category_feature(c) for c in MERCHANT_CATEGORIES}
    for name, m in meta.items():
        assert isinstance(m, FeatureMeta)
        assert m.direction in (("auto",) if name in categories
                               else ("increasing", "decreasing")), name
        assert m.description.endswith(".") and len(m.description) > 20, name
        assert m.tip.endswith(".") and len(m.tip) > 15, name


def test_protected_attributes_never_reach_a_feature() -> None:
    sql = compiled_sql("duckdb", tuple(f.name for f in FEATURES), None).lower()
    for column in ("gender", "birth_year", '"region"'):
        assert column not in sql

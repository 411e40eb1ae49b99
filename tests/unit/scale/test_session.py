"""The local Spark session's defaults, decided without starting a JVM."""

from __future__ import annotations

import os

import pytest

from benne.scale.session import local_memory, local_partitions


def test_local_heap_is_half_the_memory_within_bounds() -> None:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    heap = local_memory()
    assert heap.endswith("g")
    gib = int(heap[:-1])
    assert 1 <= gib <= 16
    assert gib == max(1, min(16, int(total / 2)))


@pytest.mark.parametrize(("master", "expected"), [
    ("local[1]", 4), ("local[3]", 6), ("local[8,2]", 16), ("yarn", None),
    ("spark://host:7077", None),
])
def test_shuffle_partitions_are_twice_the_local_cores(master: str, expected: int | None) -> None:
    assert local_partitions(master) == expected


def test_every_local_core_counts_for_local_star() -> None:
    assert local_partitions("local[*]") == max(4, 2 * (os.cpu_count() or 1))

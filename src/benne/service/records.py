"""The person's records of the store, as the batch published them (see :mod:`benne.store.snapshot`).

The service never opens the DuckDB store: it reads the snapshot file, read-only, so the batch
can always write the store, even while people download their data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benne.store.snapshot import read_person, snapshot_path

__all__ = ["person_records", "record_belongs_to", "snapshot_path"]


def person_records(snapshot: Path, person_id: str) -> dict[str, list[dict[str, Any]]]:
    """``{source: [row, ...]}`` of the person's rows; empty when nothing is published."""
    return read_person(snapshot, person_id)


def record_belongs_to(snapshot: Path, person_id: str, source: str, record_id: str) -> bool:
    """True when ``record_id`` of ``source`` is one of the person's rows (or one they are in)."""
    rows = person_records(snapshot, person_id).get(source, [])
    return any(str(r.get("_record_id")) == record_id for r in rows)

"""Disputes: a person says a record held on them is wrong.

Filing a dispute stores it (status ``open``), audits it and, when the store exists, adds the
record to the store's ``excluded_records`` so the next feature run leaves it out. Resolving it
sets ``upheld`` (the record stays out until corrected data is loaded) or ``rejected`` (the
exclusion is removed). The store is written before the service transaction commits, so a failed
store write leaves no dispute behind; the exclusion's reason names the dispute id, never the
person's own words.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from benne.exceptions import ConflictError, InputError, NotFoundError
from benne.service import audit, store
from benne.service.db import Dispute
from benne.service.keys import new_id
from benne.sources import SOURCES

__all__ = ["STATUSES", "file_dispute", "list_for_person", "resolve"]

STATUSES = ("open", "upheld", "rejected")


def file_dispute(
    session: Session,
    *,
    person_id: str,
    source: str,
    record_id: str,
    reason: str,
    now: datetime,
    store_path: Path | None,
) -> Dispute:
    """File a dispute against one of the person's records."""
    if source not in SOURCES:
        raise InputError(f"unknown source {source[:40]!r}",
                         fix=f"use one of {', '.join(SOURCES)}")
    held = Path(store_path) if store_path is not None and Path(store_path).is_file() else None
    if held is not None and not store.record_belongs_to(held, person_id, source, record_id):
        raise NotFoundError(f"no {source} record {record_id[:60]!r} is held on you",
                            fix="pick a record from GET /v1/me/data")
    already = session.execute(select(Dispute).where(
        Dispute.person_id == person_id, Dispute.source == source,
        Dispute.record_id == record_id, Dispute.status == "open")).scalar_one_or_none()
    if already is not None:
        raise ConflictError(f"this record is already under dispute ({already.id})",
                            fix="wait for the open dispute to be resolved")
    now = now.replace(tzinfo=None)
    dispute = Dispute(id=new_id("dp"), person_id=person_id, source=source, record_id=record_id,
                      reason=reason, status="open", created_at=now)
    session.add(dispute)
    session.flush()
    audit.append(session, at=now, actor="person", action="dispute.file", person_id=person_id,
                 detail={"dispute_id": dispute.id, "source": source, "record_id": record_id,
                         "excluded": held is not None})
    if held is not None:
        store.exclude_record(held, source, record_id, f"dispute {dispute.id}", now)
    return dispute


def resolve(
    session: Session,
    *,
    dispute_id: str,
    status: str,
    now: datetime,
    store_path: Path | None,
    actor: str = "admin",
) -> Dispute:
    """Close an open dispute as ``upheld`` or ``rejected``."""
    if status not in ("upheld", "rejected"):
        raise InputError(f"status must be 'upheld' or 'rejected'; got {status!r}",
                         fix="pass --status upheld or --status rejected")
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFoundError(f"no dispute with id {dispute_id[:50]!r}",
                            fix="list disputes with GET /v1/me/disputes")
    if dispute.status != "open":
        raise ConflictError(f"dispute {dispute_id} is already {dispute.status}",
                            fix="only open disputes can be resolved")
    now = now.replace(tzinfo=None)
    dispute.status, dispute.resolved_at = status, now
    audit.append(session, at=now, actor=actor, action="dispute.resolve",
                 person_id=dispute.person_id,
                 detail={"dispute_id": dispute.id, "status": status})
    if status == "rejected" and store_path is not None:
        store.include_record(Path(store_path), dispute.source, dispute.record_id)
    return dispute


def list_for_person(session: Session, person_id: str) -> list[Dispute]:
    stmt = (select(Dispute).where(Dispute.person_id == person_id)
            .order_by(Dispute.created_at, Dispute.id))
    return list(session.execute(stmt).scalars())

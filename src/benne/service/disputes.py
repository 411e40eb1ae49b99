"""Disputes: a person says a record held on them is wrong.

As at a credit bureau, a dispute does not erase history when it is filed:

- A person may dispute only a record that is theirs or in which they are a party (both sides
  of a transfer), as the batch's published snapshot of their records shows.
- While the dispute is ``open`` the record stays in scoring and in the training labels; it is
  flagged as disputed on the person's page, in their data export and to partners reading their
  score. The dispute is due after ``dispute_days`` (30 by default).
- Resolving it sets ``upheld`` (the record is held out of scoring until corrected data is
  loaded) or ``rejected`` (it stays). An open dispute not verified by its deadline holds the
  record out too, as an upheld one would.
- A record is held out while **any** dispute on it holds it, whoever filed it: rejecting one
  person's dispute never lifts another's.

The service database is the one place these live; the batch reads them with :func:`holds`
(through :func:`benne.service.apply_dispute_holds`) before it builds features, so the service
never writes the store. Audit entries name the dispute id, never the person's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from benne.exceptions import ConflictError, InputError, NotFoundError
from benne.service import audit, records
from benne.service.db import Dispute
from benne.service.keys import new_id
from benne.sources import SOURCES

__all__ = ["DEFAULT_DAYS", "STATUSES", "Hold", "file_dispute", "holding", "holds",
           "list_for_person", "on_records", "open_count", "resolve"]

STATUSES = ("open", "upheld", "rejected")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Hold:
    """A record held out of scoring by a dispute (the earliest one that holds it)."""

    source: str
    record_id: str
    dispute_id: str
    since: datetime

    @property
    def reason(self) -> str:
        return f"dispute {self.dispute_id}"


def file_dispute(
    session: Session,
    *,
    person_id: str,
    source: str,
    record_id: str,
    reason: str,
    now: datetime,
    snapshot: Path | None,
    days: int = DEFAULT_DAYS,
) -> Dispute:
    """File a dispute against one of the person's records (theirs, or one they are party to)."""
    if source not in SOURCES:
        raise InputError(f"unknown source {source[:40]!r}",
                         fix=f"use one of {', '.join(SOURCES)}")
    if snapshot is None or not records.record_belongs_to(snapshot, person_id, source, record_id):
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
                      reason=reason, status="open", created_at=now,
                      due_at=now + timedelta(days=days))
    session.add(dispute)
    session.flush()
    audit.append(session, at=now, actor="person", action="dispute.file", person_id=person_id,
                 detail={"dispute_id": dispute.id, "source": source, "record_id": record_id})
    return dispute


def resolve(
    session: Session,
    *,
    dispute_id: str,
    status: str,
    now: datetime,
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
    return dispute


def holding(dispute: Dispute, now: datetime) -> bool:
    """Does this dispute hold its record out of scoring at ``now``?"""
    if dispute.status == "upheld":
        return True
    return dispute.status == "open" and dispute.due_at is not None and \
        dispute.due_at <= now.replace(tzinfo=None)


def _holding_clause(now: datetime):  # type: ignore[no-untyped-def]
    return or_(Dispute.status == "upheld",
               and_(Dispute.status == "open", Dispute.due_at <= now.replace(tzinfo=None)))


def holds(session: Session, now: datetime) -> list[Hold]:
    """Every record held out of scoring at ``now``, once each, in (source, record) order."""
    stmt = (select(Dispute).where(_holding_clause(now))
            .order_by(Dispute.source, Dispute.record_id, Dispute.created_at, Dispute.id))
    out: dict[tuple[str, str], Hold] = {}
    for d in session.execute(stmt).scalars():
        out.setdefault((d.source, d.record_id), Hold(d.source, d.record_id, d.id, d.created_at))
    return list(out.values())


def open_count(session: Session, person_id: str, now: datetime) -> int:
    """Disputes the person filed that are still being reinvestigated."""
    stmt = select(func.count()).select_from(Dispute).where(
        Dispute.person_id == person_id, Dispute.status == "open",
        or_(Dispute.due_at.is_(None), Dispute.due_at > now.replace(tzinfo=None)))
    return int(session.execute(stmt).scalar() or 0)


def list_for_person(session: Session, person_id: str) -> list[Dispute]:
    stmt = (select(Dispute).where(Dispute.person_id == person_id)
            .order_by(Dispute.created_at, Dispute.id))
    return list(session.execute(stmt).scalars())


def on_records(session: Session, keys: set[tuple[str, str]]) -> list[Dispute]:
    """Every dispute, by anyone, on these (source, record_id) pairs."""
    ids = sorted({r for _, r in keys})
    found: list[Dispute] = []
    for i in range(0, len(ids), 500):
        stmt = select(Dispute).where(Dispute.record_id.in_(ids[i:i + 500]))
        found += [d for d in session.execute(stmt).scalars() if (d.source, d.record_id) in keys]
    return found

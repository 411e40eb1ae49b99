"""Consent: a person lets one partner read their score for one purpose, until revoked or expired.

Plain functions over a SQLAlchemy session, used by the API and the batch. Every change is
appended to the audit log in the same transaction, so a consent change and its audit entry are
written together or not at all.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from benne.exceptions import InputError, NotFoundError
from benne.service import audit
from benne.service.db import Consent, Dispute, Partner, PersonToken, Score, connection_of
from benne.service.keys import new_id
from benne.service.scores import score_dict

__all__ = ["PURPOSE_PATTERN", "grant", "is_live", "known_person", "list_for_person",
           "partner_view", "revoke"]

PURPOSE_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
_PURPOSE = re.compile(PURPOSE_PATTERN)


def _check_purpose(purpose: str) -> None:
    if not _PURPOSE.match(purpose):
        raise InputError(
            f"purpose must be a lower-case word of up to 40 characters; got {purpose[:50]!r}",
            fix="use a purpose such as 'credit', 'rental' or 'employment'",
        )


def is_live(consent: Consent, now: datetime) -> bool:
    now = now.replace(tzinfo=None)
    return consent.revoked_at is None and (consent.expires_at is None or consent.expires_at > now)


def grant(
    session: Session,
    *,
    person_id: str,
    partner_id: str,
    purpose: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> Consent:
    """Record a consent and audit it; the partner must exist and the expiry be in the future."""
    _check_purpose(purpose)
    now = now.replace(tzinfo=None)
    if expires_at is not None:
        expires_at = expires_at.replace(tzinfo=None)
        if expires_at <= now:
            raise InputError(f"expires_at must be in the future; got {expires_at.isoformat()}",
                             fix="leave it out for no expiry, or give a later date-time")
    partner = session.get(Partner, partner_id)
    if partner is None or partner.deleted_at is not None:
        raise NotFoundError(f"no partner with id {partner_id[:50]!r}",
                            fix="ask the partner for their benne partner id")
    consent = Consent(id=new_id("cs"), person_id=person_id, partner_id=partner_id,
                      purpose=purpose, created_at=now, expires_at=expires_at)
    session.add(consent)
    session.flush()
    audit.append(session, at=now, actor="person", action="consent.grant", person_id=person_id,
                 detail={"consent_id": consent.id, "partner_id": partner_id, "purpose": purpose,
                         "expires_at": expires_at.isoformat() if expires_at else None})
    return consent


def revoke(session: Session, *, person_id: str, consent_id: str, now: datetime,
           actor: str = "person") -> Consent:
    """Revoke at once; revoking twice is a no-op. Another person's consent is 'not found'."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.person_id != person_id:
        raise NotFoundError(f"no consent with id {consent_id[:50]!r}",
                            fix="list your consents with GET /v1/consents")
    if consent.revoked_at is None:
        now = now.replace(tzinfo=None)
        consent.revoked_at = now
        audit.append(session, at=now, actor=actor, action="consent.revoke",
                     person_id=person_id,
                     detail={"consent_id": consent.id, "partner_id": consent.partner_id,
                             "purpose": consent.purpose})
    return consent


def list_for_person(session: Session, person_id: str) -> list[Consent]:
    stmt = (select(Consent).where(Consent.person_id == person_id)
            .order_by(Consent.created_at, Consent.id))
    return list(session.execute(stmt).scalars())


_CONSENTS = cast(Table, Consent.__table__)
_SCORES = cast(Table, Score.__table__)
_LATEST_RUN = (
    select(_SCORES.c.id)
    .where(_SCORES.c.person_id == bindparam("person_id"))
    .order_by(_SCORES.c.as_of.desc(), _SCORES.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
# One statement for the partner read, built once: the live consent drives it and the person's
# latest run is outer-joined, so "no consent" is no row and "consent, no score" is a row of
# NULL score columns. Two statements before; on a read that also writes the audit log, every
# statement is a measurable share of the request.
_DISPUTES = cast(Table, Dispute.__table__)
_OPEN_DISPUTES = (
    select(func.count())
    .select_from(_DISPUTES)
    .where(_DISPUTES.c.person_id == bindparam("person_id"), _DISPUTES.c.status == "open",
           or_(_DISPUTES.c.due_at.is_(None), _DISPUTES.c.due_at > bindparam("now")))
    .scalar_subquery()
)
_PARTNER_VIEW = (
    select(_CONSENTS.c.id.label("consent_id"), _OPEN_DISPUTES.label("open_disputes"),
           *_SCORES.c)
    .select_from(_CONSENTS.outerjoin(_SCORES, _SCORES.c.id == _LATEST_RUN))
    .where(
        _CONSENTS.c.person_id == bindparam("person_id"),
        _CONSENTS.c.partner_id == bindparam("partner_id"),
        _CONSENTS.c.purpose == bindparam("purpose"),
        _CONSENTS.c.revoked_at.is_(None),
        or_(_CONSENTS.c.expires_at.is_(None), _CONSENTS.c.expires_at > bindparam("now")),
    )
    .limit(1)
)


def partner_view(
    session: Session | Connection, *, person_id: str, partner_id: str, purpose: str, now: datetime
) -> tuple[str | None, dict[str, Any] | None]:
    """A live consent's id for this person, partner and purpose, and the person's latest run.

    ``(None, None)`` without a live consent (the score is then not read at all);
    ``(consent_id, None)`` when the person has consented but holds no score yet.
    """
    row = connection_of(session).execute(_PARTNER_VIEW, {
        "person_id": person_id, "partner_id": partner_id, "purpose": purpose,
        "now": now.replace(tzinfo=None)}).mappings().first()
    if row is None:
        return None, None
    if row["id"] is None:
        return row["consent_id"], None
    return row["consent_id"], {**score_dict(row), "open_disputes": int(row["open_disputes"])}


_TOKENS = cast(Table, PersonToken.__table__)
_KNOWN_PERSON = select(or_(
    exists().where(_SCORES.c.person_id == bindparam("person_id")),
    exists().where(_TOKENS.c.person_id == bindparam("person_id")),
    exists().where(_CONSENTS.c.person_id == bindparam("person_id")),
))


def known_person(session: Session | Connection, person_id: str) -> bool:
    """Does the service hold anything on this person id (a score, a token or a consent)?"""
    return bool(connection_of(session).execute(_KNOWN_PERSON, {"person_id": person_id}).scalar())

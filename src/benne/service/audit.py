"""The append-only, hash-chained audit log: plain functions over a SQLAlchemy session.

Every partner read (granted or refused), consent change and dispute is appended here, by the API
and by the batch alike. Each entry's ``hash`` is ``sha256(prev_hash + canonical JSON)`` of the
entry's fields (seq, at, actor, action, person_id, detail), so changing any stored field or
removing a row breaks the chain from that entry on; :func:`verify_chain` names the first broken
entry. The ``audit_head`` row holds the last seq and hash, which also reveals rows removed from
the end of the log.

``person_id`` is the store's pseudonymous id. ``detail`` is kept as the exact canonical JSON
that was hashed, so a round trip through any database cannot change the bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from benne.service.db import AuditEntry, AuditHead

__all__ = ["GENESIS", "AuditReport", "append", "entry_hash", "verify_chain"]

GENESIS = "0" * 64


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    person_id: str | None,
    detail: str,
) -> str:
    """The hash of one entry chained to ``prev_hash``."""
    body = _canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "person_id": person_id,
            "detail": detail,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


_HEAD = cast(Table, AuditHead.__table__)
_LOG = cast(Table, AuditEntry.__table__)
# Built once: the partner read appends on every request, and building statements per call
# cost more than running them (SQLAlchemy Core with cached compilation).
_SELECT_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_ENTRY = _LOG.insert()
_UPDATE_HEAD = _HEAD.update().where(_HEAD.c.id == 1)


def append(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    person_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction (written when the caller commits); its seq.

    The head row is read ``FOR UPDATE``: concurrent appenders on PostgreSQL wait for each other,
    and on SQLite the ``BEGIN IMMEDIATE`` transaction already holds the write lock.
    """
    conn = session.connection()
    head = conn.execute(_SELECT_HEAD).first()
    if head is None:
        conn.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS))
        prev_seq, prev_hash = 0, GENESIS
    else:
        prev_seq, prev_hash = int(head.seq), str(head.hash)
    at = at.replace(tzinfo=None)
    seq = prev_seq + 1
    detail_json = _canonical(detail or {})
    digest = entry_hash(prev_hash, seq=seq, at=at, actor=actor, action=action,
                        person_id=person_id, detail=detail_json)
    conn.execute(_INSERT_ENTRY, {"seq": seq, "at": at, "actor": actor, "action": action,
                                 "person_id": person_id, "detail": detail_json,
                                 "prev_hash": prev_hash, "hash": digest})
    conn.execute(_UPDATE_HEAD, {"seq": seq, "hash": digest})
    return seq


@dataclass(frozen=True)
class AuditReport:
    """Outcome of :func:`verify_chain`: ``ok``, entries checked, and the first broken seq."""

    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
        }


def verify_chain(session: Session, *, batch_size: int = 5000) -> AuditReport:
    """Walk the log in seq order and report the first entry that was changed or removed."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    for entry in session.execute(stmt).scalars():
        if entry.seq != expected_seq:
            return AuditReport(False, count, expected_seq,
                               f"entry {expected_seq} is missing (next found: {entry.seq})")
        if entry.prev_hash != prev_hash:
            return AuditReport(False, count, entry.seq,
                               "prev_hash does not match the previous entry's hash")
        recomputed = entry_hash(
            prev_hash, seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
            person_id=entry.person_id, detail=entry.detail,
        )
        if recomputed != entry.hash:
            return AuditReport(False, count, entry.seq, "entry content does not match its hash")
        prev_hash, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev_hash:
        return AuditReport(False, count, count + 1,
                           f"the log ends at entry {count} but the head records {head_seq}")
    return AuditReport(True, count)

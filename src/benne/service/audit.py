"""The append-only, hash-chained audit log: plain functions over a SQLAlchemy session.

Every partner read (granted or refused), consent change and dispute is appended here, by the API
and by the batch alike. Each entry's ``hash`` is ``sha256(prev_hash + canonical JSON)`` of the
entry's fields (seq, at, actor, action, person_id, detail), so changing any stored field or
removing a row breaks the chain from that entry on; :func:`verify_chain` names the first broken
entry. The ``audit_head`` row holds the last seq and hash, which also reveals rows removed from
the end of the log.

``person_id`` is the store's pseudonymous id. ``detail`` is kept as the exact canonical JSON
that was hashed, so a round trip through any database cannot change the bytes.

Concurrency (what is guaranteed). Any number of threads, API workers, CLI commands and batch
processes may append to one database at the same time, on SQLite and on PostgreSQL; the log
they leave is one gap-free chain ``1..n`` in commit order, and ``audit_head`` names its end.
This rests on one conditional statement per append, not on anything held in a process:

- Each engine keeps a *hint* of the head (seq, hash) in memory, so an append costs two
  statements: ``UPDATE audit_head SET seq, hash WHERE seq = <hint> AND hash = <hint>`` and the
  ``INSERT`` of the entry, whose hash is computed in Python from the hint.
- The ``UPDATE`` takes the head row's write lock (PostgreSQL: a row lock held to commit, other
  appenders wait on it and then re-check the ``WHERE`` against the committed row; SQLite: the
  transaction already holds the database write lock from ``BEGIN IMMEDIATE``). It changes one
  row only if the hint is still the committed head, so a hint made stale by another process or
  by a rolled-back transaction changes nothing: the append then reads the head ``FOR UPDATE``
  (now holding the lock, the values cannot move) and appends after it.
- ``seq`` is the primary key, so even a broken implementation could not write one seq twice.

A process that starts (or restarts after a crash) begins with no hint and reads the head from
the database, so nothing in memory can outlive what was committed. With SQLite in WAL mode and
``synchronous=NORMAL`` a power loss can drop the last committed transactions; each drops whole,
with its audit entries and the head update together, so the chain stays valid and merely ends
earlier. :func:`check_head` (run when the app starts) compares the head with the last entry.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, select
from sqlalchemy.orm import Session

from benne.exceptions import StoreError
from benne.service.db import AuditEntry, AuditHead, connection_of

__all__ = ["GENESIS", "AuditReport", "append", "check_head", "entry_hash", "verify_chain"]

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
_ADVANCE_HEAD = (
    _HEAD.update()
    .where(_HEAD.c.id == 1, _HEAD.c.seq == bindparam("prev_seq"),
           _HEAD.c.hash == bindparam("prev_hash"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


class _HeadHint:
    """The last head this process wrote or read, per engine; only ever a guess (see above)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hints: weakref.WeakKeyDictionary[Engine, tuple[int, str]] = (
            weakref.WeakKeyDictionary())

    def get(self, engine: Engine) -> tuple[int, str] | None:
        with self._lock:
            return self._hints.get(engine)

    def set(self, engine: Engine, seq: int, digest: str) -> None:
        with self._lock:
            self._hints[engine] = (seq, digest)


_hints = _HeadHint()


def _locked_head(conn: Connection) -> tuple[int, str]:
    """The committed head, read ``FOR UPDATE`` (made on the first append to a new log)."""
    head = conn.execute(_SELECT_HEAD).first()
    if head is None:
        conn.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS))
        return 0, GENESIS
    return int(head.seq), str(head.hash)


def append(
    session: Session | Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    person_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction (written when the caller commits); its seq.

    Two statements when this process's hint of the head is current, three or four when it is
    not; the module docstring says why concurrent appenders still form one chain.
    """
    conn = connection_of(session)
    engine = conn.engine
    at = at.replace(tzinfo=None)
    detail_json = _canonical(detail or {})
    prev = _hints.get(engine)
    for attempt in range(2):
        if prev is None or attempt:
            prev = _locked_head(conn)
        seq = prev[0] + 1
        digest = entry_hash(prev[1], seq=seq, at=at, actor=actor, action=action,
                            person_id=person_id, detail=detail_json)
        moved = conn.execute(_ADVANCE_HEAD, {"prev_seq": prev[0], "prev_hash": prev[1],
                                             "new_seq": seq, "new_hash": digest}).rowcount
        if moved == 1:
            break
    else:  # the head is locked by this transaction on the second attempt, so this cannot be
        raise StoreError("the audit head changed while it was locked",
                         fix="run `benne audit verify`; the database may be shared wrongly")
    conn.execute(_INSERT_ENTRY, {"seq": seq, "at": at, "actor": actor, "action": action,
                                 "person_id": person_id, "detail": detail_json,
                                 "prev_hash": prev[1], "hash": digest})
    _hints.set(engine, seq, digest)
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


_LAST_ENTRY = select(_LOG.c.seq, _LOG.c.hash).order_by(_LOG.c.seq.desc()).limit(1)


def check_head(session: Session) -> AuditReport:
    """A quick check for the app's start: does the head name the log's last entry?

    It catches a log cut short or a head moved by hand (the full walk is
    :func:`verify_chain`, ``benne audit verify``); it reads two rows, however long the log.
    """
    conn = session.connection()
    last = conn.execute(_LAST_ENTRY).first()
    head = conn.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    last_seq, last_hash = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    head_seq, head_hash = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
    if (last_seq, last_hash) != (head_seq, head_hash):
        return AuditReport(False, last_seq, min(last_seq, head_seq) + 1,
                           f"the log ends at entry {last_seq} but the head records {head_seq}")
    return AuditReport(True, last_seq)

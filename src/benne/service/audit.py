"""The append-only audit log, a Merkle tree in the style of Certificate Transparency.

Every partner read (granted or refused), consent grant and revocation, partner change and
dispute is appended here, by the API and by the batch alike. Entry ``seq`` (1, 2, ...) is leaf
``seq - 1`` of an RFC 6962 Merkle tree (:mod:`benne.service.merkle`) whose leaf is the entry's
canonical form (:func:`entry_leaf`: sorted-key JSON of seq, at, actor, action, person_id and
detail). The tree's size and root hash sign into checkpoints (:mod:`benne.service.checkpoint`);
anyone holding an earlier checkpoint can then check that the log still extends it (a
consistency proof), and each entry can be shown to be in the log (an inclusion proof).

What is stored. Each row keeps its ``leaf_hash`` and, as a cache, the hashes of the perfect
subtrees that end at it (``nodes``): the node of level ``l`` and index ``i`` lives in row
``(i + 1) << l``. A root or a proof of any size then reads ``O(log n)`` rows by primary key,
and :func:`verify_log` recomputes all of it from the entries themselves. ``audit_head`` holds
the tree's size and root.

``person_id`` is the store's pseudonymous id. ``detail`` is kept as the exact canonical JSON
that was hashed, so a round trip through any database cannot change the bytes.

Concurrency (what is guaranteed). Any number of threads, API workers, CLI commands and batch
processes may append to one database at the same time, on SQLite and on PostgreSQL; the log
they leave is one gap-free tree ``1..n`` in commit order, and ``audit_head`` names its size and
root. This rests on one conditional statement per append, not on anything held in a process:

- Each engine keeps a *hint* of the head (size, root and the tree's compact range, the hashes
  of its perfect subtrees), so an append costs two statements: ``UPDATE audit_head SET seq,
  hash WHERE seq = <hint> AND hash = <hint>`` and the ``INSERT`` of the entry, whose hashes are
  computed in Python from the hint (one leaf hash and, on average, one node hash).
- The ``UPDATE`` takes the head row's write lock (PostgreSQL: a row lock held to commit, other
  appenders wait on it and then re-check the ``WHERE`` against the committed row; SQLite: the
  transaction already holds the database write lock from ``BEGIN IMMEDIATE``). It changes one
  row only if the hint is still the committed head, so a hint made stale by another process or
  by a rolled-back transaction changes nothing: the append then reads the head ``FOR UPDATE``
  (now holding the lock, the values cannot move), reads the compact range from the rows, and
  appends after it.
- ``seq`` is the primary key, so even a broken implementation could not write one seq twice.

A process that starts (or restarts after a crash) begins with no hint and reads the head from
the database, so nothing in memory can outlive what was committed. With SQLite in WAL mode and
``synchronous=NORMAL`` a power loss can drop the last committed transactions; each drops whole,
with its audit entries and the head update together, so the tree stays valid and merely ends
earlier. (A checkpoint signed in between would then name a size the log no longer reaches,
which ``verify --against`` reports: sign checkpoints of a SQLite log only after a WAL
checkpoint, or use PostgreSQL.) :func:`check_head` (run when the app starts) compares the head
with the tree's stored nodes.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, select
from sqlalchemy.orm import Session

from benne.exceptions import NotFoundError, StoreError
from benne.service import merkle
from benne.service.db import AuditEntry, AuditHead, Consent, connection_of

__all__ = [
    "CLOCK_SLACK",
    "AuditReport",
    "Entry",
    "InclusionProof",
    "TreeHead",
    "append",
    "append_many",
    "check_head",
    "consistency_proof",
    "entry_leaf",
    "inclusion_proof",
    "inclusion_proofs",
    "rebuild_tree",
    "root_at",
    "tree_head",
    "verify_against",
    "verify_log",
]

CLOCK_SLACK = timedelta(minutes=5)
"""How much earlier than the last entry of a checkpoint a later entry may be dated.

Entries are dated when their request starts and take their place when it commits, so dates
are nearly, not exactly, in log order; an entry beyond a checkpoint dated further back than
this was added with a false date (``verify --against`` reports it).
"""


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_leaf(
    *, seq: int, at: datetime, actor: str, action: str, person_id: str | None, detail: str
) -> bytes:
    """The leaf of one entry: UTF-8 of its canonical JSON (``detail`` as the stored string)."""
    return _canonical({
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "person_id": person_id,
        "detail": detail,
    }).encode("utf-8")


def _row_leaf(row: Any) -> bytes:
    return entry_leaf(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                      person_id=row.person_id, detail=row.detail)


def _nodes_text(completed: Iterable[tuple[int, bytes]]) -> str:
    return "".join(h.hex() for _, h in completed)


def _nodes_of(text: str) -> list[bytes]:
    return [bytes.fromhex(text[i:i + 64]) for i in range(0, len(text), 64)]


_HEAD = cast(Table, AuditHead.__table__)
_LOG = cast(Table, AuditEntry.__table__)
# Built once: the partner read appends on every request, and building statements per call
# cost more than running them (SQLAlchemy Core with cached compilation).
_SELECT_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_SELECT_HEAD_LOCKED = _SELECT_HEAD.with_for_update()
_INSERT_ENTRY = _LOG.insert()
_ADVANCE_HEAD = (
    _HEAD.update()
    .where(_HEAD.c.id == 1, _HEAD.c.seq == bindparam("prev_seq"),
           _HEAD.c.hash == bindparam("prev_hash"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_SELECT_NODES = select(_LOG.c.seq, _LOG.c.leaf_hash, _LOG.c.nodes).where(
    _LOG.c.seq.in_(bindparam("seqs", expanding=True)))


@dataclass(frozen=True)
class TreeHead:
    """The tree's size (entries) and root hash."""

    size: int
    root: bytes


@dataclass
class _Hint:
    size: int
    root: str
    frontier: merkle.Frontier


class _HeadHint:
    """The last head this process wrote or read, per engine; only ever a guess (see above)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hints: weakref.WeakKeyDictionary[Engine, _Hint] = weakref.WeakKeyDictionary()

    def get(self, engine: Engine) -> _Hint | None:
        with self._lock:
            return self._hints.get(engine)

    def set(self, engine: Engine, hint: _Hint) -> None:
        with self._lock:
            self._hints[engine] = hint


_hints = _HeadHint()


def _node_hashes(conn: Connection, refs: list[merkle.NodeRef]) -> list[bytes]:
    """The stored hashes of perfect subtrees, in the order asked."""
    if not refs:
        return []
    rows: dict[int, Any] = {}
    seqs = sorted({(index + 1) << level for level, index in refs})
    for start in range(0, len(seqs), 500):
        for fetched in conn.execute(_SELECT_NODES, {"seqs": seqs[start:start + 500]}):
            rows[int(fetched.seq)] = fetched
    out: list[bytes] = []
    for level, index in refs:
        row = rows.get((index + 1) << level)
        nodes = _nodes_of(row.nodes or "") if row is not None else []
        if row is None or (level and len(nodes) < level):
            raise StoreError(
                f"the audit log's entry {(index + 1) << level} is missing or holds no subtree "
                f"hash of level {level}",
                fix="run `benne audit verify` to find what was changed")
        out.append(bytes.fromhex(row.leaf_hash) if level == 0 else nodes[level - 1])
    return out


def _range_hashes(conn: Connection, ranges: list[tuple[int, int]]) -> list[bytes]:
    """``MTH`` of each range, from one read of the stored nodes they need."""
    pieces = [merkle.range_nodes(a, b) for a, b in ranges]
    hashes = iter(_node_hashes(conn, [ref for refs in pieces for ref in refs]))
    return [merkle.fold([next(hashes) for _ in refs]) for refs in pieces]


def _frontier(conn: Connection, size: int) -> merkle.Frontier:
    refs = merkle.frontier_nodes(size)
    return merkle.Frontier(zip([lvl for lvl, _ in refs], _node_hashes(conn, refs),
                               strict=True), size)


def _locked_head(conn: Connection) -> _Hint:
    """The committed head, read ``FOR UPDATE`` (made on the first append to a new log)."""
    head = conn.execute(_SELECT_HEAD_LOCKED).first()
    if head is None:
        conn.execute(_HEAD.insert().values(id=1, seq=0, hash=merkle.EMPTY_ROOT.hex()))
        return _Hint(0, merkle.EMPTY_ROOT.hex(), merkle.Frontier())
    size, root = int(head.seq), str(head.hash)
    frontier = _frontier(conn, size)
    if frontier.root().hex() != root:
        raise StoreError("the audit log's head does not match its stored tree",
                         fix="run `benne audit verify` to find what was changed")
    return _Hint(size, root, frontier)


@dataclass(frozen=True)
class Entry:
    """One audit entry before it has a place in the tree (see :func:`append_many`)."""

    at: datetime
    actor: str
    action: str
    person_id: str | None = None
    detail: dict[str, Any] | None = None


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
    not; the module docstring says why concurrent appenders still form one tree.
    """
    return append_many(session, [Entry(at, actor, action, person_id, detail)])[0]


def append_many(session: Session | Connection, entries: Sequence[Entry]) -> list[int]:
    """Append ``entries`` in order, in the caller's transaction; their seqs.

    The same tree as appending them one by one, for the cost of one: the head moves once (one
    ``UPDATE``) and the rows go in one ``INSERT``. This is what lets the partner read's writer
    (:class:`benne.service.audit_writer.GroupAppender`) commit many requests' entries at once.
    """
    if not entries:
        return []
    conn = connection_of(session)
    engine = conn.engine
    canonical = [(e.at.replace(tzinfo=None), _canonical(e.detail or {})) for e in entries]
    prev = _hints.get(engine)
    for attempt in range(2):
        if prev is None or attempt:
            prev = _locked_head(conn)
        frontier = prev.frontier.copy()
        rows: list[dict[str, Any]] = []
        for offset, (entry, (at, detail_json)) in enumerate(zip(entries, canonical,
                                                                strict=True)):
            seq = prev.size + 1 + offset
            leaf = merkle.leaf_hash(entry_leaf(seq=seq, at=at, actor=entry.actor,
                                               action=entry.action, person_id=entry.person_id,
                                               detail=detail_json))
            rows.append({"seq": seq, "at": at, "actor": entry.actor, "action": entry.action,
                         "person_id": entry.person_id, "detail": detail_json,
                         "leaf_hash": leaf.hex(), "nodes": _nodes_text(frontier.push(leaf))})
        root = frontier.root().hex()
        last = prev.size + len(entries)
        moved = conn.execute(_ADVANCE_HEAD, {"prev_seq": prev.size, "prev_hash": prev.root,
                                             "new_seq": last, "new_hash": root}).rowcount
        if moved == 1:
            break
    else:  # the head is locked by this transaction on the second attempt, so this cannot be
        raise StoreError("the audit head changed while it was locked",
                         fix="run `benne audit verify`; the database may be shared wrongly")
    conn.execute(_INSERT_ENTRY, rows)
    _hints.set(engine, _Hint(last, root, frontier))
    return [row["seq"] for row in rows]


def tree_head(session: Session | Connection) -> TreeHead:
    """The size and root the head records (what a checkpoint signs)."""
    head = connection_of(session).execute(_SELECT_HEAD).first()
    if head is None:
        return TreeHead(0, merkle.EMPTY_ROOT)
    return TreeHead(int(head.seq), bytes.fromhex(head.hash))


def root_at(session: Session | Connection, size: int) -> bytes:
    """The root of the tree's first ``size`` entries, from the stored nodes."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return _range_hashes(connection_of(session), [(0, size)])[0]


@dataclass(frozen=True)
class InclusionProof:
    """That entry ``seq`` (leaf ``seq - 1``) is in the tree of ``tree_size`` entries.

    Check it with :func:`benne.service.merkle.verify_inclusion`: hash ``leaf`` (its UTF-8
    bytes) with :func:`~benne.service.merkle.leaf_hash`, then walk ``proof`` to ``root``.
    """

    seq: int
    leaf: str
    leaf_hash: bytes
    tree_size: int
    root: bytes
    proof: list[bytes] = field(default_factory=list)

    @property
    def leaf_index(self) -> int:
        return self.seq - 1

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "leaf_index": self.leaf_index, "leaf": self.leaf,
                "leaf_hash": self.leaf_hash.hex(), "tree_size": self.tree_size,
                "root": self.root.hex(), "proof": [p.hex() for p in self.proof]}


def inclusion_proofs(
    session: Session | Connection, seqs: list[int], head: TreeHead | None = None
) -> list[InclusionProof]:
    """The inclusion proofs of entries ``seqs`` in the tree ``head`` (default: the current)."""
    conn = connection_of(session)
    head = head or tree_head(conn)
    if not seqs:
        return []
    bad = [s for s in seqs if not 1 <= s <= head.size]
    if bad:
        raise NotFoundError(f"no audit entry {bad[0]} in a log of {head.size} entries",
                            fix=f"ask for an entry from 1 to {head.size}")
    rows = {int(r.seq): r for start in range(0, len(seqs), 500)
            for r in conn.execute(select(_LOG).where(_LOG.c.seq.in_(seqs[start:start + 500])))}
    ranges = [merkle.inclusion_ranges(s - 1, head.size) for s in seqs]
    hashes = iter(_range_hashes(conn, [r for rs in ranges for r in rs]))
    out = []
    for s, rs in zip(seqs, ranges, strict=True):
        row = rows[s]
        out.append(InclusionProof(seq=s, leaf=_row_leaf(row).decode("utf-8"),
                                  leaf_hash=bytes.fromhex(row.leaf_hash), tree_size=head.size,
                                  root=head.root, proof=[next(hashes) for _ in rs]))
    return out


def inclusion_proof(session: Session | Connection, seq: int,
                    size: int | None = None) -> InclusionProof:
    """The inclusion proof of entry ``seq`` in the tree of ``size`` entries (default: all)."""
    conn = connection_of(session)
    head = tree_head(conn) if size is None else TreeHead(size, root_at(conn, size))
    return inclusion_proofs(conn, [seq], head)[0]


def consistency_proof(session: Session | Connection, first: int, second: int) -> list[bytes]:
    """The proof that the tree of ``second`` entries extends the tree of ``first``."""
    return _range_hashes(connection_of(session), merkle.consistency_ranges(first, second))


@dataclass(frozen=True)
class AuditReport:
    """Outcome of a verification: ``ok``, entries intact, the first broken entry and why.

    ``count`` is the number of entries found intact before ``first_broken_seq`` (all of them
    when ``ok``); ``root`` is the root of those entries.
    """

    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str | None = None
    root: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
            "root": self.root.hex() if self.root is not None else None,
        }


def _walk(session: Session | Connection, batch_size: int) -> Iterator[Any]:
    stmt = select(_LOG).order_by(_LOG.c.seq).execution_options(yield_per=batch_size)
    yield from connection_of(session).execute(stmt)


def verify_log(session: Session | Connection, *, batch_size: int = 5000) -> AuditReport:
    """Recompute every leaf from its entry, every cached subtree hash and the root.

    The first entry that is missing, whose content does not hash to its stored leaf hash, or
    whose stored subtree hashes are wrong is named; then the head is compared with the root
    and size of the entries, and every consent row with its grant and revocation entries.
    ``O(n)`` reads and hashes, streamed.
    """
    report, consents = _verify_tree(session, batch_size)
    if report.ok:
        problem = _check_consents(connection_of(session), consents)
        if problem:
            return AuditReport(False, report.count, None, problem, report.root)
    return report


def _verify_tree(session: Session | Connection,
                 batch_size: int) -> tuple[AuditReport, dict[str, dict[str, Any]]]:
    frontier = merkle.Frontier()
    expected = 1
    consents: dict[str, dict[str, Any]] = {}
    for row in _walk(session, batch_size):
        intact = expected - 1
        if row.seq != expected:
            return AuditReport(False, intact, expected,
                               f"entry {expected} is missing (the next entry is {row.seq})",
                               frontier.root()), consents
        leaf = merkle.leaf_hash(_row_leaf(row))
        if leaf.hex() != row.leaf_hash:
            return AuditReport(False, intact, row.seq,
                               f"entry {row.seq} does not match its leaf hash: its content was "
                               "changed after it was written", frontier.root()), consents
        completed = frontier.push(leaf)
        if _nodes_text(completed) != (row.nodes or ""):
            return AuditReport(False, intact, row.seq, f"entry {row.seq} holds wrong subtree "
                               "hashes", frontier.root()), consents
        if row.action in ("consent.grant", "consent.revoke"):
            consent_id = json.loads(row.detail).get("consent_id")
            if isinstance(consent_id, str):
                consents.setdefault(consent_id, {}).setdefault(row.action, []).append(row)
        expected += 1
    count = expected - 1
    head = tree_head(session)
    if head.size != count:
        return AuditReport(False, min(count, head.size), min(count, head.size) + 1,
                           f"the log holds {count} entries but its head records {head.size}",
                           frontier.root()), consents
    if head.root != frontier.root():
        return AuditReport(False, count, None,
                           f"the head's root hash is not the root of the {count} entries",
                           frontier.root()), consents
    return AuditReport(True, count, root=frontier.root()), consents


_CONSENTS = cast(Table, Consent.__table__)


def _check_consents(conn: Connection, logged: dict[str, dict[str, Any]]) -> str | None:
    """Whether every consent row is what its log entries say (the partner read trusts them).

    A consent made or changed by hand (un-revoked, extended, moved to another partner or
    purpose), or granted or revoked twice in the log, is named. Consents deleted with their
    partner are not an error.
    """
    for consent_id, actions in logged.items():
        for action, rows in actions.items():
            if len(rows) > 1:
                return (f"entry {rows[1].seq} repeats the {action} of consent {consent_id} "
                        f"(entry {rows[0].seq}): one of them was forged")
    for c in conn.execute(select(_CONSENTS).order_by(_CONSENTS.c.created_at, _CONSENTS.c.id)):
        entries = logged.get(c.id, {})
        grant = entries.get("consent.grant", [None])[0]
        revoke = entries.get("consent.revoke", [None])[0]
        if grant is None:
            return f"consent {c.id} has no consent.grant entry in the log: it was made by hand"
        detail = json.loads(grant.detail)
        expires = c.expires_at.isoformat() if c.expires_at is not None else None
        if ((grant.person_id, detail.get("partner_id"), detail.get("purpose"),
             detail.get("expires_at"), grant.at) !=
                (c.person_id, c.partner_id, c.purpose, expires, c.created_at)):
            return (f"consent {c.id} differs from its consent.grant entry {grant.seq}: it was "
                    "changed by hand")
        if c.revoked_at is None and revoke is not None:
            return (f"consent {c.id} was revoked by entry {revoke.seq} but is live again in the "
                    "consents table")
        if c.revoked_at is not None and (revoke is None or revoke.at != c.revoked_at):
            return f"consent {c.id}'s revocation differs from the log"
    return None


def verify_against(session: Session, size: int, root: bytes, signed_at: datetime,
                   *, batch_size: int = 5000) -> AuditReport:
    """Check the log as :func:`verify_log` does, then that it extends a checkpoint.

    The checkpoint (its signature already checked by the caller) says the log had ``size``
    entries with root ``root`` when it was signed at ``signed_at``. The log must still hold
    them (a consistency proof from ``size`` to today's size, checked against both roots), and
    no later entry may be dated before the checkpoint's last entry (entry ``size``) by more than
    :data:`CLOCK_SLACK`: such an entry was added afterwards with a false date.
    """
    report, consents = _verify_tree(session, batch_size)
    if not report.ok:
        return report
    n, current = report.count, report.root or merkle.EMPTY_ROOT
    when = signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if n < size:
        return AuditReport(False, n, n + 1,
                           f"the log holds {n} entries but the checkpoint signed {when} has "
                           f"{size}: entries {n + 1} to {size} were removed", current)
    proof = consistency_proof(session, size, n)
    if not merkle.verify_consistency(size, n, root, current, proof):
        return AuditReport(False, 0, None,
                           f"the log does not extend the checkpoint signed {when}: among its "
                           f"first {size} entries some were changed, reordered, inserted or "
                           "removed", current)
    if size < n:
        conn = connection_of(session)
        last = conn.execute(select(_LOG.c.at).where(_LOG.c.seq == size)).scalar()
        if last is not None:
            early = conn.execute(
                select(_LOG.c.seq, _LOG.c.at).where(_LOG.c.seq > size,
                                                    _LOG.c.at < last - CLOCK_SLACK)
                .order_by(_LOG.c.seq).limit(1)).first()
            if early is not None:
                return AuditReport(
                    False, int(early.seq) - 1, int(early.seq),
                    f"entry {early.seq} is dated {early.at:%Y-%m-%d %H:%M:%S}, before the last "
                    f"entry of the checkpoint signed {when} that does not hold it: it was "
                    "added later with a false date", current)
    problem = _check_consents(connection_of(session), consents)
    if problem:
        return AuditReport(False, n, None, problem, current)
    return AuditReport(True, n, root=current)


def check_head(session: Session) -> AuditReport:
    """A quick check for the app's start: do the head and the stored tree agree?

    It catches a log cut short or a head moved by hand (the full walk is :func:`verify_log`,
    ``benne audit verify``); it reads ``O(log n)`` rows, however long the log.
    """
    conn = session.connection()
    head = tree_head(conn)
    last = conn.execute(select(_LOG.c.seq).order_by(_LOG.c.seq.desc()).limit(1)).scalar()
    last_seq = int(last) if last is not None else 0
    if last_seq != head.size:
        return AuditReport(False, min(last_seq, head.size), min(last_seq, head.size) + 1,
                           f"the log ends at entry {last_seq} but its head records {head.size}")
    try:
        root = root_at(conn, head.size)
    except StoreError as exc:
        return AuditReport(False, 0, None, exc.message)
    if root != head.root:
        return AuditReport(False, 0, None, "the head's root hash is not the root of the tree")
    return AuditReport(True, head.size, root=root)


def rebuild_tree(session: Session | Connection, *, batch_size: int = 5000) -> TreeHead:
    """Recompute every leaf hash, subtree cache and the head from the entries as they are.

    For the migration from the older hash-chain schema. Note what it means: anyone who can
    write the database can make it self-consistent again after changing it, which is why a
    log is verified against checkpoints held by others.
    """
    conn = connection_of(session)
    frontier = merkle.Frontier()
    updates: list[dict[str, Any]] = []
    stmt = (_LOG.update().where(_LOG.c.seq == bindparam("s"))
            .values(leaf_hash=bindparam("lh"), nodes=bindparam("nd")))
    rows = conn.execute(select(_LOG).order_by(_LOG.c.seq)).all()
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected:
            raise StoreError(f"the audit log has no entry {expected} (the next is {row.seq})",
                             fix="restore the database from a backup")
        leaf = merkle.leaf_hash(_row_leaf(row))
        updates.append({"s": row.seq, "lh": leaf.hex(), "nd": _nodes_text(frontier.push(leaf))})
        if len(updates) >= batch_size:
            conn.execute(stmt, updates)
            updates = []
    if updates:
        conn.execute(stmt, updates)
    head = TreeHead(frontier.size, frontier.root())
    if conn.execute(_SELECT_HEAD).first() is None:
        conn.execute(_HEAD.insert().values(id=1, seq=head.size, hash=head.root.hex()))
    else:
        conn.execute(_HEAD.update().where(_HEAD.c.id == 1)
                     .values(seq=head.size, hash=head.root.hex()))
    _hints.set(conn.engine, _Hint(head.size, head.root.hex(), frontier))
    return head

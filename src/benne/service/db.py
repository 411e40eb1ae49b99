"""The service database: SQLAlchemy 2 models, engine and sessions.

Tables are created with ``metadata.create_all`` when the app starts (and by every CLI command
and Python entry point that opens the database). The schema grows by new tables and new
nullable columns; :func:`make_engine` adds a missing nullable column to a database made by an
older benne. The one column change so far, the audit log's move from a hash chain to a Merkle
tree, is migrated in place by :mod:`benne.service.audit_migration` when the database is opened.

A SQLite file is created readable by its owner only (0600): it holds the hashes of every key
and token, the consents and the access log.

SQLite is the default and PostgreSQL the production backend. Two details make the audit log
safe under concurrency on both:

- SQLite transactions start with ``BEGIN IMMEDIATE`` (the SQLAlchemy pysqlite recipe), so
  writers queue on the database lock instead of failing on a stale snapshot; within one process
  they queue on a lock first, across processes on SQLite's busy timeout.
- Appending to the audit log updates the one ``audit_head`` row only where it still holds the
  head the appender built on, which serialises appends across PostgreSQL connections and
  processes (see :mod:`benne.service.audit`). The row is made with the tables, so two first
  appends cannot race to create it.

A SQLite file runs with ``journal_mode=WAL`` and ``synchronous=NORMAL``: readers of other
processes are not blocked by the writer, and a commit appends to the WAL without waiting for
the disk (the fsync happens at checkpoints), which the partner read's one write per request
needs. The trade-off: after an application or OS crash the database is intact with every
commit, but on power loss (or a kernel panic) the last transactions before the checkpoint can
be lost. Each is lost whole, audit entries and head together, so the audit log stays valid
and only ends earlier; no head is kept across restarts (each process reads it from the
database) and the app checks on start that the head names the last entry. Where a lost
read record is not acceptable, use PostgreSQL (synchronous commit) or set
``synchronous=FULL``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from benne.exceptions import StoreError

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Base",
    "BusyError",
    "Consent",
    "Dispute",
    "MerchantScore",
    "Partner",
    "PersonToken",
    "Score",
    "connection_of",
    "make_engine",
    "make_sessionmaker",
    "opened",
    "session_scope",
]


WRITER_WAIT_SECONDS = 5.0


class BusyError(StoreError):
    """The database is busy (locked, out of connections): HTTP 503 with ``Retry-After``.

    The message never names the lock holder, a path or a process: only that it is busy.
    """

    http_status = 503
    code = "busy"
    retry_after = 1


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata.create_all`` makes every table."""


class Partner(Base):
    """A lender, landlord, hotel or employer that reads scores; only its key's hash is kept."""

    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # A disabled partner's key is refused until it is enabled again; a deleted partner's key
    # hash is wiped and its consents revoked, the row stays so the access log can name it.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    key_rotated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PersonToken(Base):
    """A bearer token of a person; only its hash is kept."""

    __tablename__ = "person_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Consent(Base):
    """A person's permission for one partner to read their score for one purpose."""

    __tablename__ = "consents"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_consents_lookup", "person_id", "partner_id", "purpose"),)


class Score(Base):
    """One scored run of one person; every run is kept, so this is also the history."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(20))
    pd: Mapped[float] = mapped_column(Float)
    dim_credit_history: Mapped[float | None] = mapped_column(Float, nullable=True)
    dim_behaviour: Mapped[float | None] = mapped_column(Float, nullable=True)
    dim_fulfilment: Mapped[float | None] = mapped_column(Float, nullable=True)
    dim_identity: Mapped[float | None] = mapped_column(Float, nullable=True)
    dim_relationships: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("person_id", "as_of", "model_version", name="uq_scores_run"),
        Index("ix_scores_person", "person_id", "as_of"),
    )


class MerchantScore(Base):
    """One scored run of one shop, with the owner whose consent opens it to partners."""

    __tablename__ = "merchant_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(200))
    owner_person_id: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(20))
    pd: Mapped[float] = mapped_column(Float)
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("merchant_id", "as_of", "model_version", name="uq_merchant_scores_run"),
        Index("ix_merchant_scores_merchant", "merchant_id", "as_of"),
        Index("ix_merchant_scores_owner", "owner_person_id"),
    )


class Dispute(Base):
    """A person's claim that a record held on them is wrong."""

    __tablename__ = "disputes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open, upheld, rejected
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The reinvestigation deadline: an open dispute still unverified then holds the record out.
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_disputes_record", "source", "record_id"),)


class AuditEntry(Base):
    """One entry of the audit log, a leaf of its Merkle tree (see :mod:`benne.service.audit`).

    ``leaf_hash`` is the RFC 6962 hash of the entry's canonical form; ``nodes`` caches the
    hashes of the perfect subtrees that end at this entry (levels 1, 2, ..., hex, concatenated),
    so proofs read ``O(log n)`` rows. Both are recomputed from the entries by ``verify``.
    """

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed exactly as stored
    leaf_hash: Mapped[str] = mapped_column(String(64))
    nodes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_audit_person", "person_id", "action"),)


class AuditHead(Base):
    """The tree's size and root hash: the append lock, and it reveals rows cut off the end."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    # SQLite has one writer at a time. Threads of this process queue on a lock, which wakes the
    # next one as soon as the last commits; left to SQLite's busy handler they would sleep in
    # growing steps (1, 2, 5, 10 ... 100 ms) and the queue would build up under load.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if not writer.acquire(timeout=WRITER_WAIT_SECONDS):
            raise BusyError("the service is busy", fix="retry after the time in Retry-After")
        conn.info["benne_writer"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end(conn)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        if conn.info.pop("benne_writer", False):
            writer.release()


def _private_sqlite_file(url: URL) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask: 0644)."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _add_missing_columns(engine: Engine) -> None:
    """Add the nullable columns a database made by an older benne lacks."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    missing = []
    for table in Base.metadata.sorted_tables:
        held = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [(table.name, c) for c in table.columns if c.name not in held and c.nullable]
    if not missing:
        return
    with engine.begin() as conn:
        for name, column in missing:
            kind = column.type.compile(dialect=engine.dialect)
            conn.exec_driver_sql(f'ALTER TABLE {name} ADD COLUMN "{column.name}" {kind}')


def make_engine(database_url: str, *, create: bool = True) -> Engine:
    """An engine for ``database_url`` with the tables created (``create_all`` is idempotent)."""
    kwargs: dict[str, Any] = {}
    if database_url.startswith("postgresql"):
        # No pre-ping: it is a round trip before every checkout, and the partner read is two
        # round trips in all. A connection the server dropped (a restart, an idle timeout) is
        # found on use instead: SQLAlchemy then discards the pool's connections, that one
        # request answers 503 with Retry-After, and the retry gets a fresh connection.
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=False)
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    elif database_url.startswith("sqlite"):
        kwargs.update(pool_size=20, max_overflow=20)
    engine = create_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        _private_sqlite_file(engine.url)
        _sqlite_pragmas(engine)
    if create:
        from benne.service.audit_migration import migrate

        Base.metadata.create_all(engine)
        _add_missing_columns(engine)
        migrate(engine)  # an audit log of the older hash-chain schema becomes a Merkle tree
        _make_audit_head(engine)
    return engine


def _make_audit_head(engine: Engine) -> None:
    """The head row of an empty audit log; a no-op when it exists, even if made concurrently."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialects: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    insert = dialects.get(engine.dialect.name)
    if insert is None:  # other databases make the row on the first append
        return
    from benne.service.merkle import EMPTY_ROOT

    stmt = insert(AuditHead).values(id=1, seq=0, hash=EMPTY_ROOT.hex()).on_conflict_do_nothing()
    with engine.begin() as conn:
        conn.execute(stmt)


def connection_of(db: Session | Connection) -> Connection:
    """The connection of a session's transaction, or the connection itself.

    The domain functions on the partner read's path take either: the read runs on a bare Core
    connection, because the ORM session's own bookkeeping (begin, commit, close) measured at
    about a tenth of the read's CPU; everything else passes its session.
    """
    return db if isinstance(db, Connection) else db.connection()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def opened(database_url: str) -> Iterator[Session]:
    """One transaction on ``database_url`` for a command: the engine is made and disposed here."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()

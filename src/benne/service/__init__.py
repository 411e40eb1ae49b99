"""The scoring service: partner API under consent, the person's rights and page, the audit log.

Python entry points for other stages and ``benne demo``; each opens the database at
``database_url`` (creating the tables if needed) and commits before it returns::

    partner_id, key = create_partner("sqlite:///service.sqlite", "Acme Lending")
    token = issue_person_token("sqlite:///service.sqlite", "P000001")
    consent_id = grant_consent("sqlite:///service.sqlite", "P000001", partner_id, "credit")
    load_scores("sqlite:///service.sqlite", Path("scores.parquet"), model_dir=Path("model"))
    serve(load_settings())   # blocks; prints the URLs

The domain modules :mod:`benne.service.consent`, :mod:`benne.service.audit` and
:mod:`benne.service.disputes` are plain functions over a SQLAlchemy session, for the batch.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benne.config import Settings
    from benne.service.app import create_app
    from benne.service.audit import AuditReport

__all__ = [
    "AuditReport",
    "create_app",
    "create_partner",
    "fast_server_options",
    "grant_consent",
    "issue_person_token",
    "load_scores",
    "resolve_dispute",
    "serve",
    "urls",
    "verify_audit",
]


def __getattr__(name: str) -> Any:
    # Lazy, so `benne --help` (which imports benne.service.cli) does not import FastAPI.
    if name == "create_app":
        from benne.service.app import create_app

        return create_app
    if name == "AuditReport":
        from benne.service.audit import AuditReport

        return AuditReport
    raise AttributeError(name)


def _sessions(database_url: str):  # type: ignore[no-untyped-def]
    from benne.service.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    return engine, make_sessionmaker(engine)


def create_partner(database_url: str, name: str) -> tuple[str, str]:
    """Create a partner; returns ``(partner_id, key)``. The key is shown only this once."""
    from benne.service import audit
    from benne.service.db import session_scope
    from benne.service.deps import utcnow
    from benne.service.keys import new_partner

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            now = utcnow()
            partner, key = new_partner(session, name, now=now)
            audit.append(session, at=now, actor="admin", action="partner.create",
                         detail={"partner_id": partner.id})
            return partner.id, key
    finally:
        engine.dispose()


def issue_person_token(database_url: str, person_id: str) -> str:
    """Issue a bearer token for ``person_id`` (stored hashed); returns the token."""
    from benne.service.db import session_scope
    from benne.service.deps import utcnow
    from benne.service.keys import new_person_token

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            return new_person_token(session, person_id, now=utcnow())
    finally:
        engine.dispose()


def grant_consent(
    database_url: str,
    person_id: str,
    partner_id: str,
    purpose: str,
    expires_at: datetime | None = None,
) -> str:
    """Record the person's consent for the partner and purpose (audited); returns its id."""
    from benne.service import consent
    from benne.service.db import session_scope
    from benne.service.deps import utcnow

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            row = consent.grant(session, person_id=person_id, partner_id=partner_id,
                                purpose=purpose, expires_at=expires_at, now=utcnow())
            return row.id
    finally:
        engine.dispose()


def load_scores(database_url: str, scores_file: Path, *, model_dir: Path | None = None) -> int:
    """Load a scores Parquet file (idempotent per person, as_of, model version); rows added."""
    from benne.service.db import session_scope
    from benne.service.deps import utcnow
    from benne.service.scores import load_reason_catalogue, load_scores_file

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            return load_scores_file(session, Path(scores_file), now=utcnow(),
                                    catalogue=load_reason_catalogue(model_dir))
    finally:
        engine.dispose()


def resolve_dispute(
    database_url: str, dispute_id: str, status: str, *, store: Path | None = None
) -> str:
    """Close a dispute as ``upheld`` or ``rejected`` (rejected lifts the exclusion)."""
    from benne.service import disputes
    from benne.service.db import session_scope
    from benne.service.deps import utcnow

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            row = disputes.resolve(session, dispute_id=dispute_id, status=status, now=utcnow(),
                                   store_path=store)
            return row.status
    finally:
        engine.dispose()


def verify_audit(database_url: str) -> AuditReport:
    """Recompute the audit log's Merkle tree; the report names the first broken entry."""
    from benne.service import audit
    from benne.service.db import session_scope

    engine, sessions = _sessions(database_url)
    try:
        with session_scope(sessions) as session:
            return audit.verify_log(session)
    finally:
        engine.dispose()


def urls(host: str, port: int) -> dict[str, str]:
    """The addresses ``benne serve`` prints."""
    base = f"http://{host}:{port}"
    return {"person": f"{base}/", "partner": f"{base}/partner", "docs": f"{base}/docs",
            "openapi": f"{base}/openapi.json"}


def serve(settings: Settings, *, log_level: str = "WARNING", workers: int = 1) -> None:
    """Run the app with uvicorn until interrupted; prints the URLs first.

    ``log_level`` INFO adds one line per request. uvicorn's access log is off because it
    prints raw paths, which hold person ids; the app's own request log names route templates
    and partner ids only.

    ``workers`` > 1 runs that many processes on one socket, so the service can use more than
    one core; the audit log stays one tree across them (see :mod:`benne.service.audit`),
    but each worker keeps its own rate-limit budget. It is for PostgreSQL: SQLite has one
    writer, and processes waiting for its lock poll in sleeps of up to 100 ms, which stalls the
    partner read's event loop (measured: a worse p99 than one worker). The tables and the
    settings' scores file are then made and loaded once here, before the workers start, so
    they do not race to do it.
    """
    import os

    import uvicorn

    from benne import console
    from benne.service.app import SETTINGS_ENV, create_app

    links = urls(settings.host, settings.port)
    console.emit(
        {"urls": links},
        "benne is serving:\n"
        + "\n".join(f"  {name:8} {url}" for name, url in links.items()),
    )
    logging_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "plain",
                             "stream": "ext://sys.stderr"}},
        "loggers": {"benne.service": {"handlers": ["err"], "level": log_level.upper()},
                    "uvicorn.error": {"handlers": ["err"], "level": "INFO"}},
    }
    options: dict[str, Any] = {"host": settings.host, "port": settings.port,
                               "access_log": False, "log_config": logging_config,
                               **fast_server_options()}
    if workers <= 1:
        uvicorn.run(create_app(settings), workers=1, **options)
        return
    from benne.service.db import make_engine

    make_engine(settings.database_url).dispose()
    if settings.scores is not None and settings.scores.is_file():
        load_scores(settings.database_url, settings.scores, model_dir=settings.model_dir)
        settings = settings.model_copy(update={"scores": None})
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run("benne.service.app:create_app_from_environment", factory=True, workers=workers,
                **options)


def fast_server_options() -> dict[str, Any]:
    """uvicorn's C HTTP parser and event loop (``httptools``, ``uvloop``) where installed.

    They roughly halve the server's own CPU per request next to the pure-Python ``h11`` parser
    and the asyncio loop; without them (e.g. uvloop on Windows) uvicorn's defaults are used.
    """
    from importlib.util import find_spec

    options: dict[str, Any] = {}
    if find_spec("httptools") is not None:
        options["http"] = "httptools"
    if find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    return options

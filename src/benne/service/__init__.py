"""The scoring service: partner API under consent, the person's rights and page, the audit log.

Python entry points for other stages and ``benne demo``; each opens the database at
``database_url`` (creating the tables if needed) and commits before it returns::

    partner_id, key = create_partner("sqlite:///service.sqlite", "Acme Lending")
    token = issue_person_token("sqlite:///service.sqlite", "P000001")
    change_partner("sqlite:///service.sqlite", partner_id, "rotate-key")  # -> the new key
    consent_id = grant_consent("sqlite:///service.sqlite", "P000001", partner_id, "credit")
    load_scores("sqlite:///service.sqlite", Path("scores.parquet"), model_dir=Path("model"))
    serve(load_settings())   # blocks; prints the URLs

The domain modules :mod:`benne.service.consent`, :mod:`benne.service.audit` and
:mod:`benne.service.disputes` are plain functions over a SQLAlchemy session, for the batch;
:func:`apply_dispute_holds` is how the batch reads the disputes before it builds features.
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
    "apply_dispute_holds",
    "change_partner",
    "create_app",
    "create_partner",
    "fast_server_options",
    "grant_consent",
    "issue_person_token",
    "list_partners",
    "load_scores",
    "resolve_dispute",
    "revoke_person_tokens",
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


def _now() -> datetime:
    from benne.service.deps import utcnow

    return utcnow()


def _audit(session: Any, action: str, *, person_id: str | None = None, **detail: Any) -> None:
    from benne.service import audit

    audit.append(session, at=_now(), actor="admin", action=action, person_id=person_id,
                 detail=detail)


def create_partner(database_url: str, name: str) -> tuple[str, str]:
    """Create a partner; returns ``(partner_id, key)``. The key is shown only this once."""
    from benne.service.db import opened
    from benne.service.keys import new_partner

    with opened(database_url) as session:
        partner, key = new_partner(session, name, now=_now())
        _audit(session, "partner.create", partner_id=partner.id)
        return partner.id, key


def list_partners(database_url: str) -> list[dict[str, Any]]:
    """Every partner: id, name, status (active, disabled, deleted) and the dates of changes."""
    from sqlalchemy import select

    from benne.service.db import Partner, opened
    from benne.service.keys import partner_status

    with opened(database_url) as session:
        rows = session.execute(select(Partner).order_by(Partner.created_at, Partner.id)).scalars()
        return [{"partner_id": p.id, "name": p.name, "status": partner_status(p),
                 "created_at": p.created_at.isoformat(timespec="seconds"),
                 "key_rotated_at": p.key_rotated_at.isoformat(timespec="seconds")
                 if p.key_rotated_at else None} for p in rows]


def change_partner(database_url: str, partner_id: str, change: str) -> str | None:
    """``disable``, ``enable``, ``rotate-key`` or ``delete`` a partner (audited).

    Returns the new key for ``rotate-key`` (shown only this once), else None. A running service
    refuses a disabled, deleted or replaced key within a second. ``delete`` wipes the key hash
    and revokes the partner's live consents; the row stays so access logs can still name it.
    """
    from sqlalchemy import select

    from benne.exceptions import ConflictError, InputError
    from benne.service import consent
    from benne.service.db import Consent, opened
    from benne.service.keys import find_partner, partner_status, rotate_partner_key

    if change not in ("disable", "enable", "rotate-key", "delete"):
        raise InputError(f"unknown partner change {change!r}",
                         fix="use disable, enable, rotate-key or delete")
    with opened(database_url) as session:
        partner = find_partner(session, partner_id)
        status, now = partner_status(partner), _now()
        if status == "deleted":
            raise ConflictError(f"partner {partner_id} is deleted",
                                fix="create a new partner with `benne partners add`")
        key = None
        if change == "disable":
            partner.disabled_at = partner.disabled_at or now
        elif change == "enable":
            partner.disabled_at = None
        elif change == "rotate-key":
            key = rotate_partner_key(session, partner, now=now)
        else:
            partner.deleted_at, partner.key_hash = now, ""
            live = select(Consent).where(Consent.partner_id == partner_id,
                                         Consent.revoked_at.is_(None))
            for row in session.execute(live).scalars():
                consent.revoke(session, person_id=row.person_id, consent_id=row.id, now=now,
                               actor="admin")
        _audit(session, f"partner.{change}", partner_id=partner_id)
        return key


def issue_person_token(database_url: str, person_id: str, *,
                       expires_at: datetime | None = None) -> str:
    """Issue a bearer token for ``person_id`` (stored hashed, audited); returns the token."""
    from benne.service.db import opened
    from benne.service.keys import new_person_token

    with opened(database_url) as session:
        token_id, token = new_person_token(session, person_id, now=_now(),
                                           expires_at=expires_at)
        _audit(session, "token.issue", person_id=person_id, token_id=token_id,
               expires_at=expires_at.isoformat(timespec="seconds") if expires_at else None)
        return token


def revoke_person_tokens(database_url: str, *, token_id: str | None = None,
                         person_id: str | None = None) -> int:
    """Revoke one token (by its id, the part before the dot) or every token of a person.

    Audited; a running service refuses the token from its next request. Returns how many
    tokens were live and are now revoked.
    """
    from sqlalchemy import select

    from benne.exceptions import InputError, NotFoundError
    from benne.service.db import PersonToken, opened

    if (token_id is None) == (person_id is None):
        raise InputError("give a token id or --person, not both",
                         fix="e.g. `benne people revoke-token tk_1a2b...` "
                             "or `benne people revoke-token --person P000001`")
    with opened(database_url) as session:
        if token_id is not None:
            token_id = token_id.split(".", 1)[0]  # the whole token works too
            row = session.get(PersonToken, token_id)
            if row is None:
                raise NotFoundError(f"no person token with id {token_id[:50]!r}",
                                    fix="give the id printed by `benne people token`")
            rows = [row]
        else:
            rows = list(session.execute(
                select(PersonToken).where(PersonToken.person_id == person_id)).scalars())
        now, revoked = _now(), 0
        for row in rows:
            if row.revoked_at is None:
                row.revoked_at, revoked = now, revoked + 1
                _audit(session, "token.revoke", person_id=row.person_id, token_id=row.id)
        return revoked


def grant_consent(
    database_url: str,
    person_id: str,
    partner_id: str,
    purpose: str,
    expires_at: datetime | None = None,
) -> str:
    """Record the person's consent for the partner and purpose (audited); returns its id."""
    from benne.service import consent
    from benne.service.db import opened

    with opened(database_url) as session:
        row = consent.grant(session, person_id=person_id, partner_id=partner_id,
                            purpose=purpose, expires_at=expires_at, now=_now())
        return row.id


def load_scores(database_url: str, scores_file: Path, *, model_dir: Path | None = None) -> int:
    """Load a scores Parquet file (idempotent per person, as_of, model version); rows added."""
    from benne.service.db import opened
    from benne.service.scores import load_reason_catalogue, load_scores_file

    with opened(database_url) as session:
        return load_scores_file(session, Path(scores_file), now=_now(),
                                catalogue=load_reason_catalogue(model_dir))


def resolve_dispute(database_url: str, dispute_id: str, status: str) -> str:
    """Close a dispute as ``upheld`` (the record is held out of scoring) or ``rejected``."""
    from benne.service import disputes
    from benne.service.db import opened

    with opened(database_url) as session:
        return disputes.resolve(session, dispute_id=dispute_id, status=status, now=_now()).status


def apply_dispute_holds(database_url: str, store: Path, *, now: datetime | None = None) -> int:
    """Copy the dispute holds of the service database into the store's ``excluded_records``.

    The batch calls this before it builds features: a record is held out while a dispute on it
    is upheld, or open past its deadline. A service database that does not exist (a SQLite file
    not made yet) holds no disputes. Returns the number of records held.
    """
    from sqlalchemy.engine import make_url

    from benne.service import disputes
    from benne.service.db import opened
    from benne.store import dispute_holds_in, open_store, replace_dispute_holds

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        holds: list[Any] = []
    else:
        with opened(database_url) as session:
            holds = disputes.holds(session, now or _now())
    if dispute_holds_in(store) == {(h.source, h.record_id, h.reason) for h in holds}:
        return len(holds)  # nothing to change: the store is not opened for writing
    con = open_store(store)
    try:
        return replace_dispute_holds(con, holds)
    finally:
        con.close()


def verify_audit(database_url: str) -> AuditReport:
    """Recompute the audit log's Merkle tree; the report names the first broken entry."""
    from benne.service import audit
    from benne.service.db import opened

    with opened(database_url) as session:
        return audit.verify_log(session)


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
    Either way the request head is limited (:mod:`benne.service.protocol`).
    """
    from importlib.util import find_spec

    from benne.service.protocol import MAX_HEAD_BYTES

    options: dict[str, Any] = {"h11_max_incomplete_event_size": MAX_HEAD_BYTES,
                               "timeout_keep_alive": 5}
    if find_spec("httptools") is not None:
        from benne.service.protocol import LimitedHttpToolsProtocol

        options["http"] = LimitedHttpToolsProtocol
    if find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    return options

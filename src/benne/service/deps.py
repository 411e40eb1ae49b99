"""Dependencies of the routes: settings, clock, credentials, and one transaction per request.

Everything the app holds (engine, sessions, limiter) lives on ``app.state``, made in the
lifespan; routes reach it only through these functions, which tests override
(``app.dependency_overrides[get_clock] = ...``).

Roles: a partner sends its key in ``X-API-Key``; a person sends ``Authorization: Bearer
<token>``; the admin sends the settings' ``admin_key`` in ``X-Admin-Key``. The dependencies only
read the headers (on the event loop); each route then opens **one** transaction in its own
worker thread (the partner read: on the loop itself, see :mod:`benne.service.routes.partner`)
and authenticates inside it. A transaction must never span two threadpool hops or an
``await``: on SQLite it holds the write lock, and a lock holder waiting for a free thread (or
the loop) while every thread waits for the lock is a deadlock.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from benne.config import Settings
from benne.exceptions import AuthError, ForbiddenError, RateLimitError
from benne.service.db import session_scope
from benne.service.keys import authenticate_partner, authenticate_person

__all__ = [
    "AdminDep",
    "ClockDep",
    "PartnerKey",
    "PersonCredentials",
    "SettingsDep",
    "get_clock",
    "get_settings",
    "partner_of",
    "person_of",
    "require_admin",
    "transaction",
    "utcnow",
    "write_connection",
]


def utcnow() -> datetime:
    """The service's one clock: naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_clock() -> Callable[[], datetime]:
    return utcnow


def transaction(request: Request) -> AbstractContextManager[Session]:
    """The request's one transaction: committed on success, rolled back on any error."""
    return session_scope(request.app.state.sessions)


def write_connection(request: Request) -> AbstractContextManager[Connection]:
    """A bare Core connection in one transaction, for the partner read (see ``connection_of``)."""
    return request.app.state.engine.begin()  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]

_partner_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                            description="Partner key from `benne partners add`.")
_bearer = HTTPBearer(auto_error=False, description="Person token from `benne people token`.")
_admin_key = APIKeyHeader(name="X-Admin-Key", auto_error=False,
                          description="The admin_key of the settings.")

PartnerKey = Annotated[str | None, Depends(_partner_key)]
PersonCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def partner_of(request: Request, session: Session | Connection, key: str | None) -> str:
    """The calling partner's id, after its rate limit; the partner id is the only id logged."""
    partner_id = authenticate_partner(session, key, request.app.state.partner_hashes)
    request.state.partner_id = partner_id
    limiter = request.app.state.limiter
    wait = limiter.acquire(partner_id)
    if wait:
        err = RateLimitError(f"more than {limiter.per_minute} requests a minute",
                             fix=f"retry after {wait} s")
        err.retry_after = wait  # type: ignore[attr-defined]
        raise err
    return partner_id


def person_of(session: Session, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The person id of the bearer token."""
    return authenticate_person(session, credentials.credentials if credentials else None)


async def require_admin(
    settings: SettingsDep, key: Annotated[str | None, Depends(_admin_key)]
) -> None:
    if not settings.admin_key:
        raise ForbiddenError("admin routes are off", fix="set admin_key in the settings")
    if not key or not hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        raise AuthError("a valid admin key is required", fix="send it in X-Admin-Key")


AdminDep = Annotated[None, Depends(require_admin)]

"""Dependencies of the routes: settings, clock, session, and the three roles.

Everything the app holds (engine, sessions, limiter, reason catalogue) lives on ``app.state``,
made in the lifespan; the routes reach it only through these functions, which tests override
(``app.dependency_overrides[get_clock] = ...``).

Roles: a partner sends its key in ``X-API-Key``; a person sends ``Authorization: Bearer
<token>``; the admin sends the settings' ``admin_key`` in ``X-Admin-Key``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from benne.config import Settings
from benne.exceptions import AuthError, ForbiddenError, RateLimitError
from benne.service.db import Partner, session_scope
from benne.service.keys import authenticate_partner, authenticate_person

__all__ = [
    "AdminDep",
    "ClockDep",
    "PartnerDep",
    "PersonDep",
    "SessionDep",
    "SettingsDep",
    "get_clock",
    "get_session",
    "get_settings",
    "require_admin",
    "require_partner",
    "require_person",
    "utcnow",
]


def utcnow() -> datetime:
    """The service's one clock: naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_clock() -> Callable[[], datetime]:
    return utcnow


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with session_scope(request.app.state.sessions) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_partner_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                            description="Partner key from `benne partners add`.")
_bearer = HTTPBearer(auto_error=False, description="Person token from `benne people token`.")
_admin_key = APIKeyHeader(name="X-Admin-Key", auto_error=False,
                          description="The admin_key of the settings.")


def require_partner(
    request: Request,
    session: SessionDep,
    key: Annotated[str | None, Depends(_partner_key)],
) -> Partner:
    """The calling partner, after its rate limit; the partner id is the only id logged."""
    partner = authenticate_partner(session, key)
    request.state.partner_id = partner.id
    wait = request.app.state.limiter.acquire(partner.id)
    if wait:
        err = RateLimitError(f"more than {request.app.state.limiter.per_minute} requests a minute",
                             fix=f"retry after {wait} s")
        err.retry_after = wait  # type: ignore[attr-defined]
        raise err
    return partner


def require_person(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The person id of the bearer token."""
    return authenticate_person(session, credentials.credentials if credentials else None)


def require_admin(
    settings: SettingsDep, key: Annotated[str | None, Depends(_admin_key)]
) -> None:
    if not settings.admin_key:
        raise ForbiddenError("admin routes are off", fix="set admin_key in the settings")
    if not key or not hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        raise AuthError("a valid admin key is required", fix="send it in X-Admin-Key")


PartnerDep = Annotated[Partner, Depends(require_partner)]
PersonDep = Annotated[str, Depends(require_person)]
AdminDep = Annotated[None, Depends(require_admin)]

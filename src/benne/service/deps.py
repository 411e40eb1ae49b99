"""Dependencies of the routes: settings, clock, credentials, limits, and database work.

Everything the app holds (engine, sessions, limiters, thread pools) lives on ``app.state``,
made in the lifespan; routes reach it only through these functions, which tests override
(``app.dependency_overrides[get_clock] = ...``).

Roles: a partner sends its key in ``X-API-Key``; a person sends ``Authorization: Bearer
<token>``; the admin sends the settings' ``admin_key`` in ``X-Admin-Key``. The dependencies only
read the headers. **No database work runs on the event loop**: each route hands one function to
:func:`in_thread`, which opens **one** transaction in a worker thread, authenticates inside it
and does the route's work. A transaction never spans two threads or an ``await`` (on SQLite it
holds the write lock; a lock holder waiting for a thread while every thread waits for the lock
would be a deadlock).

Partner reads, person routes and the audit log's routes run in separate thread pools, so people
downloading their data or witnesses fetching proofs cannot take the threads partner reads need.
A request finding a pool other than the partners' full answers ``503`` with ``Retry-After`` at
once rather than queueing behind it.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from benne.config import Settings
from benne.exceptions import AuthError, ForbiddenError
from benne.service.db import BusyError, session_scope
from benne.service.keys import authenticate_partner, authenticate_person
from benne.service.middleware import rate_limited

__all__ = [
    "AdminDep",
    "ClockDep",
    "PartnerKey",
    "PersonCredentials",
    "SettingsDep",
    "get_clock",
    "get_settings",
    "in_thread",
    "partner_of",
    "person_of",
    "read_connection",
    "require_admin",
    "transaction",
    "utcnow",
    "write_connection",
]

_T = TypeVar("_T")


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
    """A bare Core connection in one transaction (see ``connection_of``)."""
    return request.app.state.engine.begin()  # type: ignore[no-any-return]


def read_connection(request: Request) -> AbstractContextManager[Connection]:
    """A bare Core connection for reads that write nothing (the partner read's checks).

    On PostgreSQL it runs in autocommit: each statement is its own snapshot and no ``BEGIN``
    or ``COMMIT`` round trip is paid. The partner read's one consent-and-score statement reads
    a consistent snapshot by itself, which is all it needs. SQLite keeps its transaction (the
    engine's writer lock orders it with the writes; see :mod:`benne.service.db`).
    """
    engine = request.app.state.engine
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(  # type: ignore[no-any-return]
            isolation_level="AUTOCOMMIT")
    return engine.begin()  # type: ignore[no-any-return]


async def in_thread(request: Request, pool: str, fn: Callable[..., _T], *args: Any) -> _T:
    """Run ``fn(*args)`` in the ``pool`` thread pool, off the loop.

    Pools: "partner" (partner reads, which queue), "person" (person routes) and "audit" (the
    log's public routes and the admin's verify, which read the whole log). Only the partner
    pool queues: in the others, when every thread is taken the request gets ``503 busy``.
    A request abandoned by its timeout leaves the thread to finish its transaction alone.
    """
    limiter: anyio.CapacityLimiter = request.app.state.pools[pool]
    if pool != "partner" and limiter.borrowed_tokens >= limiter.total_tokens:
        raise BusyError("the service is busy", fix="retry after the time in Retry-After")
    return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=limiter,
                                          abandon_on_cancel=True)


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
    partner_id = authenticate_partner(session, key, request.app.state.partner_keys)
    request.state.partner_id = partner_id
    wait = request.app.state.limits.partner.acquire(partner_id)
    if wait:
        raise rate_limited("with this partner key", wait)
    return partner_id


def person_of(request: Request, session: Session,
              credentials: HTTPAuthorizationCredentials | None, now: datetime) -> str:
    """The person id of a live bearer token, after the token's rate limit."""
    person_id, token_id = authenticate_person(
        session, credentials.credentials if credentials else None, now.replace(tzinfo=None))
    wait = request.app.state.limits.person.acquire(token_id)
    if wait:
        raise rate_limited("with this token", wait)
    return person_id


async def require_admin(
    settings: SettingsDep, key: Annotated[str | None, Depends(_admin_key)]
) -> None:
    if not settings.admin_key:
        raise ForbiddenError("admin routes are off", fix="set admin_key in the settings")
    if not key or not hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        err = AuthError("a valid admin key is required", fix="send it in X-Admin-Key")
        err.challenge = 'ApiKey realm="benne", header="X-Admin-Key"'  # type: ignore[attr-defined]
        raise err


AdminDep = Annotated[None, Depends(require_admin)]

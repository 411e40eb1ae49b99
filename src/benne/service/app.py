"""``create_app(settings)``: the FastAPI app of benne, API and web pages together.

The lifespan opens the database (creating the tables), loads the settings' scores file if one
is named, reads the model's reason catalogue, makes the rate limiters and the thread pools, and
checks that the audit head names the log's last entry (logging an error if not); nothing is
created at import time. Errors from :mod:`benne.exceptions` become ``{"error": code,
"message": ...}`` with the error's HTTP status (a 401 with ``WWW-Authenticate``, a 429 or 503
with ``Retry-After``); every malformed request (bad JSON, wrong fields) is ``invalid_request``;
unknown routes are 404; a database that is locked, unreachable or out of connections is
``503 busy`` with ``Retry-After``, and anything unexpected a 500 whose details stay out of the
response. URLs are matched exactly: no redirect is ever built from the request's ``Host``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from benne import __version__
from benne.config import Settings
from benne.exceptions import BenneError
from benne.service import audit
from benne.service.audit_writer import GroupAppender
from benne.service.db import BusyError, make_engine, make_sessionmaker, session_scope
from benne.service.deps import utcnow
from benne.service.keys import KeyCache
from benne.service.middleware import (
    AddressLimitMiddleware,
    BodyLimitMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
    TimeoutMiddleware,
)
from benne.service.ratelimit import Limits
from benne.service.routes import (
    admin,
    notices,
    partner,
    person,
    transparency,
    web,
)
from benne.service.schemas import error_responses
from benne.service.scores import load_reason_catalogue, load_scores_file
from benne.web import STATIC_DIR

__all__ = ["SETTINGS_ENV", "create_app", "create_app_from_environment"]

SETTINGS_ENV = "BENNE_SERVE_SETTINGS_JSON"

log = logging.getLogger("benne.service")

_HTTP_CODES = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed",
               401: "unauthorized", 403: "forbidden", 413: "payload_too_large",
               422: "invalid_request"}
# Threads for partner reads, and for person routes (which answer 503 when all are busy).
PARTNER_THREADS = 16
PERSON_THREADS = 4
AUDIT_THREADS = 2  # the audit log's public routes and the admin's verify


def _error_response(status: int, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _benne_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BenneError)
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = getattr(exc, "challenge", 'Bearer realm="benne"')
    if exc.http_status >= 500 and exc.http_status != 503:
        log.error("%s: %s", type(exc).__name__, exc.code)
    return _error_response(exc.http_status, exc.to_dict(), headers or None)


_BUSY_WORDS = ("locked", "busy", "connect", "timeout", "timed out", "too many", "terminat",
               "shut down", "shutting down", "server closed")


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    # A locked, unreachable or exhausted database: only the type is logged, never its text
    # (it names files, hosts and process ids). Other operational errors are unexpected.
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, OperationalError) and not any(w in text for w in _BUSY_WORDS):
        return await _unexpected(request, exc)
    log.warning("database busy: %s", type(exc).__name__)
    return await _benne_error(request, BusyError("the service is busy",
                                                 fix="retry after the time in Retry-After"))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(x) for x in first.get("loc", ()))
    return _error_response(422, {
        "error": "invalid_request",
        "message": f"{first.get('msg', 'invalid request')}"
                   + (f" ({len(errors) - 1} more)" if len(errors) > 1 else ""),
        "where": where or "request",
        "fix": "see /docs for the expected request",
    })


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    body = {"error": code, "message": str(exc.detail)}
    if code == "invalid_request":
        body["fix"] = "see /docs for the expected request"
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="benne"')
    return _error_response(exc.status_code, body, headers or None)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # Only the type: an exception's text may quote personal data.
    log.error("unexpected %s", type(exc).__name__)
    return _error_response(500, {"error": "internal_error",
                                 "message": "an unexpected error; it has been logged"})


def _lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        app.state.limits = Limits(
            partner_per_minute=settings.rate_limit_per_minute,
            person_per_minute=settings.person_rate_limit_per_minute,
            address_per_minute=settings.address_rate_limit_per_minute)
        app.state.partner_keys = KeyCache()
        app.state.pools = {"partner": anyio.CapacityLimiter(PARTNER_THREADS),
                           "person": anyio.CapacityLimiter(PERSON_THREADS),
                           "audit": anyio.CapacityLimiter(AUDIT_THREADS)}
        app.state.reasons = load_reason_catalogue(settings.model_dir)
        app.state.population_cache = {}  # the latest run's spread (routes.notices)
        app.state.audit_writer = GroupAppender(engine)  # the partner reads' audit entries
        with session_scope(app.state.sessions) as session:
            head = audit.check_head(session)
        if not head.ok:
            log.error("audit log: %s; run `benne audit verify`", head.reason)
        if settings.scores is not None and settings.scores.is_file():
            with session_scope(app.state.sessions) as session:
                added = load_scores_file(session, settings.scores, now=utcnow(),
                                         catalogue=app.state.reasons)
            log.info("loaded %d new score rows", added)
        try:
            yield
        finally:
            app.state.audit_writer.close()
            engine.dispose()

    return lifespan


def create_app(settings: Settings) -> FastAPI:
    """The app for ``settings``; the database is opened when the app starts (lifespan)."""
    app = FastAPI(
        title="benne",
        version=__version__,
        summary="Alternative-data credit scores, read by partners only under the person's consent.",
        lifespan=_lifespan(settings),
        redirect_slashes=False,
        responses=error_responses(429, 503),  # every route: limits per address, timeouts
    )
    app.state.settings = settings
    app.include_router(partner.router)  # first: the hot route is matched before the others
    app.include_router(person.router)
    app.include_router(notices.router)
    app.include_router(admin.router)
    app.include_router(transparency.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    app.add_exception_handler(BenneError, _benne_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(PoolTimeoutError, _busy)
    app.add_exception_handler(Exception, _unexpected)

    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TimeoutMiddleware)
    app.add_middleware(AddressLimitMiddleware)
    app.add_middleware(RequestLogMiddleware)
    return app


def create_app_from_environment() -> FastAPI:
    """The app of one ``benne serve --workers N`` worker, from the settings the parent passed.

    uvicorn starts workers from an import string, so :func:`benne.service.serve` hands its
    settings (already resolved from flags, environment and ``benne.toml``) over as JSON.
    """
    return create_app(Settings.model_validate_json(os.environ[SETTINGS_ENV]))

"""Pure ASGI middleware: limits per client address, request timeouts, the request-size limit,
and a request log without personal data.

The request log names the route *template* (``/v1/scores/{person_id}``), never the path, and
the partner id, never a key, token or person id; uvicorn's own access log, which prints raw
paths, is switched off by :func:`benne.service.serve`.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benne.exceptions import BenneError, InputError, RateLimitError

__all__ = [
    "MAX_BODY_BYTES",
    "client_address",
    "rate_limited",
    "REQUEST_TIMEOUT_SECONDS",
    "AddressLimitMiddleware",
    "BodyLimitMiddleware",
    "BodyTooLargeError",
    "RequestLogMiddleware",
    "SecurityHeadersMiddleware",
    "TimeoutMiddleware",
]

MAX_BODY_BYTES = 64 * 1024
REQUEST_TIMEOUT_SECONDS = 30.0
log = logging.getLogger("benne.service")


class BodyTooLargeError(InputError):
    """A request body over the limit (HTTP 413)."""

    http_status = 413
    code = "payload_too_large"


async def _send_error(send: Send, err: BenneError, *, close: bool = True) -> None:
    body = json.dumps(err.to_dict()).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    retry_after = getattr(err, "retry_after", None)
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def rate_limited(what: str, wait: int) -> RateLimitError:
    err = RateLimitError(f"too many requests {what}", fix=f"retry after {wait} s")
    err.retry_after = wait  # type: ignore[attr-defined]
    return err


class AddressLimitMiddleware:
    """Every request counts against its client address's budget; so does every failed login.

    An address over its budget, or one backing off after repeated failed authentications (any
    401 the app answered), gets ``429`` with ``Retry-After`` before the app runs. The limiter is
    read from ``app.state.limits`` (made in the lifespan).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = getattr(scope["app"].state, "limits", None)
        if limits is None:
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        wait = limits.auth.wait(address)
        if wait:
            await _send_error(send, rate_limited("after failed authentications", wait),
                              close=False)
            return
        wait = limits.address.acquire(address)
        if wait:
            await _send_error(send, rate_limited("from this address", wait), close=False)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                limits.auth.failed(address)
            await send(message)

        await self.app(scope, receive, watch)


class TimeoutMiddleware:
    """A request not answered within ``seconds`` gets ``503`` with ``Retry-After``.

    Work running in a thread is abandoned, not killed: its transaction ends on its own (commit
    or rollback), so nothing is left half-written.
    """

    def __init__(self, app: ASGIApp, seconds: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        with anyio.move_on_after(self.seconds) as scope_:
            await self.app(scope, receive, tracked)
        if scope_.cancelled_caught and not started:
            from benne.service.db import BusyError

            log.error("request timed out after %.0f s", self.seconds)
            await _send_error(send, BusyError("the request took too long",
                                              fix="retry after the time in Retry-After"))


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 in the error JSON.

    A declared Content-Length is checked before the app runs; a body streamed without one is
    counted as it arrives, and once over the limit the 413 is sent and the app sees the client
    as gone. Starlette's ``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``) does the
    counting too, but answers in plain text, not in the error shape every other error has.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    def _error(self) -> BodyTooLargeError:
        return BodyTooLargeError(f"request body is over {self.max_bytes // 1024} KiB",
                                 fix="send a smaller request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _send_error(send, self._error())
                return
        received, started, refused = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await _send_error(send, self._error())
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the 413 has been sent; drop the app's answer to the "disconnect"
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


class RequestLogMiddleware:
    """One INFO line per request: method, route template, status, milliseconds, partner id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            partner = getattr(scope.get("state", {}), "get", lambda _k: None)("partner_id")
            log.info("%s %s %s %.1fms partner=%s", scope["method"], template, status,
                     (time.perf_counter() - start) * 1000, partner or "-")


class SecurityHeadersMiddleware:
    """``nosniff`` and ``no-referrer`` on every response (pages set their own CSP)."""

    _HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._HEADERS]
            await send(message)

        await self.app(scope, receive, add_headers)

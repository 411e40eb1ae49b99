"""Limits on the request head, enforced in the HTTP server before the app sees a request.

uvicorn's C parser (``httptools``) accepts a request head of any size and any number of headers,
so one client could send a 100 MB header, hold the memory and stall the event loop while it is
parsed. :class:`LimitedHttpToolsProtocol` answers ``431`` and closes the connection when the
head (request line and headers) passes :data:`MAX_HEAD_BYTES` or holds more than
:data:`MAX_HEADERS` headers, and closes a connection whose head is not complete within
:data:`HEAD_TIMEOUT_SECONDS` (a slow sender holding a connection open). With the pure-Python
``h11`` parser the size limit is h11's ``max_incomplete_event_size``
(see :func:`benne.service.fast_server_options`).
"""

from __future__ import annotations

import json
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEAD_TIMEOUT_SECONDS", "MAX_HEADERS", "MAX_HEAD_BYTES", "LimitedHttpToolsProtocol"]

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 64
HEAD_TIMEOUT_SECONDS = 10.0
# Bytes a head may arrive in before it is parsed: a head and a body (at most 64 KiB) can share
# a read, so the exact limit is applied while parsing and this one only bounds the buffer.
_PARSE_CEILING = MAX_HEAD_BYTES + 96 * 1024


def _refusal(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message,
                       "fix": "send fewer or smaller headers"}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


_TOO_LARGE = _refusal(431, "Request Header Fields Too Large", "headers_too_large",
                      f"the request head is over {MAX_HEAD_BYTES // 1024} KiB or has more "
                      f"than {MAX_HEADERS} headers")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the head's size, header count and time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._parsed = 0  # bytes of request line and headers parsed so far
        self._over = False
        self._head_timer: Any = None

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_bytes or not self.cycle_started:
            self.transport.close()  # a head begun and not finished, or nothing ever sent
        else:
            self._arm_head_timer()  # idle between requests: uvicorn's keep-alive timeout

    @property
    def cycle_started(self) -> bool:
        return getattr(self, "cycle", None) is not None

    def _refuse(self) -> None:
        self._cancel_head_timer()
        if not self.transport.is_closing():
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        was_in_head = self._in_head
        if was_in_head:
            self._head_bytes += len(data)
            if self._head_bytes > _PARSE_CEILING:
                self._refuse()  # before parsing: the parser would buffer all of it
                return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._over:
                self._refuse()
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._header_count, self._parsed = True, 0, 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._parsed += size
        if self._header_count > MAX_HEADERS or self._parsed > MAX_HEAD_BYTES:
            self._over = True
            raise _TooLarge  # stops the parser; data_received answers 431

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._arm_head_timer()


class _TooLarge(Exception):
    """Raised in the parser's header callback to stop it."""

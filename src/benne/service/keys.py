"""Secrets for partners and people: made once, shown once, stored only as a hash; revocable.

A secret is ``<id>.<random>``. The id finds the row; the SHA-256 of the whole secret is compared
with the stored hash in constant time (:func:`hmac.compare_digest`), so a wrong key costs the same
whatever it shares with the right one. SHA-256 rather than a slow password hash is enough
because the secret is 256 random bits, not a person's password.

Every credential can be taken away: a partner is disabled, enabled, deleted or given a new key
(the old one stops working); a person token expires or is revoked. A running service sees each
change within :data:`CACHE_SECONDS`: person tokens are read on every request, and the partner
key hashes the hot partner read keeps in memory are re-read after that long.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from benne.exceptions import AuthError, InputError, NotFoundError
from benne.service.db import Partner, PersonToken, connection_of

__all__ = [
    "CACHE_SECONDS",
    "PARTNER_CHALLENGE",
    "PERSON_CHALLENGE",
    "KeyCache",
    "authenticate_partner",
    "authenticate_person",
    "find_partner",
    "hash_secret",
    "new_id",
    "new_partner",
    "new_person_token",
    "partner_status",
    "rotate_partner_key",
    "secret_id",
]

CACHE_SECONDS = 0.5
PARTNER_CHALLENGE = 'ApiKey realm="benne", header="X-API-Key"'
PERSON_CHALLENGE = 'Bearer realm="benne"'


def new_id(prefix: str) -> str:
    """A random public identifier such as ``pt_3f9a...`` (not secret, not guessable)."""
    return f"{prefix}_{secrets.token_hex(8)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _split(secret: str) -> tuple[str, str] | None:
    ident, sep, rest = secret.partition(".")
    if not sep or not ident or not rest or len(secret) > 200:
        return None
    return ident, rest


def secret_id(secret: str | None) -> str | None:
    """The public id part of a key or token (for rate limits), or None if it has no shape."""
    parts = _split(secret or "")
    return parts[0][:40] if parts else None


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError(f"partner name must be 1 to 200 characters; got {len(name)}",
                         fix="give the partner a short name, e.g. 'Acme Lending'")
    return name


def new_partner(session: Session, name: str, *, now: datetime) -> tuple[Partner, str]:
    """Create a partner; returns it and its key (the only time the key exists in clear)."""
    name = _check_name(name)
    partner_id = new_id("pt")
    key = f"{partner_id}.{secrets.token_urlsafe(32)}"
    partner = Partner(id=partner_id, name=name, key_hash=hash_secret(key), created_at=now)
    session.add(partner)
    session.flush()
    return partner, key


def partner_status(partner: Partner) -> str:
    """``active``, ``disabled`` or ``deleted``."""
    if partner.deleted_at is not None:
        return "deleted"
    return "disabled" if partner.disabled_at is not None else "active"


def rotate_partner_key(session: Session, partner: Partner, *, now: datetime) -> str:
    """Give the partner a new key; the old one is refused from now on. Returns the new key."""
    key = f"{partner.id}.{secrets.token_urlsafe(32)}"
    partner.key_hash, partner.key_rotated_at = hash_secret(key), now
    session.flush()
    return key


def new_person_token(session: Session, person_id: str, *, now: datetime,
                     expires_at: datetime | None = None) -> tuple[str, str]:
    """Issue a bearer token for ``person_id``; returns ``(token_id, token)`` (stored hashed)."""
    if not person_id or len(person_id) > 200:
        raise InputError("person id must be 1 to 200 characters",
                         fix="use the person_id of the store")
    if expires_at is not None and expires_at <= now:
        raise InputError("the token's expiry must be in the future; "
                         f"got {expires_at:%Y-%m-%d %H:%M}",
                         fix="give a later date or a duration such as 30d")
    token_id = new_id("tk")
    token = f"{token_id}.{secrets.token_urlsafe(32)}"
    session.add(PersonToken(id=token_id, person_id=person_id, token_hash=hash_secret(token),
                            created_at=now, expires_at=expires_at))
    session.flush()
    return token_id, token


def find_partner(session: Session, partner_id: str) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFoundError(f"no partner with id {partner_id[:50]!r}",
                            fix="list the partners with `benne partners list`")
    return partner


_PARTNERS = Partner.__table__
_PARTNER_HASH = select(_PARTNERS.c.key_hash).where(
    _PARTNERS.c.id == bindparam("id"), _PARTNERS.c.disabled_at.is_(None),
    _PARTNERS.c.deleted_at.is_(None))


class KeyCache:
    """Partner id -> (key hash or None, when read); an entry is trusted for ``ttl`` seconds.

    The partner read checks a key on every request; the cache saves that query while keeping
    a disabled, deleted or rotated key working for at most ``ttl`` seconds in a running service.
    """

    def __init__(self, ttl: float = CACHE_SECONDS, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.ttl, self.clock = ttl, clock
        self._entries: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, partner_id: str) -> tuple[bool, str | None]:
        with self._lock:
            entry = self._entries.get(partner_id)
        if entry is None or self.clock() - entry[1] > self.ttl:
            return False, None
        return True, entry[0]

    def put(self, partner_id: str, key_hash: str | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:  # unknown ids are cached too: keep it bounded
                self._entries.clear()
            self._entries[partner_id] = (key_hash, self.clock())


def authenticate_partner(session: Session | Connection, key: str | None,
                         cache: KeyCache | None = None) -> str:
    """The id of the active partner whose key this is, or AuthError."""
    parts = _split(key or "")
    stored = None
    if parts:
        found, stored = cache.get(parts[0]) if cache is not None else (False, None)
        if not found:
            stored = connection_of(session).execute(_PARTNER_HASH, {"id": parts[0]}).scalar()
            if cache is not None:
                cache.put(parts[0], stored)
    if not stored or not hmac.compare_digest(stored, hash_secret(key or "")):
        err = AuthError("a valid partner key is required",
                        fix="send the key from `benne partners add` in the X-API-Key header")
        err.challenge = PARTNER_CHALLENGE  # type: ignore[attr-defined]
        raise err
    return parts[0]  # type: ignore[index]


def authenticate_person(session: Session, token: str | None, now: datetime) -> tuple[str, str]:
    """``(person_id, token_id)`` of a live bearer token, or AuthError."""
    parts = _split(token or "")
    row = session.get(PersonToken, parts[0]) if parts else None
    live = row is not None and row.revoked_at is None and (
        row.expires_at is None or row.expires_at > now)
    if row is None or not hmac.compare_digest(row.token_hash, hash_secret(token or "")) \
            or not live:
        err = AuthError("a valid person token is required",
                        fix="send 'Authorization: Bearer <token>' from `benne people token`")
        err.challenge = PERSON_CHALLENGE  # type: ignore[attr-defined]
        raise err
    return row.person_id, row.id

"""Secrets for partners and people: made once, shown once, stored only as a hash.

A secret is ``<id>.<random>``. The id finds the row; the SHA-256 of the whole secret is compared
with the stored hash in constant time (:func:`hmac.compare_digest`), so a wrong key costs the same
whatever it shares with the right one. SHA-256 rather than a slow password hash is enough
because the secret is 256 random bits, not a person's password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from benne.exceptions import AuthError, InputError
from benne.service.db import Partner, PersonToken, connection_of

__all__ = [
    "authenticate_partner",
    "authenticate_person",
    "hash_secret",
    "new_id",
    "new_partner",
    "new_person_token",
]


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


def new_partner(session: Session, name: str, *, now: datetime) -> tuple[Partner, str]:
    """Create a partner; returns it and its key (the only time the key exists in clear)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError(f"partner name must be 1 to 200 characters; got {len(name)}",
                         fix="give the partner a short name, e.g. 'Acme Lending'")
    partner_id = new_id("pt")
    key = f"{partner_id}.{secrets.token_urlsafe(32)}"
    partner = Partner(id=partner_id, name=name, key_hash=hash_secret(key), created_at=now)
    session.add(partner)
    session.flush()
    return partner, key


def new_person_token(session: Session, person_id: str, *, now: datetime) -> str:
    """Issue a bearer token for ``person_id``; returns it in clear (stored hashed)."""
    if not person_id or len(person_id) > 200:
        raise InputError("person id must be 1 to 200 characters",
                         fix="use the person_id of the store")
    token_id = new_id("tk")
    token = f"{token_id}.{secrets.token_urlsafe(32)}"
    session.add(PersonToken(id=token_id, person_id=person_id, token_hash=hash_secret(token),
                            created_at=now))
    session.flush()
    return token


_PARTNERS = Partner.__table__
_PARTNER_HASH = select(_PARTNERS.c.key_hash).where(_PARTNERS.c.id == bindparam("id"))


def authenticate_partner(session: Session | Connection, key: str | None,
                         cache: dict[str, str] | None = None) -> str:
    """The id of the partner whose key this is, or AuthError.

    ``cache`` (partner id -> key hash) saves a query on every partner read; it is safe because
    a partner's key never changes once made. Only found partners are cached.
    """
    parts = _split(key or "")
    stored = None
    if parts:
        stored = cache.get(parts[0]) if cache is not None else None
        if stored is None:
            stored = connection_of(session).execute(_PARTNER_HASH, {"id": parts[0]}).scalar()
            if stored is not None and cache is not None:
                cache[parts[0]] = stored
    if stored is None or not hmac.compare_digest(stored, hash_secret(key or "")):
        raise AuthError("a valid partner key is required",
                        fix="send the key from `benne partners add` in the X-API-Key header")
    return parts[0]  # type: ignore[index]


def authenticate_person(session: Session, token: str | None) -> str:
    """The person id this bearer token belongs to, or AuthError."""
    parts = _split(token or "")
    row = session.get(PersonToken, parts[0]) if parts else None
    if row is None or not hmac.compare_digest(row.token_hash, hash_secret(token or "")):
        raise AuthError("a valid person token is required",
                        fix="send 'Authorization: Bearer <token>' from `benne people token`")
    return row.person_id

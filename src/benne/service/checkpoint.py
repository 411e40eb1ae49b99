"""Signed checkpoints of the audit log: C2SP signed notes over the tree's size and root.

A checkpoint is the text of c2sp.org/tlog-checkpoint, signed as c2sp.org/signed-note says
(Ed25519, signature type ``0x01``), with the signing time as one extension line::

    benne/audit/3f2a91c0                      origin: the log's name (= the key's name)
    1234                                      tree size: entries in the log
    q1N0Mx...base64...=                       root hash of the RFC 6962 tree of those entries
    time 2026-12-02T05:30:00Z                 when it was signed (UTC)
                                              blank line, then one signature line:
    — benne/audit/3f2a91c0 <base64(key ID || Ed25519 signature of the text above)>

``key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]``. The formats of the keys are those
of the Go ``sumdb/note`` package: the private key file holds
``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>`` and the verifier key, the one to
publish, ``<name>+<key ID hex>+<base64(0x01 || public key)>``.

The private key is made once (:func:`load_or_create_key`) in a file readable by its owner only
(0600) and refused if that file became readable by others.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.engine import make_url

from benne.config import Settings
from benne.exceptions import ConfigError, InputError

__all__ = [
    "Checkpoint",
    "LogKey",
    "LogRewrittenError",
    "Verifier",
    "key_id",
    "key_path",
    "load_key",
    "load_or_create_key",
    "parse_verifier",
    "read_checkpoint",
    "witness",
]

_ED25519 = 0x01
_NAME = re.compile(r"^[^\s+]+$")
_DASH = "\u2014"


def key_path(settings: Settings) -> Path:
    """Where the signing key lives: ``audit_key``, else beside a SQLite database file
    (``service.sqlite`` -> ``service.audit-key``), else ``benne-audit.key`` in the folder of
    the ``benne.toml`` (or the working folder)."""
    if settings.audit_key is not None:
        return settings.audit_key
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).with_suffix(".audit-key")
    base = settings.config_path.parent if settings.config_path else Path.cwd()
    return base / "benne-audit.key"


def key_id(name: str, public: bytes) -> bytes:
    """The signed-note key ID of an Ed25519 key: 4 bytes."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([_ED25519]) + public).digest()[:4]


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A log's public key and name: what a partner or witness keeps to check checkpoints."""

    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def to_text(self) -> str:
        encoded = base64.b64encode(bytes([_ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class LogKey:
    """The log's signing key and name."""

    name: str
    private: Ed25519PrivateKey

    def verifier(self) -> Verifier:
        return Verifier(self.name, _public_bytes(self.private.public_key()))

    def to_text(self) -> str:
        seed = self.private.private_bytes_raw()
        encoded = base64.b64encode(bytes([_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{encoded}"

    def sign(self, text: str) -> str:
        """``text`` (ending in a newline) as a signed note."""
        signature = self.verifier().key_id + self.private.sign(text.encode("utf-8"))
        return f"{text}\n{_DASH} {self.name} {base64.b64encode(signature).decode()}\n"


def _check_name(name: str, where: str) -> str:
    if not _NAME.match(name):
        raise InputError(f"a log name must be non-empty, without spaces or '+'; got {name!r}",
                         where=where, fix="choose a name like example.org/benne-audit")
    return name


def _b64(text: str, where: str, what: str) -> bytes:
    """Strict base64: only the canonical encoding of the bytes is accepted, so the unused low
    bits of the last character cannot be changed without notice (a flipped bit there would
    otherwise decode to the same bytes)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or base64.b64encode(raw).decode("ascii") != text:
        raise InputError(f"the {what} is not canonical base64: {text[:60]!r}", where=where,
                         fix="pass the file exactly as benne wrote it")
    return raw


def parse_verifier(text: str, where: str = "verifier key") -> Verifier:
    """A verifier key ``<name>+<key ID hex>+<base64(0x01 || public key)>``."""
    parts = text.strip().split("+", 2)  # base64 may hold '+', a name may not
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise InputError("a verifier key is <name>+<8 hex digits>+<base64 key>; got "
                         f"{text.strip()[:80]!r}", where=where,
                         fix="use the key printed by `benne audit key`")
    name = _check_name(parts[0], where)
    raw = _b64(parts[2], where, "verifier key")
    if len(raw) != 33 or raw[0] != _ED25519:
        raise InputError("the verifier key is not an Ed25519 key (type 0x01, 32 bytes)",
                         where=where, fix="use the key printed by `benne audit key`")
    verifier = Verifier(name, raw[1:])
    if verifier.key_id.hex() != parts[1]:
        raise InputError(f"the verifier key's ID {parts[1]} does not match its name and key",
                         where=where, fix="use the key printed by `benne audit key`")
    return verifier


def load_key(path: Path) -> LogKey:
    """The signing key in ``path``; refused when others may read the file."""
    where = str(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"there is no audit signing key at {path}", where=where,
                          fix="make one with `benne audit key`, or set audit_key") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the audit signing key: {exc}", where=where,
                          fix="check the file and its permissions") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the audit signing key can be read by others (mode {stat.S_IMODE(mode):04o})",
            where=where, fix=f"run chmod 600 {path}")
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ConfigError("the audit signing key file is not PRIVATE+KEY+<name>+<id>+<key>",
                          where=where, fix="restore the file from your backup")
    raw = _b64(parts[4], where, "signing key")
    if len(raw) != 33 or raw[0] != _ED25519:
        raise ConfigError("the audit signing key is not an Ed25519 key", where=where,
                          fix="restore the file from your backup")
    key = LogKey(_check_name(parts[2], where), Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if key.verifier().key_id.hex() != parts[3]:
        raise ConfigError("the audit signing key's ID does not match its name and key",
                          where=where, fix="restore the file from your backup")
    return key


def load_or_create_key(path: Path, name: str | None = None) -> tuple[LogKey, bool]:
    """The signing key in ``path``, made there first (0600) if the file does not exist.

    ``name`` names a new log (default ``benne/audit/<8 hex digits of the public key's hash>``);
    for an existing key it must match. Returns the key and whether it was made now.
    """
    if path.exists():
        key = load_key(path)
        if name is not None and name != key.name:
            raise InputError(f"the audit key at {path} is for the log {key.name!r}, not {name!r}",
                             fix="leave out --name, or point audit_key at another file")
        return key, False
    private = Ed25519PrivateKey.generate()
    public = _public_bytes(private.public_key())
    name = _check_name(name or f"benne/audit/{hashlib.sha256(public).hexdigest()[:8]}", "--name")
    key = LogKey(name, private)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: use that one
        return load_key(path), False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key.to_text() + "\n")
    return key, True


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the log: its ``origin``, ``size``, ``root`` and signing ``time``."""

    origin: str
    size: int
    root: bytes
    time: datetime

    def text(self) -> str:
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
                f"time {stamp}\n")

    def sign(self, key: LogKey) -> str:
        if key.name != self.origin:
            raise InputError(f"the key of log {key.name!r} cannot sign for {self.origin!r}",
                             fix="sign with the log's own key")
        return key.sign(self.text())


def read_checkpoint(note: str, verifier: Verifier, where: str = "checkpoint") -> Checkpoint:
    """The checkpoint in the signed note ``note``, once its signature by ``verifier`` checks.

    A malformed note, one for another log, or one without a valid signature of the key raises
    :class:`InputError` naming what is wrong.
    """
    fix = "use the checkpoint file exactly as `benne audit checkpoint` wrote it"
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise InputError("the checkpoint holds control characters", where=where, fix=fix)
    if not note.endswith("\n") or "\n\n" not in note:
        raise InputError("the checkpoint is not a signed note (text, blank line, signatures)",
                         where=where, fix=fix)
    split = note.rindex("\n\n")
    text, signatures = note[:split + 1], note[split + 2:]
    lines = text.split("\n")[:-1]
    if len(lines) < 4 or not all(lines):
        raise InputError("the checkpoint's text is not origin, size, root hash and time lines",
                         where=where, fix=fix)
    origin, size_text, root_text = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size_text):
        raise InputError(f"the checkpoint's tree size is not a number: {size_text[:40]!r}",
                         where=where, fix=fix)
    root = _b64(root_text, where, "checkpoint's root hash")
    if len(root) != 32:
        raise InputError("the checkpoint's root hash is not 32 bytes", where=where, fix=fix)
    stamps = [line[5:] for line in lines[3:] if line.startswith("time ")]
    try:
        signed_at = datetime.strptime(stamps[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        raise InputError("the checkpoint has no line 'time YYYY-MM-DDTHH:MM:SSZ'",
                         where=where, fix=fix) from None
    if origin != verifier.name:
        raise InputError(f"the checkpoint is of the log {origin!r}, the key of {verifier.name!r}",
                         where=where, fix="check it with the key of the log that signed it")
    found = False
    for line in signatures.split("\n")[:-1]:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH:
            raise InputError(f"not a signature line: {line[:60]!r}", where=where, fix=fix)
        if parts[1] != verifier.name:
            continue  # another key's signature (a witness's): not ours to check
        raw = _b64(parts[2], where, "signature")
        if raw[:4] != verifier.key_id:
            continue
        if len(raw) != 68 or not verifier.verify(text.encode("utf-8"), raw[4:]):
            raise InputError(
                f"the checkpoint's signature by {verifier.name} does not verify: the "
                "checkpoint was altered after it was signed", where=where,
                fix="get the checkpoint again from where it was published")
        found = True
    if not found:
        raise InputError(
            f"the checkpoint carries no signature of the key {verifier.to_text()[:60]}...: it "
            "was signed by another key", where=where,
            fix="check it with the verifier key of the log that signed it")
    return Checkpoint(origin, int(size_text), root, signed_at)


def witness(client: httpx.Client, base_url: str, verifier: Verifier,
            state: Path) -> tuple[Checkpoint, Checkpoint | None]:
    """Check a running service's log as a witness does; returns (new, previous) checkpoints.

    Fetches the signed checkpoint (``GET /v1/audit/checkpoint``) and checks its signature;
    when ``state`` holds the checkpoint seen last time, fetches the consistency proof between
    the two (``GET /v1/audit/consistency``) and checks it against both roots. Only then is the
    new checkpoint written to ``state``. A log that shrank or was rewritten raises
    :class:`LogRewrittenError`.
    """
    from benne.service import merkle

    base = base_url.rstrip("/")
    note = _fetch(client, f"{base}/v1/audit/checkpoint").text
    new = read_checkpoint(note, verifier, where=f"{base}/v1/audit/checkpoint")
    old = None
    if state.exists():
        old = read_checkpoint(state.read_text(encoding="utf-8"), verifier, where=str(state))
        when = old.time.strftime("%Y-%m-%d %H:%M:%S UTC")
        if new.size < old.size:
            raise LogRewrittenError(f"the log now has {new.size} entries, fewer than the "
                                    f"{old.size} of the checkpoint signed {when}: it shrank")
        body = _fetch(client, f"{base}/v1/audit/consistency",
                      params={"first": old.size, "second": new.size}).json()
        try:
            proof = [bytes.fromhex(h) for h in body["proof"]]
        except (KeyError, TypeError, ValueError):
            raise LogRewrittenError("the service's consistency proof is malformed") from None
        if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
            raise LogRewrittenError(
                f"the log of {new.size} entries does not extend the checkpoint of {old.size} "
                f"entries signed {when}: it was rewritten")
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(note, encoding="utf-8")
    return new, old


class LogRewrittenError(Exception):
    """A witness found that the log no longer extends the checkpoint it held."""


def _fetch(client: httpx.Client, url: str, **kw: object) -> httpx.Response:
    try:
        response = client.get(url, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise InputError(f"cannot reach {url}: {type(exc).__name__}",
                         fix="check the service's address and that it is running") from None
    if response.status_code != 200:
        raise InputError(f"{url} answered {response.status_code}: {response.text[:200]}",
                         fix="check the address; the operator must have made the signing key")
    return response

"""Signed checkpoints: the key file, the note format, and every signature checked."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benne.cli import main
from benne.config import Settings
from benne.exceptions import ConfigError, InputError
from benne.service import checkpoint, create_partner
from benne.service.checkpoint import Checkpoint, load_key, load_or_create_key, read_checkpoint

ROOT = hashlib.sha256(b"some root").digest()
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log.audit-key"
    key, made = load_or_create_key(path, "example.org/log")
    assert made and stat.S_IMODE(path.stat().st_mode) == 0o600
    again, made_again = load_or_create_key(path)
    assert not made_again and again.to_text() == key.to_text()
    assert key.name == "example.org/log"
    with pytest.raises(InputError, match="is for the log 'example.org/log'"):
        load_or_create_key(path, "another/log")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"can be read by others \(mode 0644\)"):
        load_key(path)


def test_key_path_defaults_beside_the_sqlite_database(tmp_path: Path) -> None:
    sqlite = Settings(database_url=f"sqlite:///{tmp_path / 'service.sqlite'}")
    assert checkpoint.key_path(sqlite) == tmp_path / "service.audit-key"
    chosen = Settings(database_url="postgresql://h/db", audit_key=tmp_path / "k")
    assert checkpoint.key_path(chosen) == tmp_path / "k"
    pg = Settings(database_url="postgresql://h/db", config_path=tmp_path / "benne.toml")
    assert checkpoint.key_path(pg) == tmp_path / "benne-audit.key"


def test_the_note_is_a_c2sp_checkpoint_with_a_standard_ed25519_signature(tmp_path: Path) -> None:
    key, _ = load_or_create_key(tmp_path / "k", "example.org/log")
    note = Checkpoint("example.org/log", 12, ROOT, WHEN).sign(key)
    body, signature_line = note.split("\n\n")
    assert body.split("\n") == ["example.org/log", "12", base64.b64encode(ROOT).decode(),
                                "time 2026-01-02T03:04:05Z"]
    dash, name, encoded = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", "example.org/log")
    raw = base64.b64decode(encoded)
    verifier = key.verifier()
    # key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], per c2sp.org/signed-note
    assert raw[:4] == hashlib.sha256(b"example.org/log\n\x01" + verifier.public).digest()[:4]
    Ed25519PublicKey.from_public_bytes(verifier.public).verify(raw[4:], (body + "\n").encode())
    assert checkpoint.parse_verifier(verifier.to_text()) == verifier
    assert read_checkpoint(note, verifier) == Checkpoint("example.org/log", 12, ROOT, WHEN)


def _flip(note: str, index: int) -> str:
    data = bytearray(note.encode("utf-8"))
    data[index] ^= 0x01
    return data.decode("utf-8", errors="replace")


def test_a_flipped_byte_anywhere_fails(tmp_path: Path) -> None:
    key, _ = load_or_create_key(tmp_path / "k", "example.org/log")
    note = Checkpoint("example.org/log", 12, ROOT, WHEN).sign(key)
    raw = note.encode("utf-8")
    for index in range(len(raw)):
        if raw[index] in b"\n":
            continue
        flipped = _flip(note, index)
        if flipped == note:
            continue
        with pytest.raises(InputError):
            read_checkpoint(flipped, key.verifier())


def test_a_checkpoint_of_another_key_fails(tmp_path: Path) -> None:
    ours, _ = load_or_create_key(tmp_path / "ours", "example.org/log")
    theirs, _ = load_or_create_key(tmp_path / "theirs", "example.org/log")  # same name
    other, _ = load_or_create_key(tmp_path / "other", "example.org/other")
    cp = Checkpoint("example.org/log", 3, ROOT, WHEN)
    with pytest.raises(InputError, match="carries no signature of the key"):
        read_checkpoint(cp.sign(theirs), ours.verifier())
    with pytest.raises(InputError, match="is of the log 'example.org/other'"):
        read_checkpoint(Checkpoint("example.org/other", 3, ROOT, WHEN).sign(other),
                        ours.verifier())
    # a witness's extra signature is ignored; ours must still verify
    cosigned = cp.sign(ours) + other.sign(cp.text()).split("\n\n")[1]
    assert read_checkpoint(cosigned, ours.verifier()).size == 3


@pytest.mark.parametrize("note, message", [
    ("", "not a signed note"),
    ("example.org/log\n3\n", "not a signed note"),
    ("example.org/log\n03\nAAAA\ntime 2026-01-02T03:04:05Z\n\n\u2014 x y\n", "tree size"),
    ("example.org/log\n3\nnot base64!\ntime 2026-01-02T03:04:05Z\n\n\u2014 x y\n", "not base64"),
    ("example.org/log\n3\nAAAA\ntime 2026-01-02T03:04:05Z\n\n\u2014 x y\n", "not 32 bytes"),
    (f"example.org/log\n3\n{base64.b64encode(ROOT).decode()}\n\n\u2014 x y\n",
     "origin, size, root hash and time"),
    (f"example.org/log\n3\n{base64.b64encode(ROOT).decode()}\nwhen\n\n\u2014 x y\n",
     "no line 'time"),
    ("a\x07\n", "control characters"),
])
def test_malformed_notes_name_what_is_wrong(tmp_path: Path, note: str, message: str) -> None:
    key, _ = load_or_create_key(tmp_path / "k", "example.org/log")
    with pytest.raises(InputError, match=message):
        read_checkpoint(note, key.verifier())


def test_verify_against_through_the_cli_checks_the_signature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    create_partner(db, "acme")
    code, out, _ = run(capsys, "audit", "key", "--db", db, "--name", "example.org/benne",
                       "--out", str(tmp_path / "log.pub"))
    assert code == 0 and "example.org/benne+" in out
    assert stat.S_IMODE((tmp_path / "service.audit-key").stat().st_mode) == 0o600
    cp = tmp_path / "cp.txt"
    assert run(capsys, "audit", "checkpoint", "--out", str(cp), "--db", db)[0] == 0
    good = run(capsys, "audit", "verify", "--against", str(cp), "--key", str(tmp_path / "log.pub"),
               "--db", db)
    assert good[0] == 0 and good[1].startswith("OK: the log of 1 entries extends")

    text = cp.read_text(encoding="utf-8")
    signature = text.rindex(" ") + 10  # a character inside the base64 signature
    cp.write_text(text[:signature] + ("A" if text[signature] != "A" else "B")
                  + text[signature + 1:], encoding="utf-8")
    code, out, err = run(capsys, "audit", "verify", "--against", str(cp), "--db", db)
    assert code == 2 and out == ""
    assert err.startswith("error: the checkpoint's signature by example.org/benne does not "
                          "verify") and err.count("\n") == 1

    cp.write_text(text.replace("\n1\n", "\n2\n", 1), encoding="utf-8")  # claims 2 entries
    code, _, err = run(capsys, "audit", "verify", "--against", str(cp), "--db", db)
    assert code == 2 and "does not verify" in err

    stranger, _ = load_or_create_key(tmp_path / "stranger", "example.org/benne")
    (tmp_path / "stranger.pub").write_text(stranger.verifier().to_text())
    cp.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "audit", "verify", "--against", str(cp), "--key",
                       str(tmp_path / "stranger.pub"), "--db", db)
    assert code == 2 and "carries no signature of the key" in err and err.count("\n") == 1


def test_a_broken_log_is_not_signed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    db_file = tmp_path / "service.sqlite"
    db = f"sqlite:///{db_file}"
    create_partner(db, "acme")
    con = sqlite3.connect(db_file)
    con.execute("UPDATE audit_log SET actor = 'someone'")
    con.commit()
    con.close()
    code, out, _ = run(capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp"), "--db", db)
    assert code == 1 and out.startswith("NOT SIGNED: entry 1 does not match its leaf hash")
    assert not (tmp_path / "cp").exists()

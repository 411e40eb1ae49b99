"""Tampering with the audit log of a real SQLite database, found by ``benne audit verify``.

Each attack rewrites the log and recomputes every hash, so the database is self-consistent
and the plain ``verify`` passes; ``verify --against`` a checkpoint signed before the attack
proves the log no longer extends it, exits 1 and says what happened in one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from benne.cli import main
from benne.service.db import make_engine
from tests.unit.service.conftest import World, make_world
from tests.unit.service.tamper import Row, entries, rewrite


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[World, Path]]:
    """A world with a checkpoint signed after 12 entries, and 3 entries appended since.

    The first five entries come from the fixture's credentials: two partners, three tokens.
    """
    for world in make_world(f"sqlite:///{tmp_path / 'service.sqlite'}", tmp_path):
        consent_id = world.grant("P1", "acme")
        for minutes in (1, 2):
            world.clock.advance(minutes=minutes)
            world.read("acme", "P1")
        world.read("other", "P1")
        world.grant("P2", "other")
        world.read("other", "P2")
        world.client.delete(f"/v1/consents/{consent_id}", headers=world.person("P1"))
        checkpoint = tmp_path / "checkpoint.txt"
        code, out, _ = run(capsys, "audit", "checkpoint", "--out", str(checkpoint),
                           "--db", world.database_url)
        assert code == 0 and "signed checkpoint of 12 entries" in out
        world.clock.advance(hours=1)
        world.read("acme", "P1")
        world.read("other", "P2")
        world.grant("P1", "other", "rental")
        yield world, checkpoint


def _truncate(rows: list[Row]) -> list[Row]:
    return rows[:9]


# What the log loses when it is cut to 9 entries, the attacker also removes from the consents
# (verify checks every consent row against its entries): P1's revocation, the later grants.
_TRUNCATE_CONSENTS = ["DELETE FROM consents WHERE person_id = 'P2' OR purpose = 'rental'",
                      "UPDATE consents SET revoked_at = NULL"]


def _edit(rows: list[Row]) -> list[Row]:
    granted = next(r for r in rows if r["action"] == "score.read"
                   and json.loads(r["detail"])["outcome"] == "granted")
    granted["detail"] = granted["detail"].replace('"granted"', '"refused"')
    return rows


def _forge_append(rows: list[Row]) -> list[Row]:
    first_read = next(r for r in rows if r["action"] == "score.read")
    forged = {**next(r for r in rows if r["action"] == "consent.grant"),
              "at": first_read["at"] - timedelta(hours=2),
              "detail": json.dumps({"consent_id": "cs_forged", "partner_id": "x",
                                    "purpose": "credit", "expires_at": None},
                                   sort_keys=True, separators=(",", ":"))}
    return [*rows, forged]


def _forge_insert(rows: list[Row]) -> list[Row]:
    forged = {**rows[6], "actor": "partner:forged"}
    return [*rows[:6], forged, *rows[6:]]


def _reorder(rows: list[Row]) -> list[Row]:
    rows[6], rows[7] = rows[7], rows[6]
    return rows


def _delete(rows: list[Row]) -> list[Row]:
    return [*rows[:7], *rows[8:]]


ATTACKS: dict[str, tuple[Callable[[list[Row]], list[Row]], str]] = {
    "truncate": (_truncate, "BROKEN: the log holds 9 entries but the checkpoint signed "),
    "edit-and-recompute": (_edit, "BROKEN: the log does not extend the checkpoint signed "),
    "forge-append": (_forge_append, "BROKEN: entry 16 is dated "),
    "forge-insert": (_forge_insert, "BROKEN: the log does not extend the checkpoint signed "),
    "reorder": (_reorder, "BROKEN: the log does not extend the checkpoint signed "),
    "delete": (_delete, "BROKEN: the log does not extend the checkpoint signed "),
}


def test_an_untouched_log_extends_its_checkpoint(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    world, checkpoint = logged
    code, out, err = run(capsys, "audit", "verify", "--against", str(checkpoint),
                         "--db", world.database_url)
    assert (code, err) == (0, "")
    assert out.startswith("OK: the log of 15 entries extends the checkpoint of 12 entries signed ")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_is_found_against_an_earlier_checkpoint(
    attack: str, logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    world, checkpoint = logged
    change, message = ATTACKS[attack]
    before = entries(world.database_url)
    rewrite(world.database_url, change)
    if attack == "truncate":
        engine = make_engine(world.database_url)
        with engine.begin() as con:
            for sql in _TRUNCATE_CONSENTS:
                con.execute(text(sql))
        engine.dispose()
    assert entries(world.database_url) != before
    code, out, _ = run(capsys, "audit", "verify", "--db", world.database_url)
    assert code == 0, out  # self-consistent again: only the checkpoint can tell
    code, out, err = run(capsys, "audit", "verify", "--against", str(checkpoint),
                         "--db", world.database_url)
    assert code == 1 and err == ""
    assert out.startswith(message) and out.count("\n") == 1, out
    code, out, _ = run(capsys, "--json", "audit", "verify", "--against", str(checkpoint),
                       "--db", world.database_url)
    assert code == 1 and json.loads(out)["ok"] is False


def test_messages_name_the_removed_entries_exactly(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    world, checkpoint = logged
    rewrite(world.database_url, _truncate)
    _, out, _ = run(capsys, "audit", "verify", "--against", str(checkpoint),
                    "--db", world.database_url)
    assert out.strip().endswith("has 12: entries 10 to 12 were removed")
    _, out, _ = run(capsys, "audit", "verify", "--db", world.database_url)
    assert out.startswith("BROKEN: consent cs_")  # the consents still say what was cut


def test_the_service_keeps_appending_after_a_rewrite(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The app's hint of the head went stale under it: the next append reads the new head."""
    world, _ = logged
    rewrite(world.database_url, _delete)
    assert world.read("acme", "P1").status_code == 403  # type: ignore[attr-defined]
    code, out, _ = run(capsys, "--json", "audit", "verify", "--db", world.database_url)
    assert code == 0 and json.loads(out)["count"] == 15


def test_a_row_changed_without_recomputing_is_named_by_plain_verify(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    world, checkpoint = logged
    con = sqlite3.connect(world.database_url.removeprefix("sqlite:///"))
    con.execute("UPDATE audit_log SET actor = 'admin' WHERE seq = 8")
    con.commit()
    con.close()
    for extra in ([], ["--against", str(checkpoint)]):
        code, out, _ = run(capsys, "audit", "verify", *extra, "--db", world.database_url)
        assert code == 1
        assert out == ("BROKEN: entry 8 does not match its leaf hash: its content was changed "
                       "after it was written\n")


def test_a_checkpoint_larger_than_a_truncated_and_refilled_log_still_fails(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Cut the log back to 6 entries, then let the service write 10 more: the size is back
    above the checkpoint's, but its first 12 entries are not the ones signed."""
    world, checkpoint = logged
    rewrite(world.database_url, lambda rows: rows[:6])
    for _ in range(10):
        world.read("acme", "P1")
    code, out, _ = run(capsys, "audit", "verify", "--against", str(checkpoint),
                       "--db", world.database_url)
    assert code == 1 and out.startswith("BROKEN: the log does not extend the checkpoint")


def test_a_repeated_consent_entry_is_named_even_when_dated_after_the_checkpoint(
    logged: tuple[World, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    world, checkpoint = logged

    def repeat_grant(rows: list[Row]) -> list[Row]:
        grant = next(r for r in rows if r["action"] == "consent.grant")
        return [*rows, {**grant, "at": rows[-1]["at"] + timedelta(minutes=1)}]

    rewrite(world.database_url, repeat_grant)
    for extra in ([], ["--against", str(checkpoint)]):
        code, out, _ = run(capsys, "audit", "verify", *extra, "--db", world.database_url)
        assert code == 1 and out.startswith("BROKEN: entry 16 repeats the consent.grant of "
                                            "consent cs_") and out.endswith(
            "(entry 6): one of them was forged\n")

"""A witness outside the service: signed checkpoints and consistency proofs over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from benne.config import Settings
from benne.service import checkpoint, merkle, verify_audit
from tests.unit.service.conftest import World
from tests.unit.service.tamper import rewrite

BASE = "http://testserver"


def _key(world: World) -> checkpoint.LogKey:
    settings = Settings(database_url=world.database_url)
    key, _ = checkpoint.load_or_create_key(checkpoint.key_path(settings), "example.org/benne")
    return key


def test_without_a_key_the_service_signs_nothing(sqlite_world: World) -> None:
    r = sqlite_world.client.get("/v1/audit/checkpoint")
    assert r.status_code == 404 and r.json()["message"] == "this service signs no checkpoints"


def test_the_service_signs_its_head_and_proves_consistency(sqlite_world: World) -> None:
    world = sqlite_world
    verifier = _key(world).verifier()
    assert world.client.get("/v1/audit/key").text.strip() == verifier.to_text()
    first = checkpoint.read_checkpoint(world.client.get("/v1/audit/checkpoint").text, verifier)
    report = verify_audit(world.database_url)
    assert (first.size, first.root) == (report.count, report.root)
    world.grant("P1", "acme")
    world.read("acme", "P1")
    second = checkpoint.read_checkpoint(world.client.get("/v1/audit/checkpoint").text, verifier)
    assert second.size == first.size + 2
    body = world.client.get("/v1/audit/consistency", params={"first": first.size}).json()
    assert body["second"] == second.size
    proof = [bytes.fromhex(h) for h in body["proof"]]
    assert merkle.verify_consistency(first.size, second.size, first.root, second.root, proof)
    bad = world.client.get("/v1/audit/consistency", params={"first": 3, "second": 99})
    assert bad.status_code == 400 and "first <= second <=" in bad.json()["message"]


def test_a_witness_accepts_growth_and_catches_a_rewrite(sqlite_world: World,
                                                        tmp_path: Path) -> None:
    world = sqlite_world
    verifier = _key(world).verifier()
    state = tmp_path / "witness" / "state.txt"
    new, old = checkpoint.witness(world.client, BASE, verifier, state)
    assert old is None and state.read_text().startswith("example.org/benne\n")
    world.grant("P1", "acme")
    world.read("acme", "P1")
    new, old = checkpoint.witness(world.client, BASE, verifier, state)
    assert old is not None and new.size == old.size + 2
    kept = state.read_text()

    rewrite(world.database_url, lambda rows: [rows[1], rows[0], *rows[2:]])
    with pytest.raises(checkpoint.LogRewrittenError, match="does not extend the checkpoint"):
        checkpoint.witness(world.client, BASE, verifier, state)
    assert state.read_text() == kept  # a failed check keeps the last good checkpoint

    rewrite(world.database_url, lambda rows: rows[:2])
    with pytest.raises(checkpoint.LogRewrittenError, match="fewer than the 7 of the checkpoint"):
        checkpoint.witness(world.client, BASE, verifier, state)


def test_a_witness_refuses_a_checkpoint_signed_by_another_key(sqlite_world: World,
                                                             tmp_path: Path) -> None:
    from benne.exceptions import InputError

    _key(sqlite_world)
    stranger, _ = checkpoint.load_or_create_key(tmp_path / "stranger", "example.org/benne")
    with pytest.raises(InputError, match="carries no signature of the key"):
        checkpoint.witness(sqlite_world.client, BASE, stranger.verifier(), tmp_path / "state")
    assert not (tmp_path / "state").exists()

"""The service's commands and a real ``benne serve`` over HTTP, on a real SQLite file."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from tests.e2e.web_fixtures import benne, benne_json, running_server
from tests.unit.service.factory import score_row, write_scores


def test_commands_then_a_live_server_run_the_consent_cycle(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    scores = write_scores(tmp_path / "scores.parquet", [score_row("P1", 702),
                                                        score_row("P2", 580)])
    assert benne_json("scores", "load", str(scores), "--db", db) == {"added": 2,
                                                                     "file": str(scores)}
    assert benne_json("scores", "load", str(scores), "--db", db)["added"] == 0
    partner = benne_json("partners", "add", "Acme Lending", "--db", db)
    assert partner["partner_id"].startswith("pt_") and partner["key"].startswith(
        partner["partner_id"] + ".")
    human = benne("partners", "add", "Other Bank", "--db", db).stdout
    assert "API key:" in human and "only its hash is kept" in human
    token = benne_json("people", "token", "P1", "--db", db)["token"]

    with running_server(["--db", db, "--store", str(tmp_path / "none.duckdb")]) as (base, proc):
        person = {"Authorization": f"Bearer {token}"}
        key = {"X-API-Key": partner["key"]}
        read = f"{base}/v1/scores/P1"
        assert httpx.get(read, params={"purpose": "credit"}, headers=key).status_code == 403
        r = httpx.post(f"{base}/v1/consents", headers=person,
                       json={"partner_id": partner["partner_id"], "purpose": "credit"})
        assert r.status_code == 201
        got = httpx.get(read, params={"purpose": "credit"}, headers=key)
        assert got.status_code == 200 and got.json()["score"] == 702
        assert httpx.delete(f"{base}/v1/consents/{r.json()['id']}",
                            headers=person).status_code == 204
        refused = httpx.get(read, params={"purpose": "credit"}, headers=key)
        assert refused.status_code == 403 and refused.json()["error"] == "consent_required"
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "benne"
    printed = proc.stdout.read()  # type: ignore[union-attr]
    for path in ("/", "/partner", "/docs", "/openapi.json"):
        assert f"{base}{path}" in printed  # serve prints its URLs

    ok = benne("audit", "verify", "--db", db)
    assert ok.returncode == 0 and "OK: 8 audit entries" in ok.stdout

    con = sqlite3.connect(tmp_path / "service.sqlite")
    con.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 4")
    con.commit()
    con.close()
    broken = benne("audit", "verify", "--db", db, check=False)
    assert broken.returncode == 1
    assert broken.stdout.startswith("BROKEN: entry 4 does not match its leaf hash")
    as_json = benne("--json", "audit", "verify", "--db", db, check=False)
    assert as_json.returncode == 1 and '"first_broken_seq": 4' in as_json.stdout


def test_several_workers_share_one_audit_log(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    scores = write_scores(tmp_path / "scores.parquet", [score_row("P1", 702)])
    partner = benne_json("partners", "add", "Acme Lending", "--db", db)
    token = benne_json("people", "token", "P1", "--db", db)["token"]
    args = ["--db", db, "--store", str(tmp_path / "none.duckdb"), "--scores", str(scores),
            "--workers", "2"]
    with running_server(args) as (base, proc):
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len([w for w in workers if "python" in w.name().lower()]) >= 2
        r = httpx.post(f"{base}/v1/consents", headers={"Authorization": f"Bearer {token}"},
                       json={"partner_id": partner["partner_id"], "purpose": "credit"})
        assert r.status_code == 201

        def read(_: int) -> int:
            return httpx.get(f"{base}/v1/scores/P1", params={"purpose": "credit"},
                             headers={"X-API-Key": partner["key"]}).json()["score"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(read, range(80))) == [702] * 80  # loaded once, before forking
    ok = benne("--json", "audit", "verify", "--db", db)
    assert ok.returncode == 0 and '"count": 83' in ok.stdout  # partner, token, consent, reads


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    missing = benne("disputes", "resolve", "dp_nope", "--status", "upheld", "--db", db,
                    check=False)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no dispute with id 'dp_nope'")
    assert "Traceback" not in missing.stderr
    bad = tmp_path / "bad.parquet"
    write_scores(bad, [score_row("P1", 1200)])
    r = benne("scores", "load", str(bad), "--db", db, check=False)
    assert r.returncode == 2 and "bad.parquet, row 1, field score" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_credentials_are_taken_away_from_a_running_server(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    benne_json("scores", "load", str(write_scores(tmp_path / "s.parquet",
                                                  [score_row("P1", 702)])), "--db", db)
    partner = benne_json("partners", "add", "Acme Lending", "--db", db)
    issued = benne_json("people", "token", "P1", "--expires", "30d", "--db", db)
    assert issued["expires_at"] and issued["token_id"] == issued["token"].split(".")[0]
    person = {"Authorization": f"Bearer {issued['token']}"}
    with running_server(["--db", db, "--store", str(tmp_path / "none.duckdb")]) as (base, _):
        r = httpx.post(f"{base}/v1/consents", headers=person,
                       json={"partner_id": partner["partner_id"], "purpose": "credit"})
        assert r.status_code == 201
        read = f"{base}/v1/scores/P1?purpose=credit"
        assert httpx.get(read, headers={"X-API-Key": partner["key"]}).status_code == 200

        benne("partners", "disable", partner["partner_id"], "--db", db)
        time.sleep(1.0)
        assert httpx.get(read, headers={"X-API-Key": partner["key"]}).status_code == 401
        listed = benne_json("partners", "list", "--db", db)["partners"]
        assert [p["status"] for p in listed] == ["disabled"]
        benne("partners", "enable", partner["partner_id"], "--db", db)
        new_key = benne_json("partners", "rotate-key", partner["partner_id"], "--db", db)["key"]
        time.sleep(1.0)
        assert httpx.get(read, headers={"X-API-Key": partner["key"]}).status_code == 401
        assert httpx.get(read, headers={"X-API-Key": new_key}).status_code == 200

        assert benne_json("people", "revoke-token", issued["token_id"], "--db", db) == {
            "revoked": 1}
        assert httpx.get(f"{base}/v1/me/score", headers=person).status_code == 401
        benne("partners", "delete", partner["partner_id"], "--db", db)
        time.sleep(1.0)
        assert httpx.get(read, headers={"X-API-Key": new_key}).status_code == 401
    bad = benne("people", "token", "P1", "--expires", "soon", "--db", db, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --expires must be")
    log = benne_json("audit", "verify", "--db", db)
    assert log["ok"] is True

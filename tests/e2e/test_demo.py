"""``benne demo`` end to end, as a new user runs it: every stage, then the live service."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.xdist_group("demo")

BENNE = [sys.executable, "-m", "benne.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [*BENNE, "demo", "--no-serve", "--people", "2000", "--workdir", str(work), "--json"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work, json.loads(proc.stdout)


def test_demo_writes_every_stage_and_a_config(demo_run: tuple[Path, dict]) -> None:
    work, out = demo_run
    for key in ("sources", "store", "model", "scores", "report", "service_db", "config"):
        assert Path(out["paths"][key]).exists(), key
    for source in ("identity", "orders", "bills", "credit", "transfers", "merchant_sales"):
        assert (work / "sources" / f"{source}.parquet").exists()
    assert out["counts"]["ingest"]["quarantined"] == 0
    assert out["partner_id"] and out["partner_key"] and out["person_id"] and out["person_token"]
    assert set(out["stages"]) >= {"simulate", "ingest", "features", "train", "score", "report",
                                  "service"}
    assert "<html" in (work / "report.html").read_text(encoding="utf-8").lower()
    # the key and token are written only to files their owner alone can read
    for private in ("demo.json", "service.sqlite", "benne.people.sqlite"):
        assert stat.S_IMODE((work / private).stat().st_mode) == 0o600, private


def test_commands_in_the_work_folder_use_its_config(demo_run: tuple[Path, dict]) -> None:
    work, out = demo_run
    proc = subprocess.run([*BENNE, "audit", "verify", "--json"], cwd=work, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([*BENNE, "score", "--model", out["paths"]["model"], "--input",
                           str(work / "features" / "report_data.parquet"), "--out",
                           str(work / "rescored.parquet")], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_serve_from_the_work_folder_answers_partner_and_person(
    demo_run: tuple[Path, dict],
) -> None:
    work, out = demo_run
    port = _free_port()
    env = {**os.environ, "BENNE_PORT": str(port)}
    server = subprocess.Popen([*BENNE, "serve"], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        me = httpx.get(f"{base}/v1/me/score",
                       headers={"Authorization": f"Bearer {out['person_token']}"}, timeout=10)
        assert me.status_code == 200
        assert 350 <= me.json()["score"] <= 950
        data = httpx.get(f"{base}/v1/me/data",
                         headers={"Authorization": f"Bearer {out['person_token']}"}, timeout=30)
        assert data.status_code == 200  # the records come from the published snapshot
        assert [r["person_id"] for r in data.json()["store"]["identity"]] == [out["person_id"]]
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

"""Protection: rate limit, request size, no personal data in logs, errors as JSON with a code."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benne.service.ratelimit import TokenBucketLimiter
from tests.unit.service.conftest import World, make_world


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = FakeMonotonic()
    limiter = TokenBucketLimiter(60, burst_seconds=5, clock=clock)  # 1/s, burst 5
    assert [limiter.acquire("a") for _ in range(5)] == [0] * 5
    assert limiter.acquire("a") == 1
    assert limiter.acquire("b") == 0  # buckets are per key
    clock.t += 1.0
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 1
    limiter_slow = TokenBucketLimiter(6, burst_seconds=10, clock=clock)  # 0.1/s, burst 1
    assert limiter_slow.acquire("a") == 0 and limiter_slow.acquire("a") == 10


@pytest.fixture
def limited_world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path,
                          rate_limit_per_minute=12)  # bursts of two


def test_partner_over_the_rate_gets_429_with_retry_after(limited_world: World) -> None:
    w = limited_world
    w.grant("P1", "acme")
    assert [w.read("acme", "P1").status_code for _ in range(2)] == [200, 200]
    r = w.read("acme", "P1")
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert int(r.headers["Retry-After"]) == 5
    assert w.read("other", "P1").status_code == 403  # other partner's budget is untouched


def test_bodies_over_64_kib_are_refused_with_413(sqlite_world: World) -> None:
    w = sqlite_world
    big = {"source": "bills", "record_id": "B1", "reason": "x" * 70_000}
    r = w.client.post("/v1/me/disputes", headers=w.person("P1"), json=big)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(80):
            yield b"x" * 1024

    r = w.client.post("/v1/consents", headers=w.person("P1"), content=chunks())
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert w.client.get("/v1/me/disputes", headers=w.person("P1")).json() == []


def test_logs_hold_no_person_ids_keys_or_tokens(sqlite_world: World,
                                               caplog: pytest.LogCaptureFixture) -> None:
    w = sqlite_world
    caplog.set_level(logging.DEBUG)
    w.grant("P1", "acme")
    w.read("acme", "P1")
    w.read("acme", "P2")
    w.client.get("/v1/scores/P1", params={"purpose": "credit"},
                 headers={"X-API-Key": "pt_x.wrong"})
    w.client.get("/v1/me/data", headers=w.person("P1"))
    # everything logged on the server side (httpx/httpcore are the test's own client)
    text = "\n".join(r.getMessage() for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))
    assert "/v1/scores/{person_id}" in text  # the request log is on and names the template
    assert f"partner={w.partner_id('acme')}" in text
    secrets = [*w.tokens.values(), *(k for _, k in w.partners.values())]
    for secret in secrets:
        assert secret not in text and secret.split(".")[1] not in text
    assert not re.search(r"\bP[123]\b", text), text


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/nowhere", 404, "not_found"),
     ("PUT", "/v1/consents", 405, "method_not_allowed"),
     ("GET", "/v1/scores/P1", 422, "invalid_request"),  # no purpose
     ("GET", "/v1/scores/P1?purpose=BAD%20PURPOSE", 422, "invalid_request"),
     ("GET", "/v1/consents", 401, "unauthorized")],
)
def test_errors_are_json_with_a_code(sqlite_world: World, method: str, path: str, status: int,
                                     code: str) -> None:
    headers = sqlite_world.partner("acme") if path.startswith("/v1/scores") else {}
    r = sqlite_world.client.request(method, path, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == code and body["message"]


def test_malformed_json_is_422_in_the_same_shape(sqlite_world: World) -> None:
    r = sqlite_world.client.post("/v1/consents", content=b"{not json",
                                 headers={**sqlite_world.person("P1"),
                                          "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_pages_load_only_their_own_assets(sqlite_world: World) -> None:
    for path in ("/", "/me", "/partner"):
        r = sqlite_world.client.get(path)
        assert r.status_code == 200
        assert "script-src 'self'" in r.headers["content-security-policy"]
        srcs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert srcs and all(s.startswith(("/", "http://testserver/", "#")) for s in srcs), srcs
    for asset in ("app.js", "style.css", "favicon.svg"):
        assert sqlite_world.client.get(f"/static/{asset}").status_code == 200


def test_report_is_served_when_settings_name_one(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from benne.config import Settings
    from benne.service import create_app

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    report = tmp_path / "report.html"
    report.write_text("<html><body>benne report</body></html>", encoding="utf-8")
    with TestClient(create_app(Settings(database_url=url, report=report))) as client:
        assert "benne report" in client.get("/report").text
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert client.get("/report").json()["error"] == "not_found"

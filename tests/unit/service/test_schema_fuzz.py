"""Schemathesis drives every operation of the OpenAPI schema: no request makes a 5xx.

Requests carry valid credentials of all three roles (a person token, a partner key and the admin
key), so generated data reaches past authentication into the handlers. Responses are also
checked against the documented schemas, status codes and content types. Examples are bounded
so the run stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from benne.service.ratelimit import AuthBackoff
from tests.unit.service.conftest import ADMIN_KEY, World, make_world


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("fuzz")
    # limits raised so generated requests reach the handlers, not the rate limiter
    world = make_world(f"sqlite:///{tmp / 'service.sqlite'}", tmp,
                       person_rate_limit_per_minute=60_000)
    w = next(world)
    w.client.app.state.limits.auth = AuthBackoff(free=10**9)  # type: ignore[attr-defined]
    w.grant("P1", "acme", "credit")
    yield w
    next(world, None)


@pytest.fixture(scope="module")
def api_schema(fuzz_world: World) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_world.client.app)


# schemathesis' pytest plugin (``from_fixture``) does not run under pytest 9, so each
# operation's hypothesis strategy is driven directly; the route list is checked below.
OPERATIONS = [
    ("POST", "/v1/consents"), ("GET", "/v1/consents"), ("DELETE", "/v1/consents/{consent_id}"),
    ("GET", "/v1/scores/{person_id}"), ("GET", "/v1/me/score"), ("GET", "/v1/me/data"),
    ("POST", "/v1/me/disputes"), ("GET", "/v1/me/disputes"), ("GET", "/v1/me/access-log"),
    ("GET", "/v1/audit/verify"), ("GET", "/v1/audit/checkpoint"), ("GET", "/v1/audit/key"),
    ("GET", "/v1/audit/consistency"), ("GET", "/v1/merchants/{merchant_id}/score"),
    ("GET", "/v1/me/merchants"),
]


def _headers(world: World) -> dict[str, str]:
    return {**world.person("P1"), **world.partner("acme"), "X-Admin-Key": ADMIN_KEY}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_generated_request_makes_a_server_error(
    method: str, path: str, api_schema: schemathesis.BaseSchema, fuzz_world: World
) -> None:
    operation = api_schema[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=_headers(fuzz_world))
        seen.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                 content_type_conformance,
                                                 response_schema_conformance])

    run()
    assert seen and max(seen) < 500


def test_schema_documents_every_route(api_schema: schemathesis.BaseSchema,
                                      fuzz_world: World) -> None:
    paths = fuzz_world.client.get("/openapi.json").json()["paths"]
    assert set(paths) == {"/v1/consents", "/v1/consents/{consent_id}", "/v1/scores/{person_id}",
                          "/v1/me/score", "/v1/me/data", "/v1/me/disputes", "/v1/me/access-log",
                          "/v1/audit/verify", "/v1/audit/checkpoint", "/v1/audit/key",
                          "/v1/audit/consistency", "/v1/scores/{person_id}/notice",
                          "/v1/me/notices", "/v1/population",
                          "/v1/merchants/{merchant_id}/score", "/v1/me/merchants"}
    assert fuzz_world.client.get("/docs").status_code == 200


"""Fixtures of the service tests: a real SQLite file or a real PostgreSQL server, the app.

``database_url`` is parametrised over both backends, so every test that asks for it runs the
same body on SQLite and PostgreSQL; the PostgreSQL cases carry the ``postgres`` marker and run
in one xdist worker beside the one server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from benne.config import Settings
from benne.service import create_app, create_partner, issue_person_token, load_scores
from benne.service.deps import get_clock
from benne.store import publish_people
from tests.postgres_server import PostgresServer, fresh_database, postgres_server
from tests.unit.service.factory import score_row, write_scores, write_store

POSTGRES = pytest.param(
    "postgres", marks=[pytest.mark.postgres, pytest.mark.xdist_group("postgres")]
)
ADMIN_KEY = "admin-key-for-tests"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", POSTGRES])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite'}"
    return fresh_database(request.getfixturevalue("pg_server"))


@dataclass
class Clock:
    """The service's clock, moved by tests instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2024, 7, 1, 12, 0, 0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class World:
    """A running app with two partners, two people holding scores, and their credentials."""

    client: TestClient
    database_url: str
    clock: Clock
    store: Path
    partners: dict[str, tuple[str, str]]  # name -> (id, key)
    tokens: dict[str, str]  # person id -> token

    def person(self, person_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[person_id]}"}

    def partner(self, name: str) -> dict[str, str]:
        return {"X-API-Key": self.partners[name][1]}

    def partner_id(self, name: str) -> str:
        return self.partners[name][0]

    def grant(self, person_id: str, partner: str, purpose: str = "credit", **body: object) -> str:
        r = self.client.post("/v1/consents", headers=self.person(person_id),
                             json={"partner_id": self.partner_id(partner), "purpose": purpose,
                                   **body})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def read(self, partner: str, person_id: str, purpose: str = "credit") -> object:
        return self.client.get(f"/v1/scores/{person_id}", params={"purpose": purpose},
                               headers=self.partner(partner))


def make_world(database_url: str, tmp_path: Path, *, store: bool = True,
               rate_limit_per_minute: int = 6000, **settings: object) -> Iterator[World]:
    scores = write_scores(tmp_path / "scores.parquet", [
        score_row("P1", 612, as_of=date(2024, 3, 31)),
        score_row("P1", 655, as_of=date(2024, 6, 30)),
        score_row("P2", 540),
    ])
    load_scores(database_url, scores)
    store_path = tmp_path / "store.duckdb"
    if store:
        write_store(store_path, {
            "identity": [{"person_id": "P1", "registered_at": datetime(2020, 1, 5),
                          "real_name_verified": True, "birth_year": 1990, "gender": "female",
                          "region": "north"},
                         {"person_id": "P2", "registered_at": datetime(2021, 2, 1),
                          "real_name_verified": False, "birth_year": 1985, "gender": "male",
                          "region": "south"}],
            "bills": [{"bill_id": "B1", "person_id": "P1", "biller_type": "phone",
                       "issued_at": date(2024, 1, 1), "due_at": date(2024, 1, 20),
                       "amount": 30.0, "paid_at": None},
                      {"bill_id": "B2", "person_id": "P2", "biller_type": "rent",
                       "issued_at": date(2024, 1, 1), "due_at": date(2024, 1, 5),
                       "amount": 400.0, "paid_at": date(2024, 1, 4)}],
            "transfers": [{"transfer_id": "T1", "from_person": "P2", "to_person": "P1",
                           "at": datetime(2024, 2, 1, 9), "amount": 12.5}],
        })
        publish_people(store_path)
    partners = {name: create_partner(database_url, name) for name in ("acme", "other")}
    tokens = {pid: issue_person_token(database_url, pid) for pid in ("P1", "P2", "P3")}
    clock = Clock()
    settings = Settings(database_url=database_url, store=store_path, admin_key=ADMIN_KEY,
                        rate_limit_per_minute=rate_limit_per_minute,
                        model_dir=tmp_path / "no-model", **settings)
    app = create_app(settings)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app) as client:
        yield World(client, database_url, clock, store_path, partners, tokens)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(database_url, tmp_path)


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    """The same world on SQLite only, for tests about the HTTP layer rather than the database."""
    yield from make_world(f"sqlite:///{tmp_path / 'service.sqlite'}", tmp_path)


@contextmanager
def writer_lock_held(world: World) -> Iterator[threading.Event]:
    """SQLite's write lock held by another thread (a slow writer) until the event is set."""
    engine = world.client.app.state.engine  # type: ignore[attr-defined]
    release = threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    try:
        yield release
    finally:
        release.set()
        holder.join()

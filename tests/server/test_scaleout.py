"""Two `refiner-server serve` processes on one database answer a client that alternates
between them exactly as one process does: nothing a request depends on is held per process
(the live-survey cache is checked against the database on every request).

The same scenario runs against two servers (A, B, A, B, ...) on one database and against
a single server on another; the answers must match, and the rows stored must be the same.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.server import free_port, start_server
from refiner_server.db import contacts, events, make_engine, migrate, responses
from refiner_server.projects import create_project, import_surveys
from refiner_server.tokens import create_token

CLIENT = "/api/v1/client/p1"
ADMIN = "/api/v1/admin/projects/p1/surveys"
TIMES = ("first_seen_at", "last_seen_at", "created_at", "updated_at", "completed_at")
SURVEYS = [
    {"id": "everyone", "status": "live", "questions": []},
    {
        "id": "pro-savers",
        "status": "live",
        "questions": [],
        "audience": {
            "rules": [
                {"trait": "plan", "op": "eq", "value": "pro"},
                {"event": "saved", "op": "at_least", "count": 1},
            ]
        },
    },
]
LATE = {"id": "late", "status": "draft", "questions": [{"id": "q", "type": "text"}]}


@pytest.fixture
def other_db_url(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> str:
    """A second fresh database of the same kind, for the one-process run."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'single.db'}"
    return request.getfixturevalue("postgres").new()


class Servers:
    """`count` server processes on `db_url`; `next()` is the one the client uses next."""

    def __init__(self, db_url: str, count: int, logs: Path) -> None:
        engine = make_engine(db_url)
        migrate(engine)
        create_project(engine, "p1")
        import_surveys(engine, "p1", SURVEYS)
        _, self.token = create_token(engine, "scale-out test")
        engine.dispose()
        self.db_url = db_url
        self.procs, self.clients = [], []
        for _ in range(count):
            port = free_port()
            self.procs.append(start_server(db_url, port, log=logs / f"server-{port}.log"))
            headers = {"Authorization": f"Bearer {self.token}"}
            self.clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers))
        self._turn = itertools.cycle(self.clients)

    def next(self) -> httpx.Client:
        return next(self._turn)

    def close(self) -> None:
        for c in self.clients:
            c.close()
        for p in self.procs:
            p.terminate()
            p.wait(10)


@pytest.fixture
def pair(db_url: str, tmp_path: Path) -> Iterator[Servers]:
    servers = Servers(db_url, 2, tmp_path)
    yield servers
    servers.close()


@pytest.fixture
def single(other_db_url: str, tmp_path: Path) -> Iterator[Servers]:
    servers = Servers(other_db_url, 1, tmp_path)
    yield servers
    servers.close()


def scenario(servers: Servers) -> list[Any]:
    """Every answer of a client session that spans both servers, times left out; checks
    along the way that times agree across servers."""
    out: list[Any] = []

    def call(method: str, path: str, **kw: Any) -> dict[str, Any]:
        r = servers.next().request(method, path, **kw)
        body = r.json()
        out.append((method, path, r.status_code, _without_times(body)))
        return body

    def ping(user: dict[str, Any] | None = None) -> dict[str, Any]:
        return call("POST", f"{CLIENT}/ping", json={"anonymous_id": "anon-00000001", "user": user})

    first = ping()["contact"]
    assert ping()["contact"]["first_seen_at"] == first["first_seen_at"]  # the other server
    user = {"id": "u1", "email": "u1@example.com", "traits": {"plan": "pro"}}
    ping(user)
    event = {"event_id": "evt-00000001", "user_id": "u1", "name": "saved"}
    call("POST", f"{CLIENT}/events", json=event)
    call("POST", f"{CLIENT}/events", json=event)  # a retry through the other server
    assert [f["id"] for f in ping(user)["forms"]] == ["everyone", "pro-savers"]
    answer = {"form_id": "everyone", "user_id": "u1", "answers": {"q": 1}}
    for completed in (False, True, False):  # the last one is a stale retry
        call("PUT", f"{CLIENT}/responses/resp-00000001", json={**answer, "completed": completed})
    assert [f["id"] for f in ping(user)["forms"]] == ["pro-savers"]

    # a survey launched through one server is served by the other, and paused likewise
    call("POST", ADMIN, json=LATE)
    call("POST", f"{ADMIN}/late/launch")
    assert "late" in [f["id"] for f in ping(user)["forms"]]
    call("POST", f"{CLIENT}/forms/late", json={"user_id": "u1"})
    call("POST", f"{ADMIN}/late/pause")
    assert "late" not in [f["id"] for f in ping(user)["forms"]]
    assert (
        call("POST", f"{CLIENT}/forms/late", json={"user_id": "u1"})["error"]["code"]
        == "form_not_found"
    )
    return out


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def stored(db_url: str) -> dict[str, Any]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        out = {
            "contacts": conn.execute(sa.select(contacts.c.user_id, contacts.c.email)).all(),
            "events": conn.execute(sa.select(events.c.event_id, events.c.name)).all(),
            "responses": conn.execute(
                sa.select(responses.c.response_id, responses.c.answers, responses.c.completed)
            ).all(),
        }
    engine.dispose()
    return out


def test_two_servers_answer_as_one(pair, single):
    assert scenario(pair) == scenario(single)
    assert stored(pair.db_url) == stored(single.db_url)


def test_the_same_new_visitors_on_both_servers_at_once_make_one_contact_each(pair):
    """Each new anonymous id is pinged through both servers at the same moment: the race
    to create its contact ends with one contact, whichever server wins."""
    visitors = [f"anon-race{i:04d}" for i in range(20)]
    failures: list[str] = []

    def pinger(client: httpx.Client, barrier: threading.Barrier) -> None:
        for anon in visitors:
            barrier.wait()
            r = client.post(f"{CLIENT}/ping", json={"anonymous_id": anon})
            if r.status_code != 200:
                failures.append(r.text)

    barrier = threading.Barrier(len(pair.clients))
    threads = [threading.Thread(target=pinger, args=(c, barrier)) for c in pair.clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    engine = make_engine(pair.db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar() == 20
    engine.dispose()

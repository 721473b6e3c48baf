"""What the fast paths must not change: a repeat ping only reads, `last_seen_at` moves at
most once per `LAST_SEEN_EVERY`, cached surveys follow imports made while the server runs
(by any process), and a write waits for another process's lock instead of failing."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from refiner_server.client.store import LAST_SEEN_EVERY
from refiner_server.db import as_utc, contacts, events, make_engine
from refiner_server.projects import import_surveys

PING = "/api/v1/client/p1/ping"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USER = {"id": "u1", "email": "a@b.c", "traits": {"plan": "pro", "seats": 3}}
USER["account"] = {"id": "acc1", "name": "Acme", "traits": {"tier": "gold"}}


@pytest.fixture
def clock(app):
    app.state.clock.set(START)
    return app.state.clock


def ping(client, user=USER, anon="anon-00000001"):
    r = client.post(PING, json={"anonymous_id": anon, "user": user})
    assert r.status_code == 200, r.text
    return r.json()


def writes_during(engine, fn):
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_a_repeat_ping_with_nothing_new_writes_nothing(client, clock, engine):
    ping(client)
    assert writes_during(engine, lambda: ping(client)) == []
    assert writes_during(engine, lambda: ping(client, user=None)) == []
    # anything new goes through the write path
    changed = {**USER, "traits": {**USER["traits"], "seats": 4}}
    assert writes_during(engine, lambda: ping(client, user=changed))


def test_last_seen_moves_once_per_period(client, clock, db):
    first = ping(client)["contact"]
    assert first["last_seen_at"] == "2026-03-01T12:00:00Z"
    clock.advance(seconds=LAST_SEEN_EVERY.total_seconds() - 1)
    assert ping(client)["contact"] == first
    (row,) = db.rows(contacts)
    assert as_utc(row["last_seen_at"]) == START
    clock.advance(seconds=1)
    later = ping(client)["contact"]
    assert later["first_seen_at"] == first["first_seen_at"]
    assert later["last_seen_at"] == "2026-03-01T13:00:00Z"
    (row,) = db.rows(contacts)
    assert as_utc(row["last_seen_at"]) == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    clock.set(START)  # a clock set back is a change too
    assert ping(client)["contact"]["last_seen_at"] == "2026-03-01T12:00:00Z"


def test_cached_surveys_follow_imports_from_another_process(client, db_url):
    def served():
        return [f["id"] for f in ping(client)["forms"]]

    assert served() == ["live-one"]
    other = make_engine(db_url)  # as the CLI would, with its own engine
    import_surveys(other, "p1", {"id": "new", "status": "live", "questions": []})
    assert served() == ["live-one", "new"]
    assert (
        client.post(
            "/api/v1/client/p1/forms/new", json={"anonymous_id": "anon-0000000001"}
        ).status_code
        == 200
    )
    import_surveys(other, "p1", {"id": "new", "status": "paused", "questions": []})
    assert served() == ["live-one"]
    assert (
        client.post(
            "/api/v1/client/p1/forms/new", json={"anonymous_id": "anon-0000000001"}
        ).status_code
        == 404
    )
    changed = {"id": "live-one", "status": "live", "questions": [], "logic": []}
    import_surveys(other, "p1", changed)
    assert ping(client)["forms"][0]["logic"] == []
    other.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's one write lock
def test_a_write_waits_for_another_process_lock(client, db_url, db):
    path = db_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, holder.execute, args=("COMMIT",))
    timer.start()
    try:
        body = {"event_id": "evt-00000001", "anonymous_id": "anon-00000001", "name": "x"}
        r = client.post("/api/v1/client/p1/events", json=body)
    finally:
        timer.join()
        holder.close()
    assert r.status_code == 202
    assert db.count(events) == 1

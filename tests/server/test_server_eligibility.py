"""The ping serves only what the contact may see now: eligibility over time (a set clock),
audiences on stored traits and events, stable sampling, refused users, query count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from refiner_server.client.signature import sign
from refiner_server.db import accounts, as_utc, contacts, events, traits
from refiner_server.projects import import_surveys

PING = "/api/v1/client/p1/ping"
ANON = "anon-0000000001"
SECRET = "s3cret-for-tests"  # the `sec` project of conftest.py
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(app):
    app.state.clock.set(START)
    return app.state.clock


def add(engine, *surveys):
    import_surveys(engine, "p1", [{"status": "live", "questions": [], **s} for s in surveys])


def served(client, user=None, anon=ANON, project="p1", signature=None):
    body = {"anonymous_id": anon, "user": user, "signature": signature}
    r = client.post(f"/api/v1/client/{project}/ping", json=body)
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["forms"]}


def write(client, kind, form_id, n, user_id=None, anon=ANON, **extra):
    singular = {"views": "view", "dismissals": "dismissal"}[kind]
    body = {
        f"{singular}_id": f"{singular}-{form_id}-{n:04d}",
        "form_id": form_id,
        "anonymous_id": anon,
        "user_id": user_id,
        **extra,
    }
    assert client.post(f"/api/v1/client/p1/{kind}", json=body).status_code == 202


def complete(client, form_id, n, anon=ANON):
    body = {"form_id": form_id, "anonymous_id": anon, "answers": {"q": 1}, "completed": True}
    r = client.put(f"/api/v1/client/p1/responses/resp-{form_id}-{n:04d}", json=body)
    assert r.status_code == 200


def test_the_clock_stamps_contacts(client, clock, db):
    served(client)
    clock.advance(days=3)
    served(client)
    (c,) = db.rows(contacts)
    assert (as_utc(c["first_seen_at"]), as_utc(c["last_seen_at"])) == (
        START,
        datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
    )


def test_schedule_over_time(client, clock, engine):
    add(engine, {"id": "spring", "schedule": {"start_at": "2026-03-10", "end_at": "2026-04-01"}})
    assert "spring" not in served(client)
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    assert "spring" in served(client)
    clock.set(datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    assert "spring" in served(client)
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    assert "spring" not in served(client)


def test_once_ends_with_completion_and_dismissal_retries(client, clock, engine):
    add(
        engine,
        {"id": "a"},
        {"id": "b", "frequency": {"repeat": "once", "dismissed_retry_days": 7}},
        {"id": "c", "frequency": {"repeat": "each_trigger"}},
    )
    assert {"a", "b", "c"} <= served(client)
    write(client, "views", "a", 1)
    assert "a" in served(client)  # seen but not acted on: still due
    complete(client, "a", 1)
    write(client, "dismissals", "b", 1)
    write(client, "dismissals", "c", 1)
    complete(client, "c", 1)
    assert served(client) == {"live-one", "c"}
    clock.advance(days=6, hours=23)
    assert "b" not in served(client)
    clock.advance(hours=1)
    assert served(client) == {"live-one", "b", "c"}


def test_interval_over_a_year(client, clock, engine):
    add(
        engine,
        {"id": "nps", "frequency": {"repeat": "interval", "interval_days": 90, "max_days": 200}},
    )
    assert "nps" in served(client)
    write(client, "views", "nps", 1)
    complete(client, "nps", 1)
    clock.advance(days=89)
    assert "nps" not in served(client)
    clock.advance(days=1)
    assert "nps" in served(client)
    clock.advance(days=10)  # shown again on day 100
    write(client, "views", "nps", 2)
    clock.advance(days=90)
    assert "nps" in served(client)  # day 190: 90 days after the last view, within 200
    clock.advance(days=10)
    assert "nps" not in served(client)  # day 200: max_days after the first view


def test_audience_on_stored_traits_account_and_events(client, clock, engine):
    add(
        engine,
        {
            "id": "pro",
            "audience": {
                "identified_only": True,
                "rules": [
                    {"trait": "plan", "op": "eq", "value": "pro"},
                    {"trait": "seats", "op": "gte", "value": 10},
                ],
            },
        },
        {
            "id": "gold",
            "audience": {"rules": [{"account_trait": "tier", "op": "eq", "value": "gold"}]},
        },
        {
            "id": "old",
            "audience": {
                "rules": [{"trait": "signed_up_at", "op": "more_than_days_ago", "value": 30}]
            },
        },
        {"id": "busy", "audience": {"rules": [{"event": "saved", "op": "at_least", "count": 2}]}},
        {"id": "anon", "audience": {"anonymous_only": True}},
    )
    assert served(client) == {"live-one", "anon"}
    user = {
        "id": "u1",
        "traits": {"plan": "pro", "seats": 9, "signed_up_at": "2026-02-15T00:00:00Z"},
        "account": {"id": "acc1", "traits": {"tier": "gold"}},
    }
    assert served(client, user) == {"live-one", "gold"}
    user["traits"]["seats"] = 12
    assert served(client, user) == {"live-one", "gold", "pro"}
    # traits are stored: a later ping without them still qualifies
    assert served(client, {"id": "u1"}) == {"live-one", "gold", "pro"}
    clock.set(datetime(2026, 3, 17, 0, 0, 1, tzinfo=UTC))
    assert "old" in served(client, {"id": "u1"})
    for n in range(2):
        body = {
            "event_id": f"evt-00000{n}x",
            "anonymous_id": ANON,
            "user_id": "u1",
            "name": "saved",
        }
        assert client.post("/api/v1/client/p1/events", json=body).status_code == 202
        assert ("busy" in served(client, {"id": "u1"})) is (n == 1)


def test_sample_is_stable_per_user_across_devices(client, clock, engine):
    add(engine, {"id": "half", "audience": {"sample_percent": 50}})
    answers = {}
    for i in range(40):
        user = {"id": f"user-{i}"}
        first = "half" in served(client, user, anon=f"device-a-{i:06d}")
        again = "half" in served(client, user, anon=f"device-b-{i:06d}")
        assert first == again
        answers[i] = first
    assert 5 < sum(answers.values()) < 35  # both outcomes occur


def test_forced_form_skips_audience_but_not_status(client, clock, engine):
    add(engine, {"id": "vip", "audience": {"identified_only": True, "sample_percent": 0}})
    assert "vip" not in served(client)
    assert (
        client.post("/api/v1/client/p1/forms/vip", json={"anonymous_id": ANON}).status_code == 200
    )
    add(engine, {"id": "vip", "status": "paused"})
    assert (
        client.post("/api/v1/client/p1/forms/vip", json={"anonymous_id": ANON}).status_code == 404
    )


def test_refused_user_is_neither_stored_nor_served(client, db, engine):
    import_surveys(engine, "sec", [{"id": "s", "status": "live", "questions": []}])
    user = {
        "id": "u1",
        "email": "a@b.c",
        "traits": {"plan": "pro"},
        "account": {"id": "acc", "traits": {"tier": "gold"}},
    }
    r = client.post(
        "/api/v1/client/sec/ping",
        json={"anonymous_id": ANON, "user": user, "signature": sign(SECRET, "u2")},
    )
    assert r.status_code == 403 and "forms" not in r.json()
    for path, body in [
        ("events", {"event_id": "evt-00000001", "name": "x"}),
        ("views", {"view_id": "view-0000001", "form_id": "s"}),
        ("dismissals", {"dismissal_id": "dism-0000001", "form_id": "s"}),
    ]:
        body.update(anonymous_id=ANON, user_id="u1", signature="00" * 32)
        assert client.post(f"/api/v1/client/sec/{path}", json=body).status_code == 403
    r = client.put(
        "/api/v1/client/sec/responses/resp-0000001",
        json={
            "form_id": "s",
            "user_id": "u1",
            "anonymous_id": ANON,
            "signature": "bad",
            "completed": True,
        },
    )
    assert r.status_code == 403
    for table in (contacts, accounts, traits, events):
        assert db.count(table) == 0
    assert served(client, user, project="sec", signature=sign(SECRET, "u1", "acc")) == {"s"}


def test_ping_queries_do_not_grow_with_surveys(client, clock, engine):
    def statements(n_surveys):
        add(
            engine,
            *[
                {
                    "id": f"s{n_surveys}-{i}",
                    "frequency": {"repeat": "once"},
                    "audience": {
                        "rules": [
                            {"trait": "plan", "op": "eq", "value": "pro"},
                            {"event": f"e{i}", "op": "at_least", "count": 0},
                        ]
                    },
                }
                for i in range(n_surveys)
            ],
        )
        seen = []
        # the ping's own statements: the app's webhook worker polls the same engine from
        # its thread meanwhile
        listener = lambda *a: "webhook" in a[2] or seen.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            served(client, {"id": "u1", "traits": {"plan": "pro"}})
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    served(client, {"id": "u1", "traits": {"plan": "pro"}})
    assert statements(1) == statements(30)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar() == 1

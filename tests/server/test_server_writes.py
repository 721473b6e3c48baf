"""Events, views, dismissals and responses: the right rows, once per client id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from refiner_server.db import contacts, dismissals, events, responses, views
from refiner_server.projects import import_surveys

API = "/api/v1/client/p1"
ANON = "anon-0000000001"


def utc(row_value: datetime) -> datetime:
    return row_value.replace(tzinfo=UTC) if row_value.tzinfo is None else row_value


def test_event_is_stored(client, db):
    body = {
        "event_id": "evt-00000001",
        "anonymous_id": ANON,
        "user_id": None,
        "name": "Clicked Upgrade",
        "occurred_at": "2026-01-02T03:04:05Z",
        "unknown_field": "ignored",
    }
    r = client.post(f"{API}/events", json=body)
    assert r.status_code == 202
    assert r.json() == {"id": "evt-00000001"}
    (e,) = db.rows(events)
    assert (e["project_id"], e["event_id"], e["name"]) == ("p1", "evt-00000001", "Clicked Upgrade")
    assert utc(e["occurred_at"]) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    (c,) = db.rows(contacts)
    assert e["contact_pk"] == c["pk"] and c["user_id"] is None


def test_event_without_time_gets_receive_time(client, db):
    before = datetime.now(UTC).replace(microsecond=0)
    client.post(
        f"{API}/events", json={"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x"}
    )
    (e,) = db.rows(events)
    assert utc(e["occurred_at"]) >= before


def test_identified_write_resolves_the_user(client, db):
    client.post(f"{API}/events", json={"event_id": "evt-00000001", "user_id": "u9", "name": "x"})
    (c,) = db.rows(contacts)
    assert c["user_id"] == "u9" and db.rows(events)[0]["contact_pk"] == c["pk"]


@pytest.mark.parametrize(
    ("path", "table", "body"),
    [
        ("events", events, {"event_id": "same-id-0001", "name": "opened"}),
        ("views", views, {"view_id": "same-id-0001", "form_id": "live-one"}),
        ("dismissals", dismissals, {"dismissal_id": "same-id-0001", "form_id": "live-one"}),
    ],
)
def test_retried_write_stores_once_and_answers_the_same(client, db, path, table, body):
    body = {**body, "anonymous_id": ANON}
    first = client.post(f"{API}/{path}", json=body)
    second = client.post(f"{API}/{path}", json=body)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json() == {"id": "same-id-0001"}
    assert db.count(table) == 1
    # a retry carrying another anonymous id does not create a contact either
    client.post(f"{API}/{path}", json={**body, "anonymous_id": "anon-other-0001"})
    assert db.count(table) == 1 and db.count(contacts) == 1


def test_same_client_id_in_two_projects_is_two_rows(client, db, engine):
    from refiner_server.projects import create_project

    create_project(engine, "p2")
    body = {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x"}
    client.post(f"{API}/events", json=body)
    client.post("/api/v1/client/p2/events", json=body)
    assert sorted(e["project_id"] for e in db.rows(events)) == ["p1", "p2"]
    assert db.count(contacts) == 2  # contacts are per project


def test_view_and_dismissal_rows(client, db):
    client.post(
        f"{API}/views",
        json={
            "view_id": "view-0000001",
            "form_id": "live-one",
            "anonymous_id": ANON,
            "shown_at": "2026-03-04T05:06:07Z",
        },
    )
    client.post(
        f"{API}/dismissals",
        json={
            "dismissal_id": "dism-0000001",
            "form_id": "live-one",
            "anonymous_id": ANON,
            "dismissed_at": "2026-03-04T05:06:09Z",
        },
    )
    (v,) = db.rows(views)
    (d,) = db.rows(dismissals)
    assert (v["view_id"], v["form_id"]) == ("view-0000001", "live-one")
    assert utc(v["shown_at"]) == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert (d["dismissal_id"], d["form_id"]) == ("dism-0000001", "live-one")
    assert utc(d["dismissed_at"]) == datetime(2026, 3, 4, 5, 6, 9, tzinfo=UTC)
    assert v["contact_pk"] == d["contact_pk"]


RESP = f"{API}/responses/resp-0000001"


ASKED = {
    "id": "asked",
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps"},
        {"id": "why", "type": "text"},
        {"id": "plan", "type": "multiple_choice", "choices": [{"id": "free"}, {"id": "pro"}]},
        {"id": "a", "type": "nps"},
        {"id": "b", "type": "nps"},
    ],
}


@pytest.fixture
def asked(engine):
    """A survey whose questions take the answers these tests send."""
    import_surveys(engine, "p1", [ASKED])


def test_response_partial_then_completed(client, db, asked):
    partial = {
        "form_id": "asked",
        "anonymous_id": ANON,
        "answers": {"score": 9},
        "data": {"source": "email"},
        "locale": "de",
        "page_url": "https://x/app",
        "completed": False,
    }
    r = client.put(RESP, json=partial)
    assert r.status_code == 200
    assert r.json()["completed"] is False and r.json()["completed_at"] is None
    (row,) = db.rows(responses)
    assert row["answers"] == {"score": 9} and row["data"] == {"source": "email"}
    assert (row["locale"], row["page_url"], row["completed"]) == ("de", "https://x/app", False)

    done = {**partial, "answers": {"score": 9, "why": "fast", "plan": ["pro"]}, "completed": True}
    r = client.put(RESP, json=done)
    assert r.status_code == 200
    out = r.json()
    assert out["completed"] is True and out["completed_at"] is not None
    (row,) = db.rows(responses)
    assert row["answers"] == {"score": 9, "why": "fast", "plan": ["pro"]}
    assert row["completed"] is True and row["completed_at"] is not None
    assert db.count(responses) == 1

    # a retry of the completing save answers the same and changes nothing
    again = client.put(RESP, json=done)
    assert again.status_code == 200 and again.json() == out
    (row2,) = db.rows(responses)
    assert row2 == row


def test_completed_stays_completed(client, db, asked):
    base = {"form_id": "asked", "anonymous_id": ANON}
    client.put(RESP, json={**base, "answers": {"a": 1}, "completed": True})
    (done,) = db.rows(responses)
    # a late, stale partial save (e.g. a delayed retry) does not undo the completion
    r = client.put(RESP, json={**base, "answers": {"a": 0}, "completed": False})
    assert r.status_code == 200 and r.json()["completed"] is True
    (row,) = db.rows(responses)
    assert row["completed"] is True and row["answers"] == {"a": 1}
    assert row["completed_at"] == done["completed_at"]
    # a later completed save may still replace answers; completed_at is set once
    client.put(RESP, json={**base, "answers": {"a": 2}, "data": {"x": 1}, "completed": True})
    (row,) = db.rows(responses)
    assert row["answers"] == {"a": 2} and row["data"] == {"x": 1}
    assert row["completed_at"] == done["completed_at"]


def test_response_latest_answers_replace(client, db, asked):
    base = {"form_id": "asked", "anonymous_id": ANON}
    client.put(RESP, json={**base, "answers": {"a": 1, "b": 2}})
    client.put(RESP, json={**base, "answers": {"a": 3}})
    (row,) = db.rows(responses)
    assert row["answers"] == {"a": 3} and row["completed"] is False


def test_response_form_mismatch_conflicts(client, db):
    client.put(RESP, json={"form_id": "live-one", "anonymous_id": ANON})
    r = client.put(RESP, json={"form_id": "another", "anonymous_id": ANON})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "response_form_mismatch"
    assert db.rows(responses)[0]["form_id"] == "live-one"


def test_concurrent_writes_from_many_threads(client, db):
    """The threadpool runs handlers in parallel: SQLite must queue them, not fail."""
    from concurrent.futures import ThreadPoolExecutor

    def send(i: int) -> int:
        body = {"event_id": f"evt-{i % 20:08d}", "anonymous_id": f"anon-{i % 5:08d}", "name": "x"}
        return client.post(f"{API}/events", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(60)))
    assert statuses == [202] * 60
    assert db.count(events) == 20


ANYONE = {"anonymous_id": ANON}


def test_get_live_form_whoever_asks(client, db):
    r = client.post(f"{API}/forms/live-one", json=ANYONE, headers={"origin": "https://site"})
    assert r.status_code == 200
    assert r.json() == {"id": "live-one", "questions": []}  # the client view: no status
    assert r.headers["access-control-allow-origin"] == "*"
    assert db.count(contacts) == 0  # a read: nobody is created


@pytest.mark.parametrize("form_id", ["draft-one", "paused-one", "missing"])
def test_get_form_not_live_is_404(client, form_id):
    r = client.post(f"{API}/forms/{form_id}", json=ANYONE)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "form_not_found"


def test_get_form_unknown_project(client):
    r = client.post("/api/v1/client/nope/forms/live-one", json=ANYONE)
    assert r.status_code == 404 and r.json()["error"]["code"] == "project_not_found"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's one write lock
def test_get_form_does_not_wait_for_writers(client, engine):
    """Reads begin DEFERRED: a writer holding the SQLite write lock does not block them."""
    import time

    with engine.begin() as writer:  # BEGIN IMMEDIATE: holds the write lock
        writer.execute(contacts.select())
        t = time.monotonic()
        assert client.post(f"{API}/forms/live-one", json=ANYONE).status_code == 200
        assert time.monotonic() - t < 5

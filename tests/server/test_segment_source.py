"""The Segment source (`/api/segment/v1`) on SQLite and PostgreSQL: Segment's own Python
library (`segment-analytics-python`, from PyPI) pointed at a live server on 127.0.0.1, and
the HTTP calls it and RudderStack's libraries make (Basic write key, batch, gzip): identify
sets traits, group an account with traits, track an event once per messageId, page marks
the contact seen; a bad message costs itself, not its batch."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest
from segment.analytics import Client

from refiner_server.db import accounts, contact_anonymous_ids, contacts, events, traits
from refiner_server.server_api.keys import create_key, revoke_key

SEGMENT = "/api/segment/v1"


@pytest.fixture
def write_key(app) -> str:
    return create_key(app.state.admin_engine, "p1", "segment")[1]


def basic(raw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{raw}:".encode()).decode()}


def trait_values(db, **owner) -> dict:
    ((column, pk),) = owner.items()
    out = {}
    for r in db.rows(traits, traits.c[column] == pk):
        out[r["key"]] = next(
            v
            for v in (r["value_text"], r["value_int"], r["value_bool"], r["value_date"])
            if v is not None
        )
    return out


def user(db, user_id: str) -> dict:
    (row,) = db.rows(contacts, contacts.c.user_id == user_id)
    return row


def test_segments_python_library_reaches_the_database(live, db, write_key):
    errors = []
    analytics = Client(
        write_key,
        host=live + "/api/segment",
        on_error=lambda exc, batch: errors.append(exc),
        max_retries=1,
        upload_interval=0.05,
    )
    analytics.identify(
        "user-7",
        {"email": "ada@example.com", "name": "Ada", "plan": "pro", "logins": 12, "vip": True},
        anonymous_id="5f0c6a3e-9d8b-4b0e-8a43-1f6f3b1b2c44",
    )
    analytics.group("user-7", "acme", {"name": "Acme", "employees": 120, "industry": "tools"})
    analytics.track(
        "user-7",
        "Order Completed",
        {"revenue": 30},
        timestamp=datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
        message_id="order-0000000042",
    )
    analytics.page(anonymous_id="visitor-0000001", name="Pricing")
    analytics.flush()
    analytics.join()
    assert errors == []

    person = user(db, "user-7")
    assert (person["email"], person["name"]) == ("ada@example.com", "Ada")
    assert trait_values(db, contact_pk=person["pk"]) == {"plan": "pro", "logins": 12, "vip": True}
    (anon,) = db.rows(contact_anonymous_ids, contact_anonymous_ids.c.contact_pk == person["pk"])
    assert anon["anonymous_id"] == "5f0c6a3e-9d8b-4b0e-8a43-1f6f3b1b2c44"
    (account,) = db.rows(accounts)
    assert (account["account_id"], account["name"], person["account_pk"]) == (
        "acme",
        "Acme",
        account["pk"],
    )
    assert trait_values(db, account_pk=account["pk"]) == {"employees": 120, "industry": "tools"}
    (event,) = db.rows(events)
    assert (event["event_id"], event["name"], event["contact_pk"]) == (
        "order-0000000042",
        "Order Completed",
        person["pk"],
    )
    assert event["occurred_at"].replace(tzinfo=UTC) == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    visitor = db.rows(
        contact_anonymous_ids, contact_anonymous_ids.c.anonymous_id == "visitor-0000001"
    )
    assert len(visitor) == 1 and db.count(contacts) == 2


def test_the_library_hears_a_revoked_write_key_refused(live, app, db, write_key):
    revoke_key(app.state.admin_engine, write_key.split("_")[1])
    errors = []
    analytics = Client(
        write_key,
        host=live + "/api/segment",
        on_error=lambda exc, batch: errors.append(exc),
        max_retries=0,
    )
    analytics.track("user-7", "Order Completed")
    analytics.flush()
    analytics.join()
    assert [e.status for e in errors] == [401]
    assert db.count(events) == 0


BATCH = {
    "batch": [
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"plan": "pro", "address": {"city": "Graz"}},
            "context": {"traits": {"plan": "free", "seats": 4}},
            "messageId": "m-1",
        },
        {"type": "track", "userId": "u1", "event": "Signed Up", "messageId": "ajs-m2"},
        {"type": "track", "userId": "u1"},
        {"type": "alias", "userId": "u1", "previousId": "old"},
        {"type": "group", "userId": "u1", "traits": {"name": "No id"}},
        {"type": "screen", "anonymousId": 1234567890123},
        {"type": "track", "userId": {"not": "an id"}, "event": "x"},
    ],
    "sentAt": "2026-12-07T12:00:00Z",
}


def test_a_batch_stores_every_good_message_and_notes_the_others(client, db, write_key):
    r = client.post(SEGMENT + "/batch", json=BATCH, headers=basic(write_key))
    assert r.status_code == 200
    out = r.json()
    assert out["success"] is True
    assert [note.split(":")[0] for note in out["dropped"]] == [
        "batch[0] identify",
        "batch[2] track",
        "batch[3] alias",
        "batch[4] group",
        "batch[6] track",
    ]
    assert "trait address dropped" in out["dropped"][0]
    assert "groupId" in out["dropped"][3] and "userId" in out["dropped"][4]
    person = user(db, "u1")
    # the call's own traits win over context.traits
    assert trait_values(db, contact_pk=person["pk"]) == {"plan": "pro", "seats": 4}
    assert [e["name"] for e in db.rows(events)] == ["Signed Up"]
    screen = db.rows(contact_anonymous_ids, contact_anonymous_ids.c.anonymous_id == "1234567890123")
    assert len(screen) == 1


def test_a_retried_batch_stores_nothing_new(client, db, write_key):
    for _ in range(2):
        r = client.post(SEGMENT + "/batch", json=BATCH, headers=basic(write_key))
        assert r.status_code == 200
    assert db.count(events) == 1 and db.count(contacts) == 2
    assert len(db.rows(traits)) == 2


def test_a_short_or_odd_message_id_stays_one_event(client, db, write_key):
    body = {"userId": "u1", "event": "x", "messageId": "m:1/odd id"}
    for _ in range(2):
        assert client.post(SEGMENT + "/track", json=body, headers=basic(write_key)).json() == {
            "success": True,
            "dropped": [],
        }
    (event,) = db.rows(events)
    assert len(event["event_id"]) == 64


def test_a_gzipped_batch_is_read(client, db, write_key):
    body = gzip.compress(json.dumps(BATCH).encode())
    headers = {**basic(write_key), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    r = client.post(SEGMENT + "/batch", content=body, headers=headers)
    assert r.status_code == 200 and db.count(events) == 1


def test_a_gzip_bomb_and_a_broken_gzip_are_refused(client, db, write_key):
    headers = {**basic(write_key), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    bomb = gzip.compress(b'{"batch": [], "pad": "' + b"a" * (5 * 1024 * 1024) + b'"}')
    r = client.post(SEGMENT + "/batch", content=bomb, headers=headers)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    r = client.post(SEGMENT + "/batch", content=b"not gzip", headers=headers)
    assert r.status_code == 400 and r.json()["error"] == {
        "code": "bad_request",
        "message": "body: not gzip data",
    }
    assert db.count(contacts) == 0


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("identify", {"traits": {"plan": "pro"}}, "userId: Field required"),
        ("group", {"userId": "u1"}, "groupId: Field required"),
        ("track", {"anonymousId": "anon-00000001"}, "event: Field required"),
        ("track", {"userId": "u1", "event": "  "}, "event: the event name must be"),
        ("track", {"event": "x"}, "body: a userId or an anonymousId is required"),
        ("page", {}, "body: a userId or an anonymousId is required"),
        ("track", {"userId": "u1", "event": "x", "timestamp": "yesterday"}, "timestamp: must be"),
        ("identify", {"userId": False}, "userId: must be a string or a whole number"),
        ("webhook", {"userId": "u1"}, "body: Unable to extract tag using discriminator 'type'"),
        ("webhook", {"type": "alias", "userId": "u1"}, "body: Input tag 'alias'"),
    ],
)
def test_a_single_call_that_cannot_be_stored_is_422(client, db, write_key, kind, body, message):
    r = client.post(f"{SEGMENT}/{kind}", json=body, headers=basic(write_key))
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(message)
    assert db.count(contacts) == 0


def test_the_write_key_is_required_and_only_as_basic_user(client, db, write_key):
    body = {"userId": "u1", "event": "x"}
    assert client.post(SEGMENT + "/track", json=body).status_code == 401
    r = client.post(SEGMENT + "/track", json=body, headers=basic("rfs_0123456789ab_wrong"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    r = client.post(SEGMENT + "/track", json=body, headers={"Authorization": f"Bearer {write_key}"})
    assert r.status_code == 401
    assert db.count(events) == 0


def test_a_webhook_destination_sends_every_type_to_one_url(client, db, write_key):
    for message in BATCH["batch"][:2]:
        r = client.post(SEGMENT + "/webhook", json=message, headers=basic(write_key))
        assert r.status_code == 200
    assert [e["name"] for e in db.rows(events)] == ["Signed Up"]
    assert trait_values(db, contact_pk=user(db, "u1")["pk"]) == {"plan": "pro", "seats": 4}

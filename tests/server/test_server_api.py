"""The server API (`/api/v1/server`) and its keys, on SQLite and PostgreSQL: a key is one
project's, stored hashed and refused once revoked; identify-user and track-event store
what the browser's identifyUser and trackEvent would, by the client's rules; an event id
makes a retry store nothing; the endpoints are not open to pages of other origins."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from refiner_server import cli
from refiner_server.db import accounts, contacts, events, server_keys, traits
from refiner_server.projects import create_project
from refiner_server.server_api.keys import create_key, list_keys, revoke_key, verify_key

API = "/api/v1/server"


@pytest.fixture
def key(app) -> str:
    return create_key(app.state.admin_engine, "p1", "backend")[1]


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def contact(db, user_id: str) -> dict:
    (row,) = db.rows(contacts, contacts.c.user_id == user_id)
    return row


def traits_of(db, **owner) -> dict:
    """(type, text, int, bool, date) of each trait of one contact or account, by key."""
    ((column, pk),) = owner.items()
    columns = ("type", "value_text", "value_int", "value_bool", "value_date")
    return {r["key"]: tuple(r[c] for c in columns) for r in db.rows(traits, traits.c[column] == pk)}


# -- keys ---------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_listed_by_prefix_and_dies_when_revoked(app, db, client):
    engine = app.state.admin_engine
    key_id, raw = create_key(engine, "p1", "billing")
    assert raw.startswith(f"rfs_{key_id}_") and len(raw) > 40
    (row,) = db.rows(server_keys)
    secret = raw[len(f"rfs_{key_id}_") :]  # may hold "_" itself
    assert row["project_id"] == "p1" and secret not in str(row)
    assert row["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    (listed,) = list_keys(engine, "p1")
    assert listed["prefix"] == f"rfs_{key_id}" and listed["name"] == "billing"
    assert listed["last_used_at"] is None and listed["revoked_at"] is None
    assert "token_hash" not in listed and list_keys(engine, "sec") == []

    body = {"id": "u1", "event": "paid"}
    assert client.post(API + "/track-event", json=body, headers=bearer(raw)).status_code == 202
    assert list_keys(engine)[0]["last_used_at"] is not None

    assert not revoke_key(engine, key_id, "sec")  # another project's key: untouched
    assert revoke_key(engine, key_id, "p1") and not revoke_key(engine, key_id)
    r = client.post(API + "/track-event", json=body, headers=bearer(raw))
    assert r.status_code == 401 and r.json()["error"] == {
        "code": "unauthorized",
        "message": "invalid or revoked key",
    }
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert list_keys(engine)[0]["revoked_at"] is not None
    assert db.count(events) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer rfs_"},
        {"Authorization": "Bearer rfs_0123456789ab_not-the-secret"},
        {"Authorization": "Basic Zm9vOg=="},
    ],
)
def test_no_key_or_a_wrong_one_is_401_with_the_json_error(client, db, key, headers):
    r = client.post(API + "/identify-user", json={"id": "u1", "plan": "pro"}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert db.count(contacts) == 0


def test_an_admin_token_is_not_a_server_key_nor_the_other_way(app, client, key):
    from refiner_server.tokens import create_token, verify_token

    _token_id, admin = create_token(app.state.admin_engine, "admin")
    r = client.post(API + "/identify-user", json={"id": "u1"}, headers=bearer(admin))
    assert r.status_code == 401
    assert verify_token(app.state.admin_engine, key) is None
    assert verify_key(app.state.admin_engine, admin) is None


def test_a_key_writes_to_its_own_project_only(app, client, db):
    create_project(app.state.engine, "p2")
    raw = create_key(app.state.admin_engine, "p2", "other")[1]
    r = client.post(API + "/identify-user", json={"id": "u1", "plan": "pro"}, headers=bearer(raw))
    assert r.status_code == 200
    assert [c["project_id"] for c in db.rows(contacts)] == ["p2"]


def test_keys_go_with_their_project(app, db):
    raw = create_key(app.state.admin_engine, "p1", "backend")[1]
    with app.state.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM projects WHERE id = 'p1'"))
    assert db.count(server_keys) == 0 and verify_key(app.state.admin_engine, raw) is None


def test_a_key_needs_a_project_and_a_name(app):
    from refiner_server.surveys.store import NotFound

    with pytest.raises(NotFound):
        create_key(app.state.admin_engine, "nope", "backend")
    with pytest.raises(ValueError):
        create_key(app.state.admin_engine, "p1", "")


def test_the_cli_creates_lists_and_revokes_keys(db_url, capsys):
    assert cli.main(["project", "create", "acme", "--db", db_url]) == 0
    assert cli.main(["key", "create", "acme", "ci runner", "--db", db_url]) == 0
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key_id = raw.split("_")[1]
    assert cli.main(["key", "list", "--project", "acme", "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert f"rfs_{key_id}\tacme\tci runner\t" in listed and "\tlive" in listed
    assert raw not in listed
    assert cli.main(["key", "revoke", key_id, "--db", db_url]) == 0
    assert cli.main(["key", "revoke", key_id, "--db", db_url]) == 1
    assert cli.main(["key", "create", "nope", "x", "--db", db_url]) == 1
    capsys.readouterr()
    assert cli.main(["key", "list", "--db", db_url]) == 0
    assert "\trevoked " in capsys.readouterr().out


# -- identify-user ------------------------------------------------------------------------


def test_identify_user_stores_what_identifyuser_would_and_drops_bad_traits(client, db, key):
    body = {
        "id": 42.0,  # a whole number is its digits, as in the browser
        "email": "ada@example.com",
        "name": "Ada",
        "locale": "de_AT",
        "plan": "pro",
        "seats": 5,
        "beta": True,
        "zip": "01234",  # a quoted number stays a string
        "signed_up_at": 1700000000,  # a Unix timestamp on an `_at` key is a date
        "nested": {"no": "objects"},
        "huge": 2**40,
        "bad_at": "not a date",
        "account": {"id": "acme", "name": "Acme", "tier": "gold", "list": [1]},
    }
    r = client.post(API + "/identify-user", json=body, headers=bearer(key))
    assert r.status_code == 200
    out = r.json()
    assert out["id"] == "42"
    assert sorted(note.split(" dropped")[0] for note in out["dropped"]) == [
        "account trait list",
        "trait bad_at",
        "trait huge",
        "trait nested",
    ]
    person = contact(db, "42")
    assert (person["email"], person["name"]) == ("ada@example.com", "Ada")
    stored = traits_of(db, contact_pk=person["pk"])
    assert stored["plan"][:2] == ("string", "pro") and stored["zip"][:2] == ("string", "01234")
    assert stored["seats"][2] == 5 and stored["beta"][3] is True
    assert stored["locale"][:2] == ("string", "de-AT")
    signed_up = stored["signed_up_at"][4].replace(tzinfo=UTC)
    assert stored["signed_up_at"][0] == "date"
    assert signed_up == datetime.fromtimestamp(1700000000, UTC)
    assert set(stored) == {"plan", "zip", "seats", "beta", "locale", "signed_up_at"}
    (account,) = db.rows(accounts)
    assert (account["account_id"], account["name"], person["account_pk"]) == (
        "acme",
        "Acme",
        account["pk"],
    )
    assert set(traits_of(db, account_pk=account["pk"])) == {"tier"}


def test_fields_identifyuser_ignores_are_dropped_with_a_note(client, db, key):
    body = {"id": "u1", "email": 5, "name": ["x"], "locale": "??", "account": "acme"}
    r = client.post(API + "/identify-user", json=body, headers=bearer(key))
    assert r.status_code == 200
    assert sorted(note.split(" ")[0] for note in r.json()["dropped"]) == [
        "account",
        "email",
        "locale",
        "name",
    ]
    person = contact(db, "u1")
    assert (person["email"], person["name"], person["account_pk"]) == (None, None, None)
    assert db.count(traits) == 0 and db.count(accounts) == 0


def test_identify_user_twice_stores_nothing_new(client, db, key):
    body = {"id": "u1", "plan": "pro", "account": {"id": "acme", "seats": 3}}
    assert client.post(API + "/identify-user", json=body, headers=bearer(key)).status_code == 200
    before = db.rows(traits), db.rows(accounts), db.count(contacts)
    assert client.post(API + "/identify-user", json=body, headers=bearer(key)).status_code == 200
    assert (db.rows(traits), db.rows(accounts), db.count(contacts)) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "a@b.c"}, "id: Field required"),
        ({"id": None}, "id: must be a string or a whole number"),
        ({"id": ""}, "id: the id must be a non-empty string"),
        ({"id": "   "}, "id: the id must be a non-empty string"),
        ({"id": "x" * 256}, "id: the id is at most 255 characters"),
        ({"id": "a\u0000b"}, "id: the id: text cannot hold a NUL character"),
        ({"id": ["u1"]}, "id: must be a string or a whole number"),
        ({"id": True}, "id: must be a string or a whole number"),
        ({"id": 2**60}, "id: a number id is whole and lies in"),
        ({"id": 1.5}, "id: a number id is whole and lies in"),
    ],
)
def test_identify_user_without_a_usable_id_is_422(client, db, key, body, message):
    r = client.post(API + "/identify-user", json=body, headers=bearer(key))
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(message)
    assert db.count(contacts) == 0


def test_a_verified_project_takes_the_key_for_a_signature(app, client, db):
    raw = create_key(app.state.admin_engine, "sec", "backend")[1]
    r = client.post(API + "/identify-user", json={"id": "u1", "plan": "pro"}, headers=bearer(raw))
    assert r.status_code == 200
    r = client.post(API + "/track-event", json={"id": "u1", "event": "paid"}, headers=bearer(raw))
    assert r.status_code == 202
    assert db.count(events) == 1
    # the browser without a signature is still refused there
    r = client.post(
        "/api/v1/client/sec/events",
        json={"event_id": "evt-00000009", "user_id": "u1", "name": "paid"},
    )
    assert r.status_code == 401


# -- track-event --------------------------------------------------------------------------


def test_track_event_is_idempotent_by_its_event_id(client, db, key):
    body = {
        "id": "u1",
        "event": "Order Completed",
        "event_id": "order-000123",
        "occurred_at": "2026-03-01T12:00:00+02:00",
    }
    r = client.post(API + "/track-event", json=body, headers=bearer(key))
    assert r.status_code == 202 and r.json() == {"id": "order-000123", "stored": True}
    r = client.post(API + "/track-event", json=body, headers=bearer(key))
    assert r.status_code == 202 and r.json() == {"id": "order-000123", "stored": False}
    (event,) = db.rows(events)
    assert event["name"] == "Order Completed" and event["contact_pk"] == contact(db, "u1")["pk"]
    assert event["occurred_at"].replace(tzinfo=UTC) == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_track_event_without_an_id_is_a_new_event_each_time(client, db, key):
    for _ in range(2):
        r = client.post(API + "/track-event", json={"id": "u1", "event": "x"}, headers=bearer(key))
        assert r.status_code == 202 and r.json()["stored"] is True
    assert db.count(events) == 2 and db.count(contacts) == 1


def test_an_event_id_of_another_user_is_409_and_stores_nothing(client, db, key):
    body = {"id": "u1", "event": "x", "event_id": "evt-00000001"}
    assert client.post(API + "/track-event", json=body, headers=bearer(key)).status_code == 202
    r = client.post(API + "/track-event", json=dict(body, id="u2"), headers=bearer(key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "id_taken"
    assert [e["contact_pk"] for e in db.rows(events)] == [contact(db, "u1")["pk"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "u1", "event": ""}, "event:"),
        ({"id": "u1", "event": "x" * 256}, "event:"),
        ({"id": "u1", "event": "x", "event_id": "short"}, "event_id"),
        ({"id": "u1", "event": "x", "event_id": "has space in it"}, "event_id"),
        ({"id": "u1", "event": "x", "occurred_at": "yesterday"}, "occurred_at"),
        ({"id": "u1", "event": "x", "occurred_at": "2026-03-01T12:00:00"}, "occurred_at"),
        ({"event": "x"}, "id"),
    ],
)
def test_a_bad_event_is_422_naming_the_field(client, db, key, body, field):
    r = client.post(API + "/track-event", json=body, headers=bearer(key))
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(field)
    assert db.count(events) == 0


# -- server to server ----------------------------------------------------------------------


def test_the_server_api_is_not_open_to_other_origins(client, key):
    preflight = client.options(
        API + "/track-event",
        headers={"Origin": "https://site.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400
    r = client.post(
        API + "/track-event",
        json={"id": "u1", "event": "x"},
        headers={**bearer(key), "Origin": "https://site.example"},
    )
    assert r.status_code == 202 and "access-control-allow-origin" not in r.headers


def test_openapi_documents_the_endpoints_and_their_keys(client):
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["server key"]["scheme"] == "bearer"
    assert schemes["write key"]["scheme"] == "basic"
    for path in ("/identify-user", "/track-event"):
        operation = spec["paths"][API + path]["post"]
        assert operation["security"] == [{"server key": []}]
        assert {"401", "422"} <= set(operation["responses"])
    for kind in ("batch", "webhook", "identify", "track", "group", "page", "screen"):
        assert spec["paths"][f"/api/segment/v1/{kind}"]["post"]["security"] == [{"write key": []}]

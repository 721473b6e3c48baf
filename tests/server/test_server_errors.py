"""Every refusal is `{"error": {"code", "message"}}` with a 4xx, and stores nothing."""

from __future__ import annotations

import pytest

from refiner_server.db import contacts, events, responses, traits

API = "/api/v1/client/p1"
ANON = "anon-0000000001"


def error_of(r, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


def test_bad_json(client, db):
    r = client.post(
        f"{API}/ping", content=b'{"anonymous_id": ', headers={"content-type": "application/json"}
    )
    error_of(r, 400, "invalid_json")
    assert db.count(contacts) == 0


def test_body_as_text_plain_is_json(client, db):
    """navigator.sendBeacon sends text/plain: accepted as JSON on the client API."""
    body = b'{"event_id": "evt-00000001", "anonymous_id": "anon-0000000001", "name": "x"}'
    for ctype in ("text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None):
        headers = {"content-type": ctype} if ctype else {}
        r = client.post(f"{API}/events", content=body, headers=headers)
        assert r.status_code == 202, r.text
    assert db.count(events) == 1


def test_missing_body(client):
    msg = error_of(client.post(f"{API}/events"), 422, "validation_error")
    assert msg.startswith("body")


def test_body_must_be_an_object(client):
    error_of(client.post(f"{API}/ping", json=[1, 2]), 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"anonymous_id": "short"}, "anonymous_id"),
        ({"anonymous_id": "has spaces in it"}, "anonymous_id"),
        ({"anonymous_id": "x" * 65}, "anonymous_id"),
        ({"anonymous_id": 12345678}, "anonymous_id"),
        ({}, "anonymous_id or a user id"),
        ({"anonymous_id": ANON, "user": {"id": ""}}, "user.id"),
        ({"anonymous_id": ANON, "user": {"id": "u1", "name": "n" * 256}}, "user.name"),
        ({"anonymous_id": ANON, "page": {"url": "https://x/" + "a" * 2048}}, "page.url"),
        ({"anonymous_id": ANON, "user": "u1"}, "user"),
    ],
)
def test_ping_validation_names_the_field(client, db, body, field):
    msg = error_of(client.post(f"{API}/ping", json=body), 422, "validation_error")
    assert field in msg
    assert db.count(contacts) == 0 and db.count(traits) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"anonymous_id": ANON, "user": {"id": "u1", "traits": {"plan": "p" * 256}}},
            "user.traits.plan",
        ),
        (
            {"anonymous_id": ANON, "user": {"id": "u1", "traits": {"score": 1.5}}},
            "user.traits.score",
        ),
        ({"anonymous_id": ANON, "user": {"id": "u1", "traits": {"list": [1]}}}, "user.traits.list"),
        ({"anonymous_id": ANON, "user": {"id": "u1", "traits": {"nil": None}}}, "user.traits.nil"),
        ({"anonymous_id": ANON, "user": {"id": "u1", "traits": {"big": 2**31}}}, "user.traits.big"),
        (
            {"anonymous_id": ANON, "user": {"id": "u1", "traits": {"seen_at": "yesterday"}}},
            "seen_at",
        ),
        (
            {
                "anonymous_id": ANON,
                "user": {"id": "u1", "traits": {f"k{i}": i for i in range(101)}},
            },
            "user.traits",
        ),
        (
            {
                "anonymous_id": ANON,
                "user": {"id": "u1", "account": {"id": "a", "traits": {"x": 1.5}}},
            },
            "user.account.traits.x",
        ),
    ],
)
def test_a_bad_trait_is_dropped_and_named_not_the_ping(client, db, caplog, body, field):
    """Issue 13, item 9: one trait that breaks a rule is dropped with a note naming it (the
    server's log); the ping goes through and the contact is stored."""
    r = client.post(f"{API}/ping", json=body)
    assert r.status_code == 200, r.text
    assert db.count(contacts) == 1
    notes = [rec.getMessage() for rec in caplog.records if "dropped" in rec.getMessage()]
    assert len(notes) == 1 and field.rsplit(".", 1)[-1] in notes[0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"anonymous_id": ANON, "name": "x"}, "event_id"),
        ({"event_id": "evt-00000001", "anonymous_id": ANON}, "name"),
        ({"event_id": "evt-00000001", "anonymous_id": ANON, "name": ""}, "name"),
        ({"event_id": "evt-00000001", "anonymous_id": ANON, "name": "n" * 256}, "name"),
        ({"event_id": "evt-00000001", "anonymous_id": ANON, "name": 5}, "name"),
        ({"event_id": "evt/0000001", "anonymous_id": ANON, "name": "x"}, "event_id"),
        (
            {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x", "occurred_at": "soon"},
            "occurred_at",
        ),
    ],
)
def test_event_validation(client, db, body, field):
    msg = error_of(client.post(f"{API}/events", json=body), 422, "validation_error")
    assert msg.startswith(field) or f"; {field}" in msg
    assert db.count(events) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"anonymous_id": ANON}, "form_id"),
        ({"form_id": "f", "anonymous_id": ANON, "answers": [1]}, "answers"),
        (
            {"form_id": "f", "anonymous_id": ANON, "answers": {f"q{i}": i for i in range(501)}},
            "answers",
        ),
        ({"form_id": "f", "anonymous_id": ANON, "completed": "yes"}, "completed"),
        ({"form_id": "f", "anonymous_id": ANON, "page_url": "u" * 2049}, "page_url"),
    ],
)
def test_response_validation(client, db, body, field):
    r = client.put(f"{API}/responses/resp-0000001", json=body)
    assert field in error_of(r, 422, "validation_error")
    assert db.count(responses) == 0


def test_bad_response_id_in_path(client):
    r = client.put(f"{API}/responses/short", json={"form_id": "f", "anonymous_id": ANON})
    assert "response_id" in error_of(r, 422, "validation_error")


def test_unknown_project(client, db):
    r = client.post("/api/v1/client/nope/ping", json={"anonymous_id": ANON})
    assert "nope" in error_of(r, 404, "project_not_found")
    r = client.put(
        "/api/v1/client/nope/responses/resp-0000001", json={"form_id": "f", "anonymous_id": ANON}
    )
    error_of(r, 404, "project_not_found")
    assert db.count(contacts) == 0


def test_unknown_route_and_method(client):
    error_of(client.get("/api/v1/nothing"), 404, "not_found")
    error_of(client.get(f"{API}/ping"), 405, "method_not_allowed")
    error_of(client.delete(f"{API}/events"), 405, "method_not_allowed")


def test_oversize_body(client, db):
    big = {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x", "pad": "a" * 70_000}
    error_of(client.post(f"{API}/events", json=big), 413, "payload_too_large")
    assert db.count(events) == 0


def test_oversize_body_without_content_length(client, db):
    def chunks():
        yield b'{"event_id": "evt-00000001", "anonymous_id": "anon-0000000001", "pad": "'
        for _ in range(20):
            yield b"a" * 4096
        yield b'", "name": "x"}'

    r = client.post(f"{API}/events", content=chunks(), headers={"content-type": "application/json"})
    error_of(r, 413, "payload_too_large")
    assert db.count(events) == 0


def test_body_just_under_the_limit_is_fine(client, db):
    body = {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x", "pad": "a" * 60_000}
    assert client.post(f"{API}/events", json=body).status_code == 202


def test_errors_carry_cors_headers(client):
    r = client.post("/api/v1/client/nope/ping", json={}, headers={"origin": "https://site.example"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_preflight(client):
    r = client.options(
        f"{API}/responses/resp-0000001",
        headers={
            "origin": "https://site.example",
            "access-control-request-method": "PUT",
            "access-control-request-headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"POST", "PUT", "GET", "OPTIONS"} <= methods
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    ok = client.post(f"{API}/ping", json={"anonymous_id": ANON}, headers={"origin": "https://s"})
    assert ok.headers["access-control-allow-origin"] == "*"


def test_no_cors_outside_public_paths(client):
    r = client.get("/openapi.json", headers={"origin": "https://s"})
    assert "access-control-allow-origin" not in r.headers

"""Who may write what: a stored id (response, view, dismissal, event) belongs to the contact
that first wrote it, and a write to it from anyone else changes nothing (409 `id_taken`);
with identity verification the contact is the verified user, and the signature covers the
account id too, so a signed user cannot rewrite another's answers or join an account."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from refiner_server.db import accounts, contacts, dismissals, events, responses, traits, views
from refiner_server.projects import import_surveys, update_project

SECRET = "s3cret-for-tests"  # project `sec` (conftest)
OPEN, SEC = "/api/v1/client/p1", "/api/v1/client/sec"
ANON_A, ANON_B = "anon-aaaaaaaa01", "anon-bbbbbbbb01"


def sig(user_id: str, account_id: str | None = None) -> str:
    """The formula of docs/security.md, written out here, not imported."""
    text = user_id if account_id is None else user_id + "\0" + account_id
    return hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()


def who(kind: str, name: str) -> dict[str, Any]:
    """The identity fields of a write: an anonymous visitor, an open-project user, or a
    verified user (with the signature)."""
    if kind == "anonymous":
        return {"anonymous_id": name}
    if kind == "user":
        return {"user_id": name}
    return {"user_id": name, "signature": sig(name)}


@pytest.fixture(autouse=True)
def asked(engine) -> None:
    """The survey every response here answers, on both projects: answers are checked
    against it and stored, so a rewrite would show."""
    survey = {"id": "f", "status": "live", "questions": [{"id": "q", "type": "nps"}]}
    for project in ("p1", "sec"):
        import_surveys(engine, project, [survey])


def refused(r: Any) -> bool:
    return r.status_code == 409 and r.json()["error"]["code"] == "id_taken"


# (project, how the first writer is known, how the second one is)
STRANGERS = [
    (OPEN, ("anonymous", ANON_A), ("anonymous", ANON_B)),
    (OPEN, ("user", "user-a"), ("user", "user-b")),
    (OPEN, ("anonymous", ANON_A), ("user", "user-b")),
    (SEC, ("signed", "user-a"), ("signed", "user-b")),
]


@pytest.mark.parametrize(("api", "first", "second"), STRANGERS)
def test_a_response_is_rewritten_only_by_its_owner(client, db, api, first, second) -> None:
    url = f"{api}/responses/resp-owned-01"
    mine = {"form_id": "f", "answers": {"q": 9}, "data": {"plan": "pro"}, "completed": True}
    assert client.put(url, json={**mine, **who(*first)}).status_code == 200
    before = db.rows(responses)
    contacts_before = db.rows(contacts)
    theirs = {"form_id": "f", "answers": {"q": 0}, "data": {"plan": "x"}, "completed": True}
    r = client.put(url, json={**theirs, **who(*second)})
    assert refused(r), r.text
    assert "response_id" in r.json()["error"]["message"]
    # nothing changed: not the answers, not the hidden fields, not the contacts
    assert db.rows(responses) == before
    assert db.rows(contacts) == contacts_before
    # the owner still saves it (a later step, a retry)
    r = client.put(url, json={**mine, "answers": {"q": 10}, **who(*first)})
    assert r.status_code == 200
    assert db.rows(responses)[0]["answers"] == {"q": 10}


@pytest.mark.parametrize(("api", "first", "second"), STRANGERS)
@pytest.mark.parametrize(
    ("path", "table", "id_name", "extra"),
    [
        ("events", events, "event_id", {"name": "opened"}),
        ("views", views, "view_id", {"form_id": "live-one"}),
        ("dismissals", dismissals, "dismissal_id", {"form_id": "live-one"}),
    ],
)
def test_an_append_id_is_never_reowned(
    client, db, api, first, second, path, table, id_name, extra
) -> None:
    body = {id_name: "id-owned-0001", **extra}
    assert client.post(f"{api}/{path}", json={**body, **who(*first)}).status_code == 202
    before, contacts_before = db.rows(table), db.rows(contacts)
    assert refused(client.post(f"{api}/{path}", json={**body, **who(*second)}))
    assert db.rows(table) == before and db.rows(contacts) == contacts_before
    # the owner's retry answers as the first write did, and stores nothing new
    again = client.post(f"{api}/{path}", json={**body, **who(*first)})
    assert again.status_code == 202 and again.json() == {"id": "id-owned-0001"}
    assert db.rows(table) == before


def test_an_owner_known_first_anonymously_keeps_their_ids(client, db) -> None:
    """A retry of a write made before `identifyUser` (the anonymous contact since merged
    into the user) is the owner's: merges move ownership with the rows."""
    body = {"event_id": "evt-early-001", "name": "x", "anonymous_id": ANON_A}
    assert client.post(f"{OPEN}/events", json=body).status_code == 202
    ping = {"anonymous_id": ANON_A, "user": {"id": "user-a"}}
    assert client.post(f"{OPEN}/ping", json=ping).status_code == 200
    assert client.post(f"{OPEN}/events", json=body).status_code == 202
    assert client.post(f"{OPEN}/events", json={**body, "user_id": "user-a"}).status_code == 202
    assert db.count(events) == 1 and db.count(contacts) == 1


def test_a_verified_user_cannot_take_over_history_by_anonymous_id(client, db, engine) -> None:
    """On a verified project the contact is the verified user: an anonymous id (unsigned,
    readable in a cookie) merges nothing into them and moves nothing away from anyone,
    also for contacts stored before verification was switched on."""
    update_project(engine, "sec", identity_verification=False)
    early = {"event_id": "evt-before-01", "name": "x", "anonymous_id": ANON_A}
    assert client.post(f"{SEC}/events", json=early).status_code == 202
    update_project(engine, "sec", identity_verification=True)
    r = client.post(f"{SEC}/ping", json={"user": {"id": "user-a"}, "signature": sig("user-a")})
    assert r.status_code == 200
    for user in ("user-a", "user-b"):
        body = {"anonymous_id": ANON_A, "user": {"id": user}, "signature": sig(user)}
        assert client.post(f"{SEC}/ping", json=body).status_code == 200
    by_user = {c["user_id"]: c["pk"] for c in db.rows(contacts)}
    assert set(by_user) == {None, "user-a", "user-b"}  # the anonymous contact stands apart
    (event,) = db.rows(events)
    assert event["contact_pk"] == by_user[None]
    resp = {"form_id": "f", "answers": {"q": 1}, "completed": True}
    url = f"{SEC}/responses/resp-of-a-0001"
    assert client.put(url, json={**resp, **who("signed", "user-a")}).status_code == 200
    b_with_a_cookie = {**resp, "answers": {"q": 0}, "anonymous_id": ANON_A}
    assert refused(client.put(url, json={**b_with_a_cookie, **who("signed", "user-b")}))
    (row,) = db.rows(responses)
    assert row["contact_pk"] == by_user["user-a"] and row["answers"] == {"q": 1}


ACME = {"id": "acme", "name": "ACME", "traits": {"plan": "enterprise", "seats": 500}}


def ping_as(client, user: str, account: dict[str, Any], signature: str) -> Any:
    body = {"user": {"id": user, "account": account}, "signature": signature}
    return client.post(f"{SEC}/ping", json=body)


def acme_state(db) -> tuple[Any, ...]:
    (acc,) = db.rows(accounts)
    values = {t["key"]: t["value_text"] or t["value_int"] for t in db.rows(traits)}
    members = sorted(c["user_id"] for c in db.rows(contacts) if c["account_pk"] == acc["pk"])
    return acc["name"], values, members


def test_the_signature_covers_the_account(client, db) -> None:
    """A signed user cannot name an account their signature does not cover: no joining,
    renaming or re-tracing ACME with a signature of the user id alone."""
    assert ping_as(client, "alice", ACME, sig("alice", "acme")).status_code == 200
    assert acme_state(db) == ("ACME", {"plan": "enterprise", "seats": 500}, ["alice"])
    hostile = {"id": "acme", "name": "pwned", "traits": {"plan": "free", "seats": 1}}
    for signature in (sig("mallory"), sig("mallory", "other"), sig("alice", "acme")):
        r = ping_as(client, "mallory", hostile, signature)
        assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_signature"
    assert acme_state(db) == ("ACME", {"plan": "enterprise", "seats": 500}, ["alice"])
    # the user id alone no longer covers an identity that names an account
    assert ping_as(client, "alice", ACME, sig("alice")).status_code == 403
    # no id holds the separator, so no other identity has the same message
    body = {"user": {"id": "alice\0acme"}, "signature": sig("alice", "acme")}
    assert client.post(f"{SEC}/ping", json=body).status_code == 422


def test_writes_of_a_user_in_an_account_carry_its_id(client, db) -> None:
    """Writes name the account only so that the signature the page holds can be checked;
    they store nothing about it."""
    assert ping_as(client, "alice", ACME, sig("alice", "acme")).status_code == 200
    body = {"event_id": "evt-acct-001", "name": "x", "user_id": "alice"}
    signed = {**body, "account_id": "acme", "signature": sig("alice", "acme")}
    assert client.post(f"{SEC}/events", json=signed).status_code == 202
    wrong = {**signed, "event_id": "evt-acct-002", "account_id": "other"}
    assert client.post(f"{SEC}/events", json=wrong).status_code == 403
    plain = {**body, "event_id": "evt-acct-003", "signature": sig("alice")}
    assert client.post(f"{SEC}/events", json=plain).status_code == 202
    assert db.count(events) == 2

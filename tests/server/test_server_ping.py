"""Ping: contacts, typed traits, accounts, anonymous->identified merge, verification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from refiner_server.client.signature import sign
from refiner_server.db import (
    accounts,
    contact_anonymous_ids,
    contacts,
    events,
    responses,
    traits,
    views,
)

PING = "/api/v1/client/p1/ping"
ANON = "anon-0000000001"
ANON2 = "anon-0000000002"
SECRET = "s3cret-for-tests"  # the `sec` project of conftest.py


def identified(user_id: str = "u1", anon: str | None = ANON, **user) -> dict:
    return {"anonymous_id": anon, "user": {"id": user_id, **user}, "locale": "de"}


def trait_map(db, **owner) -> dict:
    ((col, pk),) = owner.items()
    return {t["key"]: t for t in db.rows(traits, getattr(traits.c, col) == pk)}


def test_anonymous_ping_creates_contact_and_lists_live_forms(client, db):
    r = client.post(
        PING,
        json={"anonymous_id": ANON, "user": None, "page": {"url": "https://x/app", "title": "A"}},
    )
    assert r.status_code == 200
    body = r.json()
    assert [f["id"] for f in body["forms"]] == ["live-one"]
    assert body["forms"][0] == {"id": "live-one", "questions": []}  # the client view
    assert body["ping_interval_s"] == 300
    seen = body["contact"]
    assert seen["first_seen_at"].endswith("Z") and seen["last_seen_at"].endswith("Z")
    datetime.strptime(seen["first_seen_at"], "%Y-%m-%dT%H:%M:%SZ")
    (contact,) = db.rows(contacts)
    assert contact["user_id"] is None and contact["project_id"] == "p1"
    (link,) = db.rows(contact_anonymous_ids)
    assert (link["anonymous_id"], link["contact_pk"]) == (ANON, contact["pk"])
    # a second ping from the same browser is the same contact
    client.post(PING, json={"anonymous_id": ANON})
    assert db.count(contacts) == 1 and db.count(contact_anonymous_ids) == 1


def test_identified_ping_stores_user_fields(client, db):
    r = client.post(PING, json=identified(email="a@b.c", name="Jane"))
    assert r.status_code == 200
    (c,) = db.rows(contacts)
    assert (c["user_id"], c["email"], c["name"]) == ("u1", "a@b.c", "Jane")
    # later pings update given fields and keep the ones not sent
    client.post(PING, json=identified(name="Jane Doe"))
    (c,) = db.rows(contacts)
    assert (c["email"], c["name"]) == ("a@b.c", "Jane Doe")


def test_last_seen_moves_first_seen_stays(client, db):
    client.post(PING, json=identified())
    (before,) = db.rows(contacts)
    client.post(PING, json=identified())
    (after,) = db.rows(contacts)
    assert after["first_seen_at"] == before["first_seen_at"]
    assert after["last_seen_at"] >= before["last_seen_at"]


def test_traits_land_typed(client, db):
    user_traits = {
        "plan": "pro",
        "seats": 3,
        "paying": True,
        "trial": False,
        "signed_up_at": "2020-04-26T15:58:14Z",
        "zip": "01234",  # a quoted number stays a string
        "count_at": 7,  # an integer on an _at key is an integer
        "negative": -2147483647,
    }
    assert client.post(PING, json=identified(traits=user_traits)).status_code == 200
    (c,) = db.rows(contacts)
    t = trait_map(db, contact_pk=c["pk"])
    assert set(t) == set(user_traits)
    assert (t["plan"]["type"], t["plan"]["value_text"]) == ("string", "pro")
    assert (t["seats"]["type"], t["seats"]["value_int"]) == ("integer", 3)
    assert (t["paying"]["type"], t["paying"]["value_bool"]) == ("boolean", True)
    assert (t["trial"]["type"], t["trial"]["value_bool"], t["trial"]["value_int"]) == (
        "boolean",
        False,
        None,
    )
    assert t["signed_up_at"]["type"] == "date"
    stored = t["signed_up_at"]["value_date"].replace(tzinfo=UTC)
    assert stored == datetime(2020, 4, 26, 15, 58, 14, tzinfo=UTC)
    assert (t["zip"]["type"], t["zip"]["value_text"], t["zip"]["value_int"]) == (
        "string",
        "01234",
        None,
    )
    assert (t["count_at"]["type"], t["count_at"]["value_int"]) == ("integer", 7)
    assert t["negative"]["value_int"] == -2147483647


def test_date_trait_with_offset_is_stored_as_utc(client, db):
    client.post(PING, json=identified(traits={"renewed_at": "2024-01-01T02:00:00+02:00"}))
    (t,) = db.rows(traits)
    assert t["value_date"].replace(tzinfo=UTC) == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)


def test_trait_update_replaces_value_and_type_keeps_others(client, db):
    client.post(PING, json=identified(traits={"plan": "free", "seats": 1}))
    client.post(PING, json=identified(traits={"plan": 2}))
    t = {r["key"]: r for r in db.rows(traits)}
    assert (t["plan"]["type"], t["plan"]["value_int"], t["plan"]["value_text"]) == (
        "integer",
        2,
        None,
    )
    assert t["seats"]["value_int"] == 1
    assert db.count(traits) == 2


def test_two_users_one_account(client, db):
    acc = {"id": "acc1", "name": "Awesome Inc.", "traits": {"created_at": "2019-01-02", "n": 5}}
    client.post(PING, json=identified("u1", anon=ANON, account=acc))
    client.post(PING, json=identified("u2", anon=ANON2, account={"id": "acc1"}))
    (account,) = db.rows(accounts)
    assert (account["account_id"], account["name"]) == ("acc1", "Awesome Inc.")
    users = db.rows(contacts)
    assert sorted(u["user_id"] for u in users) == ["u1", "u2"]
    assert {u["account_pk"] for u in users} == {account["pk"]}
    t = trait_map(db, account_pk=account["pk"])
    assert t["created_at"]["type"] == "date" and t["n"]["value_int"] == 5
    # account traits are not contact traits
    assert all(r["contact_pk"] is None for r in db.rows(traits))


def test_anonymous_then_identified_promotes_the_same_contact(client, db):
    client.post(PING, json={"anonymous_id": ANON})
    client.post(
        "/api/v1/client/p1/events",
        json={"event_id": "evt-00000001", "anonymous_id": ANON, "name": "clicked"},
    )
    (anon,) = db.rows(contacts)
    client.post(PING, json=identified("u1"))
    (c,) = db.rows(contacts)
    assert c["pk"] == anon["pk"] and c["user_id"] == "u1"
    assert c["first_seen_at"] == anon["first_seen_at"]
    assert db.rows(events)[0]["contact_pk"] == c["pk"]


def test_anonymous_contact_merges_into_known_user(client, db):
    # u1 is known from another browser (ANON2) ...
    client.post(PING, json=identified("u1", anon=ANON2))
    # ... then a fresh anonymous visitor (ANON) acts, then logs in as u1
    client.post(PING, json={"anonymous_id": ANON})
    client.post(
        "/api/v1/client/p1/views",
        json={"view_id": "view-0000001", "form_id": "live-one", "anonymous_id": ANON},
    )
    client.put(
        "/api/v1/client/p1/responses/resp-0000001",
        json={"form_id": "live-one", "anonymous_id": ANON, "answers": {"score": 9}},
    )
    assert db.count(contacts) == 2
    client.post(PING, json=identified("u1", anon=ANON))
    (c,) = db.rows(contacts)
    assert c["user_id"] == "u1"
    links = {r["anonymous_id"]: r["contact_pk"] for r in db.rows(contact_anonymous_ids)}
    assert links == {ANON: c["pk"], ANON2: c["pk"]}
    assert db.rows(views)[0]["contact_pk"] == c["pk"]
    assert db.rows(responses)[0]["contact_pk"] == c["pk"]


def test_anonymous_id_moves_to_the_user_who_used_it_last(client, db):
    client.post(PING, json=identified("u1", anon=ANON))
    client.post(PING, json=identified("u2", anon=ANON))  # same browser, other user
    users = {r["user_id"]: r["pk"] for r in db.rows(contacts)}
    assert set(users) == {"u1", "u2"}
    (link,) = db.rows(contact_anonymous_ids)
    assert link["contact_pk"] == users["u2"]


def test_identified_without_anonymous_id(client, db):
    r = client.post(PING, json={"user": {"id": "server-side-user"}})
    assert r.status_code == 200
    assert [c["user_id"] for c in db.rows(contacts)] == ["server-side-user"]
    assert db.count(contact_anonymous_ids) == 0


def test_ping_interval_comes_from_the_project(client, engine):
    from refiner_server.projects import create_project

    create_project(engine, "slow", ping_interval_s=900)
    r = client.post("/api/v1/client/slow/ping", json={"anonymous_id": ANON})
    assert r.json()["ping_interval_s"] == 900 and r.json()["forms"] == []


# -- identity verification ---------------------------------------------------------------

SEC_PING = "/api/v1/client/sec/ping"


def test_verified_project_accepts_right_signature(client, db):
    body = identified("u1", traits={"plan": "pro"})
    body["signature"] = sign(SECRET, "u1")
    r = client.post(SEC_PING, json=body)
    assert r.status_code == 200, r.text
    assert [c["user_id"] for c in db.rows(contacts)] == ["u1"]
    body["signature"] = body["signature"].upper()  # hex case does not matter
    assert client.post(SEC_PING, json=body).status_code == 200


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        (None, 401, "signature_required"),
        ("", 401, "signature_required"),
        ("00" * 32, 403, "invalid_signature"),
        (sign("other-secret", "u1"), 403, "invalid_signature"),
        (sign(SECRET, "u2"), 403, "invalid_signature"),
    ],
)
def test_verified_project_refuses_bad_signature_and_stores_nothing(
    client, db, signature, status, code
):
    body = identified("u1", traits={"plan": "pro"}, account={"id": "acc1"})
    body["signature"] = signature
    r = client.post(SEC_PING, json=body)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    for table in (contacts, contact_anonymous_ids, traits, accounts):
        assert db.count(table) == 0


def test_verified_project_refuses_anonymous(client, db):
    r = client.post(SEC_PING, json={"anonymous_id": ANON})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "signature_required"
    assert db.count(contacts) == 0


def test_verified_project_checks_writes_too(client, db):
    url = "/api/v1/client/sec/events"
    body = {"event_id": "evt-00000001", "anonymous_id": ANON, "user_id": "u1", "name": "x"}
    r = client.post(url, json=body)
    assert r.status_code == 401 and db.count(events) == 0
    r = client.post(url, json={**body, "signature": sign(SECRET, "nobody")})
    assert r.status_code == 403 and db.count(events) == 0
    r = client.post(url, json={**body, "user_id": None})
    assert r.status_code == 401 and db.count(events) == 0
    r = client.post(url, json={**body, "signature": sign(SECRET, "u1")})
    assert r.status_code == 202 and db.count(events) == 1
    resp = {"form_id": "f", "user_id": "u1", "answers": {"a": 1}}
    r = client.put("/api/v1/client/sec/responses/resp-0000001", json=resp)
    assert r.status_code == 401 and db.count(responses) == 0


def test_open_project_ignores_signature(client):
    body = identified("u1")
    body["signature"] = "garbage"
    assert client.post(PING, json=body).status_code == 200


def test_unchanged_traits_are_not_rewritten(client, db):
    same = {"plan": "pro", "seats": 3, "paying": True, "signed_up_at": "2020-04-26T15:58:14Z"}
    client.post(PING, json=identified(traits=same))
    before = {t["key"]: t["updated_at"] for t in db.rows(traits)}
    client.post(PING, json=identified(traits={**same, "seats": 4}))
    after = {t["key"]: t for t in db.rows(traits)}
    assert after["seats"]["value_int"] == 4 and after["seats"]["updated_at"] > before["seats"]
    for key in ("plan", "paying", "signed_up_at"):
        assert after[key]["updated_at"] == before[key]

"""Projects, contacts and accounts through the admin API; erasure of a contact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from refiner_server.db import contacts, metadata, projects

from .admin_support import ADMIN, CLIENT, respond
from .admin_support import auth as make_auth

P1 = f"{ADMIN}/projects/p1"


@pytest.fixture
def h(engine):
    return make_auth(engine)


def ping(client, user_id, anon, **user):
    body = {"anonymous_id": anon, "user": {"id": user_id, **user} if user_id else None}
    assert client.post(f"{CLIENT}/p1/ping", json=body).status_code == 200


def write(client, kind, id_field, ident, user_id, **fields):
    body = {id_field: ident, "user_id": user_id, "anonymous_id": None, **fields}
    r = client.post(f"{CLIENT}/p1/{kind}", json=body)
    assert r.status_code == 202, r.text


@pytest.fixture
def people(client):
    """Jane (pro, account acme, a full history), Bob (free, same account), one anonymous."""
    acme = {"id": "acme", "name": "Acme Inc.", "traits": {"seats": 12}}
    ping(
        client,
        "jane",
        "anon-jane-0001",
        email="Jane@Example.com",
        traits={"plan": "pro", "beta": True},
        account=acme,
    )
    ping(
        client,
        "bob",
        "anon-bob-00001",
        email="bob@example.com",
        traits={"plan": "free", "seats": 3},
        account={"id": "acme"},
    )
    ping(client, None, "anon-nobody-01")
    write(client, "events", "event_id", "evt-jane-0001", "jane", name="saved")
    write(client, "views", "view_id", "view-jane-001", "jane", form_id="live-one")
    write(client, "dismissals", "dismissal_id", "dism-jane-001", "jane", form_id="live-one")
    respond(client, "resp-jane-0001", {"q": 1}, form="live-one", user_id="jane")
    write(client, "events", "event_id", "evt-bob-00001", "bob", name="saved")
    respond(client, "resp-bob-00001", {"q": 2}, form="live-one", user_id="bob")


def contact_id(client, h, user_id):
    (c,) = client.get(f"{P1}/contacts", params={"user_id": user_id}, headers=h).json()["items"]
    return c["id"]


def test_projects_create_list_and_settings(client, h, db):
    r = client.post(
        f"{ADMIN}/projects",
        json={"id": "shop", "name": "Shop", "allowed_origins": ["https://shop.example"]},
        headers=h,
    )
    assert r.status_code == 201
    assert r.json()["allowed_origins"] == ["https://shop.example"] and r.json()["secret"] is None
    assert [p["id"] for p in client.get(f"{ADMIN}/projects", headers=h).json()] == [
        "p1",
        "sec",
        "shop",
    ]
    r = client.patch(
        f"{ADMIN}/projects/shop",
        json={"identity_verification": True, "ping_interval_s": 60},
        headers=h,
    )
    body = r.json()
    assert body["identity_verification"] is True and len(body["secret"]) == 64
    assert body["ping_interval_s"] == 60 and body["allowed_origins"] == ["https://shop.example"]
    rotated = client.patch(f"{ADMIN}/projects/shop", json={"rotate_secret": True}, headers=h)
    assert rotated.json()["secret"] not in (None, body["secret"])
    (row,) = db.rows(projects, projects.c.id == "shop")
    assert row["secret"] == rotated.json()["secret"] and row["ping_interval_s"] == 60
    # the client API follows at once: a verified project refuses anonymous pings
    r = client.post(f"{CLIENT}/shop/ping", json={"anonymous_id": "anon-x-000001"})
    assert r.json()["error"]["code"] == "signature_required"
    client.patch(f"{ADMIN}/projects/shop", json={"identity_verification": False}, headers=h)
    r = client.post(f"{CLIENT}/shop/ping", json={"anonymous_id": "anon-x-000001"})
    assert r.json()["ping_interval_s"] == 60


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "where"),
    [
        ("POST", "/projects", {"id": "p1"}, 409, "already exists"),
        ("POST", "/projects", {"id": "has space"}, 422, "id:"),
        (
            "POST",
            "/projects",
            {"id": "x", "allowed_origins": ["shop.example"]},
            422,
            "allowed_origins.0",
        ),
        ("POST", "/projects", {"id": "x", "ping_interval_s": 1}, 422, "ping_interval_s"),
        (
            "PATCH",
            "/projects/p1",
            {"allowed_origins": ["https://a.example/path"]},
            422,
            "allowed_origins.0",
        ),
        ("PATCH", "/projects/nope", {"name": "x"}, 404, "nope"),
        ("GET", "/projects/nope", None, 404, "nope"),
        ("GET", "/projects/nope/contacts", None, 404, "nope"),
        ("GET", "/projects/p1/contacts/999", None, 404, "contact 999"),
        ("GET", "/projects/p1/accounts/zzz", None, 404, "zzz"),
        ("GET", "/projects/p1/contacts?trait=plan", None, 422, "trait"),
    ],
)
def test_refusals(client, h, method, url, body, status, where):
    r = client.request(method, ADMIN + url, json=body, headers=h)
    assert r.status_code == status, r.text
    assert where in r.json()["error"]["message"]


def test_contacts_list_and_search(client, h, people):
    everyone = client.get(f"{P1}/contacts", headers=h).json()
    assert [c["user_id"] for c in everyone["items"]] == ["jane", "bob", None]
    assert everyone["next"] is None
    page = client.get(f"{P1}/contacts", params={"limit": 2}, headers=h).json()
    assert len(page["items"]) == 2 and page["next"] == page["items"][1]["id"]
    rest = client.get(f"{P1}/contacts", params={"after": page["next"]}, headers=h).json()
    assert [c["user_id"] for c in rest["items"]] == [None]

    def users(**params):
        found = client.get(f"{P1}/contacts", params=params, headers=h).json()["items"]
        return [c["user_id"] for c in found]

    assert users(q="JANE") == ["jane"]
    assert users(q="example.com") == ["jane", "bob"]
    assert users(q="%") == []  # no wildcard injection
    assert users(email="jane@example.com") == ["jane"]
    assert users(trait="plan:pro") == ["jane"]
    assert users(trait="beta:true") == ["jane"]
    assert users(trait="seats:3") == ["bob"]
    assert users(trait="plan:gold") == []
    (jane,) = client.get(f"{P1}/contacts", params={"user_id": "jane"}, headers=h).json()["items"]
    assert jane["traits"] == {"beta": True, "plan": "pro"} and jane["account_id"] == "acme"


def test_one_contact_with_its_history(client, h, people):
    detail = client.get(f"{P1}/contacts/{contact_id(client, h, 'jane')}", headers=h).json()
    assert detail["anonymous_ids"] == ["anon-jane-0001", "anon-resp-jane-0001"]
    assert [e["name"] for e in detail["events"]] == ["saved"]
    assert [v["form_id"] for v in detail["views"]] == ["live-one"]
    assert [d["id"] for d in detail["dismissals"]] == ["dism-jane-001"]
    assert [r["response_id"] for r in detail["responses"]] == ["resp-jane-0001"]


def test_accounts(client, h, people):
    (acme,) = client.get(f"{P1}/accounts", params={"q": "ACME"}, headers=h).json()
    assert acme == {
        "account_id": "acme",
        "name": "Acme Inc.",
        "created_at": acme["created_at"],
        "traits": {"seats": 12},
        "contacts": 2,
    }
    detail = client.get(f"{P1}/accounts/acme", headers=h).json()
    assert [m["user_id"] for m in detail["members"]] == ["jane", "bob"]


def counts_by_table(engine, contact_pk):
    """Rows that point at the contact, per table that has a contact_pk, and the contact."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "contact_pk" in table.c:
                q = sa.select(sa.func.count()).where(table.c.contact_pk == contact_pk)
                out[table.name] = conn.execute(q.select_from(table)).scalar_one()
        out["contacts"] = conn.execute(
            sa.select(sa.func.count()).where(contacts.c.pk == contact_pk)
        ).scalar_one()
    return out


def test_erasure_removes_every_row_of_the_contact(client, h, engine, people):
    jane, bob = contact_id(client, h, "jane"), contact_id(client, h, "bob")
    before = counts_by_table(engine, jane)
    assert set(before) >= {"events", "views", "dismissals", "responses", "traits"}
    assert all(n >= 1 for n in before.values()), before  # something in every table
    bob_before = counts_by_table(engine, bob)
    r = client.delete(f"{P1}/contacts/{jane}", headers=h)
    assert r.status_code == 200
    assert r.json()["deleted"] == before
    assert set(counts_by_table(engine, jane).values()) == {0}
    assert counts_by_table(engine, bob) == bob_before  # nobody else touched
    assert client.get(f"{P1}/contacts/{jane}", headers=h).status_code == 404
    assert client.delete(f"{P1}/contacts/{jane}", headers=h).status_code == 404
    # the account stays (it is Bob's too) and no longer lists Jane
    members = client.get(f"{P1}/accounts/acme", headers=h).json()["members"]
    assert [m["user_id"] for m in members] == ["bob"]


def test_a_contact_of_another_project_is_not_reachable(client, h, people):
    jane = contact_id(client, h, "jane")
    assert client.get(f"{ADMIN}/projects/sec/contacts/{jane}", headers=h).status_code == 404
    assert client.delete(f"{ADMIN}/projects/sec/contacts/{jane}", headers=h).status_code == 404

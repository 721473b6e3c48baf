"""The dashboard's server-key page of a project, on SQLite and PostgreSQL: signed-in owners
only, a new key shown once and working at once, the list by prefix without any secret,
revoking from the page, and the dashboard's CSRF rule on both forms."""

from __future__ import annotations

import re

import pytest

from refiner_server.db import server_keys
from refiner_server.server_api.keys import create_key, list_keys
from refiner_server.tokens import create_token

KEYS = "/admin/projects/p1/keys"
SAME = {"sec-fetch-site": "same-origin"}
XSS = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def owner(client, app):
    raw = create_token(app.state.admin_engine, "owner")[1]
    r = client.post("/admin/login", data={"token": raw, "next": "/admin"}, headers=SAME)
    assert r.status_code == 200  # followed to the index
    return client


def test_the_page_needs_a_signed_in_owner(client):
    r = client.get(KEYS, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
    r = client.post(KEYS, data={"name": "x"}, headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


def test_the_index_links_each_projects_keys(owner):
    page = owner.get("/admin").text
    assert 'href="/admin/projects/p1/keys"' in page and 'href="/admin/projects/sec/keys"' in page


def test_a_new_key_is_shown_once_works_and_is_listed_by_prefix(owner, app, db):
    r = owner.post(KEYS, data={"name": "billing " + XSS}, headers=SAME)
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'none'" in r.headers["content-security-policy"]
    (raw,) = re.findall(r'<code class="secret">(rfs_[^<]+)</code>', r.text)
    assert XSS not in r.text and "billing &lt;img" in r.text
    (key,) = list_keys(app.state.admin_engine, "p1")
    assert key["project_id"] == "p1" and raw.startswith(key["prefix"] + "_")

    r = owner.post(
        "/api/v1/server/track-event",
        json={"id": "u1", "event": "x"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert r.status_code == 202

    page = owner.get(KEYS)
    assert page.status_code == 200 and raw not in page.text and "secret" not in page.text
    assert f"<code>{key['prefix']}</code>" in page.text
    assert "never" not in page.text  # it was used just now
    assert f"{KEYS}/{key['id']}/revoke" in page.text


def test_revoking_from_the_page(owner, app):
    key_id, raw = create_key(app.state.admin_engine, "p1", "old backend")
    r = owner.post(f"{KEYS}/{key_id}/revoke", headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == KEYS + "?done=revoked"
    page = owner.get(r.headers["location"])
    assert "Key revoked." in page.text and "revoked 20" in page.text
    assert f"{KEYS}/{key_id}/revoke" not in page.text
    r = owner.post(
        "/api/v1/server/identify-user",
        json={"id": "u1"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert r.status_code == 401
    # a key of another project cannot be revoked through this one's page
    other_id, _ = create_key(app.state.admin_engine, "sec", "theirs")
    r = owner.post(f"{KEYS}/{other_id}/revoke", headers=SAME, follow_redirects=False)
    assert r.status_code == 404
    assert list_keys(app.state.admin_engine, "sec")[0]["revoked_at"] is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_a_key_needs_a_name(owner, db, name):
    r = owner.post(KEYS, data={"name": name}, headers=SAME)
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    assert db.count(server_keys) == 0


def test_an_unknown_project_is_404(owner, db):
    assert owner.get("/admin/projects/nope/keys").status_code == 404
    assert (
        owner.post("/admin/projects/nope/keys", data={"name": "x"}, headers=SAME).status_code == 404
    )
    assert db.count(server_keys) == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
)
def test_posts_from_elsewhere_change_nothing(owner, app, db, headers):
    key_id, _ = create_key(app.state.admin_engine, "p1", "backend")
    r = owner.post(KEYS, data={"name": "sneaky"}, headers=headers)
    assert r.status_code == 403
    r = owner.post(f"{KEYS}/{key_id}/revoke", headers=headers)
    assert r.status_code == 403
    (key,) = list_keys(app.state.admin_engine, "p1")
    assert key["revoked_at"] is None and db.count(server_keys) == 1

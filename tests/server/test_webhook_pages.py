"""The dashboard's webhook pages on SQLite and PostgreSQL: add an endpoint, send a test,
read the log, the notice of an endpoint the server disabled, enable it again; CSRF and
escaping as on every `/admin` page."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest

from bench.webhook_receiver import Receiver
from refiner_server.db import utcnow
from refiner_server.tokens import create_token
from refiner_server.webhooks.tables import webhook_deliveries

from .webhook_support import make_app, running, wait, worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ORIGIN = {"origin": "http://testserver"}
HOOKS = "/admin/projects/p1/webhooks"
XSS = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def app(db_url: str) -> Any:
    return make_app(db_url)


@pytest.fixture
def owner(app: Any) -> TestClient:
    client = TestClient(app)
    _id, raw = create_token(app.state.admin_engine, "owner")
    r = client.post("/admin/login", data={"token": raw}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    return client


def add(owner: TestClient, url: str, **fields: Any) -> str:
    """Adds an endpoint through the form; the path of its page."""
    r = owner.post(HOOKS, data={"url": url, **fields}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("?done=created")
    return r.headers["location"].split("?")[0]


def test_add_an_endpoint_send_a_test_and_read_the_log(app, owner):
    assert f'href="{HOOKS}"' in owner.get("/admin").text
    with Receiver() as receiver:
        page = add(owner, receiver.url, description="CRM " + XSS, event=["response.completed"])
        html = owner.get(page + "?done=created").text
        assert "Endpoint added" in html and "whsec_" in html
        assert XSS not in html and "&lt;img src=x" in html  # escaped
        assert "response.completed" in html and "contact.identified" not in html
        r = owner.post(page + "/test", headers=ORIGIN, follow_redirects=False)
        assert r.headers["location"] == page + "?done=test"
        with running(worker(app)):
            assert receiver.wait_for(lambda got: len(got) == 1)
            assert wait(lambda: "delivered" in owner.get(page + "?status=delivered").text)
    html = owner.get(page).text
    row = re.search(
        r"<tr>\s*<td><code>(msg_\w+)</code></td>\s*<td>webhook.test</td>(.*?)</tr>", html, re.S
    )
    assert row is not None and row.group(1) == receiver.received[0].id
    assert "<td>200</td>" in row.group(2) and " ms</td>" in row.group(2)


def test_a_disabled_endpoint_is_announced_and_can_be_enabled_again(app, owner):
    with Receiver(lambda _id, _seen: (500, b"boom")) as receiver:
        page = add(owner, receiver.url)
        owner.post(page + "/test", headers=ORIGIN)
        with app.state.admin_engine.begin() as conn:  # its 24 h are over
            conn.execute(webhook_deliveries.update(), {"expires_at": utcnow()})
        with running(worker(app, retry_base_s=60)):
            assert receiver.wait_for(lambda got: len(got) == 1)
            assert wait(lambda: "Disabled by the server" in owner.get(page).text)
    index = owner.get("/admin").text
    assert "disabled by the server: message msg_" in index and "(HTTP 500)" in index
    r = owner.post(page + "/enabled", data={"enabled": "1"}, headers=ORIGIN, follow_redirects=False)
    assert r.headers["location"] == page + "?done=enabled"
    html = owner.get(page).text
    assert "Disabled by the server" not in html and "Redeliver all failed (1)" in html
    r = owner.post(page + "/redeliver-failed", headers=ORIGIN, follow_redirects=False)
    assert r.headers["location"] == page + "?done=redelivered"
    assert "Redeliver all failed" not in owner.get(page).text


def test_refusals(app, owner):
    r = owner.post(HOOKS, data={"url": "ftp://example.com/x"}, headers=ORIGIN)
    assert r.status_code == 422 and "url: must be https" in r.text
    cross = {"sec-fetch-site": "cross-site", "origin": "http://evil.example"}
    r = owner.post(HOOKS, data={"url": "https://hooks.example.com/x"}, headers=cross)
    assert r.status_code == 403
    assert "No endpoints yet" in owner.get(HOOKS).text
    page = add(owner, "https://hooks.example.com/x")
    assert owner.post(page + "/delete", headers=cross).status_code == 403
    r = owner.post(page + "/delete", headers=ORIGIN, follow_redirects=False)
    assert r.headers["location"] == HOOKS
    assert owner.get(page).status_code == 404
    assert owner.get("/admin/projects/nope/webhooks").status_code == 404
    anonymous = TestClient(app)
    r = anonymous.get(HOOKS, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
